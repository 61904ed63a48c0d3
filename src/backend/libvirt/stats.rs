//! Statistics for the monitor: one `virConnectGetAllDomainStats` call per tick for every running
//! domain, plus the host's CPU and memory counters. Runs on the connection thread.
//!
//! Drivers whose bulk call carries no counters (libvirt's test driver gives only `state.*`)
//! fall back to per-domain calls, and only for the domains on screen, so the cost stays bounded;
//! the sample's `basis` says so.

use std::collections::HashMap;
use std::sync::Mutex;

use virt::domain::Domain;
use virt::sys;

use super::error::is_unsupported;
use super::ffi::{self, Key, StatRef};
use super::thread::{Session, lv};
use super::xml;
use crate::backend::BackendError;
use crate::model::{
    DiskCounters, HostCounters, InstanceCounters, MemoryCounters, NicCounters, StatsSample,
};

/// The groups the monitor reads: state, cpu-total, balloon, vcpu, interface, block.
pub const GROUPS: u32 = sys::VIR_DOMAIN_STATS_STATE
    | sys::VIR_DOMAIN_STATS_CPU_TOTAL
    | sys::VIR_DOMAIN_STATS_BALLOON
    | sys::VIR_DOMAIN_STATS_VCPU
    | sys::VIR_DOMAIN_STATS_INTERFACE
    | sys::VIR_DOMAIN_STATS_BLOCK;

/// Balloon period yun sets when a guest reports no memory statistics.
const BALLOON_PERIOD_SECS: i32 = 2;

/// What yun learnt about each domain's balloon, so it asks libvirt at most once.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Balloon {
    /// No balloon device, or it is disabled.
    Absent,
    /// yun set the stats period; figures follow within a few seconds.
    PeriodSet,
    /// Setting the period failed, with libvirt's reason.
    Failed(String),
}

#[derive(Default)]
pub struct StatsState {
    balloons: Mutex<HashMap<String, Balloon>>,
    /// Node statistics calls the driver does not support (`cpu`, `memory`), with libvirt's
    /// reason: asked once, not every tick.
    unsupported: Mutex<HashMap<&'static str, String>>,
}

/// The element `i` of `v`, growing it with `fill()` as needed (called only then: this runs
/// for every device parameter).
fn slot<T>(v: &mut Vec<T>, i: usize, fill: impl FnMut() -> T) -> &mut T {
    if v.len() <= i {
        v.resize_with(i + 1, fill);
    }
    &mut v[i]
}

/// Room for `n` devices as announced by a `*.count` key (bounded: it comes from the daemon).
fn reserve<T>(v: &mut Vec<T>, n: Option<u64>) {
    v.reserve_exact(usize::try_from(n.unwrap_or(0).min(4096)).unwrap_or(0));
}

/// Counters of one domain from its bulk statistics record (pure; unit-tested). One pass over
/// borrowed keys and values, no allocation per key: at a thousand domains this runs for about
/// ninety thousand parameters every tick. Keys are matched against NUL-terminated patterns
/// (see [`Key`]); what the monitor does not use (state, paths, times, allocation…) is passed
/// over after a comparison or two.
pub fn counters_from_params<'a>(
    id: &str,
    params: impl IntoIterator<Item = (Key<'a>, StatRef<'a>)>,
) -> InstanceCounters {
    // A vCPU whose time is not reported; the list is cut before the first such hole.
    const NO_TIME: u64 = u64::MAX;
    let mut c = InstanceCounters {
        id: id.to_string(),
        ..InstanceCounters::default()
    };
    let mut vcpus = 0u64;
    let (mut current, mut rss, mut available, mut unused, mut caches) =
        (None, None, None, None, None);
    for (key, value) in params {
        let n = || value.as_u64();
        // Most frequent groups first: a QEMU record is mostly block.* and net.* keys.
        if let Some(rest) = key.strip_prefix(b"block.") {
            if rest.is(b"count\0") {
                reserve(&mut c.disks, n());
                continue;
            }
            let Some((i, field)) = rest.indexed() else {
                continue;
            };
            let d = slot(&mut c.disks, i, DiskCounters::default);
            if field.is(b"rd.bytes\0") {
                d.read_bytes = n().unwrap_or(0);
            } else if field.is(b"wr.bytes\0") {
                d.write_bytes = n().unwrap_or(0);
            } else if field.is(b"rd.reqs\0") {
                d.read_reqs = n().unwrap_or(0);
            } else if field.is(b"wr.reqs\0") {
                d.write_reqs = n().unwrap_or(0);
            } else if let (true, StatRef::Text(t)) = (field.is(b"name\0"), value) {
                d.name = String::from_utf8_lossy(t).into_owned();
            }
        } else if let Some(rest) = key.strip_prefix(b"net.") {
            if rest.is(b"count\0") {
                reserve(&mut c.nics, n());
                continue;
            }
            let Some((i, field)) = rest.indexed() else {
                continue;
            };
            let nic = slot(&mut c.nics, i, NicCounters::default);
            let counter = if let Some(rx) = field.strip_prefix(b"rx.") {
                Some((rx, true))
            } else {
                field.strip_prefix(b"tx.").map(|tx| (tx, false))
            };
            let Some((f, rx)) = counter else {
                if let (true, StatRef::Text(t)) = (field.is(b"name\0"), value) {
                    nic.name = String::from_utf8_lossy(t).into_owned();
                }
                continue;
            };
            let (rx_field, tx_field) = if f.is(b"bytes\0") {
                (&mut nic.rx_bytes, &mut nic.tx_bytes)
            } else if f.is(b"pkts\0") {
                (&mut nic.rx_packets, &mut nic.tx_packets)
            } else if f.is(b"errs\0") {
                (&mut nic.rx_errors, &mut nic.tx_errors)
            } else if f.is(b"drop\0") {
                (&mut nic.rx_drops, &mut nic.tx_drops)
            } else {
                continue;
            };
            *(if rx { rx_field } else { tx_field }) = n().unwrap_or(0);
        } else if let Some(rest) = key.strip_prefix(b"vcpu.") {
            if rest.is(b"current\0") {
                vcpus = n().unwrap_or(0);
            } else if rest.is(b"maximum\0") {
                reserve(&mut c.vcpu_time_ns, n());
            } else if let Some((i, field)) = rest.indexed()
                && field.is(b"time\0")
            {
                *slot(&mut c.vcpu_time_ns, i, || NO_TIME) = n().unwrap_or(NO_TIME);
            }
        } else if let Some(rest) = key.strip_prefix(b"balloon.") {
            if rest.is(b"current\0") {
                current = n();
            } else if rest.is(b"rss\0") {
                rss = n();
            } else if rest.is(b"available\0") {
                available = n();
            } else if rest.is(b"unused\0") {
                unused = n();
            } else if rest.is(b"disk_caches\0") {
                caches = n();
            }
        } else if key.is(b"cpu.time\0") {
            c.cpu_time_ns = n();
        }
    }
    if let Some(hole) = c.vcpu_time_ns.iter().position(|&t| t == NO_TIME) {
        c.vcpu_time_ns.truncate(hole);
    }
    c.vcpus = u32::try_from(vcpus).unwrap_or(u32::MAX);
    let kib = |v: Option<u64>| v.map(|v| v.saturating_mul(1024));
    c.memory = kib(current).map(|allocated| MemoryCounters {
        allocated,
        rss: kib(rss),
        guest_available: kib(available),
        guest_unused: kib(unused),
        guest_disk_caches: kib(caches),
    });
    for (i, d) in c.disks.iter_mut().enumerate() {
        if d.name.is_empty() {
            d.name = format!("disk{i}");
        }
    }
    for (i, n) in c.nics.iter_mut().enumerate() {
        if n.name.is_empty() {
            n.name = format!("net{i}");
        }
    }
    c
}

/// Say why a kept record has no CPU figure. Not done while parsing: the test driver's
/// state-only records are parsed only to be dropped, a thousand of them a tick.
fn explain_cpu(c: &mut InstanceCounters) {
    if c.cpu_time_ns.is_none() {
        c.missing
            .push(("cpu".into(), "the driver reports no CPU time".into()));
    }
}

/// Whether a record carried counters at all (the test driver's carry only `state.*`).
fn has_counters(c: &InstanceCounters) -> bool {
    c.cpu_time_ns.is_some() || c.memory.is_some() || !c.vcpu_time_ns.is_empty()
}

/// A bulk statistics call with `flags` plus NOWAIT: a domain busy with another job (a migration,
/// a hung QEMU monitor) is reported with what libvirt has at hand instead of holding the whole
/// call. Daemons older than 4.5 do not know the flag; they are asked again without it.
pub fn without_waiting<T>(
    fetch: impl Fn(u32) -> Result<T, virt::error::Error>,
    flags: u32,
) -> Result<T, BackendError> {
    match fetch(flags | sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT) {
        Err(e) if is_unsupported(&e) => lv(fetch(flags)),
        other => lv(other),
    }
}

pub fn sample(
    s: &Session,
    state: &StatsState,
    focus: &[String],
) -> Result<StatsSample, BackendError> {
    let records = without_waiting(
        |flags| ffi::DomainStatsList::fetch(&s.conn, GROUPS, flags),
        sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE,
    )?;
    let mut parsed = records.read(|id, params| counters_from_params(id, params));
    s.drop_after_reply(records);
    let bulk = parsed.is_empty() || parsed.iter().any(has_counters);
    if bulk {
        for c in &mut parsed {
            explain_cpu(c);
            explain_memory(s, state, c);
        }
    }
    let instances = if bulk {
        parsed
    } else {
        parsed
            .iter()
            .filter(|c| focus.contains(&c.id))
            .map(|c| per_domain(s, &c.id))
            .collect::<Result<_, _>>()?
    };
    let driver = s.conn.driver_type().unwrap_or_default();
    let test_driver = driver.eq_ignore_ascii_case("test");
    let basis = if bulk {
        "libvirt bulk statistics (one call per tick)".to_string()
    } else if test_driver {
        "libvirt test driver: its own synthetic per-domain figures".to_string()
    } else {
        format!("per-domain calls: the {driver} driver has no bulk statistics")
    };
    Ok(StatsSample {
        instances,
        host: host(s, state, test_driver),
        basis,
    })
}

/// Say why guest memory is missing, and ask the guest for it when yun may.
fn explain_memory(s: &Session, state: &StatsState, c: &mut InstanceCounters) {
    if c.memory
        .as_ref()
        .is_some_and(|m| m.guest_available.is_some())
    {
        return;
    }
    let reason = if s.opts.readonly {
        "read-only connection: yun cannot set the balloon statistics period".to_string()
    } else {
        let Ok(mut balloons) = state.balloons.lock() else {
            return;
        };
        if !balloons.contains_key(&c.id) {
            balloons.insert(c.id.clone(), enable_balloon_stats(s, &c.id));
        }
        let Some(known) = balloons.get(&c.id) else {
            return;
        };
        match known {
            Balloon::Absent => "no balloon device: the guest cannot report its memory".to_string(),
            Balloon::PeriodSet => {
                "balloon statistics requested; the guest's driver has not reported yet".to_string()
            }
            Balloon::Failed(e) => format!("balloon statistics unavailable: {e}"),
        }
    };
    c.missing.push(("memory".into(), reason));
}

fn enable_balloon_stats(s: &Session, id: &str) -> Balloon {
    let result = (|| {
        let dom = lv(s.conn.lookup_domain_by_uuid_string(id))?;
        let parsed = xml::parse_domain(&lv(dom.xml_desc(0))?).map_err(BackendError::Api)?;
        if parsed.memballoon.as_deref().is_none_or(|m| m == "none") {
            return Ok(Balloon::Absent);
        }
        lv(dom.set_memory_stats_period(BALLOON_PERIOD_SECS, sys::VIR_DOMAIN_AFFECT_LIVE))?;
        tracing::info!(domain = id, "set the balloon statistics period");
        Ok(Balloon::PeriodSet)
    })();
    result.unwrap_or_else(|e: BackendError| Balloon::Failed(e.to_string()))
}

/// Counters of one domain through per-domain calls, for drivers without bulk statistics.
fn per_domain(s: &Session, id: &str) -> Result<InstanceCounters, BackendError> {
    let dom: Domain = lv(s.conn.lookup_domain_by_uuid_string(id))?;
    let info = lv(dom.info())?;
    let parsed = xml::parse_domain(&lv(dom.xml_desc(0))?).map_err(BackendError::Api)?;
    let mut missing = Vec::new();
    let stats = dom.memory_stats(0).unwrap_or_default();
    let tag = |t: u32| {
        stats
            .iter()
            .find(|m| m.tag == t)
            .map(|m| m.val.saturating_mul(1024))
    };
    let memory = MemoryCounters {
        allocated: tag(sys::VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON)
            .unwrap_or(info.memory.saturating_mul(1024)),
        rss: tag(sys::VIR_DOMAIN_MEMORY_STAT_RSS),
        guest_available: tag(sys::VIR_DOMAIN_MEMORY_STAT_AVAILABLE),
        guest_unused: tag(sys::VIR_DOMAIN_MEMORY_STAT_UNUSED),
        guest_disk_caches: tag(sys::VIR_DOMAIN_MEMORY_STAT_DISK_CACHES),
    };
    if memory.guest_available.is_none() {
        missing.push((
            "memory".into(),
            "no balloon device: the guest cannot report its memory".into(),
        ));
    }
    let disks = parsed
        .disks
        .iter()
        .filter(|d| !d.is_cdrom_or_floppy())
        .filter_map(|d| {
            let b = dom.block_stats(&d.target).ok()?;
            Some(DiskCounters {
                name: d.target.clone(),
                read_bytes: u64::try_from(b.rd_bytes).unwrap_or(0),
                write_bytes: u64::try_from(b.wr_bytes).unwrap_or(0),
                read_reqs: u64::try_from(b.rd_req).unwrap_or(0),
                write_reqs: u64::try_from(b.wr_req).unwrap_or(0),
            })
        })
        .collect();
    let nics = parsed
        .interfaces
        .iter()
        .filter_map(|n| {
            let target = n.target.as_ref()?;
            let i = dom.interface_stats(target).ok()?;
            let u = |v: i64| u64::try_from(v).unwrap_or(0);
            Some(NicCounters {
                name: target.clone(),
                rx_bytes: u(i.rx_bytes),
                tx_bytes: u(i.tx_bytes),
                rx_packets: u(i.rx_packets),
                tx_packets: u(i.tx_packets),
                rx_errors: u(i.rx_errs),
                tx_errors: u(i.tx_errs),
                rx_drops: u(i.rx_drop),
                tx_drops: u(i.tx_drop),
            })
        })
        .collect();
    Ok(InstanceCounters {
        id: id.to_string(),
        vcpus: u32::from(info.nr_virt_cpu.min(u32::from(u16::MAX)) as u16),
        cpu_time_ns: Some(info.cpu_time),
        vcpu_time_ns: Vec::new(),
        memory: Some(memory),
        disks,
        nics,
        missing,
    })
}

/// A node statistics call, unless the driver already said it does not support it: that
/// answer does not change on a connection, and asking again costs a libvirt error each tick.
fn node_call<T>(
    state: &StatsState,
    name: &'static str,
    call: impl FnOnce() -> Result<T, virt::error::Error>,
) -> Result<T, String> {
    if let Some(reason) = state
        .unsupported
        .lock()
        .ok()
        .and_then(|u| u.get(name).cloned())
    {
        return Err(reason);
    }
    call().map_err(|e| {
        let reason = e.message().to_string();
        if e.code().to_raw() == sys::VIR_ERR_NO_SUPPORT
            && let Ok(mut u) = state.unsupported.lock()
        {
            u.insert(name, reason.clone());
        }
        reason
    })
}

fn host(s: &Session, state: &StatsState, test_driver: bool) -> HostCounters {
    let mut missing = Vec::new();
    let info = s.conn.node_info().ok();
    let cpus = info.as_ref().map_or(0, |n| n.cpus);
    let (cpu_busy_ns, cpu_total_ns) = if test_driver {
        // Its figures never change: a rate of them would claim an idle host.
        missing.push((
            "cpu".into(),
            "libvirt's test driver reports fixed host CPU times".into(),
        ));
        (None, None)
    } else {
        match node_call(state, "cpu", || ffi::node_cpu_stats(&s.conn)) {
            Ok(fields) => {
                let total: u64 = fields.iter().map(|(_, v)| *v).sum();
                let idle: u64 = fields
                    .iter()
                    .filter(|(k, _)| k == "idle" || k == "iowait")
                    .map(|(_, v)| *v)
                    .sum();
                (Some(total.saturating_sub(idle)), Some(total))
            }
            Err(reason) => {
                missing.push(("cpu".into(), reason));
                (None, None)
            }
        }
    };
    let (memory_total, memory_free) =
        match node_call(state, "memory", || ffi::node_memory_stats(&s.conn)) {
            Ok(fields) => {
                let f = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
                (f("total").unwrap_or(0), f("free"))
            }
            Err(reason) => {
                missing.push(("memory".into(), reason));
                let total = info.map_or(0, |n| n.memory.saturating_mul(1024));
                (total, None)
            }
        };
    HostCounters {
        cpus,
        cpu_busy_ns,
        cpu_total_ns,
        memory_total,
        memory_free,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_calls_do_not_wait_for_busy_domains_and_old_daemons_are_asked_without_it() {
        let flags = std::cell::RefCell::new(Vec::new());
        let answered = without_waiting(
            |f| {
                flags.borrow_mut().push(f);
                Ok(f)
            },
            sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE,
        );
        let nowait = sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT;
        assert_eq!(nowait, 1 << 29);
        let active = sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE;
        assert_eq!(answered, Ok(active | nowait));
        assert_eq!(*flags.borrow(), vec![active | nowait]);

        // A real "not supported" error from the test driver stands for a daemon that does not
        // know the flag.
        let conn = virt::connect::Connect::open(Some("test:///default")).expect("opens");
        flags.borrow_mut().clear();
        let retried = without_waiting(
            |f| {
                flags.borrow_mut().push(f);
                if f & nowait != 0 {
                    ffi::node_memory_stats(&conn).map(|_| 0)
                } else {
                    Ok(f)
                }
            },
            active,
        );
        assert_eq!(retried, Ok(active));
        assert_eq!(*flags.borrow(), vec![active | nowait, active]);
        let _ = ffi::close_connection(conn);
    }

    /// Counters from `(key, value)` pairs, with keys stored as libvirt stores them.
    fn counters(pairs: &[(&'static str, StatRef<'static>)]) -> InstanceCounters {
        let keys: Vec<Vec<u8>> = pairs
            .iter()
            .map(|(k, _)| {
                let mut field = k.as_bytes().to_vec();
                field.resize(80, 0);
                field
            })
            .collect();
        counters_from_params(
            "u",
            keys.iter()
                .zip(pairs)
                .map(|(k, (_, v))| (Key::new(k).unwrap(), *v)),
        )
    }

    #[test]
    fn a_qemu_record_becomes_counters() {
        use StatRef::{Text, UInt};
        let c = counters(&[
            ("state.state", UInt(1)),
            ("cpu.time", UInt(5_000_000_000)),
            ("vcpu.current", UInt(2)),
            ("vcpu.0.time", UInt(2_000_000_000)),
            ("vcpu.1.time", UInt(2_500_000_000)),
            ("balloon.current", UInt(131_072)),
            ("balloon.available", UInt(100_000)),
            ("balloon.unused", UInt(60_000)),
            ("balloon.rss", UInt(200_000)),
            ("block.count", UInt(1)),
            ("block.0.name", Text(b"vda")),
            ("block.0.rd.bytes", UInt(4096)),
            ("block.0.wr.reqs", UInt(3)),
            ("net.count", UInt(1)),
            ("net.0.name", Text(b"vnet0")),
            ("net.0.rx.bytes", UInt(90)),
            ("net.0.tx.drop", UInt(1)),
        ]);
        assert_eq!(c.id, "u");
        assert_eq!(c.cpu_time_ns, Some(5_000_000_000));
        assert_eq!(c.vcpus, 2);
        assert_eq!(c.vcpu_time_ns, vec![2_000_000_000, 2_500_000_000]);
        let m = c.memory.as_ref().unwrap();
        assert_eq!(m.allocated, 128 << 20);
        assert_eq!(m.guest_available, Some(100_000 * 1024));
        assert_eq!(m.rss, Some(200_000 * 1024));
        assert_eq!(c.disks[0].name, "vda");
        assert_eq!(c.disks[0].read_bytes, 4096);
        assert_eq!(c.disks[0].write_reqs, 3);
        assert_eq!(c.nics[0].rx_bytes, 90);
        assert_eq!(c.nics[0].tx_drops, 1);
        assert!(c.missing.is_empty());
        assert!(has_counters(&c));
    }

    #[test]
    fn a_state_only_record_says_cpu_is_missing() {
        let mut c = counters(&[("state.state", StatRef::Int(1))]);
        assert!(!has_counters(&c));
        assert_eq!(c.cpu_time_ns, None);
        explain_cpu(&mut c);
        assert_eq!(
            c.missing,
            vec![("cpu".into(), "the driver reports no CPU time".into())]
        );
    }

    #[test]
    fn odd_keys_and_values_are_ignored_not_misread() {
        use StatRef::{Int, Text, UInt};
        let c = counters(&[
            ("cpu.time", UInt(7)),
            // A negative counter is no counter; an index beyond reason is refused.
            ("block.0.rd.bytes", Int(-5)),
            ("block.99999.rd.bytes", UInt(1)),
            ("net.x.rx.bytes", UInt(1)),
            ("vcpu.1.time", UInt(3)),
            ("nodot", UInt(1)),
            ("net.0.name", UInt(4)),
            ("block.0.name", Text(b"vd\xffa")),
        ]);
        assert_eq!(c.cpu_time_ns, Some(7));
        assert_eq!(c.disks.len(), 1);
        assert_eq!(c.disks[0].read_bytes, 0);
        assert_eq!(c.disks[0].name, "vd\u{fffd}a");
        assert_eq!(c.nics.len(), 1);
        assert_eq!(
            c.nics[0].name, "net0",
            "a name that is not text is not a name"
        );
        // vCPU 0 never reported: the per-vCPU list stops before the hole.
        assert!(c.vcpu_time_ns.is_empty());
    }
}
