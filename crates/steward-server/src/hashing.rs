//! Password hashing off the async workers: argon2 (19 MiB and tens of milliseconds of CPU per
//! check) runs on a small pool of threads of low priority (nice 10) with a bounded queue. A
//! flood of sign-ins then costs at most those threads' memory, takes CPU only when check-ins
//! leave some, and is refused (`503 overloaded`) once the queue is full, while the async
//! workers keep answering check-ins.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use steward_proto::ErrorCode;

use crate::error::ApiError;

type Job = Box<dyn FnOnce() + Send>;

/// Sign-ins waiting for a hashing thread, at most.
pub const QUEUE: usize = 32;

#[derive(Clone)]
pub struct HashPool {
    jobs: SyncSender<Job>,
}

impl HashPool {
    /// `threads` workers (at least one) at nice 10.
    pub fn start(threads: usize) -> HashPool {
        let (jobs, rx) = sync_channel::<Job>(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("steward-hash-{i}"))
                .spawn(move || work(&rx));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "no password hashing thread");
            }
        }
        HashPool { jobs }
    }

    /// One thread per two cores.
    pub fn for_this_machine() -> HashPool {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        HashPool::start(cores / 2)
    }

    /// Runs `f` on the pool; `overloaded` when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .try_send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| ApiError(ErrorCode::Overloaded))?;
        rx.await.map_err(|_| ApiError(ErrorCode::Internal))
    }

    pub async fn verify(&self, hash: String, password: String) -> Result<bool, ApiError> {
        self.run(move || crate::auth::verify_password(&hash, &password))
            .await
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || crate::auth::hash_password(&password))
            .await?
    }
}

fn work(rx: &Mutex<Receiver<Job>>) {
    // On Linux the nice value is per thread: only this one yields to the check-in path.
    if let Err(e) = rustix::process::setpriority_process(None, 10) {
        tracing::debug!(error = %e, "hashing thread keeps its priority");
    }
    loop {
        let job = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            // Every sender is gone: the server stopped.
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_refuses_beyond_the_queue() {
        let pool = HashPool::start(1);
        assert_eq!(pool.run(|| 2 + 2).await, Ok(4));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let blocker = pool.clone();
        let held = tokio::spawn(async move {
            blocker
                .run(move || {
                    let _ = wait.recv();
                })
                .await
        });
        // Let the blocking job reach the thread, then fill the queue.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let mut waiting = Vec::new();
        for _ in 0..QUEUE {
            let p = pool.clone();
            waiting.push(tokio::spawn(async move { p.run(|| 1).await }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(
            pool.run(|| 1).await,
            Err(ApiError(ErrorCode::Overloaded)),
            "a full queue refuses at once"
        );
        release.send(()).expect("release");
        assert_eq!(held.await.expect("join"), Ok(()));
        for w in waiting {
            assert_eq!(w.await.expect("join"), Ok(1));
        }
    }
}
