//! Leases: the right of one process to run a named piece of singleton work (the sweeper, the
//! notifier…) while several servers share one database.
//!
//! On PostgreSQL a lease is a session advisory lock held on a connection of its own: the
//! database gives it up the moment that connection ends (the process died, the network
//! failed), so another server takes it at its next try. The holder checks its connection
//! every [`CHECK_EVERY`] and stops the work when the check fails; a server that did not get
//! a lease keeps the connection it tried with for its next try. On SQLite a lease is an
//! exclusive lock on a file beside the database (`steward.db.lease-NAME`), which the kernel
//! gives up when the process ends; an in-memory database is one process's own, so its
//! leases are always granted.

use std::time::Duration;

use crate::{Backend, Result, Store, StoreError};

/// How often a PostgreSQL lease checks that its connection (and so its lock) is alive.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// The high half of the advisory lock keys of leases ("st" + "ls").
const LEASE_KEY_BASE: i64 = 0x7374_6c73 << 32;

/// A held lease; dropping it gives it up.
pub struct Lease {
    name: String,
    held: Held,
}

enum Held {
    File(#[allow(dead_code)] std::fs::File),
    Postgres(sqlx::AnyConnection),
    Memory,
}

/// The advisory lock key of the lease `name`: FNV-1a of the name in the low 32 bits.
pub fn lease_key(name: &str) -> i64 {
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    LEASE_KEY_BASE | i64::from(h)
}

impl Store {
    /// Takes the lease `name` if no other process holds it (`None`: another one does).
    pub async fn try_lease(&self, name: &str) -> Result<Option<Lease>> {
        let held = match self.backend {
            Backend::Postgres => self.try_postgres(name).await?.map(Held::Postgres),
            Backend::Sqlite => match &self.sqlite_path {
                Some(path) => try_file(path, name).await?.map(Held::File),
                None => Some(Held::Memory),
            },
        };
        Ok(held.map(|held| Lease {
            name: name.to_string(),
            held,
        }))
    }
}

impl Store {
    async fn try_postgres(&self, name: &str) -> Result<Option<sqlx::AnyConnection>> {
        // The connection of the last failed try, else a new one of its own: the lock lives
        // as long as its connection, which never goes back to the pool.
        let kept = self.lease_seekers.lock().ok().and_then(|mut k| {
            let i = k.iter().position(|(n, _)| n == name)?;
            Some(k.swap_remove(i).1)
        });
        let mut conn = match kept {
            Some(c) => c,
            None => self.write.acquire().await?.detach(),
        };
        let row = sqlx::query("SELECT pg_try_advisory_lock($1)")
            .bind(lease_key(name))
            .fetch_one(&mut conn)
            .await?;
        let got: bool = sqlx::Row::try_get(&row, 0)?;
        if got {
            Ok(Some(conn))
        } else {
            if let Ok(mut k) = self.lease_seekers.lock() {
                k.push((name.to_string(), conn));
            }
            Ok(None)
        }
    }
}

async fn try_file(db: &std::path::Path, name: &str) -> Result<Option<std::fs::File>> {
    let mut file_name = db.as_os_str().to_owned();
    file_name.push(format!(".lease-{name}"));
    let path = std::path::PathBuf::from(file_name);
    tokio::task::spawn_blocking(move || -> std::io::Result<Option<std::fs::File>> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        match f.try_lock() {
            Ok(()) => Ok(Some(f)),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    })
    .await
    .map_err(|e| StoreError::Invalid(format!("lease {e}")))?
    .map_err(|e| StoreError::Invalid(format!("lease: {e}")))
}

impl Lease {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Completes when the lease is lost: on PostgreSQL, when its connection stops answering
    /// (the database may already have given the lock to another process). File and memory
    /// leases are held until dropped.
    pub async fn lost(&mut self) {
        match &mut self.held {
            Held::Postgres(conn) => loop {
                tokio::time::sleep(CHECK_EVERY).await;
                let alive =
                    tokio::time::timeout(CHECK_EVERY, sqlx::query("SELECT 1").execute(&mut *conn))
                        .await;
                if !matches!(alive, Ok(Ok(_))) {
                    return;
                }
            },
            Held::File(_) | Held::Memory => std::future::pending().await,
        }
    }

    /// Gives the lease up now (dropping it does too, as the connection or file closes).
    pub async fn release(self) {
        if let Held::Postgres(conn) = self.held {
            let _ = sqlx::Connection::close(conn).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_differ_by_name() {
        assert_eq!(lease_key("sweeper"), lease_key("sweeper"));
        assert_ne!(lease_key("sweeper"), lease_key("notifier"));
        assert_eq!(lease_key("sweeper") >> 32, 0x7374_6c73);
    }

    #[tokio::test]
    async fn one_process_holds_a_file_lease_until_it_lets_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/steward.db?mode=rwc", dir.path().display());
        let store = Store::open(&url).await.expect("open");
        let held = store
            .try_lease("sweeper")
            .await
            .expect("try")
            .expect("free");
        assert_eq!(held.name(), "sweeper");
        // A lock file is per open file description: a second opening (as another process
        // would) is refused while the first is held.
        assert!(store.try_lease("sweeper").await.expect("try").is_none());
        assert!(store.try_lease("notifier").await.expect("try").is_some());
        held.release().await;
        assert!(store.try_lease("sweeper").await.expect("try").is_some());
    }
}
