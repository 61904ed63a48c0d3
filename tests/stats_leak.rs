//! The bulk statistics call frees what libvirt allocates (the `virt` crate's own version leaks
//! the records). In a test binary of its own: it measures the process's resident memory, which
//! other tests running alongside would disturb.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use virt::connect::Connect;

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
