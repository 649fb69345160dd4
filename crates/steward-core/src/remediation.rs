//! Remediation's pure parts: what a device's script report means for its state, when the
//! next attempt is due (backoff), and which requests are risky enough to need a second
//! administrator.

use steward_proto::remediation::{DeviceState, ScriptReport, StepResult};

/// What a remediation's settings say about its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    pub max_attempts: u32,
    pub retry_minutes: u32,
    /// Hours before a finished device runs again (0: only when the generation moves).
    pub every_hours: u32,
}

/// A device's new standing after one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub state: DeviceState,
    /// When the next attempt is due (`None`: not before the generation moves).
    pub next_at: Option<i64>,
}

const MINUTE_MS: i64 = 60_000;
/// Retries wait at most a day.
const MAX_RETRY_MS: i64 = 24 * 60 * MINUTE_MS;

/// The wait before attempt `attempt + 1` after attempt `attempt` failed: `retry_minutes`,
/// doubled for each further attempt, a day at most.
pub fn backoff_ms(retry_minutes: u32, attempt: u32) -> i64 {
    let base = i64::from(retry_minutes.max(1)) * MINUTE_MS;
    let doublings = attempt.saturating_sub(1).min(16);
    (base << doublings).min(MAX_RETRY_MS)
}

fn ran(step: &Option<StepResult>) -> Option<i32> {
    step.as_ref()
        .filter(|s| s.error.is_none())
        .and_then(|s| s.exit_code)
}

/// The error an attempt is recorded with when the device that took it has not answered
/// within the attempt's lapse: the answer was lost on the way, or the device went away.
pub const NO_ANSWER: &str = "no_answer";

/// How long after a device was handed an attempt its answer must have come: a check-in of
/// the device this long after, still without the answer, means the answer is lost and the
/// attempt counts as [`NO_ANSWER`]. The longest the agent can take (detection, fix and
/// detection again, each up to its time-out), and an hour.
pub fn answer_lapse_ms(detect_timeout_secs: u32, fix_timeout_secs: u32) -> i64 {
    let scripts = 2 * i64::from(detect_timeout_secs) + i64::from(fix_timeout_secs);
    scripts * 1000 + 60 * MINUTE_MS
}

/// What attempt `attempt` (1 for the first) reported means. Detection: exit 0 no issue,
/// exit 1 issue found, anything else (or not running at all) a script error. The fix
/// counts as done when it exits 0 and the detection afterwards exits 0; otherwise the
/// attempt failed, and the device is "remediating" until its attempts run out.
pub fn outcome(
    report: &ScriptReport,
    has_fix: bool,
    attempt: u32,
    a: Attempts,
    now: i64,
) -> Outcome {
    let again = (a.every_hours > 0).then(|| now + i64::from(a.every_hours) * 60 * MINUTE_MS);
    let done = |state| Outcome {
        state,
        next_at: again,
    };
    let failed_attempt = |last| {
        if attempt < a.max_attempts {
            Outcome {
                state: DeviceState::Remediating,
                next_at: Some(now + backoff_ms(a.retry_minutes, attempt)),
            }
        } else {
            done(last)
        }
    };
    match report.detect.as_ref().and_then(|s| s.error.as_deref()) {
        Some("not_supported") => return done(DeviceState::NotApplicable),
        // The device never answered (see [`NO_ANSWER`]): tried again like a failed fix;
        // when the attempts run out, the script could not be run there.
        Some(NO_ANSWER) => return failed_attempt(DeviceState::ScriptError),
        _ => {}
    }
    match ran(&report.detect) {
        Some(0) => done(DeviceState::NoIssue),
        Some(1) if !has_fix => done(DeviceState::Detected),
        Some(1) => match (ran(&report.fix), ran(&report.after)) {
            (Some(0), Some(0)) => done(DeviceState::Fixed),
            // The fix or the check after it could not run: the script is at fault, not
            // the device, and retrying the same text will not help.
            (None, _) if report.fix.as_ref().is_none_or(|f| f.error.is_some()) => {
                done(DeviceState::ScriptError)
            }
            _ => failed_attempt(DeviceState::FixFailed),
        },
        _ => done(DeviceState::ScriptError),
    }
}

/// Kinds of device action that always need a second administrator.
pub const ALWAYS_APPROVED: [&str; 1] = ["wipe"];
/// Kinds that need one when they reach more than the threshold of devices.
pub const APPROVED_ABOVE: [&str; 4] = ["restart", "logoff", "run_script", "lock"];

/// Whether a device action of `kind` on `devices` devices waits for a second administrator.
pub fn action_needs_approval(kind: &str, devices: u64, threshold: u64) -> bool {
    ALWAYS_APPROVED.contains(&kind) || (APPROVED_ABOVE.contains(&kind) && devices > threshold)
}

/// Whether a remediation's new generation reaching `devices` devices waits for one.
pub fn remediation_needs_approval(devices: u64, threshold: u64) -> bool {
    devices > threshold
}

/// The states a device leaves a remediation in once done with it (until the next generation
/// or interval), and those of them that count as failures.
pub const FINISHED: [&str; 5] = [
    "no_issue",
    "detected",
    "fixed",
    "fix_failed",
    "script_error",
];
pub const FAILED: [&str; 2] = ["fix_failed", "script_error"];

/// The failures among the devices done with a remediation, in per cent (rounded down), from
/// its count of devices per state; `None` before any device is done. A device still retrying
/// ("remediating") is not a failure yet.
pub fn failure_percent(count: impl Fn(&str) -> u64) -> Option<u32> {
    let finished: u64 = FINISHED.iter().map(|s| count(s)).sum();
    let failed: u64 = FAILED.iter().map(|s| count(s)).sum();
    (failed * 100)
        .checked_div(finished)
        .map(|p| u32::try_from(p).unwrap_or(100))
}

/// Whether a remediation's failures pass the threshold its author set (`None`: no alert).
pub fn failing(failure_percent: Option<u32>, threshold: Option<u32>) -> bool {
    matches!((failure_percent, threshold), (Some(p), Some(t)) if p > t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(exit: i32) -> Option<StepResult> {
        Some(StepResult {
            exit_code: Some(exit),
            ..Default::default()
        })
    }

    const A: Attempts = Attempts {
        max_attempts: 3,
        retry_minutes: 5,
        every_hours: 0,
    };

    #[test]
    fn detection_and_fix_decide_the_state() {
        let r = |d, f, a| ScriptReport {
            detect: d,
            fix: f,
            after: a,
        };
        let o = |rep: &ScriptReport, attempt| outcome(rep, true, attempt, A, 0);
        assert_eq!(o(&r(step(0), None, None), 1).state, DeviceState::NoIssue);
        assert_eq!(
            o(&r(step(1), step(0), step(0)), 1),
            Outcome {
                state: DeviceState::Fixed,
                next_at: None
            }
        );
        // A fix that exits 0 but leaves the issue is a failed attempt, retried with backoff.
        let retry = o(&r(step(1), step(0), step(1)), 1);
        assert_eq!(retry.state, DeviceState::Remediating);
        assert_eq!(retry.next_at, Some(5 * 60_000));
        assert_eq!(o(&r(step(1), step(2), None), 2).next_at, Some(10 * 60_000));
        assert_eq!(
            o(&r(step(1), step(2), None), 3).state,
            DeviceState::FixFailed
        );
        assert_eq!(
            o(&r(step(7), None, None), 1).state,
            DeviceState::ScriptError
        );
        let refused = Some(StepResult {
            error: Some("hash_mismatch".into()),
            ..Default::default()
        });
        assert_eq!(
            o(&r(refused, None, None), 1).state,
            DeviceState::ScriptError
        );
        let unsupported = Some(StepResult {
            error: Some("not_supported".into()),
            ..Default::default()
        });
        assert_eq!(
            o(&r(unsupported, None, None), 1).state,
            DeviceState::NotApplicable
        );
        assert_eq!(
            outcome(&r(step(1), None, None), false, 1, A, 0).state,
            DeviceState::Detected
        );
        // No answer came: tried again with backoff, a script error once attempts run out.
        let lost = || {
            Some(StepResult {
                error: Some(NO_ANSWER.into()),
                ..Default::default()
            })
        };
        let again = o(&r(lost(), None, None), 1);
        assert_eq!(
            (again.state, again.next_at),
            (DeviceState::Remediating, Some(5 * 60_000))
        );
        assert_eq!(o(&r(lost(), None, None), 3).state, DeviceState::ScriptError);
        assert_eq!(answer_lapse_ms(30, 60), 120_000 + 3_600_000);
        // A recurring remediation comes back after its interval once done.
        let daily = Attempts {
            every_hours: 24,
            ..A
        };
        assert_eq!(
            outcome(&r(step(0), None, None), true, 1, daily, 1).next_at,
            Some(1 + 86_400_000)
        );
    }

    #[test]
    fn backoff_doubles_up_to_a_day_and_risk_needs_a_second_administrator() {
        assert_eq!(backoff_ms(5, 1), 300_000);
        assert_eq!(backoff_ms(5, 2), 600_000);
        assert_eq!(backoff_ms(5, 3), 1_200_000);
        assert_eq!(backoff_ms(600, 40), 86_400_000);
        assert!(action_needs_approval("wipe", 1, 10));
        assert!(!action_needs_approval("restart", 10, 10));
        assert!(action_needs_approval("restart", 11, 10));
        assert!(!action_needs_approval("collect_diagnostics", 5000, 10));
        assert!(remediation_needs_approval(11, 10));
    }

    #[test]
    fn the_failure_rate_counts_finished_devices_and_not_those_still_retrying() {
        let counts = |pairs: &'static [(&'static str, u64)]| {
            move |s: &str| pairs.iter().find(|(k, _)| *k == s).map_or(0, |(_, n)| *n)
        };
        assert_eq!(failure_percent(counts(&[("remediating", 9)])), None);
        let p = failure_percent(counts(&[
            ("fixed", 6),
            ("no_issue", 1),
            ("fix_failed", 2),
            ("script_error", 1),
            ("remediating", 50),
            ("pending", 100),
        ]));
        assert_eq!(p, Some(30));
        assert!(failing(p, Some(25)));
        assert!(!failing(p, Some(30)));
        assert!(!failing(p, None));
        assert!(!failing(None, Some(0)));
    }
}
