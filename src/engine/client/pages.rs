//! Cursor-paged lists: the one walker every phase uses, and the one query encoder.
//!
//! A list page is the envelope `{"items": [...], "next_cursor": "..." | null}`. The walker
//! is a small state machine that does no I/O: the caller sends each path it hands out
//! through its own transport (so each phase keeps its own recording and error type) and
//! gives the page's body back. Cursors are opaque: they are percent-encoded, never read.
//!
//! **Invariant:** a walk ends; `max_pages` bounds it even when a cursor never does.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`) is escaped.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `s` percent-encoded for use as one query or path component.
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// Appends `name=value` (value encoded) to a path that may already have a query.
pub fn with_query(path: &str, name: &str, value: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{name}={}", encode(value))
}

/// A page that is not a list envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a list page: `items` must be an array and `next_cursor` a string or null")]
pub struct BadPage;

/// The items and the next cursor of one page, read strictly: `items` an array and
/// `next_cursor` present as a string or null.
pub fn envelope(body: Option<&Value>) -> Result<(Vec<Value>, Option<String>), BadPage> {
    let body = body.ok_or(BadPage)?;
    let items = body.get("items").and_then(Value::as_array).ok_or(BadPage)?;
    let next = match body.get("next_cursor").ok_or(BadPage)? {
        Value::String(c) => Some(c.clone()),
        Value::Null => None,
        _ => return Err(BadPage),
    };
    Ok((items.clone(), next))
}

/// Walks one list: hands out the path of each page, takes each page's body back.
#[derive(Debug, Clone)]
pub struct Pages {
    path: String,
    limit: Option<u32>,
    max_pages: usize,
    cursor: Option<String>,
    fetched: usize,
    done: bool,
}

impl Pages {
    /// `limit` `None`: the list takes no paging parameters (only the cursor).
    pub fn new(path: impl Into<String>, limit: Option<u32>, max_pages: usize) -> Pages {
        Pages {
            path: path.into(),
            limit,
            max_pages,
            cursor: None,
            fetched: 0,
            done: false,
        }
    }

    /// The next page's path; `None` once the last page said so, a page was bad, or
    /// `max_pages` pages were handed out.
    pub fn next_path(&mut self) -> Option<String> {
        if self.done || self.capped() {
            return None;
        }
        self.fetched += 1;
        let mut path = match self.limit {
            Some(limit) => with_query(&self.path, "limit", &limit.to_string()),
            None => self.path.clone(),
        };
        if let Some(c) = &self.cursor {
            path = with_query(&path, "cursor", c);
        }
        Some(path)
    }

    /// True when the walk stopped at `max_pages` with a cursor still to follow.
    pub fn capped(&self) -> bool {
        !self.done && self.fetched >= self.max_pages
    }

    /// Pages handed out so far.
    pub fn fetched(&self) -> usize {
        self.fetched
    }

    /// Takes a page strictly ([`envelope`]); a bad page ends the walk.
    pub fn accept(&mut self, body: Option<&Value>) -> Result<Vec<Value>, BadPage> {
        match envelope(body) {
            Ok((items, next)) => {
                self.follow(next);
                Ok(items)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// Takes a page leniently, for callers that judge pages elsewhere: whatever `items`
    /// holds, and the walk ends unless `next_cursor` is a string.
    pub fn accept_lenient(&mut self, body: Option<&Value>) -> Vec<Value> {
        let items = body
            .and_then(|b| b.get("items"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let next = body
            .and_then(|b| b.get("next_cursor"))
            .and_then(Value::as_str)
            .map(str::to_string);
        self.follow(next);
        items
    }

    fn follow(&mut self, next: Option<String>) {
        self.done = next.is_none();
        self.cursor = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cursors_are_encoded_as_one_component() {
        assert_eq!(encode("a+b/c=d e~f.g_h-i"), "a%2Bb%2Fc%3Dd%20e~f.g_h-i");
        assert_eq!(with_query("/x", "cursor", "%%"), "/x?cursor=%25%25");
        assert_eq!(with_query("/x?limit=1", "q", "é"), "/x?limit=1&q=%C3%A9");
    }

    #[test]
    fn a_walk_follows_next_cursor_to_null() {
        let mut pages = Pages::new("/items", Some(2), 10);
        assert_eq!(pages.next_path().as_deref(), Some("/items?limit=2"));
        let items = pages
            .accept(Some(&json!({"items": [1, 2], "next_cursor": "c 1"})))
            .unwrap();
        assert_eq!(items, vec![json!(1), json!(2)]);
        assert_eq!(
            pages.next_path().as_deref(),
            Some("/items?limit=2&cursor=c%201")
        );
        pages
            .accept(Some(&json!({"items": [3], "next_cursor": null})))
            .unwrap();
        assert_eq!(pages.next_path(), None);
        assert!(!pages.capped());
        assert_eq!(pages.fetched(), 2);
    }

    #[test]
    fn a_cursor_that_never_ends_is_capped() {
        let mut pages = Pages::new("/items", None, 3);
        let mut n = 0;
        while let Some(path) = pages.next_path() {
            assert!(n == 0 || path.starts_with("/items?cursor="), "{path}");
            pages.accept_lenient(Some(&json!({"items": [], "next_cursor": "again"})));
            n += 1;
        }
        assert_eq!(n, 3);
        assert!(pages.capped());
    }

    #[test]
    fn bad_pages_end_a_strict_walk_and_a_lenient_one() {
        let mut pages = Pages::new("/items", Some(1), 10);
        pages.next_path();
        assert_eq!(
            pages.accept(Some(&json!({"items": [], "next_cursor": 5}))),
            Err(BadPage)
        );
        assert_eq!(pages.next_path(), None);
        assert!(!pages.capped());
        assert_eq!(envelope(Some(&json!({"items": []}))), Err(BadPage));
        assert_eq!(envelope(None), Err(BadPage));

        let mut lenient = Pages::new("/items", Some(1), 10);
        lenient.next_path();
        assert_eq!(
            lenient.accept_lenient(Some(&json!({"items": [7]}))),
            vec![json!(7)]
        );
        assert_eq!(lenient.next_path(), None);
    }
}
