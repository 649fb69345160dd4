//! SQLite reached directly, for the passes over the whole fleet (fleet jobs and sweeps), the
//! batches of state-changing check-ins and the notifier's passes.
//!
//! sqlx runs each SQLite connection on a worker thread and hands it every statement, and every
//! row back, through a channel; it also looks each parameter up by name. A pass over a million
//! devices spent more in those hand-offs than in SQLite's own work. Here the pass reads,
//! evaluates and writes on a blocking thread of its own, with statements prepared once per
//! connection.
//!
//! Writes keep the store's order: a write here runs while holding the store's one write
//! connection (so it queues with the check-in writer instead of racing it for SQLite's lock),
//! inside `BEGIN IMMEDIATE`, as every writer of the file does, so writes of other processes on
//! the same file serialise with it through SQLite's own lock. The connections hold no state of
//! their own beyond SQLite's page cache, which SQLite keeps true across connections and
//! processes.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use crate::{Result, StoreError};

/// Connections kept: a reader for the passes over the fleet, a reader for the notifier (so
/// its small reads never wait behind a batch of a fleet job's), one writer.
pub(crate) struct Native {
    path: PathBuf,
    read: Mutex<Option<Connection>>,
    notify: Mutex<Option<Connection>>,
    write: Mutex<Option<Connection>>,
}

impl std::fmt::Debug for Native {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Native").field("path", &self.path).finish()
    }
}

/// Which connection a blocking call uses.
#[derive(Clone, Copy)]
pub(crate) enum Role {
    Read,
    /// The notifier's reads.
    Notify,
    Write,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Native(e.to_string())
    }
}

impl rusqlite::ToSql for crate::Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            crate::Param::Text(s) => s.to_sql(),
            crate::Param::Int(i) => i.to_sql(),
        }
    }
}

fn open(path: &Path, role: Role) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_millis(u64::from(
        crate::BUSY_TIMEOUT_MS,
    )))?;
    // As the sqlx connections are set up (see `sqlite_pragmas`): a committed batch survives
    // power loss, and checkpoints run beside the writer, not inside its commits.
    conn.execute_batch(
        "PRAGMA synchronous=FULL; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;",
    )?;
    conn.set_prepared_statement_cache_capacity(32);
    if let Role::Write = role {
        conn.execute_batch("PRAGMA wal_autocheckpoint=0;")?;
        // The check-in batches' statements differ by their number of rows (see
        // `writer::checkins_directly`).
        conn.set_prepared_statement_cache_capacity(256);
    }
    Ok(conn)
}

impl Native {
    pub(crate) fn new(path: PathBuf) -> Native {
        Native {
            path,
            read: Mutex::new(None),
            notify: Mutex::new(None),
            write: Mutex::new(None),
        }
    }

    /// Runs `f` on the connection of `role`, opened on first use, on a blocking thread. A
    /// connection that failed (an error, or a panic) is dropped and opened again on the next
    /// call.
    pub(crate) async fn run<T, F>(self: &std::sync::Arc<Self>, role: Role, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let slot = match role {
                Role::Read => &this.read,
                Role::Notify => &this.notify,
                Role::Write => &this.write,
            };
            let mut guard = match slot.lock() {
                Ok(guard) => guard,
                // A call panicked holding it: its connection may be inside a transaction or
                // hold a setting of that call's (the notifier's unsynced commits), so a fresh
                // one is opened.
                Err(poisoned) => {
                    let mut guard = poisoned.into_inner();
                    *guard = None;
                    slot.clear_poison();
                    guard
                }
            };
            let conn = match guard.as_mut() {
                Some(c) => c,
                None => guard.insert(open(&this.path, role)?),
            };
            let out = f(conn);
            if out.is_err() {
                // Leave no transaction open behind an error; a fresh connection next time.
                *guard = None;
            }
            out
        })
        .await
        .map_err(|e| StoreError::Native(format!("blocking task: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use crate::{Store, SQLITE_HEAP_LIMIT};

    #[tokio::test]
    async fn one_heap_limit_holds_for_every_sqlite_connection_of_the_process() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/steward.db?mode=rwc", dir.path().display());
        let store = Store::open(&url).await.expect("open");
        let through_sqlx: i64 = sqlx::query_scalar("PRAGMA soft_heap_limit")
            .fetch_one(&store.read)
            .await
            .expect("sqlx");
        assert_eq!(through_sqlx, SQLITE_HEAP_LIMIT);
        // A connection opened afterwards by rusqlite, set up without it, sees the same limit.
        let native = store.native.clone().expect("a SQLite file");
        let direct = native
            .run(super::Role::Read, |conn| {
                Ok(conn.query_row("PRAGMA soft_heap_limit", [], |r| r.get::<_, i64>(0))?)
            })
            .await
            .expect("native");
        assert_eq!(direct, SQLITE_HEAP_LIMIT);
        store.close().await;
    }
}
