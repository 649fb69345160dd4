//! How often devices should check in, given the load the server sees.

/// The interval the server hands out: the configured base while the observed check-in rate
/// stays under the target, stretched in proportion above it (at most ten times the base).
pub fn checkin_interval(base_secs: u32, observed_per_sec: f64, target_per_sec: f64) -> u32 {
    if target_per_sec <= 0.0 || observed_per_sec <= target_per_sec {
        return base_secs;
    }
    let factor = (observed_per_sec / target_per_sec).min(10.0);
    ((base_secs as f64) * factor).ceil() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_stretches_under_load_and_is_capped() {
        assert_eq!(checkin_interval(60, 100.0, 1000.0), 60);
        assert_eq!(checkin_interval(60, 1000.0, 1000.0), 60);
        assert_eq!(checkin_interval(60, 2000.0, 1000.0), 120);
        assert_eq!(checkin_interval(60, 1_000_000.0, 1000.0), 600);
        assert_eq!(checkin_interval(60, 5000.0, 0.0), 60);
    }
}
