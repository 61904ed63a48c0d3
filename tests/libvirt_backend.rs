//! The libvirt backend against libvirt's in-process test driver: `test:///default` and a host
//! fixture of our own. Listings are compared with what `virsh` prints for the same URI, and
//! actions are verified through a second, independent `virt` connection.
// Test helpers (not only #[test] fns) may fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use virt::connect::Connect;
use virt::sys;
use yun::backend::libvirt::{LibvirtBackend, LibvirtOptions};
use yun::backend::{
    Backend, BackendError, ConnectionState, CreateSpec, InstanceAction, VolumeFormat, VolumeSpec,
};
use yun::model::{
    Availability, Flavor, Image, Instance, InstanceStatus, Listing, Network, Pool, ResourceKind,
    Volume,
};

const DEFAULT_URI: &str = "test:///default";

fn fixture_uri() -> String {
    format!(
        "test://{}/tests/fixtures/host.xml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// All `test:///default` connections in a process share one state; tests that use it take
/// this lock so one test's domains do not show up in another's listing.
async fn default_host() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

fn flavor(name: &str, vcpus: u32, ram_mib: u64) -> Flavor {
    Flavor {
        id: name.into(),
        name: name.into(),
        vcpus,
        ram_bytes: ram_mib << 20,
        root_disk_bytes: 0,
        ephemeral_bytes: 0,
        swap_bytes: 0,
        public: None,
        fits: None,
        extra_specs: vec![],
    }
}

fn options(uri: &str, readonly: bool) -> LibvirtOptions {
    LibvirtOptions {
        uri: uri.into(),
        readonly,
        flavors: vec![
            flavor("m1.small", 2, 2048),
            flavor("m1.large", 4, 4096),
            flavor("huge", 64, 1 << 20),
        ],
        image_pools: vec!["images".into()],
    }
}

fn backend(uri: &str) -> LibvirtBackend {
    LibvirtBackend::connect(options(uri, false)).expect("connects")
}

/// Rows of a `virsh` table (header and rule skipped), split on runs of 2+ spaces.
fn virsh_rows(uri: &str, args: &[&str]) -> Vec<Vec<String>> {
    let out = Command::new("virsh")
        .arg("-c")
        .arg(uri)
        .args(args)
        .output()
        .expect("virsh runs");
    assert!(
        out.status.success(),
        "virsh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip_while(|l| !l.starts_with('-'))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.trim()
                .split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

async fn instances(b: &LibvirtBackend) -> Vec<Instance> {
    match b.list(ResourceKind::Instances).await.expect("lists") {
        Listing::Instances(v) => v,
        other => panic!("wrong listing {other:?}"),
    }
}

async fn networks(b: &LibvirtBackend) -> Vec<Network> {
    match b.list(ResourceKind::Networks).await.expect("lists") {
        Listing::Networks(v) => v,
        other => panic!("wrong listing {other:?}"),
    }
}

async fn images(b: &LibvirtBackend) -> Vec<Image> {
    match b.list(ResourceKind::Images).await.expect("lists") {
        Listing::Images(v) => v,
        other => panic!("wrong listing {other:?}"),
    }
}

async fn volumes(b: &LibvirtBackend) -> (Vec<Volume>, Vec<Pool>) {
    match b.list(ResourceKind::Volumes).await.expect("lists") {
        Listing::Volumes { volumes, pools } => (volumes, pools),
        other => panic!("wrong listing {other:?}"),
    }
}

/// The status virsh's state column implies.
fn status_for_virsh_state(state: &str, inst: &Instance) -> InstanceStatus {
    match state {
        "running" | "idle" => InstanceStatus::Active,
        "in shutdown" => InstanceStatus::Active,
        "paused" => InstanceStatus::Paused,
        "shut off" if inst.has_managed_save => InstanceStatus::Suspended,
        "shut off" => InstanceStatus::Shutoff,
        "crashed" => InstanceStatus::Crashed,
        "pmsuspended" => InstanceStatus::Suspended,
        other => panic!("unexpected virsh state {other}"),
    }
}

/// Every listing matches virsh for `uri`. Extra domains named `yun-` (made by other tests on
/// the shared default host) are tolerated.
async fn assert_listings_match_virsh(uri: &str) {
    let b = backend(uri);

    let rows = virsh_rows(uri, &["list", "--all"]);
    let ours = instances(&b).await;
    let ours_by_name: BTreeMap<_, _> = ours.iter().map(|i| (i.name.clone(), i)).collect();
    assert!(!rows.is_empty());
    for row in &rows {
        let (name, state) = (&row[1], &row[2]);
        let inst = ours_by_name
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(
            inst.status,
            status_for_virsh_state(state, inst),
            "{name} ({state})"
        );
    }
    let virsh_names: Vec<_> = rows.iter().map(|r| r[1].clone()).collect();
    for inst in &ours {
        assert!(
            virsh_names.contains(&inst.name) || inst.name.starts_with("yun-"),
            "{} not in virsh list",
            inst.name
        );
    }

    let rows = virsh_rows(uri, &["net-list", "--all"]);
    let nets = networks(&b).await;
    assert_eq!(nets.len(), rows.len());
    for row in &rows {
        let net = nets
            .iter()
            .find(|n| n.name == row[0])
            .expect("network listed");
        assert_eq!(net.active, row[1] == "active", "{}", row[0]);
        assert_eq!(net.autostart, Some(row[2] == "yes"), "{}", row[0]);
    }

    let rows = virsh_rows(uri, &["pool-list", "--all"]);
    let (vols, pools) = volumes(&b).await;
    let imgs = images(&b).await;
    assert_eq!(pools.len(), rows.len());
    for row in &rows {
        let pool = pools
            .iter()
            .find(|p| p.name == row[0])
            .expect("pool listed");
        assert_eq!(pool.active, row[1] == "active");
        let vol_rows = virsh_rows(uri, &["vol-list", &row[0]]);
        assert_eq!(pool.volumes, vol_rows.len(), "volume count of {}", row[0]);
        for vrow in vol_rows {
            let (name, path) = (&vrow[0], &vrow[1]);
            let found = if row[0] == "images" {
                imgs.iter()
                    .any(|i| &i.name == name && i.path.as_deref() == Some(path.as_str()))
            } else {
                vols.iter().any(|v| {
                    &v.name == name
                        && v.path.as_deref() == Some(path.as_str())
                        && v.pool.as_deref() == Some(row[0].as_str())
                })
            };
            assert!(found, "{name} of pool {} missing", row[0]);
        }
    }
}

#[tokio::test]
async fn default_host_listings_match_virsh() {
    let _host = default_host().await;
    assert_listings_match_virsh(DEFAULT_URI).await;
}

#[tokio::test]
async fn fixture_listings_match_virsh() {
    assert_listings_match_virsh(&fixture_uri()).await;
}

#[tokio::test]
async fn fixture_instances_sizes_states_and_flavors() {
    let b = backend(&fixture_uri());
    let list = instances(&b).await;
    let by_name = |n: &str| list.iter().find(|i| i.name == n).expect("listed").clone();

    let web = by_name("web-01");
    assert_eq!(web.id, "11111111-0000-4000-8000-000000000001");
    assert_eq!(
        (web.status.clone(), web.task.clone()),
        (InstanceStatus::Active, None)
    );
    assert_eq!(web.size.vcpus, 2);
    assert_eq!(web.size.ram_bytes, 2048 << 20);
    // The volume's capacity; the cdrom does not count.
    assert_eq!(web.size.disk_bytes, 20 << 30);
    assert_eq!(web.size.flavor.as_deref(), Some("m1.small"));
    assert_eq!(web.persistent, Some(true));
    assert_eq!(web.autostart, Some(false));

    let db = by_name("db-01");
    assert_eq!(db.status, InstanceStatus::Paused);
    assert_eq!(db.size.disk_bytes, 140 << 30);
    assert_eq!(db.size.flavor.as_deref(), Some("m1.large"));

    let legacy = by_name("legacy-erp");
    assert!(legacy.has_managed_save);
    assert_eq!(legacy.status, InstanceStatus::Suspended);
    assert!(InstanceAction::Restore.allowed_for(&legacy));
    assert!(!InstanceAction::Start.allowed_for(&legacy));

    assert_eq!(by_name("build-box").status, InstanceStatus::Shutoff);
    assert_eq!(by_name("batch-07").status, InstanceStatus::Crashed);
}

#[tokio::test]
async fn missing_lease_call_is_reported_not_empty() {
    let b = backend(&fixture_uri());
    for net in networks(&b).await {
        match &net.leases {
            Availability::Unavailable(reason) => {
                assert!(reason.contains("virNetworkGetDHCPLeases"), "{reason}")
            }
            Availability::Known(_) => panic!("the test driver has no lease call"),
        }
    }
    let web = instances(&b)
        .await
        .into_iter()
        .find(|i| i.name == "web-01")
        .expect("listed");
    let note = web.addresses_note.expect("reason recorded");
    assert!(note.contains("not supported"), "{note}");
}

#[tokio::test]
async fn fixture_networks_from_xml() {
    let b = backend(&fixture_uri());
    let nets = networks(&b).await;
    let lan = nets.iter().find(|n| n.name == "lan").expect("lan");
    assert_eq!(lan.forward.as_deref(), Some("isolated"));
    assert_eq!(lan.bridge.as_deref(), Some("yunbr0"));
    assert_eq!(lan.cidrs, vec!["192.168.150.0/24"]);
    assert_eq!(lan.dhcp_ranges, vec!["192.168.150.100-192.168.150.199"]);
    assert_eq!(lan.static_hosts.len(), 1);
    assert_eq!(lan.static_hosts[0].ip, "192.168.150.10");
    let public = nets.iter().find(|n| n.name == "public").expect("public");
    assert_eq!(public.forward.as_deref(), Some("nat"));
    assert_eq!(public.cidrs, vec!["10.20.0.0/16"]);
}

#[tokio::test]
async fn fixture_images_and_volumes_know_their_users() {
    let b = backend(&fixture_uri());
    let imgs = images(&b).await;
    let base = imgs.iter().find(|i| i.name == "base.qcow2").expect("base");
    assert_eq!(
        base.used_by,
        vec!["web-01"],
        "used through web-01's backing store"
    );
    assert_eq!(base.format.as_deref(), Some("qcow2"));
    assert_eq!(base.virtual_size, Some(10 << 30));
    assert_eq!(base.allocation, Some(2 << 30));
    let unused = imgs
        .iter()
        .find(|i| i.name == "unused.qcow2")
        .expect("unused");
    assert!(unused.used_by.is_empty());

    let (vols, pools) = volumes(&b).await;
    assert!(vols.iter().all(|v| v.pool.as_deref() == Some("volumes")));
    let data = vols
        .iter()
        .find(|v| v.name == "db-01-data.raw")
        .expect("data");
    assert_eq!(data.attached.len(), 1);
    assert_eq!(data.attached[0].instance, "db-01");
    assert_eq!(data.attached[0].target, "vdb");
    assert_eq!(data.format.as_deref(), Some("raw"));
    assert_eq!(data.capacity, Some(100 << 30));
    assert_eq!(pools.len(), 2);
}

#[tokio::test]
async fn fixture_overview_and_free_memory_unavailable() {
    let b = backend(&fixture_uri());
    let host = b.host_info().await.expect("host info");
    assert_eq!(host.cpus, 8);
    assert_eq!(host.mhz, 2400);
    assert_eq!(host.memory_total, 16 << 30);
    assert!(host.hypervisor.starts_with("TEST"), "{}", host.hypervisor);
    assert!(matches!(host.memory_free, Availability::Unavailable(_)));
    let ov = match b.list(ResourceKind::Overview).await.expect("lists") {
        Listing::Overview(ov) => ov,
        other => panic!("wrong listing {other:?}"),
    };
    assert_eq!(ov.vcpus_allocated, 2 + 4 + 1 + 1 + 1);
    // Running, paused and crashed domains are active.
    assert_eq!(ov.vcpus_running, 2 + 4 + 1);
    assert_eq!(ov.memory_allocated, (2048 + 4096 + 1024 + 1024 + 512) << 20);
    let count = |s: InstanceStatus| {
        ov.instances_by_status
            .iter()
            .find(|(st, _)| *st == s)
            .map(|(_, n)| *n)
    };
    assert_eq!(count(InstanceStatus::Active), Some(1));
    assert_eq!(count(InstanceStatus::Suspended), Some(1));
    assert_eq!(ov.active_networks, vec!["lan", "public"]);

    let flavors = match b.list(ResourceKind::Flavors).await.expect("lists") {
        Listing::Flavors(f) => f,
        other => panic!("wrong listing {other:?}"),
    };
    let fits = |n: &str| flavors.iter().find(|f| f.name == n).and_then(|f| f.fits);
    assert_eq!(fits("m1.small"), Some(true));
    assert_eq!(fits("huge"), Some(false));
}

#[tokio::test]
async fn fixture_instance_detail() {
    let b = backend(&fixture_uri());
    let d = b
        .instance_detail("11111111-0000-4000-8000-000000000001")
        .await
        .expect("detail");
    assert_eq!(d.name, "web-01");
    assert_eq!(d.disks.len(), 2);
    assert_eq!(d.disks[0].capacity, Some(20 << 30));
    assert_eq!(
        d.disks[0].backing.as_deref(),
        Some("/srv/yun-test/images/base.qcow2")
    );
    assert_eq!(d.disks[1].device, "cdrom");
    assert_eq!(d.nics[0].mac, "52:54:00:00:00:01");
    assert_eq!(d.nics[0].source, "lan");
    assert_eq!(d.os.arch, "x86_64");
    assert!(d.document.contains("<name>web-01</name>"));
    assert_eq!(
        d.console_command.as_deref(),
        Some(
            format!(
                "virsh -c {} console 11111111-0000-4000-8000-000000000001",
                fixture_uri()
            )
            .as_str()
        )
    );
    let missing = b
        .instance_detail("11111111-0000-4000-8000-00000000ffff")
        .await;
    assert!(
        matches!(missing, Err(BackendError::NotFound(_))),
        "{missing:?}"
    );
}

#[test]
fn failed_first_open_returns_libvirts_message() {
    let err = LibvirtBackend::connect(options("test:///nonexistent/host.xml", false))
        .err()
        .expect("must fail");
    let text = err.to_string();
    assert!(
        text.starts_with("failed to connect to the hypervisor: "),
        "{text}"
    );
}

/// A second connection that checks what libvirt reports, independent of the backend.
struct Observer(Connect);

impl Observer {
    fn new() -> Self {
        Observer(Connect::open(Some(DEFAULT_URI)).expect("opens"))
    }
    fn state(&self, name: &str) -> u32 {
        let dom = self.0.lookup_domain_by_name(name).expect("domain exists");
        dom.info().expect("info").state.to_raw()
    }
    fn exists(&self, name: &str) -> bool {
        self.0.lookup_domain_by_name(name).is_ok()
    }
}

fn domain_xml(name: &str, uuid: &str, disk_path: &str) -> String {
    format!(
        "<domain type='test'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='{disk_path}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <source file='/default-pool/yun-installer.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
  </devices>
</domain>"
    )
}

fn id_of(obs: &Observer, name: &str) -> String {
    obs.0
        .lookup_domain_by_name(name)
        .and_then(|d| d.uuid_string())
        .expect("uuid")
}

#[tokio::test]
async fn lifecycle_actions_change_libvirts_state() {
    let _host = default_host().await;
    let obs = Observer::new();
    let name = "yun-lifecycle";
    obs.0
        .define_domain_xml(&domain_xml(
            name,
            "44444444-0000-4000-8000-000000000001",
            "/guest/yun-lifecycle.img",
        ))
        .expect("defines");
    let id = id_of(&obs, name);
    let b = backend(DEFAULT_URI);
    let act = |a: InstanceAction| {
        let b = &b;
        let id = id.clone();
        async move { b.perform(&id, &a).await }
    };

    act(InstanceAction::Start).await.expect("start");
    assert_eq!(obs.state(name), sys::VIR_DOMAIN_RUNNING);
    act(InstanceAction::Pause).await.expect("pause");
    assert_eq!(obs.state(name), sys::VIR_DOMAIN_PAUSED);
    act(InstanceAction::Resume).await.expect("resume");
    assert_eq!(obs.state(name), sys::VIR_DOMAIN_RUNNING);

    act(InstanceAction::Suspend).await.expect("suspend");
    assert_eq!(obs.state(name), sys::VIR_DOMAIN_SHUTOFF);
    let listed = instances(&b)
        .await
        .into_iter()
        .find(|i| i.name == name)
        .expect("listed");
    assert!(listed.has_managed_save);
    assert_eq!(listed.status, InstanceStatus::Suspended);
    act(InstanceAction::Restore).await.expect("restore");
    assert_eq!(obs.state(name), sys::VIR_DOMAIN_RUNNING);
    let dom = obs.0.lookup_domain_by_name(name).expect("exists");
    assert!(!dom.has_managed_save(0).expect("answers"));

    act(InstanceAction::Reboot).await.expect("reboot");
    assert_eq!(obs.state(name), sys::VIR_DOMAIN_RUNNING);
    act(InstanceAction::Reset).await.expect("reset");
    assert_eq!(obs.state(name), sys::VIR_DOMAIN_RUNNING);
    act(InstanceAction::Shutdown).await.expect("shutdown");
    assert_eq!(obs.state(name), sys::VIR_DOMAIN_SHUTOFF);

    // libvirt's own message comes through.
    let err = act(InstanceAction::Pause).await.expect_err("not running");
    assert!(err.to_string().contains("not running"), "{err}");

    act(InstanceAction::Start).await.expect("start again");
    act(InstanceAction::ForceOff).await.expect("force off");
    assert_eq!(obs.state(name), sys::VIR_DOMAIN_SHUTOFF);

    act(InstanceAction::SetAutostart(true))
        .await
        .expect("autostart on");
    assert!(dom.autostart().expect("answers"));
    act(InstanceAction::SetAutostart(false))
        .await
        .expect("autostart off");
    assert!(!dom.autostart().expect("answers"));

    // Deleting a running domain destroys it first.
    act(InstanceAction::Start)
        .await
        .expect("start before delete");
    act(InstanceAction::Delete {
        delete_volumes: false,
    })
    .await
    .expect("delete");
    assert!(!obs.exists(name));
}

#[tokio::test]
async fn delete_with_volumes_removes_only_the_instances_own_volumes() {
    let _host = default_host().await;
    let obs = Observer::new();
    let pool = obs
        .0
        .lookup_storage_pool_by_name("default-pool")
        .expect("pool");
    let create = |name: &str| {
        virt::storage_vol::StorageVol::create_xml(
            &pool,
            &format!("<volume><name>{name}</name><capacity unit='MiB'>64</capacity></volume>"),
            0,
        )
        .expect("volume created")
        .path()
        .expect("path")
    };
    let own = create("yun-delete.img");
    let shared = create("yun-shared.img");
    let name = "yun-delete";
    let xml = domain_xml(name, "44444444-0000-4000-8000-000000000002", &own).replace(
        "  </devices>",
        &format!(
            "    <disk type='file' device='disk'>
      <source file='{shared}'/>
      <target dev='vdb' bus='virtio'/>
      <readonly/>
      <shareable/>
    </disk>
  </devices>"
        ),
    );
    obs.0.define_domain_xml(&xml).expect("defines");
    let id = id_of(&obs, name);
    let b = backend(DEFAULT_URI);

    let (vols, _) = volumes(&b).await;
    let listed = vols
        .iter()
        .find(|v| v.name == "yun-delete.img")
        .expect("listed");
    assert_eq!(listed.attached.len(), 1);
    assert_eq!(listed.attached[0].instance, name);
    assert_eq!(listed.attached[0].target, "vda");

    b.perform(
        &id,
        &InstanceAction::Delete {
            delete_volumes: true,
        },
    )
    .await
    .expect("deletes");
    assert!(!obs.exists(name));
    assert!(
        pool.lookup_storage_vol_by_name("yun-delete.img").is_err(),
        "the instance's own volume is gone"
    );
    let kept = pool
        .lookup_storage_vol_by_name("yun-shared.img")
        .expect("the read-only shared volume is kept");
    kept.delete(0).expect("cleans up");
}

#[tokio::test]
async fn deleting_a_transient_domain_destroys_it() {
    let _host = default_host().await;
    let obs = Observer::new();
    let name = "yun-transient";
    obs.0
        .create_domain_xml(
            &domain_xml(name, "44444444-0000-4000-8000-000000000003", "/guest/t.img"),
            0,
        )
        .expect("creates");
    let id = id_of(&obs, name);
    let b = backend(DEFAULT_URI);
    let listed = instances(&b)
        .await
        .into_iter()
        .find(|i| i.name == name)
        .expect("listed");
    assert_eq!(listed.persistent, Some(false));
    assert_eq!(listed.autostart, None);
    b.perform(
        &id,
        &InstanceAction::Delete {
            delete_volumes: false,
        },
    )
    .await
    .expect("deletes");
    assert!(!obs.exists(name));
}

#[tokio::test]
async fn redefine_applies_edits_and_refuses_another_uuid() {
    let _host = default_host().await;
    let obs = Observer::new();
    let name = "yun-redefine";
    obs.0
        .define_domain_xml(&domain_xml(
            name,
            "44444444-0000-4000-8000-000000000004",
            "/guest/r.img",
        ))
        .expect("defines");
    let id = id_of(&obs, name);
    let b = backend(DEFAULT_URI);
    let doc = b.editable_document(&id).await.expect("document");
    assert!(doc.contains("<memory unit='KiB'>524288</memory>"), "{doc}");

    let edited = doc.replace(
        "<memory unit='KiB'>524288</memory>",
        "<memory unit='KiB'>1048576</memory>",
    );
    b.redefine(&id, &edited).await.expect("redefines");
    let dom = obs.0.lookup_domain_by_name(name).expect("exists");
    assert_eq!(dom.max_memory().expect("answers"), 1_048_576);

    let other = edited.replace(&id, "44444444-0000-4000-8000-0000000000ff");
    let err = b.redefine(&id, &other).await.expect_err("refused");
    assert!(matches!(err, BackendError::Invalid(_)), "{err:?}");
    assert!(
        obs.0
            .lookup_domain_by_uuid_string("44444444-0000-4000-8000-0000000000ff")
            .is_err()
    );

    b.perform(
        &id,
        &InstanceAction::Delete {
            delete_volumes: false,
        },
    )
    .await
    .expect("cleans up");
}

#[tokio::test]
async fn readonly_backend_refuses_every_mutation() {
    let _host = default_host().await;
    let obs = Observer::new();
    let b = LibvirtBackend::connect(options(DEFAULT_URI, true)).expect("connects");
    assert!(b.capabilities().readonly);
    let id = id_of(&obs, "test");
    let before = obs.state("test");
    let mut all = yun::backend::libvirt::instance_actions();
    all.push(InstanceAction::Delete {
        delete_volumes: true,
    });
    for action in all {
        let result = b.perform(&id, &action).await;
        assert_eq!(result, Err(BackendError::ReadOnly), "{action:?}");
    }
    let doc = b.editable_document(&id).await.expect("reading is allowed");
    assert_eq!(b.redefine(&id, &doc).await, Err(BackendError::ReadOnly));
    assert_eq!(obs.state("test"), before);
    assert!(obs.exists("test"));
}

#[tokio::test]
async fn pause_yields_a_lifecycle_event() {
    let _host = default_host().await;
    let obs = Observer::new();
    let name = "yun-events";
    obs.0
        .define_domain_xml(&domain_xml(
            name,
            "44444444-0000-4000-8000-000000000005",
            "/guest/e.img",
        ))
        .expect("defines");
    let id = id_of(&obs, name);
    let b = backend(DEFAULT_URI);
    b.perform(&id, &InstanceAction::Start).await.expect("start");
    // Let the start events arrive, then drain them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while tokio::time::timeout(Duration::from_millis(100), b.next_changes())
        .await
        .is_ok()
    {}

    b.perform(&id, &InstanceAction::Pause).await.expect("pause");
    let batch = tokio::time::timeout(Duration::from_secs(3), b.next_changes())
        .await
        .expect("an event within 3 s")
        .expect("events are available");
    assert!(batch.contains(&id), "{batch:?}");

    b.perform(
        &id,
        &InstanceAction::Delete {
            delete_volumes: false,
        },
    )
    .await
    .expect("cleans up");
}

#[tokio::test]
async fn default_host_state_stats_and_connection() {
    let _host = default_host().await;
    let b = backend(DEFAULT_URI);
    assert_eq!(b.uri(), DEFAULT_URI);
    assert_eq!(b.connection_state().await, ConnectionState::Connected);
    let stats = b.domain_stats(0).await.expect("stats");
    let test = stats
        .iter()
        .find(|s| s.uuid == "6695eb01-f6a4-8304-79aa-97f2502e193f")
        .expect("domain test has stats");
    assert!(
        test.values.iter().any(|(k, _)| k == "state.state"),
        "{test:?}"
    );
    let host = b.host_info().await.expect("host");
    assert!(matches!(host.memory_free, Availability::Known(_)));
}

#[tokio::test]
async fn host_figures_the_driver_cannot_give_come_with_libvirts_reason_every_tick() {
    let b = backend(&fixture_uri());
    for tick in 0..3 {
        let sample = b.sample_stats(Vec::new()).await.expect("a sample");
        let host = &sample.host;
        assert!(host.cpus > 0);
        assert!(host.memory_total > 0, "from the node info instead");
        assert_eq!(host.memory_free, None);
        let reason = |what: &str| {
            host.missing
                .iter()
                .find(|(k, _)| k == what)
                .map(|(_, why)| why.clone())
                .unwrap_or_else(|| panic!("tick {tick}: no reason for {what}: {host:?}"))
        };
        // Asked once, remembered after: the same libvirt reason on every tick.
        assert!(
            reason("memory").contains("virNodeGetMemoryStats"),
            "tick {tick}"
        );
        assert!(
            reason("cpu").contains("fixed host CPU times"),
            "tick {tick}"
        );
        assert_eq!((host.cpu_busy_ns, host.cpu_total_ns), (None, None));
        assert!(sample.basis.contains("test driver"), "{}", sample.basis);
    }
}

#[tokio::test]
async fn default_host_addresses_fall_back_to_the_domains_lease_lookup() {
    let _host = default_host().await;
    let b = backend(DEFAULT_URI);
    let test = instances(&b)
        .await
        .into_iter()
        .find(|i| i.name == "test")
        .expect("listed");
    // The network has no lease call on this driver: the reason is kept, and the domain's own
    // lookup (which the test driver answers from the DHCP range) provides the address.
    let note = test.addresses_note.expect("reason recorded");
    assert!(note.contains("virNetworkGetDHCPLeases"), "{note}");
    assert!(!test.addresses.is_empty());
    assert!(test.addresses.iter().all(|a| a.network == "default"));
    assert!(
        test.addresses
            .iter()
            .all(|a| a.ip.starts_with("192.168.122.")),
        "{:?}",
        test.addresses
    );
    let detail = b
        .instance_detail("6695eb01-f6a4-8304-79aa-97f2502e193f")
        .await
        .expect("detail");
    assert_eq!(detail.nics[0].ips.len(), test.addresses.len());
}

fn volume_spec(name: &str, pool: &str, capacity_bytes: u64) -> CreateSpec {
    CreateSpec::Volume(VolumeSpec {
        name: name.into(),
        pool: pool.into(),
        capacity_bytes,
        format: VolumeFormat::Qcow2,
    })
}

#[tokio::test]
async fn a_created_volume_is_listed_with_its_capacity_pool_and_format() {
    // A host file gives every connection its own copy: nothing to clean up.
    let b = backend(&fixture_uri());
    let made = b
        .create(volume_spec("data-01.qcow2", "volumes", 5 << 30))
        .await
        .expect("creates");
    assert_eq!(made.kind, ResourceKind::Volumes);
    let (volumes, pools) = volumes(&b).await;
    let v = volumes
        .iter()
        .find(|v| v.name == "data-01.qcow2")
        .expect("the new volume is listed");
    assert_eq!(v.id, made.id);
    assert_eq!(v.pool.as_deref(), Some("volumes"));
    assert_eq!(v.capacity, Some(5 << 30));
    assert_eq!(v.format.as_deref(), Some("qcow2"));
    assert!(pools.iter().any(|p| p.name == "volumes"));
}

#[tokio::test]
async fn a_volume_bigger_than_the_pools_free_space_is_refused_before_libvirt_creates_it() {
    let b = backend(&fixture_uri());
    let (before, pools) = volumes(&b).await;
    let pool = pools.iter().find(|p| p.name == "volumes").expect("pool");
    let err = b
        .create(volume_spec("too-big", "volumes", pool.available + 1))
        .await
        .unwrap_err();
    match &err {
        BackendError::Invalid(m) => assert!(m.contains("does not fit in pool volumes"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Exactly the free space still fits.
    let (after, _) = volumes(&b).await;
    assert_eq!(after, before);
    b.create(volume_spec("just-fits", "volumes", pool.available))
        .await
        .expect("the whole free space fits");
}

#[tokio::test]
async fn a_volume_name_taken_in_the_pool_is_refused_with_its_name() {
    let b = backend(&fixture_uri());
    b.create(volume_spec("twice", "volumes", 1 << 20))
        .await
        .expect("first create");
    let err = b
        .create(volume_spec("twice", "volumes", 1 << 20))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BackendError::Conflict("pool volumes has a volume named twice already".into())
    );
    let err = b
        .create(volume_spec("x", "no-such-pool", 1 << 20))
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::NotFound(_)), "{err:?}");
    let (volumes, _) = volumes(&b).await;
    assert_eq!(volumes.iter().filter(|v| v.name == "twice").count(), 1);
}

#[tokio::test]
async fn readonly_refuses_a_create() {
    let b = LibvirtBackend::connect(options(&fixture_uri(), true)).expect("connects");
    assert_eq!(
        b.create(volume_spec("ro", "volumes", 1 << 20)).await,
        Err(BackendError::ReadOnly)
    );
    let (volumes, _) = volumes(&b).await;
    assert!(!volumes.iter().any(|v| v.name == "ro"));
}

#[tokio::test]
async fn the_worker_tags_every_event_and_what_it_creates_with_its_connection_and_records_it() {
    use std::sync::Arc;
    use yun::audit::{self, AuditLog, Outcome};
    use yun::backend::worker::{self, ConnectionEvent, Recorder};
    use yun::backend::{BackendEvent, BackendRequest, ConnectionId};

    let b = Arc::new(backend(&fixture_uri()));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<ConnectionEvent>();
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::in_dir(dir.path(), true);
    let recorder = Recorder::new(log.clone(), fixture_uri());
    let requests = worker::spawn(b, ConnectionId(7), tx, recorder);
    requests.send(BackendRequest::HostInfo).unwrap();
    requests
        .send(BackendRequest::Create {
            spec: volume_spec("tagged", "volumes", 1 << 20),
        })
        .unwrap();
    let mut created = None;
    while created.is_none() {
        let tagged = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("an event in time")
            .expect("the worker runs");
        assert_eq!(tagged.connection, ConnectionId(7), "{:?}", tagged.event);
        if let BackendEvent::Created { result, .. } = tagged.event {
            created = Some(result.expect("creates"));
        }
    }
    let made = created.unwrap();
    assert_eq!(made.connection, ConnectionId(7));
    assert_eq!(made.kind, ResourceKind::Volumes);
    // One audit line, naming what was made and the command that makes it.
    let (records, unreadable) = audit::read(log.path()).unwrap();
    assert_eq!((records.len(), unreadable), (1, 0));
    let r = &records[0];
    assert_eq!(
        (
            r.kind.as_str(),
            r.id.as_str(),
            r.name.as_str(),
            r.action.as_str()
        ),
        ("volume", made.id.as_str(), "tagged", "create")
    );
    assert_eq!(r.result, Outcome::Ok);
    assert!(
        r.command
            .contains("vol-create-as --pool volumes --name tagged"),
        "{}",
        r.command
    );
    assert_eq!(
        r.params.get("capacity_bytes"),
        Some(&serde_json::json!(1 << 20))
    );
}
