use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::json;
use steward_proto::{device_credential, Platform};

use crate::helpers::*;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

#[tokio::test]
async fn bad_checkin_bodies_get_stable_codes_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (id, secret) = app.device("victim", Platform::Linux).await;
    let auth = format!("Bearer {}", device_credential(&id, &secret));
    let h = |extra: Option<(&'static str, &'static str)>| {
        let mut v = vec![
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
        ];
        v.extend(extra);
        v
    };
    let valid = serde_json::to_vec(&checkin(1, "victim")).expect("json");
    let (_, before) = app.get(&format!("/api/v1/devices/{id}")).await;

    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<u8>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "malformed",
            h(None),
            b"{\"seq\": 1,".to_vec(),
            400,
            "malformed_json",
        ),
        (
            "not utf-8",
            h(None),
            vec![b'{', 0xff, 0xfe, b'}'],
            400,
            "malformed_json",
        ),
        (
            "wrong type",
            h(None),
            br#"{"seq": "one", "os": {"name": "x", "version": "1", "hostname": "h"}}"#.to_vec(),
            400,
            "invalid_field",
        ),
        (
            "negative seq",
            h(None),
            br#"{"seq": -1, "os": {"name": "x", "version": "1", "hostname": "h"}}"#.to_vec(),
            400,
            "invalid_field",
        ),
        (
            "missing field",
            h(None),
            br#"{"seq": 1}"#.to_vec(),
            400,
            "invalid_field",
        ),
        (
            "unknown field",
            h(None),
            br#"{"seq": 1, "os": {"name": "x", "version": "1", "hostname": "h"}, "evil": 1}"#
                .to_vec(),
            400,
            "invalid_field",
        ),
        (
            "oversized",
            h(None),
            vec![b' '; 1024 * 1024 + 10],
            413,
            "payload_too_large",
        ),
        (
            "bad gzip",
            h(Some(("content-encoding", "gzip"))),
            b"this is not gzip".to_vec(),
            400,
            "bad_compression",
        ),
        (
            "gzip bomb",
            h(Some(("content-encoding", "gzip"))),
            gzip(&vec![b' '; 8 * 1024 * 1024]),
            413,
            "payload_too_large",
        ),
        (
            "no credentials",
            vec![("content-type", "application/json")],
            valid.clone(),
            401,
            "unauthorized",
        ),
    ];
    for (name, headers, body, status, want) in cases {
        let (s, b) = app.raw("/agent/v1/checkin", &headers, body).await;
        assert_eq!((s, code(&b)), (status, want), "{name}: {b}");
        assert!(
            b["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{name}"
        );
    }
    let mut long_host = checkin(1, &"h".repeat(300));
    long_host.os.kernel = "6.1".into();
    let (s, b) = app
        .raw(
            "/agent/v1/checkin",
            &h(None),
            serde_json::to_vec(&long_host).expect("json"),
        )
        .await;
    assert_eq!(
        (s, code(&b), b["error"]["field"].as_str()),
        (400, "field_too_long", Some("os.hostname")),
        "an over-long hostname"
    );
    let wrong_secret = format!("Bearer {}", device_credential(&id, "stwd_wrong"));
    let (s, b) = app
        .raw(
            "/agent/v1/checkin",
            &[("authorization", wrong_secret.as_str())],
            valid.clone(),
        )
        .await;
    assert_eq!((s, code(&b)), (401, "unauthorized"));
    let unknown = format!("Bearer {}", device_credential("no-such-device", &secret));
    let (s, b) = app
        .raw(
            "/agent/v1/checkin",
            &[("authorization", unknown.as_str())],
            valid.clone(),
        )
        .await;
    assert_eq!((s, code(&b)), (401, "unauthorized"));

    let (_, after) = app.get(&format!("/api/v1/devices/{id}")).await;
    assert_eq!(before, after, "rejected requests wrote nothing");

    // A valid gzip body works, and the server kept serving throughout.
    let (s, b) = app
        .raw(
            "/agent/v1/checkin",
            &h(Some(("content-encoding", "gzip"))),
            gzip(&valid),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["applied"], true);
    app.shutdown().await;
}

#[tokio::test]
async fn hostile_strings_are_stored_verbatim_or_refused() {
    let app = TestApp::spawn().await;
    let token = app.enrollment_token(Default::default()).await;
    let sql = "x'); DROP TABLE devices; --";
    let mut req = enroll_request(&token, sql, Platform::Windows);
    req.owner = "o'brien@example.com".into();
    let r = app.agent.enroll(&req).await.expect("enroll");
    let (_, dev) = app.get(&format!("/api/v1/devices/{}", r.device_id)).await;
    assert_eq!(dev["name"], sql);
    let (_, page) = app.get("/api/v1/devices?q=o%27brien").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    let (_, page) = app.get("/api/v1/devices?q=%25").await;
    assert_eq!(
        page["items"].as_array().map(Vec::len),
        Some(0),
        "% is matched literally"
    );

    let mut long = enroll_request(&token, &"h".repeat(10_000), Platform::Windows);
    long.hardware_id = "long".into();
    let e = app.agent.enroll(&long).await.expect_err("too long");
    assert_eq!(e.code(), Some("malformed_request"));
    let (status, _) = app
        .get(&format!("/api/v1/devices?q={}", "q".repeat(300)))
        .await;
    assert_eq!(status, 400);
    let (status, body) = app.get("/api/v1/devices").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["items"].as_array().map(Vec::len),
        Some(1),
        "still one device, table intact"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn errors_have_the_contract_shape_in_the_callers_language() {
    let app = TestApp::spawn().await;
    let fr = app
        .http
        .get(format!("{}/api/v1/devices", app.base))
        .header("accept-language", "fr-FR, fr;q=0.9")
        .send()
        .await
        .expect("req");
    assert_eq!(fr.status(), 401);
    let body: serde_json::Value = fr.json().await.expect("json");
    assert_eq!(code(&body), "unauthorized");
    assert_eq!(
        body["error"]["message"],
        "Identifiants manquants ou non valides."
    );

    let (status, body) = app.get("/api/v1/nothing-here").await;
    assert_eq!((status, code(&body)), (404, "not_found"));
    let resp = app
        .http
        .delete(format!("{}/agent/v1/checkin", app.base))
        .header("accept-language", "ko")
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 405);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(code(&body), "method_not_allowed");
    assert_eq!(
        body["error"]["message"],
        "이 경로에서는 허용되지 않는 메서드입니다."
    );
    let (status, body) = app
        .post_as(
            "/api/v1/enrollment-tokens",
            &app.admin_token,
            &json!({"max_uses": "ten"}),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "invalid_field"));
    app.shutdown().await;
}
