//! Values that mean the same under every regex dialect. A server checks a pattern with its
//! own language's engine (ECMA-262, RE2/Go, Java, Python, PCRE, .NET, Rust `regex`), and
//! they disagree outside ASCII: `\s` matches U+001C in some and not in others, `\w` and
//! `\d` may be Unicode, case folding adds the Kelvin sign, `.` may or may not match a
//! line break. Inside printable ASCII (0x20–0x7E) they agree. So a "valid" value is drawn
//! from the pattern with every class intersected with printable ASCII (on the
//! `regex-syntax` HIR), and an "invalid" value is printable ASCII that the pattern does
//! not match: both mean the same to every server. When no such value exists, the caller
//! skips and says why ([`NO_SAFE_VALUE`]).
//!
//! Printable ASCII is not enough when the pattern's *syntax* means different things:
//! `[[:digit:]]`, `\A`, `\z`, `\p{L}`, nested classes and `&&` are Rust (and PCRE) syntax
//! that ECMA-262 reads as literals or rejects. So every value is also run through
//! ECMA-262 itself (`regress`, with and without the `u` flag, each where the pattern
//! compiles): valid only when every engine matches it, invalid only when none does. A
//! pattern no ECMA-262 mode compiles has no safe values at all.

use proptest::prelude::*;
use proptest::strategy::SBoxedStrategy;
use proptest::strategy::ValueTree;
use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange};
use regex_syntax::hir::{Hir, HirKind, Repetition};

/// The one sentence every finding and skip about a dialect cites.
pub const DIALECT_NOTE: &str = "values are drawn from printable ASCII (0x20-0x7E), where ECMA-262, RE2/Go, Java, Python, PCRE, .NET and Rust regex agree on \\s, \\w, \\d, \\b, . and case folding";

/// Why a field gets no generated value.
pub const NO_SAFE_VALUE: &str =
    "no printable-ASCII value matches the pattern, so no value is valid in every regex dialect";

const FIRST: char = ' ';
const LAST: char = '~';

/// Whether every character is printable ASCII (0x20–0x7E).
pub fn printable_ascii(s: &str) -> bool {
    s.chars().all(|c| (FIRST..=LAST).contains(&c))
}

/// A pattern that is not Rust `regex` syntax either (the caller cannot judge values).
#[derive(Debug, thiserror::Error)]
#[error("pattern `{pattern}` does not parse: {reason}")]
pub struct BadPattern {
    pub pattern: String,
    pub reason: String,
}

/// A pattern (matched against the whole value, as JSON Schema and the contracts say) and
/// the dialect-safe values drawn from it.
#[derive(Debug, Clone)]
pub struct PatternValues {
    pattern: String,
    whole: regex::Regex,
    /// The same pattern as ECMA-262 reads it, without and with the `u` flag (each where it
    /// compiles; none when neither does).
    ecma: Vec<std::sync::Arc<regress::Regex>>,
    /// The pattern restricted to printable ASCII, look-arounds dropped (they are
    /// re-checked on every value through `whole`).
    restricted: Option<Hir>,
}

impl PatternValues {
    pub fn new(pattern: &str) -> Result<PatternValues, BadPattern> {
        let bad = |reason: String| BadPattern {
            pattern: pattern.to_string(),
            reason,
        };
        let whole =
            regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| bad(e.to_string()))?;
        let hir = regex_syntax::Parser::new()
            .parse(pattern)
            .map_err(|e| bad(e.to_string()))?;
        let ecma: Vec<_> = ["", "u"]
            .into_iter()
            .filter(|flags| regress::Regex::with_flags(pattern, *flags).is_ok())
            .filter_map(|flags| regress::Regex::with_flags(&format!("^(?:{pattern})$"), flags).ok())
            .map(std::sync::Arc::new)
            .collect();
        Ok(PatternValues {
            pattern: pattern.to_string(),
            restricted: restrict(&hir).filter(|_| !ecma.is_empty()),
            whole,
            ecma,
        })
    }

    /// Whether ECMA-262 (in every mode that compiles the pattern) matches the whole value.
    fn ecma_matches<'a>(&'a self, value: &'a str) -> impl Iterator<Item = bool> + 'a {
        self.ecma.iter().map(move |re| re.find(value).is_some())
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether the pattern matches the whole value (Rust `regex`).
    pub fn matches(&self, value: &str) -> bool {
        self.whole.is_match(value)
    }

    /// Valid in every dialect: printable ASCII, matched by Rust `regex` and by ECMA-262.
    pub fn valid_everywhere(&self, value: &str) -> bool {
        printable_ascii(value)
            && !self.ecma.is_empty()
            && self.matches(value)
            && self.ecma_matches(value).all(|m| m)
    }

    /// Invalid in every dialect: printable ASCII, matched neither by Rust `regex` nor by
    /// ECMA-262.
    pub fn invalid_everywhere(&self, value: &str) -> bool {
        printable_ascii(value)
            && !self.ecma.is_empty()
            && !self.matches(value)
            && !self.ecma_matches(value).any(|m| m)
    }

    /// Values valid in every dialect; `None` when the restricted pattern cannot produce
    /// them (the caller skips with [`NO_SAFE_VALUE`]).
    pub fn valid_strategy(&self) -> Option<SBoxedStrategy<String>> {
        let strategy = proptest::string::string_regex_parsed(self.restricted.as_ref()?).ok()?;
        self.example()?;
        let me = self.clone();
        Some(
            strategy
                .prop_filter("valid in every dialect", move |v| me.valid_everywhere(v))
                .sboxed(),
        )
    }

    /// One valid value, deterministically (the first of a fixed-seed draw).
    pub fn example(&self) -> Option<String> {
        let strategy = proptest::string::string_regex_parsed(self.restricted.as_ref()?).ok()?;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        (0..256)
            .filter_map(|_| strategy.new_tree(&mut runner).ok())
            .map(|t| t.current())
            .find(|v| self.valid_everywhere(v))
    }

    /// The first candidate valid in every dialect, else a generated one.
    pub fn valid_value<'a>(&self, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
        candidates
            .into_iter()
            .find(|v| self.valid_everywhere(v))
            .map(str::to_string)
            .or_else(|| self.example())
    }

    /// A value invalid in every dialect: the first of `candidates`, else the empty
    /// string, a space, a long run of `x`, or printable punctuation.
    pub fn invalid_value<'a>(
        &self,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Option<String> {
        let long = "x".repeat(300);
        let fallbacks = ["", " ", "!", "a b", "#$%^&*", "-", "___", "~~~"];
        candidates
            .into_iter()
            .map(str::to_string)
            .chain(fallbacks.into_iter().map(str::to_string))
            .chain(std::iter::once(long))
            .find(|v| self.invalid_everywhere(v))
    }
}

/// The HIR with every class intersected with printable ASCII and look-arounds dropped;
/// `None` when nothing printable can match (a class or literal wholly outside it, on a
/// path that cannot be avoided).
fn restrict(hir: &Hir) -> Option<Hir> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(Hir::empty()),
        HirKind::Literal(lit) => match std::str::from_utf8(&lit.0) {
            Ok(s) if printable_ascii(s) => Some(hir.clone()),
            _ => None,
        },
        HirKind::Class(Class::Unicode(c)) => {
            let mut c = c.clone();
            c.intersect(&ClassUnicode::new([ClassUnicodeRange::new(FIRST, LAST)]));
            (!c.ranges().is_empty()).then(|| Hir::class(Class::Unicode(c)))
        }
        HirKind::Class(Class::Bytes(c)) => {
            let mut c = c.clone();
            c.intersect(&ClassBytes::new([ClassBytesRange::new(
                FIRST as u8,
                LAST as u8,
            )]));
            (!c.ranges().is_empty()).then(|| Hir::class(Class::Bytes(c)))
        }
        HirKind::Repetition(r) => match restrict(&r.sub) {
            Some(sub) => Some(Hir::repetition(Repetition {
                sub: Box::new(sub),
                ..r.clone()
            })),
            None if r.min == 0 => Some(Hir::empty()),
            None => None,
        },
        HirKind::Capture(c) => restrict(&c.sub),
        HirKind::Concat(parts) => parts
            .iter()
            .map(restrict)
            .collect::<Option<Vec<_>>>()
            .map(Hir::concat),
        HirKind::Alternation(parts) => {
            let left: Vec<Hir> = parts.iter().filter_map(restrict).collect();
            (!left.is_empty()).then(|| Hir::alternation(left))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_email_pattern_never_yields_a_control_character() {
        let p = PatternValues::new(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$").unwrap();
        assert!(p.matches("a\u{1c}b@x.io"), "Rust regex: U+001C is not \\s");
        assert!(!p.valid_everywhere("a\u{1c}b@x.io"));
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let s = p.valid_strategy().unwrap();
        for _ in 0..500 {
            let v = s.new_tree(&mut runner).unwrap().current();
            assert!(printable_ascii(&v) && p.matches(&v), "{v:?}");
        }
    }

    #[test]
    fn syntax_ecmascript_reads_otherwise_gives_no_value_it_would_refuse() {
        for pattern in [
            r"^[[:digit:]]+$",
            r"\Aab\z",
            r"^[a[bc]]+$",
            r"^[a-z&&[^aeiou]]+$",
            r"^\p{L}+$",
            r"(?i)^[a-k]{2,6}$",
        ] {
            let p = PatternValues::new(pattern).unwrap();
            assert!(p.example().is_none(), "{pattern}: {:?}", p.example());
            assert!(p.valid_strategy().is_none(), "{pattern}");
        }
        // `5` is Rust's `[[:digit:]]` but not ECMAScript's `[[:digit:]` + `]`.
        let posix = PatternValues::new(r"^[[:digit:]]+$").unwrap();
        assert!(posix.matches("5") && !posix.valid_everywhere("5"));
        assert!(!posix.invalid_everywhere("5"), "nor invalid everywhere");
        assert!(posix.invalid_everywhere("x"));
        // A portable pattern keeps its values.
        let plain = PatternValues::new(r"^[A-Za-z0-9_]{3,32}$").unwrap();
        assert!(plain.example().is_some());
        assert!(plain.invalid_everywhere("a b"));
    }

    #[test]
    fn a_pattern_with_no_ascii_value_has_none() {
        let p = PatternValues::new("^[а-я]+$").unwrap();
        assert!(p.valid_strategy().is_none());
        assert_eq!(p.example(), None);
        assert_eq!(p.invalid_value([]).as_deref(), Some(""));
    }
}
