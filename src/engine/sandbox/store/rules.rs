//! What every API's SQL does the same way: an `Idempotency-Key` binding lives 24 hours
//! (both contracts: "at least 24 hours"), a binding is fingerprinted by its payload, and a
//! list page is newest first after the `(created_us, id)` of the last row shown.

use rusqlite::Connection;

use crate::engine::sandbox::clock::now_ms;

/// How long an Idempotency-Key stays bound (Gate §5.2, Wallet §5: at least 24 hours).
pub const KEY_RETENTION_MS: i64 = 24 * 60 * 60 * 1000;

/// An Idempotency-Key and the fingerprint of the payload it came with.
#[derive(Debug, Clone)]
pub struct KeyUse {
    pub key: String,
    pub payload_hash: String,
}

/// A binding created after this instant (ms since the epoch) is still live.
pub fn live_since_ms() -> i64 {
    now_ms() - KEY_RETENTION_MS
}

/// Removes the bindings of `table` (a `created_ms` column) older than the retention period.
pub fn purge_bindings(conn: &Connection, table: &'static str) -> rusqlite::Result<usize> {
    conn.execute(
        &format!("DELETE FROM {table} WHERE created_ms <= ?1"),
        [live_since_ms()],
    )
}

/// The keyset of a newest-first page, as SQL parameters: `(created_us, id)` of the last
/// row shown, or two NULLs for the first page.
pub fn keyset(after: Option<(i64, String)>) -> (Option<i64>, Option<String>) {
    after.map_or((None, None), |(us, id)| (Some(us), Some(id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_page_has_no_keyset() {
        assert_eq!(keyset(None), (None, None));
        assert_eq!(
            keyset(Some((7, "b".into()))),
            (Some(7), Some("b".to_string()))
        );
    }

    #[test]
    fn a_binding_lives_24_hours() {
        let since = live_since_ms();
        let day = 24 * 3_600_000;
        assert!((now_ms() - since - day).abs() < 1_000);
    }

    #[test]
    fn purge_removes_only_expired_bindings() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE b (k TEXT, created_ms INTEGER)")
            .unwrap();
        let now = now_ms();
        for (k, age) in [("old", 25 * 3_600_000), ("young", 23 * 3_600_000)] {
            conn.execute(
                "INSERT INTO b VALUES (?1, ?2)",
                rusqlite::params![k, now - age],
            )
            .unwrap();
        }
        assert_eq!(purge_bindings(&conn, "b").unwrap(), 1);
        let left: String = conn.query_row("SELECT k FROM b", [], |r| r.get(0)).unwrap();
        assert_eq!(left, "young");
    }
}
