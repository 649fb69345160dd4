//! Password hashing off the async workers: argon2 (19 MiB and tens of milliseconds of CPU per
//! check) runs on a small pool of threads of low priority (nice 10) with a bounded queue. Each
//! thread checks passwords in one working area it keeps (argon2's memory blocks), so a flood of
//! sign-ins costs at most those areas' memory, takes CPU only when check-ins leave some, and
//! is refused (`503 overloaded`) once the queue is full, while the async workers keep
//! answering check-ins.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use steward_proto::ErrorCode;

use crate::error::ApiError;

/// A hashing thread's working area (argon2's memory blocks), kept between checks.
pub type Scratch = Vec<argon2::Block>;

type Job = Box<dyn FnOnce(&mut Scratch) + Send>;

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

    /// Runs `f` on the pool with the thread's working area; `overloaded` when the queue is
    /// full.
    pub async fn run_with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Scratch) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .try_send(Box::new(move |scratch: &mut Scratch| {
                // The caller hung up while this waited: nobody wants the answer.
                if tx.is_closed() {
                    return;
                }
                let _ = tx.send(f(scratch));
            }))
            .map_err(|_| ApiError(ErrorCode::Overloaded))?;
        rx.await.map_err(|_| ApiError(ErrorCode::Internal))
    }

    /// Runs `f` on the pool; `overloaded` when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        self.run_with(move |_| f()).await
    }

    /// Whether `password` matches the PHC string `hash` (`None`: check against a hash of no
    /// one's, so an unknown account takes the same work).
    pub async fn verify(&self, hash: Option<String>, password: String) -> Result<bool, ApiError> {
        self.run_with(move |scratch| {
            let hash = hash.unwrap_or_else(|| crate::auth::dummy_hash().to_string());
            verify_in(scratch, &hash, &password)
        })
        .await
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || crate::auth::hash_password(&password))
            .await?
    }
}

/// Checks a password against an argon2 PHC string in `scratch` (grown once to the size the
/// hash's parameters ask for, then reused).
pub fn verify_in(scratch: &mut Scratch, hash: &str, password: &str) -> bool {
    use argon2::password_hash::PasswordHash;
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(params), Ok(algorithm)) = (
        argon2::Params::try_from(&parsed),
        argon2::Algorithm::try_from(parsed.algorithm),
    ) else {
        return false;
    };
    let version = parsed
        .version
        .and_then(|v| argon2::Version::try_from(v).ok())
        .unwrap_or_default();
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    if scratch.len() < blocks {
        scratch.resize(blocks, argon2::Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let computed = argon2::Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        &mut out,
        &mut scratch[..blocks],
    );
    computed.is_ok() && constant_time_eq(&out, expected.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn work(rx: &Mutex<Receiver<Job>>) {
    // On Linux the nice value is per thread: only this one yields to the check-in path.
    if let Err(e) = rustix::process::setpriority_process(None, 10) {
        tracing::debug!(error = %e, "hashing thread keeps its priority");
    }
    let mut scratch = Scratch::new();
    loop {
        let job = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(&mut scratch),
            // Every sender is gone: the server stopped.
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_passwords_in_a_reused_area() {
        let hash = crate::auth::hash_password("correct horse battery").expect("hash");
        let mut scratch = Scratch::new();
        assert!(verify_in(&mut scratch, &hash, "correct horse battery"));
        let size = scratch.len();
        assert!(size > 0);
        assert!(!verify_in(&mut scratch, &hash, "correct horse battery!"));
        assert!(!verify_in(&mut scratch, "not a hash", "x"));
        assert_eq!(scratch.len(), size, "the area is kept, not grown again");
        assert!(crate::auth::verify_password(&hash, "correct horse battery"));
    }

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
