//! Lists (contract §1 Lists): query-string parsing, `limit`, and opaque cursors.
//!
//! A cursor names the last item of the previous page (keyset pagination), so a walk sees
//! every item that existed when it began exactly once, however many are created meanwhile.
//! It is bound to the list, its owner (who lists) and the filter, and carries a MAC under the store's
//! secret, so a cursor that was not issued for this very walk is refused (`param: "cursor"`).

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::engine::sandbox::errors::ApiError;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// The query string, decoded. A parameter given twice is refused.
#[derive(Debug, Default)]
pub struct Query {
    params: HashMap<String, String>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Result<Query, ApiError> {
        let mut params = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            // A parameter with no name names nothing the API reads: ignored, like any
            // unknown one (and `error.param` is never empty).
            if k.is_empty() {
                continue;
            }
            if params.insert(k.to_string(), v.to_string()).is_some() {
                let name = k.to_string();
                return Err(ApiError::invalid(
                    name.clone(),
                    format!("`{name}` is given more than once"),
                ));
            }
        }
        Ok(Query { params })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// `limit`: integer 1–100, default 20; an empty value is refused.
    pub fn limit(&self) -> Result<usize, ApiError> {
        let Some(raw) = self.get("limit") else {
            return Ok(DEFAULT_LIMIT);
        };
        let bad = || ApiError::invalid("limit", "limit must be an integer from 1 to 100");
        if raw.is_empty() || raw.len() > 4 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: usize = raw.parse().map_err(|_| bad())?;
        if (1..=MAX_LIMIT).contains(&n) {
            Ok(n)
        } else {
            Err(bad())
        }
    }

    /// The cursor text; `None` when absent or empty (first page).
    pub fn cursor(&self) -> Option<&str> {
        self.get("cursor").filter(|c| !c.is_empty())
    }
}

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// Catalog lists, sorted by id ascending.
    Id(u64),
    /// Orders and deposits, sorted by (created_at, id) descending.
    Time { created_us: i64, id: String },
}

/// Issues and checks cursors for one store.
#[derive(Debug, Clone)]
pub struct Cursors {
    secret: Vec<u8>,
}

/// What a cursor is bound to.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub list: &'static str,
    /// Who lists (the Gate's agent, the Wallet's merchant).
    pub owner: &'a str,
    /// A canonical rendering of the filter in force.
    pub filter: &'a str,
}

impl Cursors {
    pub fn new(secret: Vec<u8>) -> Cursors {
        Cursors { secret }
    }

    fn mac(&self, payload: &str) -> String {
        let mut h = Sha256::new();
        h.update(&self.secret);
        h.update(payload.as_bytes());
        h.finalize()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn bound_prefix(binding: &Binding<'_>) -> String {
        let mut h = Sha256::new();
        h.update(binding.owner.as_bytes());
        h.update([0]);
        h.update(binding.filter.as_bytes());
        let digest: String = h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("v1|{}|{}", binding.list, digest)
    }

    pub fn issue(&self, binding: &Binding<'_>, pos: &Position) -> String {
        let pos_text = match pos {
            Position::Id(id) => format!("i|{id}"),
            Position::Time { created_us, id } => format!("t|{created_us}|{id}"),
        };
        let payload = format!("{}|{}", Cursors::bound_prefix(binding), pos_text);
        let mac = self.mac(&payload);
        URL_SAFE_NO_PAD.encode(format!("{payload}|{mac}"))
    }

    /// Decodes a cursor issued for exactly this binding; anything else is `param: "cursor"`.
    pub fn check(&self, binding: &Binding<'_>, cursor: &str) -> Result<Position, ApiError> {
        let bad = || {
            ApiError::invalid(
                "cursor",
                "cursor is unknown or was issued for another list or filter",
            )
        };
        let decoded = URL_SAFE_NO_PAD
            .decode(cursor.as_bytes())
            .map_err(|_| bad())?;
        let text = String::from_utf8(decoded).map_err(|_| bad())?;
        let (payload, mac) = text.rsplit_once('|').ok_or_else(bad)?;
        if mac != self.mac(payload) {
            return Err(bad());
        }
        let prefix = Cursors::bound_prefix(binding);
        let rest = payload
            .strip_prefix(prefix.as_str())
            .and_then(|r| r.strip_prefix('|'))
            .ok_or_else(bad)?;
        let mut parts = rest.split('|');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("i"), Some(id), None, None) => id.parse().map(Position::Id).map_err(|_| bad()),
            (Some("t"), Some(us), Some(id), None) => Ok(Position::Time {
                created_us: us.parse().map_err(|_| bad())?,
                id: id.to_string(),
            }),
            _ => Err(bad()),
        }
    }
}

/// One page of items: at most `limit`, with a cursor when more follow.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Position>,
}

impl<T> Page<T> {
    /// From up to `limit + 1` fetched items: the extra one only says that more follow.
    pub fn from_fetched(
        mut items: Vec<T>,
        limit: usize,
        position_of: impl Fn(&T) -> Position,
    ) -> Page<T> {
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more {
            items.last().map(position_of)
        } else {
            None
        };
        Page { items, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_is_bound_to_list_owner_and_filter() {
        let c = Cursors::new(b"secret".to_vec());
        let b = Binding {
            list: "orders",
            owner: "a",
            filter: "status=pending",
        };
        let pos = Position::Time {
            created_us: 5,
            id: "x".into(),
        };
        let cur = c.issue(&b, &pos);
        assert_eq!(c.check(&b, &cur).unwrap(), pos);
        assert!(c
            .check(
                &Binding {
                    list: "deposits",
                    ..b
                },
                &cur
            )
            .is_err());
        assert!(c.check(&Binding { owner: "b", ..b }, &cur).is_err());
        assert!(c.check(&Binding { filter: "", ..b }, &cur).is_err());
        assert!(c.check(&b, "garbage").is_err());
        assert!(Cursors::new(b"other".to_vec()).check(&b, &cur).is_err());
    }

    #[test]
    fn nameless_parameters_are_ignored() {
        let q = Query::parse(Some("=x&=y&limit=5")).unwrap();
        assert_eq!(q.limit().unwrap(), 5);
    }

    #[test]
    fn limit_rules() {
        let q = |s: &str| Query::parse(Some(s)).unwrap().limit();
        assert_eq!(q("").unwrap(), 20);
        assert_eq!(q("limit=100").unwrap(), 100);
        for bad in [
            "limit=",
            "limit=0",
            "limit=101",
            "limit=1.0",
            "limit=-1",
            "limit=abc",
        ] {
            assert!(q(bad).is_err(), "{bad}");
        }
    }
}
