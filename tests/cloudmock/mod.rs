//! A mock OpenStack cloud (wiremock) built from the official API samples in
//! `tests/fixtures/openstack/`: Keystone with a catalog pointing at the mock itself, the version
//! documents, paginated lists and a few sample resource sets. Shared by the backend and render
//! tests. Tests that change the cloud use [`stateful::stateful_cloud`], which holds what it
//! lists in memory and records every request.
#![allow(dead_code)]

pub mod stateful;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};
use yun::backend::openstack::{
    AuthMethod, CloudConfig, OpenStackBackend, OpenStackOptions, Scope, Secret,
};

pub const PROJECT: &str = "a6944d763bf64ee6a275f1263fae0352";

pub fn fixture(rel: &str) -> Value {
    let p = format!(
        "{}/tests/fixtures/openstack/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

pub fn iso(offset_secs: i64) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + offset_secs;
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = yun::civil::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000000Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The sample token with its catalog rewritten to point at the mock.
pub fn token_body(uri: &str, expires_in: i64, network: Option<&str>) -> Value {
    let mut t = fixture("keystone/admin/auth-password-project-scoped-response.json");
    let net = network
        .map(str::to_string)
        .unwrap_or(format!("{uri}/network"));
    let svc = |ty: &str, url: String| {
        json!({"type": ty, "id": ty, "name": ty, "endpoints": [
            {"id": "1", "interface": "public", "region_id": "RegionOne", "region": "RegionOne", "url": url},
            {"id": "2", "interface": "internal", "region": "RegionOne", "url": "http://internal.invalid"}
        ]})
    };
    t["token"]["catalog"] = json!([
        svc("identity", format!("{uri}/v3")),
        svc("compute", format!("{uri}/compute/v2.1")),
        svc("image", format!("{uri}/image")),
        svc("volumev3", format!("{uri}/volume/v3/{PROJECT}")),
        svc("network", net),
    ]);
    t["token"]["expires_at"] = json!(iso(expires_in));
    t
}

/// Keystone: each token is `tok-N`, counted.
pub struct Keystone {
    uri: String,
    expires_in: i64,
    network: Option<String>,
    count: Arc<AtomicUsize>,
}

impl Respond for Keystone {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(201)
            .insert_header("X-Subject-Token", format!("tok-{n}").as_str())
            .set_body_json(token_body(
                &self.uri,
                self.expires_in,
                self.network.as_deref(),
            ))
    }
}

pub struct Cloud {
    pub server: MockServer,
    pub tokens: Arc<AtomicUsize>,
    pub cache: tempfile::TempDir,
}

impl Cloud {
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn config(&self) -> CloudConfig {
        CloudConfig {
            name: Some("mock".into()),
            auth_url: format!("{}/v3", self.uri()),
            auth: AuthMethod::Password {
                username: Some("admin".into()),
                user_id: None,
                user_domain_name: Some("Default".into()),
                user_domain_id: None,
                password: Some(Secret::new("s3cret-pw")),
                scope: Scope::Project {
                    id: None,
                    name: Some("admin".into()),
                    domain_id: None,
                    domain_name: Some("Default".into()),
                },
            },
            region: Some("RegionOne".into()),
            interface: "public".into(),
            cacert: None,
            verify: true,
        }
    }

    pub fn options(&self) -> OpenStackOptions {
        let mut o = OpenStackOptions::new(self.config(), self.cache.path().to_path_buf());
        o.no_token_cache = true;
        o.request_timeout = Duration::from_millis(1500);
        o.connect_timeout = Duration::from_millis(500);
        o.retry_after_cap = Duration::from_millis(200);
        o
    }

    pub async fn backend(&self) -> OpenStackBackend {
        OpenStackBackend::connect(self.options()).await.unwrap()
    }

    pub fn token_posts(&self) -> usize {
        self.tokens.load(Ordering::SeqCst)
    }
}

pub async fn cloud_with(compute_max: &str, expires_in: i64, network: Option<String>) -> Cloud {
    let server = MockServer::start().await;
    let tokens = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(Keystone {
            uri: server.uri(),
            expires_in,
            network,
            count: Arc::clone(&tokens),
        })
        .mount(&server)
        .await;
    let mut version = fixture("nova/versions/v21-version-get-resp.json");
    version["version"]["version"] = json!(compute_max);
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(version))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/volume/v3/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("cinder/versions/versions-response.json")),
        )
        .mount(&server)
        .await;
    Cloud {
        server,
        tokens,
        cache: tempfile::tempdir().unwrap(),
    }
}

pub async fn cloud(compute_max: &str) -> Cloud {
    cloud_with(compute_max, 3600, None).await
}

#[derive(Clone, Copy)]
pub enum Style {
    Links,
    Glance,
}

/// Serve `items` in pages of `per_page` at `p`; follow-ups must carry the marker.
pub async fn paged(
    server: &MockServer,
    p: &str,
    key: &str,
    items: &[Value],
    per_page: usize,
    style: Style,
) {
    let chunks: Vec<&[Value]> = items.chunks(per_page).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let mut body = json!({ key: chunk });
        if i + 1 < chunks.len() {
            let last = chunk.last().unwrap()["id"].as_str().unwrap().to_string();
            match style {
                Style::Links => {
                    body[format!("{key}_links")] = json!([{"rel": "next",
                        "href": format!("http://proxy.invalid/elsewhere{p}?limit={per_page}&marker={last}")}]);
                }
                Style::Glance => {
                    body["next"] = json!(format!("/v2/images?marker={last}&limit={per_page}"));
                }
            }
        }
        let m = Mock::given(method("GET")).and(path(p));
        let m = if i == 0 {
            m.and(query_param_is_missing("marker"))
        } else {
            let prev = chunks[i - 1].last().unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string();
            m.and(query_param("marker", prev.as_str()))
                .and(query_param("limit", per_page.to_string().as_str()))
        };
        m.respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1..)
            .mount(server)
            .await;
    }
}

pub fn servers_v247() -> Vec<Value> {
    let base = fixture("nova/servers/v2.47/servers-details-resp.json")["servers"][0].clone();
    let mut s1 = base.clone();
    s1["id"] = json!("s1");
    s1["name"] = json!("web-1");
    s1["addresses"]["public"] =
        json!([{"addr": "172.24.4.10", "version": 4, "OS-EXT-IPS:type": "floating"}]);
    let mut s2 = base.clone();
    s2["id"] = json!("s2");
    s2["name"] = json!("web-2");
    s2["status"] = json!("ERROR");
    s2["OS-EXT-STS:power_state"] = json!(0);
    s2["fault"] = json!({"code": 500, "message": "No valid host was found.", "created": "2017-02-14T19:24:43Z"});
    let mut s3 = base;
    s3["id"] = json!("s3");
    s3["name"] = json!("db-1");
    s3["image"] = json!("");
    s3["status"] = json!("SHELVED_OFFLOADED");
    s3["OS-EXT-STS:power_state"] = json!(4);
    s3["OS-EXT-STS:task_state"] = json!("spawning");
    vec![s1, s2, s3]
}

pub fn images() -> Vec<Value> {
    let mut v = fixture("glance/images-list-response.json")["images"]
        .as_array()
        .unwrap()
        .clone();
    let mut extra = v[0].clone();
    extra["id"] = json!("70a599e0-31e7-49b7-b260-868f441e862b");
    extra["name"] = json!("cirros-test");
    v.push(extra);
    v
}

pub fn clone_ids(items: &[Value], n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut v = items[i % items.len()].clone();
            let id = v["id"].as_str().unwrap_or("x").to_string();
            v["id"] = json!(format!("{id}-{i}"));
            v
        })
        .collect()
}

pub async fn mount_instances_new(c: &Cloud) {
    paged(
        &c.server,
        "/compute/v2.1/servers/detail",
        "servers",
        &servers_v247(),
        2,
        Style::Links,
    )
    .await;
    paged(
        &c.server,
        "/image/v2/images",
        "images",
        &images(),
        2,
        Style::Glance,
    )
    .await;
}

/// Three volumes from the Cinder sample over two pages; the second attached to `s1` as
/// `/dev/vdb`, bootable, with its size as a string (as some clouds send it).
pub async fn mount_volumes(c: &Cloud) {
    let vol = fixture("cinder/volumes/volumes-list-detailed-response.json")["volumes"][0].clone();
    let mut vols = clone_ids(&[vol], 3);
    vols[1]["attachments"] = json!([{"server_id": "s1", "device": "/dev/vdb", "id": "a"}]);
    vols[1]["bootable"] = json!("true");
    vols[1]["size"] = json!("2");
    paged(
        &c.server,
        &format!("/volume/v3/{PROJECT}/volumes/detail"),
        "volumes",
        &vols,
        2,
        Style::Links,
    )
    .await;
}
