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
    assert_eq!(s, 202, "{body}");
    app.settled(&body).await;
    let policy_id = body["id"].as_str().expect("id").to_string();
    let (s, body) = app
        .post_as(
            "/api/v1/alert-rules",
            &app.admin_token,
            &json!({"name": "Noncompliant", "severity": "critical", "condition": {"type": "noncompliant"}}),
        )
        .await;
    assert_eq!(s, 202, "{body}");
    app.settled(&body).await;

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

/// The parts of a MIME e-mail: each part's headers (names lower-cased) and decoded bytes.
fn mime_parts(raw: &str) -> Vec<(std::collections::HashMap<String, String>, Vec<u8>)> {
    use base64::Engine;
    let raw = raw.replace("\r\n", "\n");
    let boundary = raw
        .split("boundary=")
        .nth(1)
        .map(|b| b.trim_start_matches('"'))
        .and_then(|b| b.split(['"', '\n', ';']).next())
        .expect("a multipart e-mail")
        .to_string();
    raw.split(&format!("--{boundary}"))
        .skip(1)
        .filter(|p| !p.starts_with("--"))
        .map(|part| {
            let (head, body) = part
                .trim_start_matches('\n')
                .split_once("\n\n")
                .unwrap_or((part, ""));
            let mut headers = std::collections::HashMap::new();
            let mut last = String::new();
            for line in head.lines() {
                if line.starts_with([' ', '\t']) {
                    headers
                        .entry(last.clone())
                        .and_modify(|v: &mut String| v.push_str(line.trim()));
                } else if let Some((k, v)) = line.split_once(':') {
                    last = k.trim().to_ascii_lowercase();
                    headers.insert(last.clone(), v.trim().to_string());
                }
            }
            let bytes = match headers.get("content-transfer-encoding").map(String::as_str) {
                Some("base64") => base64::engine::general_purpose::STANDARD
                    .decode(body.split_whitespace().collect::<String>())
                    .expect("base64 part"),
                _ => body.as_bytes().to_vec(),
            };
            (headers, bytes)
        })
        .collect()
}

/// The text of a PDF (pdftotext).
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, pdf).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian package poppler-utils)");
    assert!(out.status.success(), "pdftotext: {out:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Checks one report e-mail: its language's subject, an HTML summary, the PDF (its text in
/// that language) and the CSV attached.
fn check_report_mail(raw: &str, lang: steward_core::Lang) {
    let parts = mime_parts(raw);
    let kinds: Vec<String> = parts
        .iter()
        .map(|(h, _)| h.get("content-type").cloned().unwrap_or_default())
        .collect();
    assert!(
        kinds.iter().any(|k| k.starts_with("text/html")),
        "{kinds:?}"
    );
    let pdf = parts
        .iter()
        .find(|(h, _)| {
            h.get("content-type")
                .is_some_and(|k| k.starts_with("application/pdf"))
        })
        .expect("a PDF attached");
    assert!(pdf
        .0
        .get("content-disposition")
        .is_some_and(|d| d.contains("attachment")));
    let text = pdf_text(&pdf.1);
    assert!(
        text.contains(&steward_core::t(lang, "report-section-devices")),
        "{lang:?}: {text}"
    );
    let csv = parts
        .iter()
        .find(|(h, _)| {
            h.get("content-type")
                .is_some_and(|k| k.starts_with("text/csv"))
        })
        .expect("a CSV attached");
    assert!(String::from_utf8_lossy(&csv.1).starts_with("section,figure,day,value"));
}

fn schedule_body(weekday: u32, recipients: Value) -> Value {
    json!({
        "name": "Fleet health weekly",
        "sections": ["devices", "alerts", "enrollments"],
        "period_days": 7,
        "recipients": recipients,
        "cadence": "weekly",
        "weekday": weekday,
        "hour": 7,
        "time_zone": "Europe/Stockholm",
    })
}

#[tokio::test]
async fn a_weekly_report_reaches_each_recipient_once_per_week_in_their_language() {
    use chrono::Datelike;
    let smtp = Smtp::start().await;
    let app = TestApp::spawn_manual(|c| smtp.configure(c)).await;
    let user = steward_server::auth::create_user(
        &app.store,
        "cio@example.org",
        &[steward_core::Role::Readonly],
        &[],
        "a long enough password",
        &steward_store::audit::Actor::cli(),
    )
    .await
    .expect("user");
    set_language(&app, &user.id, "sv").await;
    let now = app.clock.now_ms();
    // Two days from now (so the day's rollup passes first), at 07:00 in Stockholm.
    let weekday = chrono::DateTime::from_timestamp_millis(now + 2 * DAY_MS)
        .expect("time")
        .weekday()
        .number_from_monday();
    let recipients =
        json!([{"user": "cio@example.org"}, {"address": "board@example.com", "language": "de"}]);
    for bad in [
        json!({"period_days": 14}),
        json!({"time_zone": "Mars/Olympus"}),
        json!({"recipients": [{"address": "not an address"}]}),
        json!({"recipients": []}),
        json!({"weekday": 9}),
    ] {
        let mut body = schedule_body(weekday, recipients.clone());
        for (k, v) in bad.as_object().expect("object") {
            body[k] = v.clone();
        }
        let (s, b) = app
            .post_as("/api/v1/report-schedules", &app.admin_token, &body)
            .await;
        assert_eq!((s, code(&b)), (400, "invalid_field"), "{bad}: {b}");
    }
    let stakeholder = app.token_with_role(steward_core::Role::Readonly).await;
    let (s, _) = app
        .post_as(
            "/api/v1/report-schedules",
            &stakeholder,
            &schedule_body(weekday, recipients.clone()),
        )
        .await;
    assert_eq!(
        s, 403,
        "stakeholders read reports, they do not schedule them"
    );
    let (s, schedule) = app
        .post_as(
            "/api/v1/report-schedules",
            &app.admin_token,
            &schedule_body(weekday, recipients),
        )
        .await;
    assert_eq!(s, 201, "{schedule}");
    let id = schedule["id"].as_str().expect("id").to_string();
    let due = steward_core::time::parse_rfc3339(schedule["next_run_at"].as_str().expect("due"))
        .expect("time");
    assert!(due > now + DAY_MS && due <= now + 3 * DAY_MS, "{schedule}");

    // Nothing before it is due.
    set_clock(&app, due - 60_000);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(smtp.raw_mails().is_empty());
    set_clock(&app, due + 60_000);
    smtp.wait_for(2).await;
    let raw = smtp.raw_mails();
    assert_eq!(raw.len(), 2);
    let mails = smtp.mails();
    for (address, lang) in [
        ("cio@example.org", steward_core::Lang::Sv),
        ("board@example.com", steward_core::Lang::De),
    ] {
        let i = mails
            .iter()
            .position(|m| m.headers.get("to").is_some_and(|t| t.contains(address)))
            .unwrap_or_else(|| panic!("no mail to {address}"));
        let subject = &mails[i].headers["subject"];
        let (from, to) = steward_core::reports::period_for(due, 7);
        let period = steward_core::t_args(
            lang,
            "report-period",
            &[("from", day_label(from)), ("to", day_label(to - DAY_MS))],
        );
        assert!(subject.contains(&period), "{lang:?}: {subject}");
        check_report_mail(&raw[i], lang);
    }

    // Later the same week: nothing more. A week on: the next report.
    set_clock(&app, due + 3 * DAY_MS);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.raw_mails().len(), 2, "once per period");
    set_clock(&app, due + 7 * DAY_MS + 60_000);
    smtp.wait_for(4).await;
    // "Send now" makes one more for each recipient, and the history lists all three.
    let (s, run) = app
        .post_as(
            &format!("/api/v1/report-schedules/{id}/send"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 202, "{run}");
    assert_eq!(run["manual"], true);
    smtp.wait_for(6).await;
    let (_, runs) = app
        .get(&format!("/api/v1/report-schedules/{id}/runs"))
        .await;
    let items = runs["items"].as_array().expect("runs");
    assert_eq!(items.len(), 3, "{runs}");
    assert!(items.iter().all(|r| r["recipients"] == 2), "{runs}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.raw_mails().len(), 6);
    let (_, audit) = app.get("/api/v1/audit?action=report.send").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(3), "{audit}");
    app.shutdown().await;
}

#[tokio::test]
async fn two_servers_send_a_due_report_once_to_each_recipient() {
    let smtp = Smtp::start().await;
    let db = TestDb::new().await;
    let ports = [free_port(), free_port()];
    let mut servers = Vec::new();
    for port in ports {
        servers.push(start_with_env(&db, port, &smtp.env()).await);
    }
    let admin = cli(&db, &["token", "create", "--role", "admin"]);
    let http = reqwest::Client::new();
    let body = schedule_body(
        1,
        json!([{"address": "ops@example.com", "language": "fr"},
               {"address": "cto@example.com", "language": "ko"}]),
    );
    let created: Value = http
        .post(format!(
            "http://127.0.0.1:{}/api/v1/report-schedules",
            ports[0]
        ))
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id").to_string();
    // The schedule falls due now (as a week passing would make it).
    let store = steward_store::Store::open(&db.url).await.expect("store");
    let mut s = store.report_schedule(&id).await.expect("schedule");
    s.next_run_at = steward_core::time::now_ms() - 1000;
    store
        .put_report_schedule(&s, false, &steward_store::audit::Actor::cli())
        .await
        .expect("due");
    smtp.wait_for(2).await;
    // Both servers look for due reports every few seconds: wait for a few rounds.
    tokio::time::sleep(steward_server::reports::SCHEDULE_POLL * 2).await;
    let raw = smtp.raw_mails();
    assert_eq!(raw.len(), 2, "once per recipient");
    let mails = smtp.mails();
    for (address, lang) in [
        ("ops@example.com", steward_core::Lang::Fr),
        ("cto@example.com", steward_core::Lang::Ko),
    ] {
        let i = mails
            .iter()
            .position(|m| m.headers.get("to").is_some_and(|t| t.contains(address)))
            .unwrap_or_else(|| panic!("no mail to {address}"));
        check_report_mail(&raw[i], lang);
    }
    let runs: Value = http
        .get(format!(
            "http://127.0.0.1:{}/api/v1/report-schedules/{id}/runs",
            ports[1]
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("runs")
        .json()
        .await
        .expect("json");
    assert_eq!(runs["items"].as_array().map(Vec::len), Some(1), "{runs}");
    let after = store.report_schedule(&id).await.expect("schedule");
    assert!(
        after.next_run_at > steward_core::time::now_ms(),
        "the schedule moved on"
    );
    drop(servers);
}
