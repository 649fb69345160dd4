//! The help desk: knowledge-base search in every language (a misspelled query too), articles
//! with revisions and feedback, the troubleshooting view of a device user with the failure
//! codes explained, requests to a device answered through its check-ins, notes, and what the
//! help-desk role may and may not do.

use serde_json::{json, Value};
use steward_core::Role;
use steward_proto::{ActionResult, AppInstall, Platform};

use crate::helpers::*;

async fn first_hit(app: &TestApp, query: &str, lang: &str) -> String {
    let url = format!(
        "/api/v1/kb/search?q={}&lang={lang}",
        steward_server::console::urlencode(query)
    );
    let (s, body) = app.get(&url).await;
    assert_eq!(s, 200, "{body}");
    body["items"][0]["slug"]
        .as_str()
        .unwrap_or_else(|| panic!("nothing found for {query:?}: {body}"))
        .to_string()
}

#[tokio::test]
async fn search_finds_the_right_article_in_every_language_even_misspelled() {
    let app = TestApp::spawn().await;
    for (lang, query, slug) in [
        ("en", "expired enrollment token", "enrollment-token-invalid"),
        // Misspelled: "enrolment", "tokn", "expird".
        ("en", "enrolment tokn expird", "enrollment-token-invalid"),
        (
            "fr",
            "protection en temps réel désactivée",
            "realtime-protection-off",
        ),
        // Misspelled and without accents: "definitons", "obsoletes".
        (
            "fr",
            "définitons antivirus obsoletes",
            "definitions-out-of-date",
        ),
        ("sv", "enheten checkar inte in", "silent-device"),
        ("sv", "appinstalationen misslyckades", "app-install-failed"),
        ("de", "Gerät meldet sich nicht", "silent-device"),
        ("de", "Plattform gespert", "blocked-platform"),
        ("ko", "앱 설치 실패", "app-install-failed"),
        ("ko", "실시간 보호가 꺼져", "realtime-protection-off"),
        ("en", "0x80070643", "app-install-failed"),
    ] {
        assert_eq!(first_hit(&app, query, lang).await, slug, "{lang}: {query}");
    }
    let (_, none) = app.get("/api/v1/kb/search?q=zebra%20giraffe&lang=en").await;
    assert_eq!(none["total"], 0, "{none}");
    let (s, body) = app.get("/api/v1/kb/search?q=%20").await;
    assert_eq!((s, code(&body)), (400, "invalid_query"));
    let (s, body) = app.get("/api/v1/kb/search?q=x&lang=tlh").await;
    assert_eq!((s, code(&body)), (400, "invalid_query"));
    app.shutdown().await;
}

#[tokio::test]
async fn articles_keep_revisions_feedback_shows_gaps_and_search_follows_changes() {
    let app = TestApp::spawn().await;
    let desk = app.token_with_role(Role::Helpdesk).await;
    let article = json!({
        "slug": "printer-offline",
        "title": {"en": "Printer shows offline", "de": "Drucker ist offline"},
        "body": {"en": "Restart the print spooler.", "de": "Druckwarteschlange neu starten."},
        "tags": ["printing"],
        "codes": ["0x00000709"],
        "owner": "desk@example.org"
    });
    let (s, a) = app.post_as("/api/v1/kb/articles", &desk, &article).await;
    assert_eq!(s, 201, "the help desk keeps its own articles: {a}");
    let id = a["id"].as_str().expect("id").to_string();
    let (s, body) = app.post_as("/api/v1/kb/articles", &desk, &article).await;
    assert_eq!((s, code(&body)), (409, "conflict"), "the slug is taken");
    let (s, body) = app
        .post_as(
            "/api/v1/kb/articles",
            &desk,
            &json!({"slug": "Bad Slug", "title": {"en": "x"}}),
        )
        .await;
    assert_eq!((s, code(&body)), (400, "invalid_field"));
    assert_eq!(first_hit(&app, "spooler", "en").await, "printer-offline");
    // The list comes a page at a time, by slug: the eight starter articles and this one.
    let mut slugs = Vec::new();
    let mut url = "/api/v1/kb/articles?limit=4".to_string();
    loop {
        let (s, page) = app.get_as(&url, &desk).await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(page["total"], 9);
        slugs.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|a| a["slug"].as_str().unwrap_or("").to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/kb/articles?limit=4&cursor={c}"),
            None => break,
        }
    }
    let mut sorted = slugs.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!((slugs.len(), &slugs), (9, &sorted));

    let mut changed = article.clone();
    changed["body"]["en"] = json!("Clear the queue, then restart the print spooler service.");
    let resp = app
        .http
        .put(format!("{}/api/v1/kb/articles/{id}", app.base))
        .bearer_auth(&desk)
        .json(&changed)
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status(), 200);
    let (_, detail) = app.get("/api/v1/kb/articles/printer-offline").await;
    assert_eq!(detail["revision"], 2);
    let revisions = detail["revisions"].as_array().expect("revisions");
    assert_eq!(revisions.len(), 2);
    assert_eq!(
        revisions[1]["article"]["body"]["en"],
        "Restart the print spooler."
    );
    assert_eq!(first_hit(&app, "queue", "en").await, "printer-offline");

    // Five cases, one solved: the article shows up as a gap for the operator.
    for solved in [true, false, false, false, false] {
        let (s, _) = app
            .post_as(
                &format!("/api/v1/kb/articles/{id}/feedback"),
                &desk,
                &json!({"solved": solved, "code": "0x00000709"}),
            )
            .await;
        assert_eq!(s, 204);
    }
    let (_, gaps) = app.get("/api/v1/kb/gaps").await;
    let low = gaps["items"]
        .as_array()
        .expect("gaps")
        .iter()
        .find(|g| g["kind"] == "low_success")
        .expect("low success gap");
    assert_eq!(low["slug"], "printer-offline");
    assert_eq!(low["score"], json!({"solved": 1, "not_solved": 4}));
    let (_, detail) = app.get(&format!("/api/v1/kb/articles/{id}")).await;
    assert_eq!(detail["success_percent"], 20);
    app.shutdown().await;
}

#[tokio::test]
async fn the_troubleshooting_view_explains_a_users_failures_and_a_request_gets_its_answer() {
    let app = TestApp::spawn().await;
    let desk = app.token_with_role(Role::Helpdesk).await;
    let readonly = app.token_with_role(Role::Readonly).await;
    // ana's laptop enrolls, then her second device is refused (an unknown token).
    let (dev, secret) = app.device("ana", Platform::Windows).await;
    let refused = app
        .agent
        .enroll(&enroll_request("stwe_nope", "ana", Platform::Macos))
        .await;
    assert!(refused.is_err());
    let mut req = checkin(1, "ana");
    req.app_installs = vec![
        AppInstall {
            app_id: "vpn".into(),
            name: "VPN client".into(),
            version: "7.2".into(),
            state: "failed".into(),
            error_code: Some("0x80070643".into()),
            ..AppInstall::default()
        },
        AppInstall {
            app_id: "office".into(),
            name: "Office".into(),
            version: "16".into(),
            state: "installed".into(),
            error_code: None,
            ..AppInstall::default()
        },
    ];
    app.agent
        .checkin(&dev, &secret, &req)
        .await
        .expect("checkin");
    let mut bad = checkin(2, "ana");
    bad.app_installs = vec![AppInstall {
        app_id: String::new(),
        name: "x".into(),
        version: String::new(),
        state: "exploded".into(),
        error_code: None,
        ..AppInstall::default()
    }];
    assert!(
        app.agent.checkin(&dev, &secret, &bad).await.is_err(),
        "refused whole"
    );

    let (s, found) = app.get_as("/api/v1/troubleshoot/users?q=AN", &desk).await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["items"], json!(["ana@example.com"]));
    let (s, view) = app
        .get_as("/api/v1/troubleshoot/users/ana@example.com", &desk)
        .await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["issues"]["devices"], 1);
    assert_eq!(view["issues"]["failed_enrollments"], 1);
    assert_eq!(view["issues"]["failed_installs"], 1);
    let failed = &view["enrollments"][0];
    assert_eq!(failed["result"], "unknown_token");
    assert_eq!(
        failed["failure"]["article_slug"],
        "enrollment-token-invalid"
    );
    assert!(failed["failure"]["explanation"]
        .as_str()
        .is_some_and(|e| e.contains("does not exist")));
    let install = &view["installs"][0];
    assert_eq!(install["error_code"], "0x80070643");
    assert_eq!(install["failure"]["article_slug"], "app-install-failed");
    assert!(install["failure"]["explanation"]
        .as_str()
        .is_some_and(|e| e.contains("1603")));
    let (s, _) = app
        .get_as("/api/v1/troubleshoot/users/ana@example.com", &readonly)
        .await;
    assert_eq!(s, 403, "read-only stakeholders do not troubleshoot");
    let (s, _) = app
        .get_as("/api/v1/troubleshoot/users/nobody@example.com", &desk)
        .await;
    assert_eq!(s, 404);

    // The help desk asks the device to check in; it gets the request once and answers.
    let (s, body) = app
        .post_as(
            &format!("/api/v1/devices/{dev}/requests"),
            &desk,
            &json!({"kind": "reboot"}),
        )
        .await;
    assert_eq!((s, code(&body)), (400, "invalid_field"));
    let (s, r) = app
        .post_as(
            &format!("/api/v1/devices/{dev}/requests"),
            &desk,
            &json!({"kind": "sync"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let rid = r["id"].as_str().expect("id").to_string();
    let resp = app
        .agent
        .checkin(&dev, &secret, &checkin(3, "ana"))
        .await
        .expect("checkin");
    let action = resp
        .actions
        .iter()
        .find(|a| a.kind == "sync")
        .expect("the request");
    let again = app
        .agent
        .checkin(&dev, &secret, &checkin(4, "ana"))
        .await
        .expect("checkin");
    assert!(
        again.actions.iter().all(|a| a.kind != "sync"),
        "handed once"
    );
    let (_, list) = app
        .get_as(&format!("/api/v1/devices/{dev}/requests"), &desk)
        .await;
    assert!(list["items"][0]["sent_at"].is_string());
    assert_eq!(list["items"][0]["answered_at"], Value::Null);
    let mut answer = checkin(5, "ana");
    answer.action_results = vec![ActionResult {
        action_id: action.id.clone(),
        ok: true,
        code: Some("checked_in".into()),
        message: None,
        script: None,
    }];
    app.agent
        .checkin(&dev, &secret, &answer)
        .await
        .expect("checkin");
    let (_, view) = app
        .get_as("/api/v1/troubleshoot/users/ana@example.com", &desk)
        .await;
    let r = &view["requests"][0];
    assert_eq!(
        (r["id"].as_str(), &r["ok"], &r["code"]),
        (Some(rid.as_str()), &json!(true), &json!("checked_in"))
    );

    // A note on the timeline; the device's history shows the request, its answer and the note.
    let (s, _) = app
        .post_as(
            &format!("/api/v1/devices/{dev}/notes"),
            &desk,
            &json!({"text": "Called Ana, VPN reinstall planned"}),
        )
        .await;
    assert_eq!(s, 201);
    let (_, d) = app.get(&format!("/api/v1/devices/{dev}")).await;
    let kinds: Vec<&str> = d["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(
        ["note", "request_answered", "request"]
            .iter()
            .all(|k| kinds.contains(k)),
        "{kinds:?}"
    );
    let (_, audit) = app.get("/api/v1/audit?action=device.request").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1));

    // Outside the help desk's role: policies, rules, tokens.
    let (s, _) = app
        .post_as(
            "/api/v1/policies",
            &desk,
            &json!({"name": "x", "rules": []}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .post_as(
            &format!("/api/v1/devices/{dev}/requests"),
            &readonly,
            &json!({"kind": "sync"}),
        )
        .await;
    assert_eq!(s, 403);
    // Without e-mail, the help desk (who may not create enrollment tokens) is told so, and an
    // administrator gets the token and its command to hand over.
    let (s, body) = app
        .post_as(
            "/api/v1/troubleshoot/users/ana@example.com/invite",
            &desk,
            &json!({}),
        )
        .await;
    assert_eq!((s, code(&body)), (409, "mail_not_configured"));
    let (s, body) = app
        .post_as(
            "/api/v1/troubleshoot/users/ana@example.com/invite",
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["mailed"], false);
    let token = body["token"].as_str().expect("the token, to hand over");
    assert!(token.starts_with("stwe_"), "{token}");
    let command = body["command"].as_str().expect("the command");
    assert!(command.contains(token) && command.contains("--owner 'ana@example.com'"));
    // The token is single use and enrolls a device.
    let dev = app.enroll(token, "ana-laptop", Platform::Linux).await;
    assert!(!dev.0.is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn an_invitation_mails_a_single_use_token_that_enrolls() {
    let smtp = Smtp::start().await;
    let app = TestApp::spawn_with(|c| smtp.configure(c)).await;
    let desk = app.token_with_role(Role::Helpdesk).await;
    let (s, r) = app
        .post_as(
            "/api/v1/troubleshoot/users/bo@example.com/invite",
            &desk,
            &json!({"language": "sv"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let mail = smtp.wait_for(1).await.remove(0);
    assert!(mail.headers["to"].contains("bo@example.com"));
    assert_eq!(mail.headers["subject"], "Registrera din enhet");
    let token = mail
        .body
        .split_whitespace()
        .find(|w| w.starts_with("stwe_"))
        .expect("a token in the mail")
        .to_string();
    app.enroll(&token, "bo", Platform::Linux).await;
    assert!(
        app.agent
            .enroll(&enroll_request(&token, "bo-second", Platform::Linux))
            .await
            .is_err(),
        "single use"
    );
    app.shutdown().await;
}
