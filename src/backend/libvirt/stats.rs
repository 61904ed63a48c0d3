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

use super::ffi::{self, DomainStats, StatValue};
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
}

fn uint(v: &StatValue) -> Option<u64> {
    match v {
        StatValue::UInt(u) => Some(*u),
        StatValue::Int(i) => u64::try_from(*i).ok(),
        StatValue::Double(d) if *d >= 0.0 => Some(*d as u64),
        _ => None,
    }
}

/// Counters of one domain from its bulk statistics record (pure; unit-tested). One pass over
/// the record, no per-key allocation: at a thousand domains this runs every tick.
pub fn counters_from_record(record: &DomainStats) -> InstanceCounters {
    fn slot<T: Default>(v: &mut Vec<T>, i: usize) -> Option<&mut T> {
        // Indices come from the daemon; refuse absurd ones rather than allocate for them.
        if i > 4096 {
            return None;
        }
        if v.len() <= i {
            v.resize_with(i + 1, T::default);
        }
        v.get_mut(i)
    }
    let mut c = InstanceCounters {
        id: record.uuid.clone(),
        ..InstanceCounters::default()
    };
    let mut vcpus = 0u64;
    let mut vcpu_times: Vec<Option<u64>> = Vec::new();
    let (mut current, mut rss, mut available, mut unused, mut caches) =
        (None, None, None, None, None);
    for (key, value) in &record.values {
        let n = uint(value);
        let mut parts = key.splitn(3, '.');
        let (Some(group), Some(second)) = (parts.next(), parts.next()) else {
            continue;
        };
        let rest = parts.next();
        match (group, second, rest) {
            ("cpu", "time", None) => c.cpu_time_ns = n,
            ("vcpu", "current", None) => vcpus = n.unwrap_or(0),
            ("vcpu", index, Some("time")) => {
                if let Some(t) = index.parse().ok().and_then(|i| slot(&mut vcpu_times, i)) {
                    *t = n;
                }
            }
            ("balloon", "current", None) => current = n,
            ("balloon", "rss", None) => rss = n,
            ("balloon", "available", None) => available = n,
            ("balloon", "unused", None) => unused = n,
            ("balloon", "disk_caches", None) => caches = n,
            ("block", index, Some(field)) => {
                let Some(d) = index.parse().ok().and_then(|i| slot(&mut c.disks, i)) else {
                    continue;
                };
                match (field, value) {
                    ("name", StatValue::Text(t)) => d.name.clone_from(t),
                    ("rd.bytes", _) => d.read_bytes = n.unwrap_or(0),
                    ("wr.bytes", _) => d.write_bytes = n.unwrap_or(0),
                    ("rd.reqs", _) => d.read_reqs = n.unwrap_or(0),
                    ("wr.reqs", _) => d.write_reqs = n.unwrap_or(0),
                    _ => {}
                }
            }
            ("net", index, Some(field)) => {
                let Some(nic) = index.parse().ok().and_then(|i| slot(&mut c.nics, i)) else {
                    continue;
                };
                let v = n.unwrap_or(0);
                match (field, value) {
                    ("name", StatValue::Text(t)) => nic.name.clone_from(t),
                    ("rx.bytes", _) => nic.rx_bytes = v,
                    ("tx.bytes", _) => nic.tx_bytes = v,
                    ("rx.pkts", _) => nic.rx_packets = v,
                    ("tx.pkts", _) => nic.tx_packets = v,
                    ("rx.errs", _) => nic.rx_errors = v,
                    ("tx.errs", _) => nic.tx_errors = v,
                    ("rx.drop", _) => nic.rx_drops = v,
                    ("tx.drop", _) => nic.tx_drops = v,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    c.vcpus = u32::try_from(vcpus).unwrap_or(u32::MAX);
    c.vcpu_time_ns = vcpu_times.into_iter().map_while(|t| t).collect();
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
    if c.cpu_time_ns.is_none() {
        c.missing
            .push(("cpu".into(), "the driver reports no CPU time".into()));
    }
    c
}

/// Whether a record carries counters at all (the test driver's carry only `state.*`).
fn has_counters(record: &DomainStats) -> bool {
    record
        .values
        .iter()
        .any(|(k, _)| k == "cpu.time" || k.starts_with("balloon.") || k.starts_with("vcpu."))
}

pub fn sample(
    s: &Session,
    state: &StatsState,
    focus: &[String],
) -> Result<StatsSample, BackendError> {
    let records = lv(ffi::all_domain_stats(
        &s.conn,
        GROUPS,
        sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE,
    ))?;
    let bulk = records.iter().any(has_counters) || records.is_empty();
    let mut instances = Vec::with_capacity(records.len());
    for record in &records {
        if bulk {
            let mut c = counters_from_record(record);
            explain_memory(s, state, &mut c);
            instances.push(c);
        } else if focus.contains(&record.uuid) {
            instances.push(per_domain(s, &record.uuid)?);
        }
    }
    let driver = s.conn.driver_type().unwrap_or_default();
    let basis = if bulk {
        "libvirt bulk statistics (one call per tick)".to_string()
    } else if driver.eq_ignore_ascii_case("test") {
        "libvirt test driver: its own synthetic per-domain figures".to_string()
    } else {
        format!("per-domain calls: the {driver} driver has no bulk statistics")
    };
    Ok(StatsSample {
        instances,
        host: host(s),
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
        let known = balloons
            .entry(c.id.clone())
            .or_insert_with(|| enable_balloon_stats(s, &c.id));
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

fn host(s: &Session) -> HostCounters {
    let mut missing = Vec::new();
    let cpus = s.conn.node_info().map(|n| n.cpus).unwrap_or(0);
    let (cpu_busy_ns, cpu_total_ns) = match ffi::node_cpu_stats(&s.conn) {
        Ok(fields) => {
            let total: u64 = fields.iter().map(|(_, v)| *v).sum();
            let idle: u64 = fields
                .iter()
                .filter(|(k, _)| k == "idle" || k == "iowait")
                .map(|(_, v)| *v)
                .sum();
            (Some(total.saturating_sub(idle)), Some(total))
        }
        Err(e) => {
            missing.push(("cpu".into(), e.message().to_string()));
            (None, None)
        }
    };
    let (memory_total, memory_free) = match ffi::node_memory_stats(&s.conn) {
        Ok(fields) => {
            let f = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
            (f("total").unwrap_or(0), f("free"))
        }
        Err(e) => {
            missing.push(("memory".into(), e.message().to_string()));
            let total = s
                .conn
                .node_info()
                .map(|n| n.memory.saturating_mul(1024))
                .unwrap_or(0);
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

    fn record(pairs: &[(&str, StatValue)]) -> DomainStats {
        DomainStats {
            uuid: "u".into(),
            values: pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect(),
        }
    }

    #[test]
    fn a_qemu_record_becomes_counters() {
        use StatValue::{Text, UInt};
        let r = record(&[
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
            ("block.0.name", Text("vda".into())),
            ("block.0.rd.bytes", UInt(4096)),
            ("block.0.wr.reqs", UInt(3)),
            ("net.count", UInt(1)),
            ("net.0.name", Text("vnet0".into())),
            ("net.0.rx.bytes", UInt(90)),
            ("net.0.tx.drop", UInt(1)),
        ]);
        let c = counters_from_record(&r);
        assert_eq!(c.cpu_time_ns, Some(5_000_000_000));
        assert_eq!(c.vcpus, 2);
        assert_eq!(c.vcpu_time_ns, vec![2_000_000_000, 2_500_000_000]);
        let m = c.memory.unwrap();
        assert_eq!(m.allocated, 128 << 20);
        assert_eq!(m.guest_available, Some(100_000 * 1024));
        assert_eq!(m.rss, Some(200_000 * 1024));
        assert_eq!(c.disks[0].name, "vda");
        assert_eq!(c.disks[0].read_bytes, 4096);
        assert_eq!(c.disks[0].write_reqs, 3);
        assert_eq!(c.nics[0].rx_bytes, 90);
        assert_eq!(c.nics[0].tx_drops, 1);
        assert!(c.missing.is_empty());
        assert!(has_counters(&r));
    }

    #[test]
    fn a_state_only_record_says_cpu_is_missing() {
        let r = record(&[("state.state", StatValue::Int(1))]);
        assert!(!has_counters(&r));
        let c = counters_from_record(&r);
        assert_eq!(c.cpu_time_ns, None);
        assert_eq!(c.missing[0].0, "cpu");
    }
}
