//! The server's clock. Every "now" of the server comes from here, so tests can run the
//! server on a clock they move by hand: silences end, escalations fall due and retries come
//! round when the test says, not after real waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

#[derive(Clone, Default)]
pub struct Clock {
    manual: Option<Arc<Manual>>,
}

struct Manual {
    ms: AtomicI64,
    changed: watch::Sender<i64>,
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock standing at `start_ms` until moved with [`Clock::advance`].
    pub fn manual(start_ms: i64) -> Clock {
        Clock {
            manual: Some(Arc::new(Manual {
                ms: AtomicI64::new(start_ms),
                changed: watch::Sender::new(start_ms),
            })),
        }
    }

    pub fn now_ms(&self) -> i64 {
        match &self.manual {
            Some(m) => m.ms.load(Ordering::SeqCst),
            None => steward_core::time::now_ms(),
        }
    }

    /// Moves a manual clock forward and wakes whatever waits on it; the wall clock ignores it.
    pub fn advance(&self, by: Duration) {
        if let Some(m) = &self.manual {
            let now =
                m.ms.fetch_add(by.as_millis() as i64, Ordering::SeqCst) + by.as_millis() as i64;
            m.changed.send_replace(now);
        }
    }

    /// Completes once the clock reads `at_ms` or later.
    pub async fn sleep_until(&self, at_ms: i64) {
        match &self.manual {
            None => {
                let wait = (at_ms - self.now_ms()).max(0) as u64;
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            Some(m) => {
                let mut rx = m.changed.subscribe();
                while m.ms.load(Ordering::SeqCst) < at_ms {
                    if rx.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_wakes_sleepers_only_when_moved_past_their_time() {
        use futures::FutureExt;
        let c = Clock::manual(1_000);
        let mut sleep = Box::pin(c.sleep_until(61_000));
        assert!((&mut sleep).now_or_never().is_none(), "before");
        c.advance(Duration::from_secs(30));
        assert!((&mut sleep).now_or_never().is_none(), "not far enough");
        c.advance(Duration::from_secs(30));
        assert!((&mut sleep).now_or_never().is_some(), "woken");
        assert_eq!(c.now_ms(), 61_000);
    }
}
