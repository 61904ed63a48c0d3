//! The OpenStack backend against hostile clouds on 127.0.0.1: redirects to another origin,
//! absurd `Retry-After` values, endless bodies, `next` links that loop, replies that invite a
//! non-idempotent request to be sent twice, and `--readonly`. Each case asserts what reached the
//! wire (at the mock) and what the user is told.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use yun::app::action::Effect;
use yun::app::state::AppState;
use yun::app::update;
use yun::backend::openstack::{OpenStackBackend, OpenStackOptions};
use yun::backend::{Backend, BackendError, BackendEvent, BackendRequest, InstanceAction};
use yun::i18n::Lang;
use yun::model::{Listing, ResourceKind};
use yun::theme::Theme;

mod cloudmock;

use cloudmock::*;

const PASSWORD: &str = "s3cret-pw";

/// Options for tests: short backoff so retries do not slow the suite.
fn options(c: &Cloud) -> OpenStackOptions {
    let mut o = c.options();
    o.retry_backoff = Duration::from_millis(20);
    o
}

async fn backend(c: &Cloud) -> OpenStackBackend {
    OpenStackBackend::connect(options(c)).await.unwrap()
}

/// Whether a request carries the password (in its body) or a token (in any header).
fn carries_credential(r: &Request) -> bool {
    String::from_utf8_lossy(&r.body).contains(PASSWORD)
        || r.headers.contains_key("x-auth-token")
        || r.headers
            .values()
            .any(|v| v.to_str().is_ok_and(|v| v.contains("tok-")))
}

/// Another origin that would gladly accept anything.
async fn other_origin() -> MockServer {
    let other = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("X-Subject-Token", "stolen")
                .set_body_json(json!({"flavors": []})),
        )
        .mount(&other)
        .await;
    other
}

fn flavors() -> Value {
    fixture("nova/flavors/v2.75/flavors-detail-resp.json")
}

#[tokio::test]
async fn keystone_redirect_to_another_origin_gets_no_password() {
    let other = other_origin().await;
    let c = Cloud {
        server: MockServer::start().await,
        tokens: Arc::default(),
        cache: tempfile::tempdir().unwrap(),
    };
    for status in [307, 308, 302] {
        Mock::given(method("POST"))
            .and(path("/v3/auth/tokens"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("Location", format!("{}/v3/auth/tokens", other.uri())),
            )
            .up_to_n_times(1)
            .mount(&c.server)
            .await;
        let e = OpenStackBackend::connect(options(&c)).await.err().unwrap();
        let port = other.address().port();
        assert!(
            e.to_string().contains(&format!(
                "redirected to http://127.0.0.1:{port} (HTTP {status}); not following with credentials"
            )),
            "{e}"
        );
        assert!(!e.to_string().contains(PASSWORD));
    }
    assert!(other.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn compute_redirect_to_another_origin_gets_no_token() {
    let other = other_origin().await;
    let c = cloud("2.104").await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/flavors/detail"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{}/steal?x=1", other.uri())),
        )
        .mount(&c.server)
        .await;
    // A redirect within the cloud's own origin is followed, token and all.
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/image/v2/moved"))
        .mount(&c.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/image/v2/moved"))
        .and(wiremock::matchers::header_exists("x-auth-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"images": []})))
        .expect(1)
        .mount(&c.server)
        .await;
    let b = backend(&c).await;
    let e = b.list(ResourceKind::Flavors).await.unwrap_err();
    assert!(
        e.to_string().contains(&format!(
            "compute: the cloud redirected to http://127.0.0.1:{} (HTTP 302); not following with credentials",
            other.address().port()
        )),
        "{e}"
    );
    assert!(b.list(ResourceKind::Images).await.is_ok());
    let stolen = other.received_requests().await.unwrap();
    assert!(stolen.iter().all(|r| !carries_credential(r)), "{stolen:?}");
    assert!(stolen.is_empty());
}

#[tokio::test]
async fn hostile_retry_after_never_panics_and_waits_at_most_the_cap() {
    let in_a_day = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(86_400));
    for value in ["1e20", "-1", "NaN", "inf", "garbage", in_a_day.as_str()] {
        let c = cloud("2.104").await;
        Mock::given(method("GET"))
            .and(path("/compute/v2.1/flavors/detail"))
            .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", value))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&c.server)
            .await;
        Mock::given(method("GET"))
            .and(path("/compute/v2.1/flavors/detail"))
            .respond_with(ResponseTemplate::new(200).set_body_json(flavors()))
            .mount(&c.server)
            .await;
        let b = backend(&c).await;
        let start = Instant::now();
        let Listing::Flavors(f) = b.list(ResourceKind::Flavors).await.unwrap() else {
            panic!()
        };
        assert!(!f.is_empty());
        // The cap in the test options is 200 ms; the default backoff 20 ms.
        assert!(start.elapsed() < Duration::from_secs(1), "{value}");
    }
}

#[tokio::test]
async fn body_announced_over_the_cap_is_refused_by_name() {
    let c = cloud("2.104").await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/flavors/detail"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(3 * 1024 * 1024)))
        .mount(&c.server)
        .await;
    let mut o = options(&c);
    o.max_body_bytes = 1024 * 1024;
    let b = OpenStackBackend::connect(o).await.unwrap();
    let e = b.list(ResourceKind::Flavors).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "compute: the reply is larger than the 1 MiB limit; stopped reading it"
    );
}

/// A cloud whose compute endpoint is a raw HTTP/1.1 server: version documents as usual, and a
/// flavor list that never ends (chunked, no length). Counts the bytes it manages to send.
async fn endless_compute(sent: Arc<AtomicU64>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let sent = Arc::clone(&sent);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap()
                    .to_string();
                let doc = if line.contains(" /compute/v2.1/ ") {
                    let mut v = fixture("nova/versions/v21-version-get-resp.json");
                    v["version"]["version"] = json!("2.104");
                    Some(v)
                } else if line.contains(" /volume/v3/ ") {
                    Some(fixture("cinder/versions/versions-response.json"))
                } else {
                    None
                };
                if let Some(doc) = doc {
                    let body = doc.to_string();
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(reply.as_bytes()).await;
                    return;
                }
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
                    .await;
                let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
                while sock.write_all(chunk.as_bytes()).await.is_ok() {
                    sent.fetch_add(0x10000, Ordering::SeqCst);
                }
            });
        }
    });
    uri
}

#[tokio::test]
async fn endless_body_stops_at_the_cap() {
    let sent = Arc::new(AtomicU64::new(0));
    let compute = endless_compute(Arc::clone(&sent)).await;
    let keystone = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("X-Subject-Token", "tok-1")
                .set_body_json(token_body(&compute, 3600, None)),
        )
        .mount(&keystone)
        .await;
    let c = Cloud {
        server: keystone,
        tokens: Arc::default(),
        cache: tempfile::tempdir().unwrap(),
    };
    let mut o = options(&c);
    o.max_body_bytes = 4 * 1024 * 1024;
    o.request_timeout = Duration::from_secs(20);
    let b = OpenStackBackend::connect(o).await.unwrap();
    let start = Instant::now();
    let e = b.list(ResourceKind::Flavors).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "compute: the reply is larger than the 4 MiB limit; stopped reading it"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
    // The server could send only what yun read plus what the socket buffers hold: the reading
    // stopped at the cap instead of going on until the timeout.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let n = sent.load(Ordering::SeqCst);
    assert!(n < 32 * 1024 * 1024, "{n} bytes sent");
}

#[tokio::test]
async fn next_links_in_a_cycle_stop_after_two_pages() {
    let c = cloud("2.104").await;
    let base = flavors()["flavors"][0].clone();
    let page = |id: &str, next: &str| {
        let mut f = base.clone();
        f["id"] = json!(id);
        json!({"flavors": [f], "flavors_links": [{"rel": "next",
            "href": format!("http://elsewhere.invalid/compute/v2.1/flavors/detail?marker={next}")}]})
    };
    let p = "/compute/v2.1/flavors/detail";
    Mock::given(method("GET"))
        .and(path(p))
        .and(query_param_is_missing("marker"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page("first", "A")))
        .expect(1)
        .mount(&c.server)
        .await;
    Mock::given(method("GET"))
        .and(path(p))
        .and(query_param("marker", "A"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page("a", "B")))
        .expect(1)
        .mount(&c.server)
        .await;
    Mock::given(method("GET"))
        .and(path(p))
        .and(query_param("marker", "B"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page("b", "A")))
        .expect(1)
        .mount(&c.server)
        .await;
    let b = backend(&c).await;
    let e = b.list(ResourceKind::Flavors).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "compute: the cloud sent a page of flavors it had already sent (3 pages, 3 items read); stopped"
    );
    let gets = c
        .server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == p)
        .count();
    assert_eq!(gets, 3);
}

#[tokio::test]
async fn listing_stops_at_the_item_cap() {
    let c = cloud("2.104").await;
    let items = clone_ids(flavors()["flavors"].as_array().unwrap(), 30);
    paged(
        &c.server,
        "/compute/v2.1/flavors/detail",
        "flavors",
        &items,
        10,
        Style::Links,
    )
    .await;
    let mut o = options(&c);
    o.max_list_items = 25;
    let b = OpenStackBackend::connect(o).await.unwrap();
    let e = b.list(ResourceKind::Flavors).await.unwrap_err();
    assert_eq!(e.to_string(), "compute: more than 25 flavors; stopped");
}

#[tokio::test]
async fn listing_stops_at_its_deadline() {
    let c = cloud("2.104").await;
    let items = clone_ids(flavors()["flavors"].as_array().unwrap(), 30);
    let p = "/compute/v2.1/flavors/detail";
    // Each page is slow but within the request timeout; the whole listing is not.
    let mut slow = Vec::new();
    for (i, chunk) in items.chunks(1).enumerate() {
        let mut body = json!({"flavors": chunk});
        body["flavors_links"] = json!([{"rel": "next", "href": format!("{p}?marker=m{}", i + 1)}]);
        slow.push(body);
    }
    for (i, body) in slow.into_iter().enumerate() {
        let m = Mock::given(method("GET")).and(path(p));
        let m = if i == 0 {
            m.and(query_param_is_missing("marker"))
        } else {
            m.and(query_param("marker", format!("m{i}").as_str()))
        };
        m.respond_with(
            ResponseTemplate::new(200)
                .set_body_json(body)
                .set_delay(Duration::from_millis(150)),
        )
        .mount(&c.server)
        .await;
    }
    let mut o = options(&c);
    o.list_deadline = Duration::from_millis(500);
    let b = OpenStackBackend::connect(o).await.unwrap();
    let start = Instant::now();
    let e = b.list(ResourceKind::Flavors).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "compute: listing flavors took longer than 0.5 s; stopped"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
}

fn count(reqs: &[Request], verb: &str, p: &str) -> usize {
    reqs.iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == p)
        .count()
}

#[tokio::test]
async fn a_read_is_retried_on_429_an_action_never() {
    let c = cloud("2.104").await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/flavors/detail"))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&c.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/flavors/detail"))
        .respond_with(ResponseTemplate::new(200).set_body_json(flavors()))
        .mount(&c.server)
        .await;
    for (verb, p) in [
        ("POST", "/compute/v2.1/servers/S/action"),
        ("DELETE", "/compute/v2.1/servers/S"),
    ] {
        Mock::given(method(verb))
            .and(path(p))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&c.server)
            .await;
        Mock::given(method(verb))
            .and(path(p))
            .respond_with(ResponseTemplate::new(202))
            .mount(&c.server)
            .await;
    }
    let b = backend(&c).await;
    assert!(b.list(ResourceKind::Flavors).await.is_ok());
    let e = b.perform("S", &InstanceAction::Reboot).await.unwrap_err();
    assert!(e.to_string().contains("HTTP 429"), "{e}");
    let e = b
        .perform(
            "S",
            &InstanceAction::Delete {
                delete_volumes: false,
            },
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("HTTP 429"), "{e}");
    let reqs = c.server.received_requests().await.unwrap();
    assert_eq!(count(&reqs, "GET", "/compute/v2.1/flavors/detail"), 2);
    assert_eq!(count(&reqs, "POST", "/compute/v2.1/servers/S/action"), 1);
    assert_eq!(count(&reqs, "DELETE", "/compute/v2.1/servers/S"), 1);
}

#[tokio::test]
async fn a_read_gives_up_after_three_tries() {
    let c = cloud("2.104").await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/flavors/detail"))
        .respond_with(ResponseTemplate::new(502).set_body_string("Bad Gateway"))
        .mount(&c.server)
        .await;
    let b = backend(&c).await;
    let e = b.list(ResourceKind::Flavors).await.unwrap_err();
    assert_eq!(e.to_string(), "compute: Bad Gateway (HTTP 502)");
    let reqs = c.server.received_requests().await.unwrap();
    assert_eq!(count(&reqs, "GET", "/compute/v2.1/flavors/detail"), 3);
}

/// A server, its volume attachments, its console log and a console URL the backend may ask for.
async fn mount_server_detail(c: &Cloud) -> String {
    let server = fixture("nova/servers/v2.47/server-get-resp.json");
    let id = server["server"]["id"].as_str().unwrap().to_string();
    mount_server_detail_as(c, &id).await;
    id
}

async fn mount_server_detail_as(c: &Cloud, id: &str) {
    let mut server = fixture("nova/servers/v2.47/server-get-resp.json");
    server["server"]["id"] = json!(id);
    Mock::given(method("GET"))
        .and(path(format!("/compute/v2.1/servers/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(server))
        .mount(&c.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/compute/v2.1/servers/{id}/os-volume_attachments"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"volumeAttachments": []})))
        .mount(&c.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/compute/v2.1/servers/{id}/action")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"output": "login:"})))
        .mount(&c.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/compute/v2.1/servers/{id}/remote-consoles")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"remote_console": {
            "protocol": "vnc", "type": "novnc",
            "url": "http://127.0.0.1:6080/vnc_auto.html?path=%3Ftoken%3Dsecret-console-token"}})),
        )
        .mount(&c.server)
        .await;
}

/// Every request that is not a read, as `METHOD path body`.
async fn non_reads(c: &Cloud) -> Vec<String> {
    c.server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() != "GET" && r.method.as_str() != "HEAD")
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            let what = body
                .as_object()
                .and_then(|o| o.keys().next().cloned())
                .unwrap_or_default();
            format!("{} {} {what}", r.method, r.url.path())
        })
        .collect()
}

#[tokio::test]
async fn readonly_detail_sends_only_the_token_request_and_the_console_log_read() {
    let c = cloud("2.104").await;
    let id = mount_server_detail(&c).await;
    let mut o = options(&c);
    o.readonly = true;
    let b = OpenStackBackend::connect(o).await.unwrap();
    let d = b.instance_detail(&id).await.unwrap();
    assert!(format!("{:?}", d.console_log).contains("login:"));
    assert!(d.graphics.is_empty());
    assert_eq!(b.console_url(&id).await, Err(BackendError::ReadOnly));
    assert_eq!(
        b.perform(&id, &InstanceAction::Reboot).await,
        Err(BackendError::ReadOnly)
    );
    assert_eq!(
        non_reads(&c).await,
        [
            "POST /v3/auth/tokens auth".to_string(),
            format!("POST /compute/v2.1/servers/{id}/action os-getConsoleOutput"),
        ]
    );
}

#[tokio::test]
async fn detail_no_longer_creates_a_console_session_only_the_console_view_does() {
    let c = cloud("2.104").await;
    let id = mount_server_detail(&c).await;
    let b = backend(&c).await;
    let d = b.instance_detail(&id).await.unwrap();
    assert!(!format!("{d:?}").contains("secret-console-token"));
    assert!(
        !non_reads(&c)
            .await
            .iter()
            .any(|r| r.contains("remote-consoles"))
    );
    let url = b.console_url(&id).await.unwrap();
    assert!(url.contains("secret-console-token"));
    assert_eq!(
        non_reads(&c)
            .await
            .iter()
            .filter(|r| r.contains("remote-consoles"))
            .count(),
        1
    );
}

/// The console view (`c`) of the first instance, driven through `update` like the app does,
/// with the backend's answers fed back; returns the screen text after each of `keys`.
async fn console_view(
    c: &Cloud,
    readonly: bool,
    keys: &[char],
) -> (String, Vec<String>, Vec<Effect>) {
    mount_instances_new(c).await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/flavors/detail"))
        .respond_with(ResponseTemplate::new(200).set_body_json(flavors()))
        .mount(&c.server)
        .await;
    let mut o = options(c);
    o.readonly = readonly;
    let b = OpenStackBackend::connect(o).await.unwrap();
    let mut state = AppState::new(
        Lang::En,
        b.capabilities(),
        "mock".into(),
        Duration::from_secs(60),
    );
    state.tab = ResourceKind::Instances;
    state.apply_listing(b.list(ResourceKind::Instances).await.unwrap());
    let id = state.selected_instance().unwrap().id.clone();
    mount_server_detail_as(c, &id).await;
    let press = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    let first = yun::app::input::on_key(&mut state, press('c'));
    let mut sent = Vec::new();
    let mut pending = first;
    while let Some(effect) = pending.pop() {
        sent.push(effect.clone());
        let event = match effect {
            Effect::Request {
                request: BackendRequest::Detail { id },
                ..
            } => {
                let result = b.instance_detail(&id).await;
                BackendEvent::Detail { id, result }
            }
            Effect::Request {
                request: BackendRequest::ConsoleUrl { id },
                ..
            } => {
                let result = b.console_url(&id).await;
                BackendEvent::ConsoleUrl { id, result }
            }
            other => panic!("unexpected {other:?}"),
        };
        pending.extend(update::on_backend(&mut state, event));
    }
    let mut screens = vec![draw(&mut state)];
    for k in keys {
        assert!(yun::app::input::on_key(&mut state, press(*k)).is_empty());
        screens.push(draw(&mut state));
    }
    (id, screens, sent)
}

fn draw(state: &mut AppState) -> String {
    let mut terminal = Terminal::new(TestBackend::new(160, 40)).unwrap();
    terminal
        .draw(|f| {
            yun::ui::draw(f, state, &Theme::default_theme());
        })
        .unwrap();
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn console_view_fetches_the_url_on_demand_and_masks_its_token() {
    let c = cloud("2.104").await;
    let (id, screens, sent) = console_view(&c, false, &['t', 't']).await;
    assert!(sent.iter().any(|e| matches!(e, Effect::Request { request: BackendRequest::ConsoleUrl { id: i }, .. } if *i == id)));
    let [masked, revealed, hidden_again] = &screens[..] else {
        panic!()
    };
    assert!(
        masked.contains("http://127.0.0.1:6080/vnc_auto.html?••••••"),
        "{masked}"
    );
    assert!(masked.contains("t: show / hide the token"), "{masked}");
    assert!(!masked.contains("secret-console-token"));
    assert!(revealed.contains("secret-console-token"), "{revealed}");
    assert!(!hidden_again.contains("secret-console-token"));
    assert_eq!(
        non_reads(&c)
            .await
            .iter()
            .filter(|r| r.contains("remote-consoles"))
            .count(),
        1
    );
}

#[tokio::test]
async fn readonly_console_view_sends_no_console_session_request() {
    let c = cloud("2.104").await;
    let (id, screens, sent) = console_view(&c, true, &[]).await;
    assert!(!sent.iter().any(|e| matches!(
        e,
        Effect::Request {
            request: BackendRequest::ConsoleUrl { .. },
            ..
        }
    )));
    assert!(
        screens[0].contains("not fetched in read-only mode"),
        "{}",
        screens[0]
    );
    assert_eq!(
        non_reads(&c).await,
        [
            "POST /v3/auth/tokens auth".to_string(),
            format!("POST /compute/v2.1/servers/{id}/action os-getConsoleOutput"),
        ]
    );
}
