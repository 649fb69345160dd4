//! Reports: sixty days of a fleet driven on the server's clock, the daily rollup of each day,
//! and the report's trends checked against what happened, in JSON, CSV and PDF (its text in
//! five languages); scheduled reports delivered by e-mail.

use std::time::Duration;

use serde_json::{json, Value};
use steward_core::reports::{day_label, day_start, DAY_MS};
use steward_proto::Platform;

use crate::helpers::*;

const HOUR: i64 = 3_600_000;
const DEVICES: usize = 10;
const DAYS: i64 = 60;

/// Devices noncompliant at the end of day `d` (the first ones, by index).
fn noncompliant(d: i64) -> i64 {
    [0, 3, 1, 4, 2, 2, 0][d.rem_euclid(7) as usize]
}

/// Enrollments refused on day `d`.
fn refused(d: i64) -> i64 {
    d % 4
}

/// Moves the manual clock to `at` (forward only).
fn set_clock(app: &TestApp, at: i64) {
    let now = app.clock.now_ms();
    assert!(at >= now, "the clock only moves forward");
    app.clock.advance(Duration::from_millis((at - now) as u64));
}

/// Waits until the day starting at `day` is rolled up.
async fn rolled(app: &TestApp, day: i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if app
            .store
            .rolled_days(day)
            .await
            .expect("days")
            .contains(&day)
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "day {} was not rolled up",
            day_label(day)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn get_lang(app: &TestApp, path: &str, lang: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.base))
        .bearer_auth(&app.admin_token)
        .header("Accept-Language", lang)
        .send()
        .await
        .expect("request")
}

/// The figure of `section` with `metric` and `subject`.
fn figure<'a>(report: &'a Value, section: &str, metric: &str, subject: &str) -> &'a Value {
    report["sections"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["section"] == section))
        .and_then(|s| s["figures"].as_array())
        .and_then(|f| {
            f.iter()
                .find(|f| f["metric"] == metric && f["subject"] == subject)
        })
        .unwrap_or_else(|| panic!("no figure {section}/{metric}/{subject} in {report}"))
}

#[tokio::test]
async fn sixty_days_of_a_fleet_add_up_to_the_trends_of_the_report() {
    let app = TestApp::spawn_manual(|c| {
        // The sweeper stays out of the way: every figure comes from what the test does.
        c.fleet.sweep_interval_secs = 3600;
    })
    .await;
    let day0 = day_start(app.clock.now_ms()) + DAY_MS;
    set_clock(&app, day0 + HOUR);
    let token = app.enrollment_token(Default::default()).await;
    let mut devices = Vec::new();
    for i in 0..DEVICES {
        devices.push(app.enroll(&token, &format!("r-{i}"), Platform::Linux).await);
    }
    let (s, body) = app
        .post_as(
            "/api/v1/policies",
            &app.admin_token,
            &json!({"name": "Firewall", "rules": [{"rule": "firewall_required"}], "grace_hours": 0}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let policy_id = body["id"].as_str().expect("id").to_string();
    let (s, body) = app
        .post_as(
            "/api/v1/alert-rules",
            &app.admin_token,
            &json!({"name": "Noncompliant", "severity": "critical", "condition": {"type": "noncompliant"}}),
        )
        .await;
    assert_eq!(s, 201, "{body}");

    // What happened, day by day.
    let mut opened = vec![0i64; DAYS as usize];
    let mut resolved = vec![0i64; DAYS as usize];
    let mut resolve_ms = vec![0i64; DAYS as usize];
    let mut open_since: Vec<Option<i64>> = vec![None; DEVICES];
    let mut seq = 0;
    for d in 0..DAYS {
        let at = day0 + d * DAY_MS + HOUR;
        set_clock(&app, at);
        if d > 0 {
            rolled(&app, at - HOUR - DAY_MS).await;
        }
        seq += 1;
        for (i, dev) in devices.iter().enumerate() {
            let failing = (i as i64) < noncompliant(d);
            let mut req = checkin(seq, &format!("r-{i}"));
            let mut facts = serde_json::Map::new();
            facts.insert("firewall_active".into(), json!(!failing));
            req.compliance = Some(facts);
            let r = app
                .agent
                .checkin(&dev.0, &dev.1, &req)
                .await
                .expect("checkin");
            assert!(r.applied);
            match (failing, open_since[i]) {
                (true, None) => {
                    open_since[i] = Some(d);
                    opened[d as usize] += 1;
                }
                (false, Some(since)) => {
                    open_since[i] = None;
                    resolved[d as usize] += 1;
                    resolve_ms[d as usize] += (d - since) * DAY_MS;
                }
                _ => {}
            }
        }
        for _ in 0..refused(d) {
            let refused = app
                .agent
                .enroll(&enroll_request("not-a-token", "stranger", Platform::Linux))
                .await;
            assert!(refused.is_err());
        }
        // An hour later the on-call person acknowledges what fired today.
        set_clock(&app, at + HOUR);
        let (_, firing) = app.get("/api/v1/alerts?state=firing&limit=100").await;
        for a in firing["items"].as_array().expect("alerts") {
            let path = format!(
                "/api/v1/alerts/{}/acknowledge",
                a["id"].as_str().expect("id")
            );
            let (s, body) = app.post_as(&path, &app.admin_token, &json!({})).await;
            assert_eq!(s, 200, "{body}");
        }
    }
    set_clock(&app, day0 + DAYS * DAY_MS + HOUR);
    rolled(&app, day0 + (DAYS - 1) * DAY_MS).await;

    // The stored figures, day by day.
    let to = day_label(day0 + (DAYS - 1) * DAY_MS);
    let (s, devices_rows) = app
        .get(&format!(
            "/api/v1/reports/devices?from={}&to={to}",
            day_label(day0)
        ))
        .await;
    assert_eq!(s, 200, "{devices_rows}");
    let value_of = |rows: &Value, day: i64, metric: &str, subject: &str| -> i64 {
        rows["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .filter(|r| {
                r["day"] == day_label(day) && r["metric"] == metric && r["subject"] == subject
            })
            .map(|r| r["value"].as_i64().unwrap_or(0))
            .sum()
    };
    let (_, alert_rows) = app
        .get(&format!(
            "/api/v1/reports/alerts?from={}&to={to}",
            day_label(day0)
        ))
        .await;
    let (_, enrollment_rows) = app
        .get(&format!(
            "/api/v1/reports/enrollments?from={}&to={to}",
            day_label(day0)
        ))
        .await;
    let (_, policy_rows) = app
        .get(&format!(
            "/api/v1/reports/policies?from={}&to={to}",
            day_label(day0)
        ))
        .await;
    let rule_subject = format!("{policy_id}/firewall_required");
    for d in 0..DAYS {
        let day = day0 + d * DAY_MS;
        let nc = noncompliant(d);
        assert_eq!(
            value_of(&devices_rows, day, "total", ""),
            DEVICES as i64,
            "day {d}"
        );
        assert_eq!(
            value_of(&devices_rows, day, "compliance:noncompliant", ""),
            nc,
            "day {d}"
        );
        assert_eq!(
            value_of(&devices_rows, day, "compliance:compliant", ""),
            DEVICES as i64 - nc,
            "day {d}"
        );
        assert_eq!(
            value_of(&policy_rows, day, "fail", &rule_subject),
            nc,
            "day {d}"
        );
        assert_eq!(
            value_of(&alert_rows, day, "opened", "severity:critical"),
            opened[d as usize],
            "alerts opened on day {d}"
        );
        assert_eq!(
            value_of(&alert_rows, day, "resolved", "severity:critical"),
            resolved[d as usize],
            "alerts resolved on day {d}"
        );
        assert_eq!(
            value_of(&enrollment_rows, day, "refused:unknown_token", ""),
            refused(d),
            "enrollments refused on day {d}"
        );
    }

    // The 30-day report: the last 30 days against the 30 before.
    let (s, report) = app.get("/api/v1/reports?days=30").await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["from"], day_label(day0 + 30 * DAY_MS));
    assert_eq!(report["to"], to);
    assert_eq!(report["rolled_days"], 30);
    let nc = figure(&report, "devices", "compliance:noncompliant", "");
    assert_eq!(nc["value"], noncompliant(DAYS - 1));
    assert_eq!(nc["previous"], noncompliant(29));
    let by_day: Vec<i64> = (30..DAYS).map(noncompliant).collect();
    assert_eq!(nc["by_day"], json!(by_day));
    let sum = |v: &[i64], r: std::ops::Range<usize>| -> i64 { v[r].iter().sum() };
    let o = figure(&report, "alerts", "opened", "");
    assert_eq!(o["value"], sum(&opened, 30..60));
    assert_eq!(o["previous"], sum(&opened, 0..30));
    assert_eq!(o["change"], sum(&opened, 30..60) - sum(&opened, 0..30));
    let r = figure(&report, "alerts", "resolved", "");
    assert_eq!(r["value"], sum(&resolved, 30..60));
    let ack = figure(&report, "alerts", "ack_ms", "");
    assert_eq!(
        ack["value"], HOUR,
        "every alert acknowledged an hour after it fired"
    );
    let mean_resolve = sum(&resolve_ms, 30..60) / sum(&resolved, 30..60);
    assert_eq!(
        figure(&report, "alerts", "resolve_ms", "")["value"],
        mean_resolve
    );
    let e = figure(&report, "enrollments", "refused", "");
    let refused_now: i64 = (30..DAYS).map(refused).sum();
    let refused_before: i64 = (0..30).map(refused).sum();
    assert_eq!(
        (e["value"].as_i64(), e["previous"].as_i64()),
        (Some(refused_now), Some(refused_before))
    );
    let ok = figure(&report, "enrollments", "succeeded", "");
    assert_eq!(
        (ok["value"].as_i64(), ok["previous"].as_i64()),
        (Some(0), Some(DEVICES as i64))
    );
    let failing = figure(&report, "policies", "fail", &rule_subject);
    assert_eq!(failing["value"], noncompliant(DAYS - 1));
    assert!(
        failing["label"].as_str().unwrap_or("").contains("Firewall"),
        "a rule is named by its policy: {failing}"
    );

    // The same report as CSV, one line per figure and day.
    let csv = get_lang(&app, "/api/v1/reports?days=30&format=csv", "en").await;
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.expect("csv");
    assert!(csv.starts_with("section,figure,day,value"), "{csv}");
    let last_nc = format!(
        "devices,Compliance: Noncompliant,{to},{}",
        noncompliant(DAYS - 1)
    );
    assert!(csv.lines().any(|l| l == last_nc), "{last_nc} in\n{csv}");

    // And as PDF in every language: the text holds the same figures in the reader's words.
    let dir = tempfile::tempdir().expect("dir");
    for lang in steward_core::Lang::ALL {
        let resp = get_lang(&app, "/api/v1/reports?days=30&format=pdf", lang.code()).await;
        assert_eq!(resp.status(), 200, "{lang:?}");
        assert_eq!(resp.headers()["content-type"], "application/pdf");
        let pdf = resp.bytes().await.expect("pdf");
        let path = dir.path().join(format!("{}.pdf", lang.code()));
        std::fs::write(&path, &pdf).expect("write");
        let out = std::process::Command::new("pdftotext")
            .args(["-layout", "-enc", "UTF-8"])
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext (Debian package poppler-utils)");
        assert!(out.status.success(), "pdftotext: {out:?}");
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let t = |key: &str| steward_core::t(lang, key);
        for key in [
            "report-title",
            "report-section-devices",
            "report-section-alerts",
            "report-alerts-opened",
            "report-enrollments-refused",
        ] {
            assert!(
                text.contains(&t(key)),
                "{lang:?}: {key} ({}) in\n{text}",
                t(key)
            );
        }
        let line_of = |label: &str| -> String {
            text.lines()
                .find(|l| l.trim_start().starts_with(label))
                .unwrap_or_else(|| panic!("{lang:?}: no line {label} in\n{text}"))
                .to_string()
        };
        let opened_line = line_of(&t("report-alerts-opened"));
        let words: Vec<&str> = opened_line.split_whitespace().collect();
        let change = sum(&opened, 30..60) - sum(&opened, 0..30);
        let change = match change {
            0 => "±0".to_string(),
            c if c > 0 => format!("+{c}"),
            c => c.to_string(),
        };
        assert_eq!(
            &words[words.len() - 2..],
            &[sum(&opened, 30..60).to_string().as_str(), change.as_str()],
            "{lang:?}: {opened_line}"
        );
        let refused_line = line_of(&t("report-enrollments-refused"));
        assert!(
            refused_line
                .split_whitespace()
                .any(|w| w == refused_now.to_string()),
            "{lang:?}: {refused_line}"
        );
    }
    app.shutdown().await;
}
