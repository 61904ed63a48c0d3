//! Cost of one monitor tick at 1,000 domains.
//!
//! * libvirt's bulk call on a generated 1,000-domain test-driver host: the raw call alone,
//!   back to back, libvirt freeing the records included; and as yun makes it (through the
//!   connection thread, host CPU and memory included) up to its reply, which comes before
//!   the connection thread frees the records.
//! * Parsing: the test driver's records carry only `state.*`, so the parse is measured on
//!   1,000 records shaped like a real QEMU domain's (2 vCPUs, 2 disks, 2 NICs, 66 fields),
//!   built as the same C `virTypedParameter` arrays libvirt hands out and read by the same code.
//! * The rate arithmetic and bounded history for 1,000 instances.
//! * The whole tick: the call as yun makes it, the parse and the rates, one after the other,
//!   as the monitor waits for it (the connection thread frees the records after replying), and
//!   its CPU time on all threads, that free included.
//!
//! With `YUN_BENCH_QEMU_URI` set (a real libvirtd), the bulk call there too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Building typed parameters needs one unsafe call (`Params::new`, whose contract these
// arrays meet: NUL-terminated fields, values matching their types, strings kept alive).
#![allow(unsafe_code)]

use std::ffi::{CString, c_char, c_int};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use virt::sys;
use yun::backend::Backend;
use yun::backend::libvirt::ffi::{DomainStatsList, Params};
use yun::backend::libvirt::stats::{GROUPS, counters_from_params};
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

/// How a counter of the synthetic records grows per tick (0 for a level).
#[derive(Clone, Copy)]
enum Grow {
    Level(u64),
    PerTick(u64),
}

/// Records shaped like `virsh domstats` of QEMU domains with 2 vCPUs, 2 disks and 2 NICs, as
/// C typed-parameter arrays whose counters advance with [`QemuRecords::advance`].
struct QemuRecords {
    ids: Vec<String>,
    arrays: Vec<Vec<sys::virTypedParameter>>,
    growth: Vec<Vec<Option<Grow>>>,
    /// Owns the strings the arrays point to.
    _strings: Vec<CString>,
    tick: u64,
}

fn field(key: &str) -> [c_char; 80] {
    let mut f = [0 as c_char; 80];
    for (d, s) in f.iter_mut().zip(key.bytes()) {
        *d = s as c_char;
    }
    f
}

impl QemuRecords {
    fn new(n: usize) -> Self {
        use Grow::{Level, PerTick};
        let mut strings = Vec::new();
        let mut arrays = Vec::new();
        let mut growth = Vec::new();
        for i in 0..n {
            let mut fields: Vec<(String, Result<Grow, String>)> = vec![
                ("state.state".into(), Ok(Level(1))),
                ("state.reason".into(), Ok(Level(1))),
                ("cpu.time".into(), Ok(PerTick(400_000_000 + i as u64))),
                ("cpu.user".into(), Ok(PerTick(300_000_000))),
                ("cpu.system".into(), Ok(PerTick(100_000_000))),
                ("balloon.current".into(), Ok(Level(1_048_576))),
                ("balloon.maximum".into(), Ok(Level(1_048_576))),
                ("balloon.rss".into(), Ok(Level(700_000))),
                ("balloon.available".into(), Ok(Level(1_000_000))),
                ("balloon.unused".into(), Ok(Level(500_000))),
                ("balloon.usable".into(), Ok(Level(600_000))),
                ("balloon.disk_caches".into(), Ok(Level(100_000))),
                ("vcpu.current".into(), Ok(Level(2))),
                ("vcpu.maximum".into(), Ok(Level(2))),
            ];
            for c in 0..2 {
                fields.push((format!("vcpu.{c}.state"), Ok(Level(1))));
                fields.push((format!("vcpu.{c}.time"), Ok(PerTick(200_000_000))));
                fields.push((format!("vcpu.{c}.wait"), Ok(Level(0))));
            }
            fields.push(("net.count".into(), Ok(Level(2))));
            for c in 0..2 {
                fields.push((format!("net.{c}.name"), Err(format!("vnet{c}"))));
                for k in [
                    "rx.bytes", "rx.pkts", "rx.errs", "rx.drop", "tx.bytes", "tx.pkts", "tx.errs",
                    "tx.drop",
                ] {
                    fields.push((format!("net.{c}.{k}"), Ok(PerTick(1000))));
                }
            }
            fields.push(("block.count".into(), Ok(Level(2))));
            for c in 0..2 {
                fields.push((format!("block.{c}.name"), Err(format!("vd{c}"))));
                fields.push((
                    format!("block.{c}.path"),
                    Err(format!("/var/lib/libvirt/images/{i}-{c}.qcow2")),
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
                    fields.push((format!("block.{c}.{k}"), Ok(PerTick(4096))));
                }
            }
            let mut array = Vec::with_capacity(fields.len());
            let mut grow = Vec::with_capacity(fields.len());
            for (key, value) in fields {
                let param = match value {
                    Ok(g) => {
                        grow.push(Some(g));
                        sys::virTypedParameter {
                            field: field(&key),
                            type_: sys::VIR_TYPED_PARAM_ULLONG as c_int,
                            value: sys::_virTypedParameter__bindgen_ty_1 { ul: 0 },
                        }
                    }
                    Err(text) => {
                        grow.push(None);
                        let s = CString::new(text).unwrap();
                        let p = sys::virTypedParameter {
                            field: field(&key),
                            type_: sys::VIR_TYPED_PARAM_STRING as c_int,
                            value: sys::_virTypedParameter__bindgen_ty_1 {
                                s: s.as_ptr().cast_mut(),
                            },
                        };
                        // Moving a CString does not move its heap buffer.
                        strings.push(s);
                        p
                    }
                };
                array.push(param);
            }
            arrays.push(array);
            growth.push(grow);
        }
        let mut records = Self {
            ids: (0..n)
                .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
                .collect(),
            arrays,
            growth,
            _strings: strings,
            tick: 0,
        };
        records.advance();
        records
    }

    /// The counters one tick later.
    fn advance(&mut self) {
        self.tick += 1;
        for (array, growth) in self.arrays.iter_mut().zip(&self.growth) {
            for (param, grow) in array.iter_mut().zip(growth) {
                match grow {
                    Some(Grow::Level(v)) => param.value.ul = *v,
                    Some(Grow::PerTick(v)) => param.value.ul = v * self.tick,
                    None => {}
                }
            }
        }
    }

    /// What the monitor's tick does with libvirt's records: counters of every domain.
    fn parse(&self) -> StatsSample {
        StatsSample {
            instances: self
                .ids
                .iter()
                .zip(&self.arrays)
                // SAFETY: see the crate-level comment; the arrays outlive the call.
                .map(|(id, array)| counters_from_params(id, unsafe { Params::new(array) }))
                .collect(),
            host: HostCounters {
                cpus: 64,
                ..HostCounters::default()
            },
            basis: "bench".into(),
        }
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

/// Sum over `iters` ticks of what `tick` measures, advancing the records (untimed) before each.
fn per_tick(
    records: &mut QemuRecords,
    iters: u64,
    mut tick: impl FnMut(&QemuRecords) -> Duration,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        records.advance();
        total += tick(records);
    }
    total
}

/// One monitor tick: the bulk call as yun makes it, the parse of the QEMU-shaped records in
/// place of the test driver's state-only ones, and the rates.
fn tick(
    rt: &tokio::runtime::Runtime,
    backend: &LibvirtBackend,
    records: &QemuRecords,
    monitor: &mut Monitor,
    t0: Instant,
) {
    let call = rt.block_on(backend.sample_stats(Vec::new())).unwrap();
    let mut sample = records.parse();
    sample.host = call.host;
    monitor.ingest(t0 + Duration::from_secs(records.tick), sample);
}

/// An untimed pause between ticks. Ticks come a second apart in use, so the connection thread
/// has long freed the previous tick's records (after replying) when the next one starts; 5 ms
/// is ample for that (~2 ms). Were it too short, the next call would wait for the free, which
/// errs on the slow side.
const BETWEEN_TICKS: Duration = Duration::from_millis(5);

/// CPU time used so far by every thread of this process (user + system).
fn process_cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` is a valid out-pointer for one `rusage`.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage");
    // SAFETY: getrusage filled it.
    let u = unsafe { usage.assume_init() };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("host-1000.xml");
    std::fs::write(&path, host_xml(DOMAINS)).unwrap();
    let uri = format!("test://{}", path.display());
    let backend = open(uri.clone());
    let conn = virt::connect::Connect::open(Some(&uri)).unwrap();
    let mut records = QemuRecords::new(DOMAINS);

    let mut group = c.benchmark_group("monitor_tick_1000_domains");
    group.bench_function("libvirt_call_only", |b| {
        b.iter(|| {
            let list = DomainStatsList::fetch(
                &conn,
                GROUPS,
                sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE,
            )
            .unwrap();
            list.read(|_, _| ())
        });
    });
    // Until the reply, as the tick waits for it; the records are freed after it (see below).
    group.bench_function("bulk_call_as_yun_makes_it", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                std::thread::sleep(BETWEEN_TICKS);
                let start = Instant::now();
                let sample = rt.block_on(backend.sample_stats(Vec::new())).unwrap();
                total += start.elapsed();
                drop(std::hint::black_box(sample));
            }
            total
        });
    });
    group.bench_function("parse_qemu_shaped_records", |b| {
        b.iter_custom(|iters| {
            per_tick(&mut records, iters, |r| {
                let start = Instant::now();
                std::hint::black_box(r.parse());
                start.elapsed()
            })
        });
    });
    group.bench_function("rate_math_and_history", |b| {
        let t0 = Instant::now();
        let mut m = Monitor::new(Duration::from_secs(1), Duration::from_secs(300), t0);
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                records.advance();
                let sample = records.parse();
                let at = t0 + Duration::from_secs(records.tick);
                let start = Instant::now();
                m.ingest(at, sample);
                total += start.elapsed();
            }
            total
        });
    });
    group.bench_function("whole_tick", |b| {
        let t0 = Instant::now();
        let mut m = Monitor::new(Duration::from_secs(1), Duration::from_secs(300), t0);
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                std::thread::sleep(BETWEEN_TICKS);
                // After the pause: libvirt's records are fresh in the cache when yun reads
                // them, and so are these once advanced.
                records.advance();
                let start = Instant::now();
                tick(&rt, &backend, &records, &mut m, t0);
                total += start.elapsed();
            }
            total
        });
    });
    // The same tick in CPU time of every thread of the process, from its start until the pause
    // after it has ended: what a tick costs, the deferred free included, where `whole_tick` is
    // how long it takes. Advancing the records is the benchmark's own work and left out.
    group.bench_function("whole_tick_cpu_all_threads", |b| {
        let t0 = Instant::now();
        let mut m = Monitor::new(Duration::from_secs(1), Duration::from_secs(300), t0);
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                records.advance();
                let before = process_cpu_time();
                tick(&rt, &backend, &records, &mut m, t0);
                std::thread::sleep(BETWEEN_TICKS);
                total += process_cpu_time() - before;
            }
            total
        });
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
