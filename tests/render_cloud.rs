#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! What the user sees of a cloud: the whole screen at 120×40, in English and Chinese, against the
//! mock cloud built from the official OpenStack API samples. Every tab, the Networks sub-views, the
//! Overview's limit bars, an instance detail, a security group detail with its rules, the confirm
//! dialog of a delete with its `openstack` command, and an instance in ERROR with Nova's fault.
//! Each snapshot holds the screen text and, per line, the colour runs.

mod cloudmock;
mod screen;

use screen::screen;

use std::time::Duration;

use cloudmock::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};
use yun::app::action::Action;
use yun::app::state::AppState;
use yun::app::update;
use yun::backend::openstack::OpenStackBackend;
use yun::backend::{Backend, InstanceAction};
use yun::i18n::Lang;
use yun::model::{HostInfo, Listing, ResourceKind};
use yun::theme::Theme;

/// The label the header shows for the connection.
const LABEL: &str = "mock/RegionOne/admin";
/// Stands in for the mock server's address, whose port changes on every run.
const STABLE_URI: &str = "http://cloud.invalid";
const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

/// Everything the screens need, fetched once from the mock cloud.
struct Fixture {
    cloud: Cloud,
    backend: OpenStackBackend,
    listings: Vec<Listing>,
    host: HostInfo,
}

impl Fixture {
    fn state(&self, lang: Lang) -> AppState {
        let mut state = AppState::new(
            lang,
            self.backend.capabilities(),
            LABEL.to_string(),
            Duration::from_secs(60),
        );
        for l in &self.listings {
            state.apply_listing(l.clone());
        }
        state.host = Some(self.host.clone());
        state
    }

    /// The screen, with the mock server's address replaced by a stable one.
    fn render(&self, state: &mut AppState) -> String {
        self.render_at(state, WIDTH)
    }

    fn render_at(&self, state: &mut AppState, width: u16) -> String {
        let theme = Theme::default_theme();
        let mut terminal = Terminal::new(TestBackend::new(width, HEIGHT)).unwrap();
        terminal
            .draw(|f| {
                yun::ui::draw(f, state, &theme);
            })
            .unwrap();
        let out = screen(terminal.backend().buffer());
        let uri = self.cloud.uri();
        let port = uri.rsplit(':').next().unwrap_or_default().to_string();
        let out = out.replace(&uri, STABLE_URI);
        assert!(
            !out.contains(&format!("127.0.0.1:{port}")),
            "the mock's port leaked into the screen:\n{out}"
        );
        out
    }
}

fn list_of(key: &str, rel: &str) -> Vec<Value> {
    fixture(rel)[key].as_array().unwrap().clone()
}

async fn mount_get(c: &Cloud, p: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(p.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&c.server)
        .await;
}

/// A cloud with every list the tabs show, the limits and one server's detail.
async fn fixture_cloud() -> Fixture {
    let c = cloud("2.104").await;
    // Servers (web-2 is in ERROR with Nova's fault) and images.
    mount_instances_new(&c).await;
    mount_get(
        &c,
        "/compute/v2.1/flavors/detail",
        fixture("nova/flavors/v2.75/flavors-detail-resp.json"),
    )
    .await;
    let names: Vec<Value> = servers_v247()
        .iter()
        .map(|s| json!({"id": s["id"], "name": s["name"], "links": []}))
        .collect();
    paged(
        &c.server,
        "/compute/v2.1/servers",
        "servers",
        &names,
        2,
        Style::Links,
    )
    .await;
    mount_volumes(&c).await;
    for (p, key, rel) in [
        (
            "/network/v2.0/networks",
            "networks",
            "neutron/networks/networks-list-response.json",
        ),
        (
            "/network/v2.0/subnets",
            "subnets",
            "neutron/subnets/subnets-list-response.json",
        ),
        (
            "/network/v2.0/security-groups",
            "security_groups",
            "neutron/security-groups/security-groups-list-response.json",
        ),
        (
            "/network/v2.0/floatingips",
            "floatingips",
            "neutron/floatingips/floating-ips-list-response.json",
        ),
        (
            "/network/v2.0/ports",
            "ports",
            "neutron/ports/ports-list-response.json",
        ),
    ] {
        paged(&c.server, p, key, &list_of(key, rel), 2, Style::Links).await;
    }
    // Limits and quotas for the Overview.
    mount_get(
        &c,
        "/compute/v2.1/limits",
        fixture("nova/limits/v2.57/limit-get-resp.json"),
    )
    .await;
    mount_get(
        &c,
        &format!("/volume/v3/{PROJECT}/limits"),
        fixture("cinder/limits/limits-show-response.json"),
    )
    .await;
    mount_get(
        &c,
        &format!("/network/v2.0/quotas/{PROJECT}/details"),
        fixture("neutron/quota_details/quota-details-show-for-project-response.json"),
    )
    .await;
    // web-1's detail: the sample server under web-1's id and name.
    let mut server = fixture("nova/servers/v2.47/server-get-resp.json");
    server["server"]["id"] = json!("s1");
    server["server"]["name"] = json!("web-1");
    mount_get(&c, "/compute/v2.1/servers/s1", server).await;
    mount_get(
        &c,
        "/compute/v2.1/servers/s1/os-volume_attachments",
        json!({"volumeAttachments": [{"volumeId": "volume_id1", "device": "/dev/sdb"}]}),
    )
    .await;

    let backend = c.backend().await;
    let mut listings = Vec::new();
    for kind in ResourceKind::ALL.into_iter().chain([
        ResourceKind::SecurityGroups,
        ResourceKind::FloatingIps,
        ResourceKind::Ports,
    ]) {
        let l = backend
            .list_noted(kind)
            .await
            .unwrap_or_else(|e| panic!("listing {kind:?}: {e}"));
        assert_eq!(l.note, None, "every {kind:?} row read");
        listings.push(l.listing);
    }
    let host = backend.host_info().await.unwrap();
    assert_eq!(host.target, LABEL);
    Fixture {
        cloud: c,
        backend,
        listings,
        host,
    }
}

fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Zh => "zh",
    }
}

fn select_instance(state: &mut AppState, name: &str) -> String {
    let id = state
        .data
        .instances
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no instance {name}"))
        .id
        .clone();
    update::on_action(state, Action::GoTab(ResourceKind::Instances));
    state
        .tables
        .get_mut(&ResourceKind::Instances)
        .unwrap()
        .select_id(&id);
    id
}

#[tokio::test]
async fn every_cloud_view_in_both_languages() {
    let f = fixture_cloud().await;
    for lang in [Lang::En, Lang::Zh] {
        let snap = |name: &str, content: String| {
            insta::assert_snapshot!(format!("cloud_{}_{name}", lang_name(lang)), content);
        };

        // Every tab; the Overview carries the limits bars.
        for kind in ResourceKind::ALL {
            let mut state = f.state(lang);
            update::on_action(&mut state, Action::GoTab(kind));
            snap(kind.command_name(), f.render(&mut state));
        }

        // The Networks sub-views, in the order `NextView` cycles them.
        let mut state = f.state(lang);
        update::on_action(&mut state, Action::GoTab(ResourceKind::Networks));
        for kind in [
            ResourceKind::SecurityGroups,
            ResourceKind::FloatingIps,
            ResourceKind::Ports,
        ] {
            update::on_action(&mut state, Action::NextView);
            assert_eq!(state.network_view, kind);
            snap(kind.command_name(), f.render(&mut state));
        }
        update::on_action(&mut state, Action::NextView);
        assert_eq!(state.network_view, ResourceKind::Networks);

        // A security group's detail, with its rules.
        let mut state = f.state(lang);
        update::on_action(&mut state, Action::GoTab(ResourceKind::Networks));
        update::on_action(&mut state, Action::NextView);
        update::on_action(&mut state, Action::OpenDetail);
        snap("security_group_detail", f.render(&mut state));

        // An instance's detail, fetched from Nova.
        let mut state = f.state(lang);
        let id = select_instance(&mut state, "web-1");
        update::on_action(&mut state, Action::OpenDetail);
        let detail = f.backend.instance_detail(&id).await.unwrap();
        state.instance_detail = Some((id, Ok(detail)));
        snap("instance_detail", f.render(&mut state));

        // The confirm dialog of a delete names the equivalent `openstack` command.
        let mut state = f.state(lang);
        select_instance(&mut state, "web-1");
        update::on_action(
            &mut state,
            Action::Instance(InstanceAction::Delete {
                delete_volumes: false,
            }),
        );
        assert!(
            state.modal.is_some(),
            "{:?}",
            state.status.as_ref().map(|s| s.text.clone())
        );
        let out = f.render(&mut state);
        assert!(
            out.contains("openstack --os-cloud mock server delete web-1"),
            "{out}"
        );
        snap("confirm_delete", out);

        // A server in ERROR shows Nova's fault right in its row.
        let mut state = f.state(lang);
        select_instance(&mut state, "web-2");
        let web2 = state
            .data
            .instances
            .iter()
            .find(|i| i.name == "web-2")
            .unwrap();
        assert_eq!(web2.fault.as_deref(), Some("No valid host was found."));
        let out = f.render_at(&mut state, 200);
        let row = out
            .lines()
            .find(|l| l.contains("web-2"))
            .unwrap_or_else(|| panic!("no web-2 row:\n{out}"));
        if lang == Lang::En {
            assert!(row.contains("Error: No valid host was found."), "{row}");
        } else {
            assert!(row.contains("错误: No valid host was found."), "{row}");
        }
        snap("instance_error", out);
    }
}
