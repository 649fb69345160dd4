use std::collections::HashSet;

use steward_proto::Platform;

use crate::helpers::*;

async fn fleet(app: &TestApp) -> Vec<(String, String)> {
    let token = app.enrollment_token(Default::default()).await;
    let mut ids = Vec::new();
    for i in 0..45 {
        let platform = [Platform::Windows, Platform::Macos, Platform::Linux][i % 3];
        let (id, secret) = app.enroll(&token, &format!("dev-{i:03}"), platform).await;
        app.agent
            .checkin(&id, &secret, &checkin(1, &format!("dev-{i:03}")))
            .await
            .expect("checkin");
        ids.push((id, secret));
    }
    ids
}

#[tokio::test]
async fn cursor_pages_cover_every_device_once_in_order() {
    let app = TestApp::spawn().await;
    let ids = fleet(&app).await;
    for sort in ["name", "-name", "last_seen_at", "-enrolled_at"] {
        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let (status, page) = app
                .get(&format!("/api/v1/devices?limit=7&sort={sort}{cursor}"))
                .await;
            assert_eq!(status, 200, "{page}");
            let items = page["items"].as_array().expect("items");
            assert!(items.len() <= 7);
            seen.extend(items.iter().map(|d| {
                (
                    d["id"].as_str().unwrap_or("").to_string(),
                    d["name"].as_str().unwrap_or("").to_string(),
                )
            }));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), ids.len(), "{sort}");
        let unique: HashSet<_> = seen.iter().map(|s| s.0.clone()).collect();
        assert_eq!(unique.len(), ids.len(), "{sort}: duplicates across pages");
        if sort == "name" {
            let names: Vec<_> = seen.iter().map(|s| s.1.clone()).collect();
            let mut sorted = names.clone();
            sorted.sort();
            assert_eq!(names, sorted);
        }
        if sort == "-name" {
            assert_eq!(seen[0].1, "dev-044");
        }
    }
    app.shutdown().await;
}

#[tokio::test]
async fn filters_narrow_the_list() {
    let app = TestApp::spawn().await;
    let devices = fleet(&app).await;
    let count = |body: &serde_json::Value| body["items"].as_array().map(Vec::len).unwrap_or(0);
    let (_, mac) = app.get("/api/v1/devices?platform=macos&limit=100").await;
    assert_eq!(count(&mac), 15);
    assert!(mac["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|d| d["platform"] == "macos"));
    let (_, q) = app.get("/api/v1/devices?q=DEV-01").await;
    assert_eq!(count(&q), 10, "case-insensitive substring on the name");
    let (_, q) = app.get("/api/v1/devices?q=sn-dev-002").await;
    assert_eq!(count(&q), 1, "serial");
    let (_, q) = app.get("/api/v1/devices?q=dev-003%40example").await;
    assert_eq!(count(&q), 1, "owner");
    let (_, os) = app
        .get("/api/v1/devices?os_version=12&platform=linux&limit=100")
        .await;
    assert_eq!(count(&os), 15);
    let (_, none) = app.get("/api/v1/devices?os_version=11").await;
    assert_eq!(count(&none), 0);
    let (_, recent) = app
        .get("/api/v1/devices?last_seen_after=2000-01-01T00:00:00Z&limit=100")
        .await;
    assert_eq!(count(&recent), 45);
    let (_, old) = app
        .get("/api/v1/devices?last_seen_before=2000-01-01T00:00:00Z")
        .await;
    assert_eq!(count(&old), 0);

    // The search index follows renames.
    let (_, before) = app.get("/api/v1/devices?q=renamed-host").await;
    assert_eq!(count(&before), 0);
    let (id, secret) = &devices[7];
    app.agent
        .checkin(id, secret, &checkin(2, "renamed-host"))
        .await
        .expect("rename");
    let (_, after) = app.get("/api/v1/devices?q=RENAMED-HOST").await;
    assert_eq!(count(&after), 1);
    assert_eq!(after["items"][0]["id"], id.as_str());
    // Inside the new name, not at its start: the index of what follows a name's first
    // character (on PostgreSQL a table of its own) follows the rename too.
    for sort in ["name", "-last_seen_at"] {
        let (_, inside) = app
            .get(&format!("/api/v1/devices?sort={sort}&q=named-HO"))
            .await;
        assert_eq!(count(&inside), 1, "sort={sort}");
        assert_eq!(inside["items"][0]["id"], id.as_str());
    }
    let (_, one) = app.get("/api/v1/devices?q=dev-044").await;
    assert_eq!(count(&one), 1);
    let (status, quoted) = app.get("/api/v1/devices?q=a%22b%22c").await;
    assert_eq!((status, count(&quoted)), (200, 0));
    app.shutdown().await;
}

#[tokio::test]
async fn bad_list_parameters_are_rejected() {
    let app = TestApp::spawn().await;
    for (path, want) in [
        ("/api/v1/devices?cursor=garbage", "invalid_cursor"),
        (
            "/api/v1/devices?cursor=WyJhIiwiYiJd&sort=last_seen_at",
            "invalid_cursor",
        ),
        ("/api/v1/devices?limit=0", "invalid_query"),
        ("/api/v1/devices?limit=1001", "invalid_query"),
        ("/api/v1/devices?limit=ten", "invalid_query"),
        ("/api/v1/devices?platform=beos", "invalid_query"),
        ("/api/v1/devices?sort=secret_hash", "invalid_query"),
        (
            "/api/v1/devices?last_seen_before=yesterday",
            "invalid_query",
        ),
        (
            "/api/v1/enrollment-attempts?result=whatever",
            "invalid_query",
        ),
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!((status, code(&body)), (400, want), "{path}");
    }
    let (status, body) = app.get("/api/v1/devices/no-such-id").await;
    assert_eq!((status, code(&body)), (404, "not_found"));

    // Pages break on devices with the longest names allowed.
    let token = app.enrollment_token(Default::default()).await;
    for c in ['a', 'b', 'c'] {
        let mut req = enroll_request(&token, &c.to_string().repeat(255), Platform::Linux);
        req.hardware_id = format!("hw-{c}");
        req.serial = format!("SN-{c}");
        req.owner = format!("{c}@example.com");
        app.agent.enroll(&req).await.expect("enroll");
    }
    let (status, first) = app.get("/api/v1/devices?limit=1").await;
    assert_eq!(status, 200);
    let cursor = first["next_cursor"].as_str().expect("cursor");
    assert!(cursor.len() > 255);
    let (status, second) = app
        .get(&format!("/api/v1/devices?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(status, 200, "{second}");
    assert!(second["items"][0]["name"]
        .as_str()
        .is_some_and(|n| n.starts_with('b')));
    app.shutdown().await;
}

#[tokio::test]
async fn health_metrics_openapi_and_home() {
    let app = TestApp::spawn().await;
    fleet(&app).await;
    let health = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let metrics = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("m")
        .text()
        .await
        .expect("t");
    for name in [
        "steward_checkins_total",
        "steward_enrollments_total{result=\"success\"} 45",
        "steward_http_request_duration_seconds_bucket",
        "steward_db_batch_size_bucket",
    ] {
        assert!(metrics.contains(name), "metrics lack {name}");
    }
    let (status, spec) = app.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let paths = spec["paths"].as_object().expect("paths");
    for p in [
        "/agent/v1/enroll",
        "/agent/v1/checkin",
        "/api/v1/devices",
        "/api/v1/devices/{id}",
        "/api/v1/enrollment-tokens",
        "/api/v1/enrollment-tokens/{id}",
        "/api/v1/enrollment-tokens/{id}/revoke",
        "/api/v1/enrollment-attempts",
        "/api/v1/tokens",
    ] {
        assert!(paths.contains_key(p), "openapi lacks {p}");
    }
    // The description and the policy table list the same endpoints.
    let documented: std::collections::BTreeSet<(String, String)> = paths
        .iter()
        .filter(|(p, _)| p.starts_with("/api/"))
        .flat_map(|(p, ops)| {
            ops.as_object()
                .expect("operations")
                .keys()
                .map(move |m| (m.to_uppercase(), p.clone()))
        })
        .collect();
    let enforced: std::collections::BTreeSet<(String, String)> =
        steward_server::policy::endpoints()
            .iter()
            .map(|e| (e.method.to_string(), e.path.to_string()))
            .collect();
    assert_eq!(documented, enforced);
    // Every documented path is routed: a method no endpoint uses gets 405, not 404.
    for p in paths.keys() {
        let path = p.replace("{id}", "x");
        let resp = app
            .http
            .request(reqwest::Method::TRACE, format!("{}{path}", app.base))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .expect("req");
        assert_eq!(resp.status(), 405, "{p} documented but not routed");
    }
    let home = app
        .http
        .get(&app.base)
        .header("accept-language", "sv")
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("text");
    // The home page is the console: signed out, its login page, in the browser's language.
    assert!(
        home.contains(&steward_core::t(steward_core::Lang::Sv, "login-submit")),
        "{home}"
    );
    app.shutdown().await;
}

/// Pages of `path` (a query string may follow) through their cursors: the names and ids,
/// in the order served.
async fn all_pages(app: &TestApp, path: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let (s, page) = app.get(&format!("{path}&limit=50{cursor}")).await;
        assert_eq!(s, 200, "{page}");
        for d in page["items"].as_array().expect("items") {
            out.push((
                d["name"].as_str().expect("name").to_string(),
                d["id"].as_str().expect("id").to_string(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}

/// Matches that lie past the first few thousand devices in the list's order, sorted by name
/// or by last seen, are found all the same, each once, in order.
#[tokio::test]
async fn a_search_whose_matches_lie_past_the_first_rows_finds_them_in_order() {
    use steward_store::devices::SeedDevice;
    let app = TestApp::spawn().await;
    let now = steward_core::time::now_ms();
    let devices: Vec<SeedDevice> = (0..5_300)
        .map(|i| {
            // The last 150 by name match, and are the 150 seen longest ago.
            let name = if i >= 5_150 {
                format!("zz-far-{i:05}")
            } else {
                format!("near-{i:05}")
            };
            SeedDevice {
                id: uuid::Uuid::now_v7().to_string(),
                name,
                serial: format!("SN{i:06}"),
                owner: format!("user{i}@example.com"),
                platform: Platform::Linux,
                os_name: "Debian".into(),
                os_version: "12".into(),
                enrolled_at: now,
                last_seen_at: now - i as i64,
                group: None,
                health_state: "healthy",
                compliance_state: "compliant",
            }
        })
        .collect();
    app.store.seed_devices(&devices).await.expect("seed");
    let found = all_pages(&app, "/api/v1/devices?sort=name&q=far-").await;
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    let expected: Vec<String> = (5_150..5_300).map(|i| format!("zz-far-{i:05}")).collect();
    assert_eq!(names, expected);
    let found = all_pages(&app, "/api/v1/devices?sort=-last_seen_at&q=far-").await;
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, expected, "newest first");
    let found = all_pages(&app, "/api/v1/devices?sort=last_seen_at&q=far-").await;
    assert_eq!(found.len(), 150);
    assert_eq!(found[0].0, "zz-far-05299", "oldest first");
    app.shutdown().await;
}

/// A text common to thousands of names (most of them at the start) is searched as a rare one
/// is: every device whose name, serial or owner contains it in any letter case, each once,
/// in the list's order both ways.
#[tokio::test]
async fn a_broad_search_finds_every_match_once_in_order_whatever_the_letter_case() {
    use steward_store::devices::SeedDevice;
    let app = TestApp::spawn().await;
    let now = steward_core::time::now_ms();
    let seed = |i: usize, name: String, serial: String, owner: String| SeedDevice {
        id: uuid::Uuid::now_v7().to_string(),
        name,
        serial,
        owner,
        platform: Platform::Windows,
        os_name: "Windows".into(),
        os_version: "10.0.19045".into(),
        enrolled_at: now - i as i64,
        last_seen_at: now,
        group: None,
        health_state: "healthy",
        compliance_state: "compliant",
    };
    let mut devices: Vec<SeedDevice> = (0..2_100)
        .map(|i| {
            seed(
                i,
                format!("win-{i:05}"),
                format!("SN{i:06}"),
                format!("user{i}@bibliothèque.example"),
            )
        })
        .collect();
    let odd = [
        ("WIN-UPPER-1", "SN-A", "a@example.com"),
        ("Win-Mixed", "SN-B", "b@example.com"),
        ("wIN-odd", "SN-C", "c@example.com"),
        ("and-win-inside", "SN-D", "d@example.com"),
        ("aaa-serial", "SN-WIN-42", "e@example.com"),
        ("zzz-owner", "SN-F", "win-admin@example.com"),
        ("abc-plain", "SN-G", "g@example.com"),
        ("winx-no", "SN-H", "h@example.com"),
        ("wi-n", "SN-I", "i@example.com"),
        ("0-win-", "SN-J", "j@example.com"),
        ("ÉCOLE-01", "SN-K", "k@example.com"),
        // At a name's start and inside it: read by two parts, listed once.
        ("win-and-win-", "SN-L", "l@example.com"),
    ];
    for (i, (name, serial, owner)) in odd.iter().enumerate() {
        devices.push(seed(
            10_000 + i,
            name.to_string(),
            serial.to_string(),
            owner.to_string(),
        ));
    }
    app.store.seed_devices(&devices).await.expect("seed");
    let matches = |d: &SeedDevice| {
        [&d.name, &d.serial, &d.owner]
            .iter()
            .any(|t| t.to_ascii_lowercase().contains("win-"))
    };
    let wanted: HashSet<&str> = devices
        .iter()
        .filter(|d| matches(d))
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(wanted.len(), 2_100 + 8);
    for sort in ["name", "-name"] {
        // The list's own order, without a search, kept to the matches.
        let expected: Vec<(String, String)> =
            all_pages(&app, &format!("/api/v1/devices?sort={sort}"))
                .await
                .into_iter()
                .filter(|(_, id)| wanted.contains(id.as_str()))
                .collect();
        assert_eq!(expected.len(), wanted.len());
        // Byte order on both backends, whatever the database's collation: capitals first.
        let first: Vec<&str> = expected.iter().take(4).map(|(n, _)| n.as_str()).collect();
        if sort == "name" {
            assert_eq!(first, ["0-win-", "WIN-UPPER-1", "Win-Mixed", "aaa-serial"]);
        }
        for q in ["win-", "WIN-", "wIn-"] {
            let found = all_pages(&app, &format!("/api/v1/devices?sort={sort}&q={q}")).await;
            assert_eq!(found.len(), expected.len(), "q={q} sort={sort}");
            assert!(found == expected, "q={q} sort={sort}: not the list's order");
        }
    }
    // Narrowed by when devices were last seen (a filter on its own table on PostgreSQL).
    for sort in ["name", "-name"] {
        let found = all_pages(
            &app,
            &format!("/api/v1/devices?sort={sort}&q=win-&last_seen_after=2000-01-01T00:00:00Z"),
        )
        .await;
        let ids: HashSet<&str> = found.iter().map(|(_, id)| id.as_str()).collect();
        assert_eq!(found.len(), wanted.len(), "sort={sort}");
        assert_eq!(ids, wanted, "sort={sort}");
    }
    let (_, page) = app
        .get("/api/v1/devices?sort=name&q=win-&last_seen_after=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0), "{page}");
    // Narrowed by another filter: no Windows device is seeded on macOS.
    let (_, page) = app.get("/api/v1/devices?q=win-&platform=macos").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0), "{page}");
    // Letters beyond ASCII in either case: the name found whatever the collation of names.
    let found = all_pages(&app, "/api/v1/devices?sort=name&q=%C3%A9cole").await;
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["ÉCOLE-01"]);
    // Letters beyond ASCII in the other case, in a text thousands of owners hold (walked,
    // not looked up) and in one too short for a trigram.
    for sort in ["name", "-name", "-last_seen_at"] {
        let listed = all_pages(&app, &format!("/api/v1/devices?sort={sort}")).await;
        for q in ["THÈQUE", "È"] {
            let wanted: Vec<&(String, String)> = listed
                .iter()
                .filter(|(_, id)| {
                    let d = devices.iter().find(|d| &d.id == id).expect("seeded");
                    [&d.name, &d.serial, &d.owner]
                        .iter()
                        .any(|t| t.to_lowercase().contains(&q.to_lowercase()))
                })
                .collect();
            assert_eq!(wanted.len(), 2_100, "q={q}");
            let query: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
            let found = all_pages(&app, &format!("/api/v1/devices?sort={sort}&q={query}")).await;
            let found: Vec<&(String, String)> = found.iter().collect();
            assert!(found == wanted, "q={q} sort={sort}: {} found", found.len());
        }
    }
    // A rare text still finds its few.
    let found = all_pages(&app, "/api/v1/devices?sort=name&q=n-insid").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "and-win-inside");
    // Texts too short for a trigram, walked in every order: a serial's and a name's, in the
    // other letter case.
    for sort in ["name", "-name", "-last_seen_at", "enrolled_at"] {
        for (q, name) in [("-k", "ÉCOLE-01"), ("R-1", "WIN-UPPER-1")] {
            let found = all_pages(&app, &format!("/api/v1/devices?sort={sort}&q={q}")).await;
            let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, [name], "q={q} sort={sort}");
        }
        // A text spanning a device's name and its serial is in neither.
        let found = all_pages(&app, &format!("/api/v1/devices?sort={sort}&q=01%0Asn-k")).await;
        assert!(found.is_empty(), "sort={sort}: {found:?}");
    }
    // A device whose texts are long, in letters of three bytes (on PostgreSQL too long for
    // the covering index of names), found by every kind of search.
    let cjk = |from: usize, n: usize| -> String {
        (from..from + n)
            .filter_map(|i| char::from_u32(0x4E00 + (i * 7919 % 20_000) as u32))
            .collect()
    };
    let long = seed(
        20_000,
        format!("win-{}", cjk(0, 251)),
        cjk(300, 255),
        cjk(600, 255),
    );
    app.store
        .seed_devices(std::slice::from_ref(&long))
        .await
        .expect("seed a device with long texts");
    let inside = cjk(400, 3);
    // Page after page, in both orders: a text too short for a trigram, one inside names
    // but never at their start (a split's other part), and the long serial's.
    for sort in ["name", "-name"] {
        let listed = all_pages(&app, &format!("/api/v1/devices?sort={sort}")).await;
        for q in ["n-", "iN-", inside.as_str()] {
            let wanted: Vec<&(String, String)> = listed
                .iter()
                .filter(|(_, id)| {
                    let d = devices
                        .iter()
                        .chain([&long])
                        .find(|d| &d.id == id)
                        .expect("a seeded device");
                    [&d.name, &d.serial, &d.owner]
                        .iter()
                        .any(|t| t.to_lowercase().contains(&q.to_lowercase()))
                })
                .collect();
            assert!(!wanted.is_empty(), "q={q}");
            let query: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
            let found = all_pages(&app, &format!("/api/v1/devices?sort={sort}&q={query}")).await;
            let found: Vec<&(String, String)> = found.iter().collect();
            assert!(
                found == wanted,
                "q={q} sort={sort}: {} against {}",
                found.len(),
                wanted.len()
            );
        }
    }
    app.shutdown().await;
}
