//! The bulk statistics call frees what libvirt allocates (the `virt` crate's own version leaks
//! the records). In a test binary of its own: it measures the process's resident memory, which
//! other tests running alongside would disturb.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Mutex;

use virt::connect::Connect;
use yun::backend::Backend;
use yun::backend::libvirt::{LibvirtBackend, LibvirtOptions};

/// The tests measure the whole process's memory, so they take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn fixture_uri() -> String {
    format!(
        "test://{}/tests/fixtures/host.xml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Resident memory in bytes, from /proc.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("rss field");
    pages * 4096
}

#[test]
fn bulk_stats_are_parsed_and_freed() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let conn = Connect::open(Some(&fixture_uri())).expect("opens");
    let first = yun::backend::libvirt::ffi::all_domain_stats(&conn, 0, 0).expect("stats");
    assert_eq!(first.len(), 5);
    for record in &first {
        assert!(record.uuid.starts_with("11111111-"), "{}", record.uuid);
        let keys: Vec<_> = record.values.iter().map(|(k, _)| k.as_str()).collect();
        assert!(keys.contains(&"state.state"), "{keys:?}");
    }
    // Warm up allocator pools, then make sure many calls do not grow the process.
    for _ in 0..2_000 {
        yun::backend::libvirt::ffi::all_domain_stats(&conn, 0, 0).expect("stats");
    }
    let before = rss_bytes();
    for _ in 0..20_000 {
        yun::backend::libvirt::ffi::all_domain_stats(&conn, 0, 0).expect("stats");
    }
    let grown = rss_bytes().saturating_sub(before);
    assert!(
        grown < 4 << 20,
        "RSS grew by {grown} bytes over 20 000 calls"
    );
}

/// The monitor's path: the connection thread frees each tick's records after replying.
#[test]
fn monitor_ticks_free_their_records_after_replying() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let backend = LibvirtBackend::connect(LibvirtOptions {
        uri: fixture_uri(),
        readonly: true,
        flavors: Vec::new(),
        image_pools: Vec::new(),
    })
    .expect("connects");
    // The test driver's bulk records carry no counters, so yun asks the domains on screen
    // one by one as well: here web-01.
    let web_01 = "11111111-0000-4000-8000-000000000001".to_string();
    let ticks = |n: usize| {
        for _ in 0..n {
            let sample = rt
                .block_on(backend.sample_stats(vec![web_01.clone()]))
                .expect("sample");
            assert_eq!(sample.instances.len(), 1);
            assert_eq!(sample.instances[0].id, web_01);
        }
    };
    ticks(2_000);
    let before = rss_bytes();
    ticks(20_000);
    let grown = rss_bytes().saturating_sub(before);
    assert!(
        grown < 4 << 20,
        "RSS grew by {grown} bytes over 20 000 ticks"
    );
}
