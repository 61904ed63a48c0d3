//! Cost of one monitor tick at 1,000 domains: the bulk statistics call on a generated
//! test-driver host, parsing QEMU-shaped records (the test driver's records carry only
//! `state.*`, so the parse is measured on records shaped like a real QEMU domain's), and the
//! rate arithmetic. With `YUN_BENCH_QEMU_URI` set (a real libvirtd), the bulk call there too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use yun::backend::Backend;
use yun::backend::libvirt::ffi::{DomainStats, StatValue};
use yun::backend::libvirt::stats::counters_from_record;
use yun::backend::libvirt::{LibvirtBackend, LibvirtOptions};
use yun::model::{HostCounters, StatsSample};
use yun::monitor::Monitor;

const DOMAINS: usize = 1_000;

/// A test-driver host description with `n` running domains.
pub fn host_xml(n: usize) -> String {
    let mut xml = String::from(
        "<node><cpu><mhz>2900</mhz><model>bench</model><active>64</active><nodes>1</nodes>\
         <sockets>1</sockets><cores>32</cores><threads>2</threads></cpu><memory>536870912</memory>",
    );
    for i in 0..n {
        let _ = write!(
            xml,
            "<domain type='test'><name>vm-{i:04}</name>\
             <uuid>00000000-0000-4000-8000-{i:012}</uuid>\
             <memory unit='MiB'>1024</memory><vcpu>2</vcpu><os><type>hvm</type></os>\
             <devices><memballoon model='virtio'/></devices></domain>"
        );
    }
    xml.push_str("</node>");
    xml
}

/// Records shaped like `virsh domstats` of a QEMU domain with 2 vCPUs, 2 disks and 2 NICs.
fn qemu_records(n: usize, tick: u64) -> Vec<DomainStats> {
    use StatValue::{Text, UInt};
    (0..n)
        .map(|i| {
            let mut v = vec![
                ("state.state".to_string(), UInt(1)),
                ("state.reason".to_string(), UInt(1)),
                ("cpu.time".to_string(), UInt(tick * 400_000_000 + i as u64)),
                ("cpu.user".to_string(), UInt(tick * 300_000_000)),
                ("cpu.system".to_string(), UInt(tick * 100_000_000)),
                ("balloon.current".to_string(), UInt(1_048_576)),
                ("balloon.maximum".to_string(), UInt(1_048_576)),
                ("balloon.rss".to_string(), UInt(700_000)),
                ("balloon.available".to_string(), UInt(1_000_000)),
                ("balloon.unused".to_string(), UInt(500_000)),
                ("balloon.usable".to_string(), UInt(600_000)),
                ("balloon.disk_caches".to_string(), UInt(100_000)),
                ("vcpu.current".to_string(), UInt(2)),
                ("vcpu.maximum".to_string(), UInt(2)),
            ];
            for c in 0..2 {
                v.push((format!("vcpu.{c}.state"), UInt(1)));
                v.push((format!("vcpu.{c}.time"), UInt(tick * 200_000_000)));
                v.push((format!("vcpu.{c}.wait"), UInt(0)));
            }
            v.push(("net.count".into(), UInt(2)));
            for c in 0..2 {
                v.push((format!("net.{c}.name"), Text(format!("vnet{c}"))));
                for k in [
                    "rx.bytes", "rx.pkts", "rx.errs", "rx.drop", "tx.bytes", "tx.pkts", "tx.errs",
                    "tx.drop",
                ] {
                    v.push((format!("net.{c}.{k}"), UInt(tick * 1000)));
                }
            }
            v.push(("block.count".into(), UInt(2)));
            for c in 0..2 {
                v.push((format!("block.{c}.name"), Text(format!("vd{c}"))));
                v.push((
                    format!("block.{c}.path"),
                    Text(format!("/var/lib/libvirt/images/{i}-{c}.qcow2")),
                ));
                for k in [
                    "rd.reqs",
                    "rd.bytes",
                    "rd.times",
                    "wr.reqs",
                    "wr.bytes",
                    "wr.times",
                    "fl.reqs",
                    "fl.times",
                    "allocation",
                    "capacity",
                    "physical",
                ] {
                    v.push((format!("block.{c}.{k}"), UInt(tick * 4096)));
                }
            }
            DomainStats {
                uuid: format!("00000000-0000-4000-8000-{i:012}"),
                values: v,
            }
        })
        .collect()
}

fn sample_from(records: &[DomainStats]) -> StatsSample {
    StatsSample {
        instances: records.iter().map(counters_from_record).collect(),
        host: HostCounters {
            cpus: 64,
            ..HostCounters::default()
        },
        basis: "bench".into(),
    }
}

fn open(uri: String) -> LibvirtBackend {
    LibvirtBackend::connect(LibvirtOptions {
        uri,
        readonly: true,
        flavors: Vec::new(),
        image_pools: Vec::new(),
    })
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("host-1000.xml");
    std::fs::write(&path, host_xml(DOMAINS)).unwrap();
    let backend = open(format!("test://{}", path.display()));

    let mut group = c.benchmark_group("monitor_tick_1000_domains");
    let conn = virt::connect::Connect::open(Some(&format!("test://{}", path.display()))).unwrap();
    group.bench_function("ffi_bulk_call_only", |b| {
        b.iter(|| {
            yun::backend::libvirt::ffi::all_domain_stats(
                &conn,
                yun::backend::libvirt::stats::GROUPS,
                virt::sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE,
            )
            .unwrap()
        });
    });
    group.bench_function("bulk_stats_call_test_driver", |b| {
        b.iter(|| rt.block_on(backend.sample_stats(Vec::new())).unwrap());
    });
    let records = qemu_records(DOMAINS, 1);
    group.bench_function("parse_qemu_shaped_records", |b| {
        b.iter(|| sample_from(&records));
    });
    let s1 = sample_from(&qemu_records(DOMAINS, 1));
    let s2 = sample_from(&qemu_records(DOMAINS, 2));
    group.bench_function("rate_math_and_history", |b| {
        let t0 = Instant::now();
        let mut m = Monitor::new(Duration::from_secs(1), Duration::from_secs(300), t0);
        let mut tick = 0u32;
        // The sample is cloned outside the timed part: the monitor owns each sample it gets.
        b.iter_batched(
            || {
                tick += 1;
                let s = if tick.is_multiple_of(2) {
                    s1.clone()
                } else {
                    s2.clone()
                };
                (t0 + Duration::from_secs(u64::from(tick)), s)
            },
            |(at, s)| m.ingest(at, s),
            criterion::BatchSize::SmallInput,
        );
    });
    group.finish();

    if let Ok(uri) = std::env::var("YUN_BENCH_QEMU_URI") {
        let qemu = open(uri);
        let mut group = c.benchmark_group("monitor_tick_real_hypervisor");
        group.bench_function("bulk_stats_call_qemu", |b| {
            b.iter(|| rt.block_on(qemu.sample_stats(Vec::new())).unwrap());
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
