//! Generated values mean the same under every regex dialect: every "valid" value the
//! engine draws from a pattern matches under Rust `regex`, ECMAScript (`regress`, with and
//! without the `u` flag) and PCRE2 (with and without UTF/UCP), and every "invalid" one under
//! none of them — over the sandbox catalog's patterns and a set of tricky ones.

use gatecheck::apis::gate::sandbox::catalog::Catalog;
use gatecheck::engine::dialect::{printable_ascii, PatternValues};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

/// A pattern in Rust syntax, and the same in ECMAScript (source, flags).
struct Pattern {
    rust: String,
    ecma: String,
    ecma_flags: &'static str,
    /// One string every dialect reads alike in printable ASCII (so values must exist).
    portable: bool,
}

fn same(p: &str) -> Pattern {
    Pattern {
        rust: p.to_string(),
        ecma: p.to_string(),
        ecma_flags: "",
        portable: true,
    }
}

/// A pattern string whose syntax ECMAScript reads otherwise than Rust.
fn divergent(p: &str) -> Pattern {
    Pattern {
        portable: false,
        ..same(p)
    }
}

fn tricky() -> Vec<Pattern> {
    let mut v: Vec<Pattern> = [
        r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$",
        r"^\S+$",
        r"^\s*[a-z]+\s*$",
        r"^\w{3,16}$",
        r"^[^\w]+$",
        r"^\d{4,8}$",
        r"^\D+$",
        r"^.{1,10}$",
        r"^[^a]+$",
        r"^\bfoo\b.*$",
        r"^[A-Z][a-z]+(?: [A-Z][a-z]+)*$",
        r"^(eu|asia|na)$",
        r"^\+[1-9][0-9]{7,14}$",
        r"^[\x20-\x7E]+$",
        r"^[^\x00-\x1F]+$",
    ]
    .into_iter()
    .map(same)
    .collect();
    // Case folding: inline in Rust and PCRE, a flag in ECMAScript.
    v.push(Pattern {
        rust: "(?i)^[a-k]{2,6}$".into(),
        ecma: "^[a-k]{2,6}$".into(),
        ecma_flags: "i",
        portable: false,
    });
    // Unicode classes need the `u` flag in ECMAScript.
    for p in [r"^\p{L}+$", r"^[\p{Lu}\p{Nd}]{2,8}$", r"^\P{L}+$"] {
        v.push(Pattern {
            rust: p.into(),
            ecma: p.into(),
            ecma_flags: "u",
            portable: false,
        });
    }
    // Syntax only Rust (and PCRE) reads as a class or an anchor: ECMAScript reads `[[:`,
    // a nested `[`, `&&`, `\A` and `\z` as literals (or refuses them with `u`).
    for p in [
        r"^[[:digit:]]+$",
        r"^[[:alpha:]_]{3,8}$",
        r"^[a[bc]]+$",
        r"^[a-z&&[^aeiou]]+$",
        r"\Aab\z",
        r"^x\d+\z",
    ] {
        v.push(divergent(p));
    }
    v
}

fn catalog_patterns() -> Vec<Pattern> {
    let catalog = Catalog::seeded().expect("the catalog");
    let mut ps: Vec<String> = catalog
        .products()
        .flat_map(|p| p.product.customer_account_fields.iter())
        .filter_map(|f| f.pattern.clone())
        .collect();
    ps.sort();
    ps.dedup();
    assert!(!ps.is_empty(), "the catalog has patterned fields");
    ps.iter().map(|p| same(p)).collect()
}

/// The pattern compiled for whole-value matching in every dialect under test.
struct Engines {
    name: String,
    rust: regex::Regex,
    ecma: Vec<regress::Regex>,
    pcre: Vec<pcre2::bytes::Regex>,
}

impl Engines {
    fn new(p: &Pattern) -> Engines {
        let whole = |s: &str| format!("^(?:{s})$");
        // Every ECMAScript mode that compiles the pattern (one with Rust-only syntax, such
        // as `\A`, compiles in none or one of them).
        let mut modes = vec![p.ecma_flags.to_string()];
        if !p.ecma_flags.contains('u') {
            modes.push(format!("{}u", p.ecma_flags));
        }
        let ecma = modes
            .iter()
            .filter_map(|flags| regress::Regex::with_flags(&whole(&p.ecma), flags.as_str()).ok())
            .collect();
        let pcre = [false, true]
            .into_iter()
            .map(|unicode| {
                pcre2::bytes::RegexBuilder::new()
                    .utf(unicode || p.ecma_flags.contains('u'))
                    .ucp(unicode)
                    .build(&whole(&p.rust))
                    .unwrap_or_else(|e| panic!("{}: PCRE2: {e}", p.rust))
            })
            .collect();
        Engines {
            name: p.rust.clone(),
            rust: regex::Regex::new(&whole(&p.rust)).unwrap(),
            ecma,
            pcre,
        }
    }

    /// How many dialects match the whole value, of how many.
    fn matches(&self, v: &str) -> (usize, usize) {
        let mut yes = usize::from(self.rust.is_match(v));
        yes += self.ecma.iter().filter(|r| r.find(v).is_some()).count();
        yes += self
            .pcre
            .iter()
            .filter(|r| r.is_match(v.as_bytes()).unwrap())
            .count();
        (yes, 1 + self.ecma.len() + self.pcre.len())
    }
}

fn check(p: &Pattern) {
    let engines = Engines::new(p);
    let values = PatternValues::new(&p.rust).expect("parses");
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        ..Config::default()
    });
    if let Some(valid) = values.valid_strategy() {
        runner
            .run(&valid, |v| {
                prop_assert!(printable_ascii(&v));
                let (yes, all) = engines.matches(&v);
                prop_assert_eq!(
                    yes,
                    all,
                    "{}: valid {:?} matched by {}/{}",
                    engines.name,
                    v,
                    yes,
                    all
                );
                Ok(())
            })
            .unwrap();
    }
    // Any printable string the harness calls invalid is matched by no dialect (a pattern
    // with no safe values calls none invalid).
    runner
        .run(&"[ -~]{0,12}", |v| {
            if !values.invalid_everywhere(&v) {
                return Ok(());
            }
            let (yes, _) = engines.matches(&v);
            prop_assert_eq!(
                yes,
                0,
                "{}: invalid {:?} matched by {}",
                engines.name,
                v,
                yes
            );
            Ok(())
        })
        .unwrap();
    if let Some(bad) = values.invalid_value([]) {
        assert_eq!(engines.matches(&bad).0, 0, "{}: {bad:?}", engines.name);
    }
}

#[test]
fn generated_values_agree_across_regex_dialects() {
    for p in catalog_patterns().iter().chain(tricky().iter()) {
        check(p);
    }
}

/// The false alarm of issue 10: a "valid" email with U+001C, which a dialect whose `\s`
/// covers the information separators rightly refuses.
#[test]
fn the_email_pattern_never_yields_a_control_character() {
    let values = PatternValues::new(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$").unwrap();
    assert!(values.matches("a\u{1c}@b.io") && !values.valid_everywhere("a\u{1c}@b.io"));
    let valid = values.valid_strategy().expect("ASCII emails exist");
    let mut runner = TestRunner::deterministic();
    for _ in 0..2_000 {
        let v = valid.new_tree(&mut runner).unwrap().current();
        assert!(
            v.chars().all(|c| (' '..='~').contains(&c)),
            "{v:?} holds a character outside printable ASCII"
        );
    }
}

/// What the phases actually send: the one catalog's account values (load's ready body,
/// the contract's and invariants' valid value) and its invalid value (the contract's
/// pattern-breaking order) mean the same in every dialect, for each pattern a required
/// field could carry.
#[test]
fn the_catalogs_account_values_agree_across_regex_dialects() {
    use gatecheck::apis::gate::{catalog, load};
    let patterns: Vec<Pattern> = catalog_patterns().into_iter().chain(tricky()).collect();
    let mut sent_values = 0;
    let mut missed_portable = Vec::new();
    for p in &patterns {
        let engines = Engines::new(p);
        let product = serde_json::json!({"id": 5, "name": "T", "type": "direct_top_up",
            "category_id": 1, "currency_code": "USD", "region_code": "GLOBAL",
            "is_available": true, "price": null, "agent_price": null, "agent_rate": "1.0000",
            "min_amount": "1.00", "max_amount": "50.00", "updated_at": "2024-10-01T00:00:00Z",
            "customer_account_fields": [{"name": "f", "required": true, "pattern": p.rust}]});
        let found = catalog::Catalog::from_lists(&[product], &[], &[]);
        let view = load::catalog::Catalog::of(&found);
        let Some(topup) = view.top_ups.first() else {
            // Left out: no value is valid in every dialect, and the note says so.
            assert!(
                view.notes[0].contains("every regex dialect"),
                "{}: {:?}",
                p.rust,
                view.notes
            );
            if p.portable {
                missed_portable.push(p.rust.clone());
            }
            continue;
        };
        let sent = topup.body["topup_request"]["customer_account"]["f"]
            .as_str()
            .expect("a string value");
        let (yes, all) = engines.matches(sent);
        assert_eq!(
            yes, all,
            "{}: load sends {sent:?}, matched by {yes}/{all}",
            p.rust
        );
        sent_values += 1;
        if let Some(bad) = found.orderable[0].fields[0].invalid_value() {
            assert_eq!(engines.matches(&bad).0, 0, "{}: invalid {bad:?}", p.rust);
        }
    }
    // Only a pattern ECMAScript reads otherwise may go without a value (at most one
    // portable one, whose only printable values are ruled out by its own shape).
    assert!(
        missed_portable.len() <= 1,
        "{sent_values} of {} patterns got a value; portable ones without: {missed_portable:?}",
        patterns.len()
    );
}
