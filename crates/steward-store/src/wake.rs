//! Wake-ups across servers: what one server changes that another's work waits for.
//!
//! Inside one process a change wakes the waiting job through [`Signals`](crate::notify::Signals)
//! (a `tokio::sync::Notify` each). With several servers on one PostgreSQL the job may run
//! elsewhere, so a wake-up is also sent as `NOTIFY steward, 'topic'`; every server listens on
//! a connection of its own ([`Store::listen`]) and wakes its local waiter. A `NOTIFY` sent
//! inside a transaction is delivered only if it commits. Nothing depends on a wake-up
//! arriving: every waiter also looks on its own at a bounded interval (and at once when the
//! listening connection comes back), so a lost `NOTIFY` delays work, never loses it.

use std::sync::atomic::Ordering;
use std::time::Duration;

use sqlx::postgres::PgListener;

use crate::{Backend, Result, Store};

/// The `LISTEN`/`NOTIFY` channel of Steward's wake-ups.
pub const CHANNEL: &str = "steward";

/// What a wake-up is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// Shared configuration or the device mailbox changed: followers compare versions.
    Config,
    /// Alerts changed: the notifier looks.
    Alerts,
    /// The outbox got rows: the deliverer looks.
    Outbox,
}

impl Topic {
    fn as_str(self) -> &'static str {
        match self {
            Topic::Config => "config",
            Topic::Alerts => "alerts",
            Topic::Outbox => "outbox",
        }
    }

    fn parse(s: &str) -> Option<Topic> {
        [Topic::Config, Topic::Alerts, Topic::Outbox]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// Sends `topic` to every server when the transaction commits (PostgreSQL; a single SQLite
/// process has no one else to tell).
pub(crate) async fn on_commit(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    topic: Topic,
) -> Result<()> {
    if crate::Backend::of(tx) == crate::Backend::Postgres {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(topic.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// How often a waiting job looks on its own, whatever woke it or not: on PostgreSQL a
    /// backstop for a lost `NOTIFY`; on an SQLite file shared by several processes, which
    /// have no other way to tell each other, the way they hear of each other's changes.
    pub fn look_every(&self) -> Duration {
        match (self.backend, &self.sqlite_path) {
            (Backend::Postgres, _) => Duration::from_secs(10),
            (Backend::Sqlite, Some(_)) => Duration::from_secs(1),
            (Backend::Sqlite, None) => Duration::from_secs(30),
        }
    }

    /// Wakes whoever waits for `topic`, here and on every other server.
    pub(crate) fn wake(&self, topic: Topic) {
        self.wake_here(topic);
        if self.backend != Backend::Postgres {
            return;
        }
        // One NOTIFY in flight per topic at most, sent after every wake-up it covers: a
        // burst of changes is one wake-up, and a change made while one is on its way gets
        // another after it (the first may have reached the other servers before it
        // committed). The first to ask sends; the sender stops once no one asked since.
        let asked = &self.signals.asked[topic as usize];
        if asked.fetch_add(1, Ordering::AcqRel) > 0 {
            return;
        }
        let store = self.clone();
        tokio::spawn(async move {
            let asked = &store.signals.asked[topic as usize];
            loop {
                let covered = asked.load(Ordering::Acquire);
                let sent = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(topic.as_str())
                    .execute(&store.write)
                    .await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "wake-up not sent to other servers");
                }
                if asked.fetch_sub(covered, Ordering::AcqRel) == covered {
                    break;
                }
            }
        });
    }

    fn wake_here(&self, topic: Topic) {
        match topic {
            Topic::Config => self.signals.follow.notify_one(),
            Topic::Alerts => self.signals.notifier.notify_one(),
            Topic::Outbox => self.signals.deliverer.notify_one(),
        }
    }

    /// Listens for other servers' wake-ups until the process ends (PostgreSQL; returns at
    /// once on SQLite). After every (re)connection everything is woken once, since wake-ups
    /// sent while the connection was down are lost.
    pub async fn listen(&self) {
        let Some(url) = self
            .url
            .clone()
            .filter(|_| self.backend == Backend::Postgres)
        else {
            return;
        };
        loop {
            match PgListener::connect(&url).await {
                Ok(mut listener) => {
                    if let Err(e) = listener.listen(CHANNEL).await {
                        tracing::warn!(error = %e, "cannot listen for other servers' wake-ups");
                    } else {
                        for t in [Topic::Config, Topic::Alerts, Topic::Outbox] {
                            self.wake_here(t);
                        }
                        loop {
                            match listener.try_recv().await {
                                Ok(Some(n)) => {
                                    if let Some(t) = Topic::parse(n.payload()) {
                                        self.wake_here(t);
                                    }
                                }
                                // The connection was lost (and will be re-established).
                                Ok(None) => break,
                                Err(e) => {
                                    tracing::warn!(error = %e, "wake-up listener failed");
                                    break;
                                }
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "wake-up listener cannot connect"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}
