//! Reports: days and periods, when a scheduled report is due, and how a period's daily figures
//! add up (a state is its value on the period's last day, an event count is the sum of its
//! days, a duration is a sum divided by a count).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, TimeZone};
use steward_proto::reports::{Cadence, ReportScheduleBody};

pub const DAY_MS: i64 = 86_400_000;

/// The periods a report covers, in days.
pub const PERIODS: [u32; 4] = [7, 30, 90, 365];

/// Midnight (UTC) of the day `ms` falls in.
pub fn day_start(ms: i64) -> i64 {
    ms - ms.rem_euclid(DAY_MS)
}

/// `YYYY-MM-DD` of the (UTC) day `ms` falls in.
pub fn day_label(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(day_start(ms))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Midnight (UTC) of a `YYYY-MM-DD` day.
pub fn parse_day(s: &str) -> Option<i64> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// The whole days a report made at `run_at` covers: the `days` days before the day it is
/// made, as (first day, the day after the last).
pub fn period_for(run_at: i64, days: u32) -> (i64, i64) {
    let to = day_start(run_at);
    (to - i64::from(days) * DAY_MS, to)
}

/// Why a schedule is refused: the field and what is wrong with it.
pub fn check_schedule(b: &ReportScheduleBody) -> Result<(), (&'static str, &'static str)> {
    if b.name.trim().is_empty() || b.name.chars().count() > 200 {
        return Err(("name", "1 to 200 characters"));
    }
    if b.sections.is_empty() {
        return Err(("sections", "at least one section"));
    }
    if !PERIODS.contains(&b.period_days) {
        return Err(("period_days", "7, 30, 90 or 365"));
    }
    if b.recipients.is_empty() || b.recipients.len() > 100 {
        return Err(("recipients", "1 to 100 recipients"));
    }
    for r in &b.recipients {
        match (&r.user, &r.address) {
            (Some(u), None) if !u.trim().is_empty() => {}
            (None, Some(a)) if valid_address(a) => {
                if r.language
                    .as_deref()
                    .is_some_and(|l| crate::Lang::parse(l).is_none())
                {
                    return Err(("recipients", "a language Steward speaks"));
                }
            }
            _ => return Err(("recipients", "each one a user or an e-mail address")),
        }
    }
    if !(1..=7).contains(&b.weekday) {
        return Err(("weekday", "1 (Monday) to 7 (Sunday)"));
    }
    if !(1..=28).contains(&b.day_of_month) {
        return Err(("day_of_month", "1 to 28"));
    }
    if b.hour > 23 {
        return Err(("hour", "0 to 23"));
    }
    if crate::i18n::Zone::parse_tz(&b.time_zone).is_none() {
        return Err(("time_zone", "an IANA time zone"));
    }
    if b.groups.len() > 100 || b.groups.iter().any(|g| g.is_empty() || g.len() > 100) {
        return Err(("groups", "at most 100 group names"));
    }
    Ok(())
}

fn valid_address(a: &str) -> bool {
    let a = a.trim();
    a.len() <= 254
        && !a.chars().any(|c| c.is_whitespace() || c.is_control())
        && a.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'))
}

/// The first time after `after` (ms) a schedule is due: its weekday or day of the month, at
/// its hour in its time zone (an hour a clock change skips moves to the next one).
pub fn next_run(b: &ReportScheduleBody, after: i64) -> Option<i64> {
    let tz = crate::i18n::Zone::parse_tz(&b.time_zone)?;
    let local = tz.timestamp_millis_opt(after).single()?.date_naive();
    // Every candidate day from the day before `after` (local) onwards; the first that
    // matches and lies after `after` wins. Two months cover every monthly case.
    let mut day = local.pred_opt()?;
    for _ in 0..70 {
        let fits = match b.cadence {
            Cadence::Weekly => day.weekday().number_from_monday() == u32::from(b.weekday),
            Cadence::Monthly => day.day() == u32::from(b.day_of_month),
        };
        if fits {
            for hour in u32::from(b.hour)..24 {
                let at = day
                    .and_hms_opt(hour, 0, 0)
                    .and_then(|t| tz.from_local_datetime(&t).earliest());
                if let Some(at) = at {
                    let ms = at.timestamp_millis();
                    if ms > after {
                        return Some(ms);
                    }
                    break;
                }
            }
        }
        day = day.succ_opt()?;
    }
    None
}

/// How a figure adds up over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A count at the end of each day (devices failing a rule): the period's value is its
    /// last day's.
    State,
    /// Events of each day (alerts opened): the period's value is their sum.
    Events,
}

/// One figure of a report over a period and the period before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trend {
    /// One value per day of the period, oldest first (`None`: the day was not rolled up).
    pub days: Vec<Option<i64>>,
    pub value: Option<i64>,
    pub previous: Option<i64>,
}

impl Trend {
    /// The change against the previous period, when both are known.
    pub fn change(&self) -> Option<i64> {
        Some(self.value? - self.previous?)
    }
}

/// Daily values of one figure, by day (midnight UTC), summed over the groups the caller sees.
pub type Daily = BTreeMap<i64, i64>;

/// A figure over the `days` days from `from`, with the period before it for comparison.
pub fn trend(daily: &Daily, kind: Kind, from: i64, days: u32, rolled: &[i64]) -> Trend {
    let value_of = |start: i64| -> Option<i64> {
        let end = start + i64::from(days) * DAY_MS;
        match kind {
            Kind::State => rolled
                .iter()
                .rev()
                .find(|d| **d >= start && **d < end)
                .map(|d| daily.get(d).copied().unwrap_or(0)),
            Kind::Events => {
                let any = rolled.iter().any(|d| *d >= start && *d < end);
                any.then(|| daily.range(start..end).map(|(_, v)| *v).sum())
            }
        }
    };
    let days_list = (0..i64::from(days))
        .map(|i| {
            let d = from + i * DAY_MS;
            rolled
                .binary_search(&d)
                .ok()
                .map(|_| daily.get(&d).copied().unwrap_or(0))
        })
        .collect();
    Trend {
        days: days_list,
        value: value_of(from),
        previous: value_of(from - i64::from(days) * DAY_MS),
    }
}

/// A mean over a period from two event figures (milliseconds summed, and how many).
pub fn mean(sum: &Trend, count: &Trend) -> (Option<i64>, Option<i64>) {
    let div = |s: Option<i64>, n: Option<i64>| match (s, n) {
        (Some(s), Some(n)) if n > 0 => Some(s / n),
        _ => None,
    };
    (
        div(sum.value, count.value),
        div(sum.previous, count.previous),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use steward_proto::reports::Recipient;

    fn body(cadence: Cadence) -> ReportScheduleBody {
        ReportScheduleBody {
            name: "Weekly".into(),
            sections: vec![steward_proto::reports::Section::Devices],
            period_days: 7,
            groups: vec![],
            recipients: vec![Recipient {
                user: None,
                address: Some("cio@example.com".into()),
                language: Some("fr".into()),
            }],
            cadence,
            weekday: 1,
            day_of_month: 3,
            hour: 7,
            time_zone: "Europe/Stockholm".into(),
        }
    }

    fn at(s: &str) -> i64 {
        crate::time::parse_rfc3339(s).expect(s)
    }

    #[test]
    fn a_weekly_schedule_falls_on_its_weekday_and_hour_in_its_zone() {
        let b = body(Cadence::Weekly);
        // Wednesday 2026-12-02: the next Monday 07:00 Stockholm (UTC+1) is 2026-12-07 06:00Z.
        let next = next_run(&b, at("2026-12-02T10:00:00Z")).expect("next");
        assert_eq!(next, at("2026-12-07T06:00:00Z"));
        // At that very instant the next one is a week later.
        assert_eq!(next_run(&b, next), Some(next + 7 * DAY_MS));
        // One second before, it is that one.
        assert_eq!(next_run(&b, next - 1000), Some(next));
        // Summer time: 07:00 is 05:00Z.
        let summer = next_run(&b, at("2026-06-02T10:00:00Z")).expect("summer");
        assert_eq!(summer, at("2026-06-08T05:00:00Z"));
    }

    #[test]
    fn a_monthly_schedule_falls_on_its_day_of_the_month() {
        let b = body(Cadence::Monthly);
        let next = next_run(&b, at("2026-12-02T10:00:00Z")).expect("next");
        assert_eq!(next, at("2026-12-03T06:00:00Z"));
        assert_eq!(next_run(&b, next), Some(at("2027-01-03T06:00:00Z")));
    }

    #[test]
    fn an_hour_a_clock_change_skips_moves_to_the_next() {
        let mut b = body(Cadence::Monthly);
        // 2027-03-28 02:00 does not exist in Stockholm.
        b.day_of_month = 28;
        b.hour = 2;
        let next = next_run(&b, at("2027-03-20T00:00:00Z")).expect("next");
        assert_eq!(next, at("2027-03-28T01:00:00Z"), "03:00 local, UTC+2");
    }

    #[test]
    fn schedules_are_checked_field_by_field() {
        assert_eq!(check_schedule(&body(Cadence::Weekly)), Ok(()));
        let mut b = body(Cadence::Weekly);
        b.period_days = 14;
        assert_eq!(check_schedule(&b).unwrap_err().0, "period_days");
        let mut b = body(Cadence::Weekly);
        b.recipients[0].address = Some("not an address".into());
        assert_eq!(check_schedule(&b).unwrap_err().0, "recipients");
        let mut b = body(Cadence::Weekly);
        b.recipients[0].language = Some("xx".into());
        assert_eq!(check_schedule(&b).unwrap_err().0, "recipients");
        let mut b = body(Cadence::Weekly);
        b.time_zone = "Mars/Olympus".into();
        assert_eq!(check_schedule(&b).unwrap_err().0, "time_zone");
        let mut b = body(Cadence::Weekly);
        b.weekday = 8;
        assert_eq!(check_schedule(&b).unwrap_err().0, "weekday");
    }

    #[test]
    fn states_take_the_last_day_and_events_the_sum_against_the_period_before() {
        let d0 = parse_day("2026-11-01").expect("day");
        let rolled: Vec<i64> = (0..14).map(|i| d0 + i * DAY_MS).collect();
        let daily: Daily = (0..14).map(|i| (d0 + i * DAY_MS, i + 1)).collect();
        let from = d0 + 7 * DAY_MS;
        let s = trend(&daily, Kind::State, from, 7, &rolled);
        assert_eq!(
            (s.value, s.previous, s.change()),
            (Some(14), Some(7), Some(7))
        );
        assert_eq!(s.days.len(), 7);
        assert_eq!(s.days[0], Some(8));
        let e = trend(&daily, Kind::Events, from, 7, &rolled);
        assert_eq!(e.value, Some((8..=14).sum()));
        assert_eq!(e.previous, Some((1..=7).sum()));
        // A day never rolled up is unknown, not zero; a period with none is unknown.
        let e = trend(&daily, Kind::Events, from + 7 * DAY_MS, 7, &rolled);
        assert_eq!((e.value, e.days[0]), (None, None));
        assert_eq!(day_label(from), "2026-11-08");
        assert_eq!(period_for(from + 5 * 3_600_000, 7), (d0, from));
    }
}
