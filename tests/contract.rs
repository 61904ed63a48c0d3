//! The backend contract (see `contract/suite.rs`), run against every backend: the libvirt demo
//! host on the in-process test driver and the OpenStack backend against the stateful mock
//! cloud. A new backend joins with one test here that builds its [`suite::Target`]; a new
//! create path joins by adding its [`suite::CreateCase`] to its backend's `creates`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cloudmock;
#[path = "contract/suite.rs"]
mod suite;

use yun::backend::libvirt::{LibvirtBackend, LibvirtOptions};
use yun::backend::openstack::OpenStackBackend;
use yun::backend::{Backend, CreateSpec, VolumeFormat, VolumeSpec};
use yun::config::Config;
use yun::model::ResourceKind;

use suite::{CreateCase, Report, Target};

/// The libvirt demo host (demo/*.xml through `test:///`), read-write and read-only. Each
/// connection to a node file has its own copy of the host.
fn libvirt_demo(readonly: bool, dir: &std::path::Path) -> LibvirtBackend {
    let config = Config::default();
    LibvirtBackend::connect(LibvirtOptions {
        uri: yun::startup::demo_uri(dir).unwrap(),
        readonly,
        flavors: config.flavors(),
        image_pools: config.image_pools.clone(),
    })
    .unwrap()
}

/// Create paths of the libvirt backend: a storage volume in the demo's `vms` pool.
fn libvirt_creates() -> Vec<CreateCase<LibvirtBackend>> {
    vec![CreateCase {
        kind: ResourceKind::Volumes,
        name: "contract-scratch.qcow2".into(),
        create: |b, name| {
            Box::pin(async move {
                let spec = CreateSpec::Volume(VolumeSpec {
                    name: name.into(),
                    pool: "vms".into(),
                    capacity_bytes: 1 << 30,
                    format: VolumeFormat::Qcow2,
                });
                b.create(spec).await.map(drop)
            })
        },
    }]
}

/// Create paths of the OpenStack backend (none until the backend trait can create).
fn openstack_creates() -> Vec<CreateCase<OpenStackBackend>> {
    Vec::new()
}

fn show(report: &Report) {
    for (action, status) in &report.done {
        eprintln!("done: {action} on {status}");
    }
    for (action, status, error) in &report.refused {
        eprintln!("refused: {action} on {status}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libvirt_demo_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let rw = libvirt_demo(false, dir.path());
    let ro = libvirt_demo(true, dir.path());
    let target = Target {
        name: "libvirt demo",
        backend: &rw,
        readonly: &ro,
        kinds: ResourceKind::ALL.to_vec(),
        // Autostart is a flag libvirt sets again without complaint.
        no_op_when_not_offered: &["autostart-on", "autostart-off"],
        // The test driver shuts a crashed domain off on request; restore is libvirt's start
        // (from the managed save when there is one), so it starts a shut-off domain too.
        accepted_beyond_rule: &[("shutdown", "CRASHED"), ("restore", "SHUTOFF")],
        mutations_sent: None,
        creates: libvirt_creates(),
    };
    let report = target.run().await;
    show(&report);
    assert!(!report.refused.is_empty());
    // libvirt's own reasons, as virsh prints them ("Requested operation is not valid: domain
    // is not running", "Domain 'x' is already running", "domain 'x' not paused").
    for (action, status, error) in &report.refused {
        let expected = match status.as_str() {
            "ACTIVE" => "already running",
            _ if action == "resume" => "not paused",
            _ => "not running",
        };
        assert!(error.contains(expected), "{action} on {status}: {error}");
    }
    // Every action was refused somewhere except those offered in every state.
    let refused: Vec<&str> = report.refused.iter().map(|(a, _, _)| a.as_str()).collect();
    for action in [
        "start",
        "shutdown",
        "force-off",
        "pause",
        "resume",
        "suspend",
        "restore",
    ] {
        assert!(refused.contains(&action), "{action} refused: {refused:?}");
    }
}

#[tokio::test]
async fn openstack_mock_cloud_keeps_the_contract() {
    openstack_mock_cloud(1000).await;
}

/// The same cloud answering one row per page: every listing walks its pages.
#[tokio::test]
async fn openstack_mock_cloud_in_pages_keeps_the_contract() {
    let state = openstack_mock_cloud(1).await;
    let followed = |p: &str| {
        state
            .requests()
            .iter()
            .any(|r| r.path.ends_with(p) && r.query.contains("marker="))
    };
    assert!(followed("/servers/detail") && followed("/images") && followed("/ports"));
}

async fn openstack_mock_cloud(page_size: usize) -> cloudmock::stateful::Stateful {
    let (cloud, state) = cloudmock::stateful::stateful_cloud().await;
    state.state().page_size = page_size;
    let rw = cloud.backend().await;
    let mut options = cloud.options();
    options.readonly = true;
    let ro = OpenStackBackend::connect(options).await.unwrap();
    let log = state.clone();
    let target = Target {
        name: "OpenStack mock cloud",
        backend: &rw,
        readonly: &ro,
        kinds: ResourceKind::ALL
            .into_iter()
            .chain([
                ResourceKind::SecurityGroups,
                ResourceKind::FloatingIps,
                ResourceKind::Ports,
            ])
            .collect(),
        // Nova locks a locked server (and unlocks an unlocked one) again without complaint.
        no_op_when_not_offered: &["lock", "unlock"],
        // Nova hard-reboots a stopped, suspended or failed server (`ALLOW_HARD_REBOOT`); the
        // shared rule, made for libvirt as well, offers a reset only to running ones.
        accepted_beyond_rule: &[
            ("reset", "SHUTOFF"),
            ("reset", "SUSPENDED"),
            ("reset", "ERROR"),
        ],
        mutations_sent: Some(Box::new(move || {
            log.mutations()
                .into_iter()
                .map(|r| format!("{} {}", r.method, r.path))
                .collect()
        })),
        creates: openstack_creates(),
    };
    let report = target.run().await;
    show(&report);
    assert!(!report.refused.is_empty());
    let refused: Vec<&str> = report.refused.iter().map(|(a, _, _)| a.as_str()).collect();
    for action in [
        "start",
        "shutdown",
        "reboot",
        "reset",
        "pause",
        "resume",
        "suspend",
        "restore",
        "resize",
        "confirm-resize",
        "revert-resize",
        "snapshot",
    ] {
        assert!(refused.contains(&action), "{action} refused: {refused:?}");
    }
    assert_eq!(report.no_ops, ["lock", "unlock"]);
    // Nova's own 409, as nova-api words it.
    for (action, status, error) in &report.refused {
        assert!(
            error.contains("Cannot '")
                && error.contains("while it is in vm_state")
                && error.ends_with("(HTTP 409)"),
            "{action} on {status}: {error}"
        );
    }
    state
}
