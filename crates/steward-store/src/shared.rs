//! Configuration every server keeps in memory (compliance policies, alert rules, channels,
//! silences), kept the same on every server that shares the database.
//!
//! Each kind has a row in `config_versions`. A change bumps its kind's version in the same
//! transaction as the change; a server loads a kind by reading its version first and its rows
//! second, and remembers the version with the rows (a [`Shared`] snapshot). Every server
//! compares the versions with what it holds twice a second ([`Store::follow_shared`], a
//! per-server task) and reloads a kind whose version moved, so no server works with
//! configuration more than about a second older than the database's. The server that made a
//! change reloads at once.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use sqlx::Row;

use crate::{Result, Store};

/// The kinds of shared configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Policies,
    AlertRules,
    Channels,
    Silences,
    /// What waits for devices (help-desk requests, announcements): each server keeps the
    /// hint of who has mail, and reloads it when this version moves.
    Mailbox,
    /// The app catalog and its assignments (and the rollout waves they are at).
    Apps,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Policies,
        Kind::AlertRules,
        Kind::Channels,
        Kind::Silences,
        Kind::Mailbox,
        Kind::Apps,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Policies => "policies",
            Kind::AlertRules => "alert_rules",
            Kind::Channels => "channels",
            Kind::Silences => "silences",
            Kind::Mailbox => "mailbox",
            Kind::Apps => "apps",
        }
    }
}

/// One kind's rows as loaded, with the version they were loaded at.
pub struct Shared<T> {
    value: RwLock<Arc<T>>,
    version: AtomicI64,
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Self {
        Shared {
            value: RwLock::default(),
            // Below every stored version: the first comparison loads.
            version: AtomicI64::new(-1),
        }
    }
}

impl<T> Shared<T> {
    /// The rows as last loaded.
    pub fn get(&self) -> Arc<T>
    where
        T: Default,
    {
        self.value.read().map(|v| v.clone()).unwrap_or_default()
    }

    pub fn version(&self) -> i64 {
        self.version.load(Ordering::Acquire)
    }

    /// The rows as last loaded, with the version they were loaded at (taken together: a
    /// load replaces both under the same lock).
    pub fn snapshot(&self) -> (Arc<T>, i64)
    where
        T: Default,
    {
        match self.value.read() {
            Ok(v) => (v.clone(), self.version.load(Ordering::Acquire)),
            Err(_) => (Arc::default(), -1),
        }
    }

    /// Replaces the rows, loaded at `version` (read before the rows), unless rows of a later
    /// version are held already: two loads may overlap (the follower's and the one after a
    /// change made here), and the slower one, begun before the change, must not put older
    /// rows back.
    pub fn set(&self, value: T, version: i64) {
        if let Ok(mut v) = self.value.write() {
            if version < self.version.load(Ordering::Acquire) {
                return;
            }
            *v = Arc::new(value);
            self.version.store(version, Ordering::Release);
        }
    }
}

/// Marks a change of `kind` in the transaction that makes it.
pub(crate) async fn bump(tx: &mut sqlx::Transaction<'_, sqlx::Any>, kind: Kind) -> Result<()> {
    sqlx::query("UPDATE config_versions SET version = version + 1 WHERE kind = $1")
        .bind(kind.as_str())
        .execute(&mut **tx)
        .await?;
    crate::wake::on_commit(tx, crate::wake::Topic::Config).await
}

impl Store {
    /// The stored version of `kind` (read before its rows when loading them).
    pub(crate) async fn shared_version(&self, kind: Kind) -> Result<i64> {
        let row = sqlx::query("SELECT version FROM config_versions WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_optional(&self.read)
            .await?;
        Ok(match row {
            Some(r) => r.try_get(0)?,
            None => 0,
        })
    }

    fn held_version(&self, kind: Kind) -> i64 {
        match kind {
            Kind::Policies => self.policies.version(),
            Kind::AlertRules => self.alert_rules.version(),
            Kind::Channels => self.channels.version(),
            Kind::Silences => self.silences.version(),
            Kind::Mailbox => self.mailbox_version.load(Ordering::Acquire),
            Kind::Apps => self.apps.version(),
        }
    }

    async fn reload(&self, kind: Kind, stored: i64) -> Result<()> {
        match kind {
            // The server reloads its hint (it is not the store's); the version is taken
            // before it reads the rows.
            Kind::Mailbox => {
                self.mailbox_version.store(stored, Ordering::Release);
                Ok(())
            }
            Kind::Policies => self.reload_policies().await,
            Kind::AlertRules => self.reload_alert_rules().await,
            Kind::Channels => self.reload_channels().await,
            Kind::Silences => self.reload_silences().await,
            Kind::Apps => self.reload_apps().await,
        }
    }

    /// Before the writer evaluates check-ins: reloads the policies and alert rules if their
    /// stored versions moved (read in the writer's transaction), so no check-in is evaluated
    /// against configuration older than the last change committed, wherever it was made.
    pub(crate) async fn evaluators_current(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ) -> Result<()> {
        self.reload_stale(&mut **tx, &[Kind::Policies, Kind::AlertRules])
            .await
            .map(drop)
    }

    /// Before a fleet job's batch: the policies and alert rules it evaluates with are the last
    /// committed, wherever they were changed (the job's row commits with their new version,
    /// so a job never runs ahead of the change that queued it).
    pub(crate) async fn evaluators_fresh(&self) -> Result<()> {
        self.reload_stale(&self.read, &[Kind::Policies, Kind::AlertRules])
            .await
            .map(drop)
    }

    /// Before the notifier decides: the alert rules, channels and silences it decides with
    /// are the last committed, wherever they were changed.
    pub(crate) async fn notifier_current(&self) -> Result<()> {
        self.reload_stale(
            &self.read,
            &[Kind::AlertRules, Kind::Channels, Kind::Silences],
        )
        .await
        .map(drop)
    }

    /// Reloads those of `kinds` whose stored version differs from the one held; returns the
    /// kinds reloaded.
    async fn reload_stale<'e, E>(&self, ex: E, kinds: &[Kind]) -> Result<Vec<Kind>>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        let rows = sqlx::query("SELECT kind, version FROM config_versions")
            .fetch_all(ex)
            .await?;
        let stored = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<(String, i64)>>>()?;
        let stale = self.stale(&stored, kinds);
        for &(kind, version) in &stale {
            self.reload(kind, version).await?;
        }
        Ok(stale.into_iter().map(|(kind, _)| kind).collect())
    }

    /// Those of `kinds` whose version in `stored` (kind and version, as read from
    /// `config_versions`) differs from the one held, with that version.
    fn stale(&self, stored: &[(String, i64)], kinds: &[Kind]) -> Vec<(Kind, i64)> {
        stored
            .iter()
            .filter_map(|(name, version)| {
                let kind = kinds.iter().copied().find(|k| k.as_str() == name)?;
                (*version != self.held_version(kind)).then_some((kind, *version))
            })
            .collect()
    }

    /// As [`Store::evaluators_current`], with the versions already read in the transaction
    /// (on PostgreSQL, with the firing rules of a batch's devices: one round trip fewer).
    /// What moved is read through `tx` itself: the batch holds its devices' rows locked by
    /// then, and must not wait for another connection of the pool, which a session waiting
    /// for those rows may hold.
    pub(crate) async fn evaluators_current_as(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        stored: &[(String, i64)],
    ) -> Result<()> {
        // The versions were read before the rows, as `reload` reads them.
        for (kind, version) in self.stale(stored, &[Kind::Policies, Kind::AlertRules]) {
            match kind {
                Kind::Policies => self
                    .policies
                    .set(crate::policies::policies_from(&mut **tx).await?, version),
                Kind::AlertRules => self
                    .alert_rules
                    .set(crate::alerts::rules_from(&mut **tx).await?, version),
                // Not asked for above.
                _ => {}
            }
        }
        Ok(())
    }

    /// Reloads every kind whose stored version differs from the one held; returns the kinds
    /// reloaded.
    pub async fn follow_shared(&self) -> Result<Vec<Kind>> {
        let reloaded = self.reload_stale(&self.read, &Kind::ALL).await?;
        // What the notifier decides with changed here: it looks again (when this server
        // runs it).
        if reloaded
            .iter()
            .any(|k| matches!(k, Kind::AlertRules | Kind::Channels | Kind::Silences))
        {
            self.signals.notifier.notify_one();
        }
        Ok(reloaded)
    }
}

#[cfg(test)]
mod tests {
    use super::Shared;

    #[test]
    fn a_slower_load_of_an_older_version_does_not_put_older_rows_back() {
        let held: Shared<Vec<&str>> = Shared::default();
        held.set(vec!["a"], 4);
        held.set(vec!["a", "b"], 5);
        held.set(vec!["a"], 4);
        assert_eq!(*held.get(), vec!["a", "b"]);
        assert_eq!(held.version(), 5);
        held.set(vec!["a", "b", "c"], 5);
        assert_eq!(held.get().len(), 3);
    }
}
