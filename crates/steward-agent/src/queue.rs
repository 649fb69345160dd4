//! The agent's on-disk queue: every snapshot is written (and fsynced) before it is sent, so
//! what the agent collected while the server was unreachable is delivered later, oldest first.
//! One file per snapshot, named by its sequence number. A snapshot the server will never take
//! is moved to `set-aside/` with the reason beside it, so the ones after it go on.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use steward_proto::{CheckinRequest, SetAside};

/// Snapshots kept at most; past that the oldest are dropped.
pub const MAX_QUEUED: usize = 10_000;
/// Set-aside snapshots kept at most (the oldest go first).
pub const MAX_SET_ASIDE: usize = 100;

pub struct Queue {
    dir: PathBuf,
    max: usize,
}

impl Queue {
    pub fn open(dir: &Path) -> std::io::Result<Queue> {
        Queue::with_limit(dir, MAX_QUEUED)
    }

    pub fn with_limit(dir: &Path, max: usize) -> std::io::Result<Queue> {
        fs::create_dir_all(dir)?;
        Ok(Queue {
            dir: dir.to_path_buf(),
            max: max.max(1),
        })
    }

    /// Stores a snapshot durably; drops the oldest beyond the limit.
    pub fn push(&self, req: &CheckinRequest) -> std::io::Result<()> {
        let name = format!("{:020}.json", req.seq);
        let tmp = self.dir.join(format!("{name}.tmp"));
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec(req)?)?;
        f.sync_all()?;
        fs::rename(&tmp, self.dir.join(name))?;
        let entries = self.entries()?;
        if entries.len() > self.max {
            for old in &entries[..entries.len() - self.max] {
                tracing::warn!(file = %old.display(), "queue full: dropping the oldest snapshot");
                fs::remove_file(old)?;
            }
        }
        Ok(())
    }

    /// Queued snapshots, oldest first.
    pub fn entries(&self) -> std::io::Result<Vec<PathBuf>> {
        let mut out: Vec<PathBuf> = fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        out.sort();
        Ok(out)
    }

    pub fn read(path: &Path) -> std::io::Result<CheckinRequest> {
        Ok(serde_json::from_slice(&fs::read(path)?)?)
    }

    pub fn remove(path: &Path) -> std::io::Result<()> {
        fs::remove_file(path)
    }

    pub fn is_empty(&self) -> bool {
        self.entries().map(|e| e.is_empty()).unwrap_or(true)
    }

    fn aside_dir(&self) -> PathBuf {
        self.dir.join("set-aside")
    }

    /// Moves a snapshot out of the way, with why (`NNN.json` and `NNN.reason.json` under
    /// `set-aside/`); keeps the newest [`MAX_SET_ASIDE`].
    pub fn set_aside(&self, path: &Path, reason: &SetAside) -> std::io::Result<()> {
        let dir = self.aside_dir();
        fs::create_dir_all(&dir)?;
        let name = format!("{:020}", reason.seq);
        let why = dir.join(format!("{name}.reason.json"));
        let tmp = dir.join(format!("{name}.reason.json.tmp"));
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec(reason)?)?;
        f.sync_all()?;
        fs::rename(&tmp, &why)?;
        fs::rename(path, dir.join(format!("{name}.json")))?;
        let reasons = self.set_aside_reasons()?;
        if reasons.len() > MAX_SET_ASIDE {
            for r in &reasons[..reasons.len() - MAX_SET_ASIDE] {
                let seq = format!("{:020}", r.seq);
                let _ = fs::remove_file(dir.join(format!("{seq}.json")));
                let _ = fs::remove_file(dir.join(format!("{seq}.reason.json")));
            }
        }
        Ok(())
    }

    /// Why each set-aside snapshot was set aside, oldest first.
    pub fn set_aside_reasons(&self) -> std::io::Result<Vec<SetAside>> {
        let dir = self.aside_dir();
        let mut paths: Vec<PathBuf> = match fs::read_dir(&dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with(".reason.json"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        paths.sort();
        Ok(paths
            .iter()
            .filter_map(|p| serde_json::from_slice(&fs::read(p).ok()?).ok())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use steward_proto::OsFacts;

    fn snapshot(seq: u64) -> CheckinRequest {
        CheckinRequest {
            seq,
            os: OsFacts::default(),
            inventory_hash: None,
            inventory: None,
            protection: None,
            compliance: None,
            action_results: Vec::new(),
            app_installs: Vec::new(),
            set_aside: Vec::new(),
            software_hash: None,
            software: None,
        }
    }

    #[test]
    fn oldest_first_bounded_and_durable_across_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let q = Queue::with_limit(dir.path(), 3).expect("open");
        assert!(q.is_empty());
        for seq in [2, 10, 1, 7] {
            q.push(&snapshot(seq)).expect("push");
        }
        let reopened = Queue::with_limit(dir.path(), 3).expect("reopen");
        let seqs: Vec<u64> = reopened
            .entries()
            .expect("entries")
            .iter()
            .map(|p| Queue::read(p).expect("read").seq)
            .collect();
        assert_eq!(
            seqs,
            [2, 7, 10],
            "sorted, and the oldest (1) dropped at the limit"
        );
        Queue::remove(&reopened.entries().expect("entries")[0]).expect("remove");
        assert_eq!(reopened.entries().expect("entries").len(), 2);
    }

    #[test]
    fn a_set_aside_snapshot_leaves_the_queue_and_keeps_its_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let q = Queue::with_limit(dir.path(), 10).expect("open");
        for seq in [4, 5] {
            q.push(&snapshot(seq)).expect("push");
        }
        let first = q.entries().expect("entries")[0].clone();
        let why = SetAside {
            seq: 4,
            status: 400,
            code: Some("field_too_long".into()),
            message: None,
            attempts: 1,
            at: "2026-11-30T00:00:00Z".into(),
        };
        q.set_aside(&first, &why).expect("set aside");
        let left: Vec<u64> = q
            .entries()
            .expect("entries")
            .iter()
            .map(|p| Queue::read(p).expect("read").seq)
            .collect();
        assert_eq!(left, [5], "the next one goes on");
        assert_eq!(q.set_aside_reasons().expect("reasons"), [why]);
        assert!(dir
            .path()
            .join("set-aside/00000000000000000004.json")
            .exists());
    }
}
