//! Seeing through escapes: a text as it reads after one or more layers of JSON, percent
//! or HTML/XML escapes are decoded, with a map from every decoded byte back to the bytes
//! of the original it came from. The masker searches these views for secrets and
//! replaces what it finds in the original.
//!
//! One kind of escape per layer, in every order: decoding JSON and percent escapes in
//! one pass would turn the `%0B` inside a JSON-escaped secret into a control character,
//! and the secret would not be found.

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;

/// How many layers of escapes a search looks through (JSON in HTML in a URL, say).
pub const LAYERS: usize = 3;

/// A text as a search sees it after decoding some layers of escapes.
pub struct View<'a> {
    pub text: Cow<'a, str>,
    /// Covers `text` in order; `None` for the identity view (the original itself).
    map: Option<Vec<Segment>>,
}

/// Where the view's bytes from `at` up to the next segment came from.
#[derive(Clone)]
struct Segment {
    at: usize,
    origin: Range<usize>,
    /// Byte for byte (copied text) rather than all from `origin` as a whole (an escape).
    linear: bool,
}

impl<'a> View<'a> {
    pub fn identity(text: &'a str) -> View<'a> {
        View {
            text: Cow::Borrowed(text),
            map: None,
        }
    }

    /// The byte range of the original that the view's bytes `start..end` came from.
    pub fn origin(&self, start: usize, end: usize) -> Range<usize> {
        let Some(map) = &self.map else {
            return start..end;
        };
        let seg = |at: usize| &map[map.partition_point(|s| s.at <= at) - 1];
        let first = seg(start);
        let last = seg(end - 1);
        let from = if first.linear {
            first.origin.start + (start - first.at)
        } else {
            first.origin.start
        };
        let to = if last.linear {
            last.origin.start + (end - last.at)
        } else {
            last.origin.end
        };
        from..to
    }

    pub fn is_whole_word(&self, start: usize, end: usize) -> bool {
        let word = |c: char| c.is_alphanumeric() || c == '_';
        let before = self.text[..start].chars().next_back();
        let after = self.text[end..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    }

    /// The segments that map this view's bytes `start..end`, copied to a child view at
    /// `at` onwards.
    fn copy_map(&self, start: usize, end: usize, at: usize, out: &mut Vec<Segment>) {
        let Some(map) = &self.map else {
            out.push(Segment {
                at,
                origin: start..end,
                linear: true,
            });
            return;
        };
        let mut i = map.partition_point(|s| s.at <= start) - 1;
        let mut from = start;
        while from < end {
            let seg = &map[i];
            let seg_end = map.get(i + 1).map_or(self.text.len(), |s| s.at).min(end);
            let origin = if seg.linear {
                let skip = from - seg.at;
                seg.origin.start + skip..seg.origin.start + skip + (seg_end - from)
            } else {
                seg.origin.clone()
            };
            out.push(Segment {
                at: at + (from - start),
                origin,
                linear: seg.linear,
            });
            from = seg_end;
            i += 1;
        }
    }

    /// One more layer of `escape` decoded, or `None` when the text has none.
    fn decode(&self, escape: Escape) -> Option<View<'static>> {
        let lead = escape.lead();
        let src = self.text.as_ref();
        let bytes = src.as_bytes();
        let mut text = String::with_capacity(src.len());
        let mut map = Vec::new();
        let mut copied_from = 0;
        let mut at = 0;
        let mut changed = false;
        while let Some(found) = memchr::memchr(lead, &bytes[at..]) {
            let i = at + found;
            let Some((decoded, used)) = escape.decode_at(&src[i..]) else {
                at = i + 1;
                continue;
            };
            changed = true;
            if copied_from < i {
                self.copy_map(copied_from, i, text.len(), &mut map);
                text.push_str(&src[copied_from..i]);
            }
            map.push(Segment {
                at: text.len(),
                origin: self.origin(i, i + used),
                linear: false,
            });
            text.push_str(&decoded);
            at = i + used;
            copied_from = at;
        }
        if !changed {
            return None;
        }
        if copied_from < src.len() {
            self.copy_map(copied_from, src.len(), text.len(), &mut map);
            text.push_str(&src[copied_from..]);
        }
        Some(View {
            text: Cow::Owned(text),
            map: Some(map),
        })
    }
}

/// Calls `search` on `text` as found (the identity view) and as seen through every
/// sequence of up to [`LAYERS`] escape kinds it contains. Depth first, so at most
/// `LAYERS + 1` views are alive at once (a view of a long line is large); a view equal to
/// one already searched is neither searched nor decoded again.
pub fn each_view(text: &str, search: &mut impl FnMut(&View)) {
    fn walk(view: &View, depth: usize, seen: &mut HashSet<u64>, search: &mut impl FnMut(&View)) {
        search(view);
        if depth == LAYERS {
            return;
        }
        for escape in Escape::ALL {
            if let Some(next) = view.decode(escape) {
                if seen.insert(fingerprint(&next.text)) {
                    walk(&next, depth + 1, seen, search);
                }
            }
        }
    }
    walk(&View::identity(text), 0, &mut HashSet::new(), search);
}

fn fingerprint(text: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(text)
}

/// The escapes a secret can be hidden under.
#[derive(Clone, Copy)]
enum Escape {
    /// `\"`, `\\`, `\uXXXX`, …
    Json,
    /// `%XX` runs that form UTF-8.
    Percent,
    /// HTML/XML entities.
    Entity,
}

impl Escape {
    const ALL: [Escape; 3] = [Escape::Json, Escape::Percent, Escape::Entity];

    fn lead(self) -> u8 {
        match self {
            Escape::Json => b'\\',
            Escape::Percent => b'%',
            Escape::Entity => b'&',
        }
    }

    /// Decodes the escape `text` starts with (its lead byte): the decoded text and how
    /// many bytes it used, or `None` when it is not a valid escape.
    fn decode_at(self, text: &str) -> Option<(String, usize)> {
        match self {
            Escape::Json => json_escape(&text[1..]),
            Escape::Percent => percent_escape(text),
            Escape::Entity => entity(&text[1..]),
        }
    }
}

/// `\"`, `\\`, `\/`, `\b`…, `\uXXXX` (and a surrogate pair `\uD83D\uDE00`); `rest`
/// follows the backslash.
fn json_escape(rest: &str) -> Option<(String, usize)> {
    let simple = match *rest.as_bytes().first()? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let unit = hex4(rest.get(1..5)?)?;
            if (0xD800..0xDC00).contains(&unit) {
                let low = rest.get(5..11)?.strip_prefix("\\u")?;
                let low = hex4(low)?;
                if !(0xDC00..0xE000).contains(&low) {
                    return None;
                }
                let c = char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?;
                return Some((c.to_string(), 12));
            }
            return Some((char::from_u32(unit)?.to_string(), 6));
        }
        _ => return None,
    };
    Some((simple.to_string(), 2))
}

fn hex4(digits: &str) -> Option<u32> {
    digits
        .bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then(|| u32::from_str_radix(digits, 16).ok())
        .flatten()
}

/// A run of `%XX` bytes at the start of `text` that forms UTF-8 (one character).
fn percent_escape(text: &str) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
    let mut decoded = Vec::new();
    let mut used = 0;
    while bytes.get(used) == Some(&b'%') {
        let (Some(hi), Some(lo)) = (hex(used + 1), hex(used + 2)) else {
            break;
        };
        decoded.push((hi * 16 + lo) as u8);
        used += 3;
        if std::str::from_utf8(&decoded).is_ok() {
            break;
        }
        if decoded.len() >= 4 {
            return None;
        }
    }
    let text = String::from_utf8(decoded).ok()?;
    (!text.is_empty()).then_some((text, used))
}

/// `text` with every `%XX` run that forms UTF-8 decoded; `Err` on one that does not.
pub fn percent_decode(text: &str) -> Result<String, ()> {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        if text.as_bytes()[at] == b'%' {
            let (decoded, used) = percent_escape(&text[at..]).ok_or(())?;
            out.push_str(&decoded);
            at += used;
        } else {
            let c = text[at..].chars().next().expect("at is a char boundary");
            out.push(c);
            at += c.len_utf8();
        }
    }
    Ok(out)
}

/// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#NN;`, `&#xHH;`; `rest` follows the `&`.
fn entity(rest: &str) -> Option<(String, usize)> {
    let end = rest.bytes().take(12).position(|b| b == b';')?;
    let name = &rest[..end];
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c.to_string(), end + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_views(text: &str) -> Vec<(String, Vec<Range<usize>>)> {
        let mut out = Vec::new();
        each_view(text, &mut |view| {
            let origins = (0..view.text.len())
                .filter(|i| view.text.is_char_boundary(*i))
                .map(|i| {
                    let end = (i + 1..=view.text.len())
                        .find(|e| view.text.is_char_boundary(*e))
                        .unwrap();
                    view.origin(i, end)
                })
                .collect();
            out.push((view.text.to_string(), origins));
        });
        out
    }

    #[test]
    fn each_kind_is_decoded_alone_and_in_sequence() {
        let texts: Vec<String> = all_views(r"a\u0026amp;%41\\%42")
            .into_iter()
            .map(|v| v.0)
            .collect();
        // JSON alone leaves the percent escapes; percent alone leaves the JSON escapes.
        assert!(texts.contains(&r"a&amp;%41\%42".to_string()), "{texts:?}");
        assert!(texts.contains(&r"a\u0026amp;A\\B".to_string()), "{texts:?}");
        // JSON, then the entity, then percent.
        assert!(texts.contains(&r"a&A\B".to_string()), "{texts:?}");
    }

    #[test]
    fn every_decoded_byte_maps_back_to_its_escape_or_itself() {
        let original = "x%C3%A9y\\u00e9z&amp;";
        for (text, origins) in all_views(original) {
            for (c, origin) in text.chars().zip(origins) {
                let source = &original[origin.clone()];
                let one = match source {
                    "%C3%A9" | "\\u00e9" => 'é',
                    "&amp;" => '&',
                    s => s.chars().next().unwrap(),
                };
                assert_eq!(one, c, "{text}: {c} from {source:?}");
            }
        }
    }

    #[test]
    fn a_range_across_segments_maps_to_the_whole_span() {
        let view = View::identity("ab\\\"cd%41ef");
        let json = view.decode(Escape::Json).unwrap();
        assert_eq!(json.text, "ab\"cd%41ef");
        let percent = json.decode(Escape::Percent).unwrap();
        assert_eq!(percent.text, "ab\"cdAef");
        // `b"cdA` in the twice-decoded view is `b\"cd%41` in the original.
        assert_eq!(percent.origin(1, 6), 1..9);
    }

    #[test]
    fn bad_escapes_are_kept_as_they_are() {
        assert!(View::identity(r"\q %zz &nope; \u12")
            .decode(Escape::Json)
            .is_none());
        assert!(View::identity("%zz %C3").decode(Escape::Percent).is_none());
        assert!(View::identity("&nope; &").decode(Escape::Entity).is_none());
        assert_eq!(percent_decode("a%40b").unwrap(), "a@b");
        assert!(percent_decode("a%C3b").is_err());
    }
}
