//! The SQLite store every embedded sandbox shares: one connection (a file with WAL and
//! `synchronous=NORMAL`, or a private in-memory database), owned by one dedicated thread
//! that runs the jobs sent to it in order ([`Store::call`]), so the async runtime never
//! waits on SQLite and no two threads ever contend for the connection.
//!
//! Group commit: the thread takes every job already queued (up to [`MAX_BATCH`]) and runs
//! them inside one `BEGIN IMMEDIATE … COMMIT`; each money movement is its own savepoint
//! within it ([`atomic`]: applied whole or rolled back whole), and no job's result — no
//! 2xx — is handed back before the COMMIT has succeeded. If it fails, every job of the batch
//! answers an internal error and nothing of the batch is kept.
//!
//! The store knows no API: each API creates its own tables ([`Store::open`]'s `schemas`)
//! and writes its own SQL. The `meta` table (key → text) is shared, and so are the rules
//! every API's SQL follows the same way: how long a key binding lives and the newest-first
//! keyset page ([`rules`]).

use std::path::Path;
use std::sync::mpsc;

use rand::Rng;
use rusqlite::{Connection, OptionalExtension, Savepoint};

use crate::engine::sandbox::errors::ApiError;

mod rules;
pub use rules::{keyset, live_since_ms, purge_bindings, KeyUse, KEY_RETENTION_MS};

/// Hands a job's result back once the batch it ran in has committed (`true`) or not.
type Deliver = Box<dyn FnOnce(bool) + Send>;

/// A unit of work for the store thread.
type Job = Box<dyn FnOnce(&mut Connection) -> Deliver + Send>;

/// Most jobs committed together.
pub const MAX_BATCH: usize = 64;

const META: &str = "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);";

/// One money movement: a savepoint, committed whole or rolled back whole (on drop).
pub fn atomic(conn: &mut Connection) -> rusqlite::Result<Savepoint<'_>> {
    conn.savepoint()
}

/// The store thread: runs queued jobs in batches, each batch one transaction.
fn serve(mut conn: Connection, queue: mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let began = conn.execute_batch("BEGIN IMMEDIATE").is_ok();
        let deliveries: Vec<Deliver> = batch.into_iter().map(|job| job(&mut conn)).collect();
        // Without an outer transaction each savepoint committed on its own.
        let committed = !began || conn.execute_batch("COMMIT").is_ok();
        if !committed {
            tracing::error!("sandbox store: a batch failed to commit and was rolled back");
            let _ = conn.execute_batch("ROLLBACK");
        }
        for deliver in deliveries {
            deliver(committed);
        }
    }
}

/// The SQLite store: a handle to the thread that owns the connection. Cheap to clone; the
/// thread ends (closing the database) when the last handle is dropped.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
}

impl Store {
    /// Opens (creating when needed) the store — a file with WAL, or a private in-memory
    /// database — and runs each API's `CREATE TABLE IF NOT EXISTS` batch in `schemas`.
    pub fn open(path: Option<&Path>, schemas: &[&str]) -> anyhow::Result<Store> {
        let conn = match path {
            Some(p) => {
                let conn = Connection::open(p)?;
                // One process owns the file: no per-transaction file locking, and the WAL
                // index lives in heap memory instead of a shared-memory file.
                conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "NORMAL")?;
                conn.pragma_update(None, "cache_size", -32_000)?;
                conn
            }
            None => Connection::open_in_memory()?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(META)?;
        for schema in schemas {
            conn.execute_batch(schema)?;
        }
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sandbox-store".into())
            .spawn(move || serve(conn, queue))?;
        Ok(Store { jobs })
    }

    /// Runs another API's `CREATE TABLE IF NOT EXISTS` batch on an open store.
    pub fn add_schema(&self, schema: &'static str) -> anyhow::Result<()> {
        self.call_now(move |c| c.execute_batch(schema))??;
        Ok(())
    }

    /// Runs `f` with the connection on the store thread and awaits its result.
    pub async fn call<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            Box::new(move |committed| {
                let _ = tx.send(if committed {
                    result
                } else {
                    Err(ApiError::internal("the sandbox store could not commit"))
                });
            })
        });
        if self.jobs.send(job).is_err() {
            return Err(ApiError::internal("the sandbox store has stopped"));
        }
        rx.await
            .unwrap_or_else(|_| Err(ApiError::internal("the sandbox store dropped a request")))
    }

    /// Runs `f` on the store thread and blocks the current thread until it is done
    /// (start-up and tests only; never from async code).
    pub fn call_now<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let (tx, rx) = mpsc::channel();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            Box::new(move |committed| {
                let _ = tx.send(committed.then_some(result));
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| anyhow::anyhow!("the sandbox store has stopped"))?;
        rx.recv()
            .map_err(|_| anyhow::anyhow!("the sandbox store dropped a request"))?
            .ok_or_else(|| anyhow::anyhow!("the sandbox store could not commit"))
    }
}

/// A value of the shared `meta` table.
pub fn meta(conn: &Connection, k: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT v FROM meta WHERE k = ?1", [k], |r| r.get(0))
        .optional()
}

pub fn set_meta(conn: &Connection, k: &str, v: &str) -> rusqlite::Result<()> {
    conn.execute("INSERT OR REPLACE INTO meta (k, v) VALUES (?1, ?2)", [k, v])?;
    Ok(())
}

/// The cursor secret of this store (created once, kept across restarts).
pub fn cursor_secret(conn: &Connection) -> rusqlite::Result<Vec<u8>> {
    if let Some(s) = meta(conn, "cursor_secret")? {
        return Ok(s.into_bytes());
    }
    let s = random_token("");
    set_meta(conn, "cursor_secret", &s)?;
    Ok(s.into_bytes())
}

/// `prefix` + 32 random lowercase alphanumerics (API keys, tokens, secrets).
pub fn random_token(prefix: &str) -> String {
    let mut rng = rand::rng();
    let body: String = (0..32)
        .map(|_| {
            let n = rng.random_range(0..36u8);
            char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 })
        })
        .collect();
    format!("{prefix}{body}")
}

pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}
