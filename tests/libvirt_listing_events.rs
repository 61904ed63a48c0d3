//! The instance listing on libvirt's test driver costs a handful of bulk calls, and after the
//! first one it reads a domain's XML again only when an event names it. Changes are made
//! through a second, independent `virt` connection to `test:///default` (whose connections in
//! one process share one host), and the calls are counted in yun's libvirt layer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::Duration;

use virt::connect::Connect;
use virt::domain::Domain;
use yun::backend::Backend;
use yun::backend::libvirt::{LibvirtBackend, LibvirtOptions};
use yun::model::{Instance, InstanceStatus, Listing, ResourceKind};

const URI: &str = "test:///default";

/// Every test here changes the shared default host; one at a time.
async fn default_host() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

fn backend() -> LibvirtBackend {
    LibvirtBackend::connect(LibvirtOptions {
        uri: URI.into(),
        readonly: false,
        flavors: Vec::new(),
        image_pools: Vec::new(),
    })
    .expect("connects")
}

fn domain_xml(name: &str, uuid: &str, vcpus: u32) -> String {
    format!(
        "<domain type='test'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>{vcpus}</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/guest/{name}.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>"
    )
}

/// The second connection, and the domains it defined (undefined again when it goes).
struct Elsewhere {
    conn: Connect,
    defined: Vec<String>,
}

impl Elsewhere {
    fn new() -> Self {
        Elsewhere {
            conn: Connect::open(Some(URI)).expect("opens"),
            defined: Vec::new(),
        }
    }

    fn define(&mut self, name: &str, uuid: &str, vcpus: u32) -> Domain {
        let dom = self
            .conn
            .define_domain_xml(&domain_xml(name, uuid, vcpus))
            .expect("defines");
        if !self.defined.iter().any(|n| n == name) {
            self.defined.push(name.to_string());
        }
        dom
    }

    fn domain(&self, name: &str) -> Domain {
        self.conn.lookup_domain_by_name(name).expect("exists")
    }
}

impl Drop for Elsewhere {
    fn drop(&mut self) {
        for name in &self.defined {
            if let Ok(dom) = self.conn.lookup_domain_by_name(name) {
                let _ = dom.destroy();
                let _ = dom.undefine();
            }
        }
    }
}

async fn instances(b: &LibvirtBackend) -> Vec<Instance> {
    match b.list(ResourceKind::Instances).await.expect("lists") {
        Listing::Instances(v) => v,
        other => panic!("wrong listing {other:?}"),
    }
}

fn row<'a>(rows: &'a [Instance], name: &str) -> &'a Instance {
    rows.iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("{name} not listed"))
}

/// Wait until no event has come for a while, and return the ids that came.
async fn settle(b: &LibvirtBackend) -> Vec<String> {
    let mut ids = Vec::new();
    while let Ok(Some(batch)) =
        tokio::time::timeout(Duration::from_millis(300), b.next_changes()).await
    {
        ids.extend(batch);
    }
    ids
}

/// Wait for an event naming `id`.
async fn event_for(b: &LibvirtBackend, id: &str) {
    let waited = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            let batch = b.next_changes().await.expect("events are available");
            if batch.iter().any(|i| i == id) {
                return;
            }
        }
    })
    .await;
    assert!(waited.is_ok(), "no event for {id} within 3 s");
}

/// The calls made between two snapshots.
fn made(
    before: &BTreeMap<&'static str, u64>,
    after: &BTreeMap<&'static str, u64>,
) -> BTreeMap<&'static str, u64> {
    after
        .iter()
        .map(|(k, n)| (*k, n - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn count(calls: &BTreeMap<&'static str, u64>, kind: &str) -> u64 {
    calls.get(kind).copied().unwrap_or(0)
}

#[tokio::test]
async fn an_event_for_one_domain_rereads_that_domain_alone() {
    let _host = default_host().await;
    let mut elsewhere = Elsewhere::new();
    let names = ["yun-ev-a", "yun-ev-b", "yun-ev-c"];
    for (n, name) in names.iter().enumerate() {
        elsewhere
            .define(name, &format!("55555555-0000-4000-8000-00000000000{n}"), 1)
            .create()
            .expect("starts");
    }
    let b = backend();
    assert!(b.events_available());
    settle(&b).await;

    let first = instances(&b).await;
    assert!(first.len() >= 4, "test and the three: {first:?}");
    for name in names {
        assert_eq!(row(&first, name).status, InstanceStatus::Active);
    }
    let after_first = b.call_counts();
    assert_eq!(
        count(&after_first, "xml_desc"),
        first.len() as u64,
        "the first listing reads every domain's XML once: {after_first:?}"
    );

    // Nothing happened: the bulk calls and no XML at all.
    let quiet = instances(&b).await;
    assert_eq!(quiet.len(), first.len());
    let after_quiet = b.call_counts();
    let calls = made(&after_first, &after_quiet);
    assert_eq!(count(&calls, "xml_desc"), 0, "{calls:?}");
    assert_eq!(count(&calls, "list_all_domains"), 5, "{calls:?}");
    assert_eq!(count(&calls, "get_all_domain_stats"), 1, "{calls:?}");
    assert_eq!(count(&calls, "block_info"), 0, "{calls:?}");
    assert_eq!(
        count(&calls, "list_all_storage_pools"),
        0,
        "the pools are kept: {calls:?}"
    );
    assert_eq!(
        count(&calls, "network_dhcp_leases"),
        1,
        "one lease call for the one network: {calls:?}"
    );

    // Paused through the other connection: its event names that domain alone.
    let paused = elsewhere.domain("yun-ev-b");
    paused.suspend().expect("pauses");
    let id = paused.uuid_string().expect("uuid");
    event_for(&b, &id).await;
    let after = instances(&b).await;
    assert_eq!(row(&after, "yun-ev-b").status, InstanceStatus::Paused);
    assert_eq!(row(&after, "yun-ev-a").status, InstanceStatus::Active);
    assert_eq!(row(&after, "yun-ev-c").status, InstanceStatus::Active);
    let calls = made(&after_quiet, &b.call_counts());
    assert_eq!(
        count(&calls, "xml_desc"),
        1,
        "only the paused domain's XML is read again: {calls:?}"
    );
    assert!(count(&calls, "block_info") <= 1, "{calls:?}");
    assert_eq!(count(&calls, "get_all_domain_stats"), 1, "{calls:?}");
    // Its disk outside any pool was asked for once, with its XML, not on every listing.
    assert_eq!(row(&after, "yun-ev-b").size, row(&first, "yun-ev-b").size);
}

#[tokio::test]
async fn domains_defined_and_undefined_elsewhere_appear_and_vanish() {
    let _host = default_host().await;
    let mut elsewhere = Elsewhere::new();
    elsewhere.define("yun-ev-old", "55555555-0000-4000-8000-000000000010", 1);
    let b = backend();
    settle(&b).await;
    let before = instances(&b).await;
    row(&before, "yun-ev-old");
    assert!(!before.iter().any(|i| i.name == "yun-ev-new"));
    let counted = b.call_counts();

    elsewhere.define("yun-ev-new", "55555555-0000-4000-8000-000000000011", 2);
    elsewhere
        .domain("yun-ev-old")
        .undefine()
        .expect("undefines");
    let after = instances(&b).await;
    assert!(
        !after.iter().any(|i| i.name == "yun-ev-old"),
        "the undefined domain is gone"
    );
    assert_eq!(row(&after, "yun-ev-new").size.vcpus, 2);
    assert_eq!(after.len(), before.len());
    let calls = made(&counted, &b.call_counts());
    assert_eq!(
        count(&calls, "xml_desc"),
        1,
        "only the new domain's XML is read: {calls:?}"
    );
}

#[tokio::test]
async fn a_redefined_domains_new_vcpu_count_appears() {
    let _host = default_host().await;
    let mut elsewhere = Elsewhere::new();
    let uuid = "55555555-0000-4000-8000-000000000020";
    let dom = elsewhere.define("yun-ev-vcpu", uuid, 1);
    let id = dom.uuid_string().expect("uuid");
    let b = backend();
    settle(&b).await;
    assert_eq!(row(&instances(&b).await, "yun-ev-vcpu").size.vcpus, 1);

    // Redefined elsewhere: the event makes the next listing read it again.
    elsewhere.define("yun-ev-vcpu", uuid, 3);
    event_for(&b, &id).await;
    assert_eq!(row(&instances(&b).await, "yun-ev-vcpu").size.vcpus, 3);

    // Redefined by yun itself: the listing right after shows it, whenever the event arrives.
    let doc = b.editable_document(&id).await.expect("document");
    let edited = doc.replace(">3</vcpu>", ">4</vcpu>");
    assert_ne!(doc, edited, "{doc}");
    b.redefine(&id, &edited).await.expect("redefines");
    assert_eq!(row(&instances(&b).await, "yun-ev-vcpu").size.vcpus, 4);
}

#[tokio::test]
async fn a_storage_pool_event_makes_the_next_listing_read_the_pools_again() {
    let _host = default_host().await;
    let elsewhere = Elsewhere::new();
    let b = backend();
    settle(&b).await;
    instances(&b).await;
    let counted = b.call_counts();
    instances(&b).await;
    let calls = made(&counted, &b.call_counts());
    assert_eq!(count(&calls, "list_all_storage_pools"), 0, "{calls:?}");

    let pool = elsewhere
        .conn
        .lookup_storage_pool_by_name("default-pool")
        .expect("pool");
    pool.refresh(0).expect("refreshes");
    // The refresh event comes through libvirt's event loop.
    let counted = b.call_counts();
    let mut reread = false;
    for _ in 0..30 {
        instances(&b).await;
        if count(&made(&counted, &b.call_counts()), "list_all_storage_pools") > 0 {
            reread = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        reread,
        "the pools were not read again after their refresh event"
    );
    let counted = b.call_counts();
    instances(&b).await;
    let calls = made(&counted, &b.call_counts());
    assert_eq!(
        count(&calls, "list_all_storage_pools"),
        0,
        "once: {calls:?}"
    );
}
