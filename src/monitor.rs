//! The monitor's arithmetic: rates from cumulative counters over monotonic time, kept in
//! bounded ring buffers, and downsampled to a chart's width. Pure: no I/O, no clock reads.
//!
//! Conventions, shown on screen with every figure:
//! * CPU % of the instance: Δcpu_time / (Δt × its vCPUs) — 100 % means every vCPU busy.
//! * CPU % of the host: Δcpu_time / (Δt × host CPUs) — virt-top's %CPU.
//! * Memory used by the guest: available − unused − disk caches, from the balloon driver.
//!
//! A counter that goes backwards (the guest restarted, a disk was unplugged) does not produce a
//! negative or huge rate: that point is a gap and the series starts again from the new value.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::model::{InstanceCounters, MemoryCounters, StatsSample};

/// Intervals shorter than this give no rate: a clock hiccup must not become a spike.
const MIN_INTERVAL: Duration = Duration::from_millis(50);

/// Rate of a counter per second; `None` when it went backwards or time did not advance enough.
pub fn per_second(prev: u64, cur: u64, dt: Duration) -> Option<f64> {
    if cur < prev || dt < MIN_INTERVAL {
        return None;
    }
    Some((cur - prev) as f64 / dt.as_secs_f64())
}

/// CPU % of `cpus` CPUs from two cumulative CPU times in nanoseconds.
pub fn cpu_percent(prev_ns: u64, cur_ns: u64, dt: Duration, cpus: u32) -> Option<f64> {
    if cpus == 0 {
        return None;
    }
    per_second(prev_ns, cur_ns, dt).map(|ns_per_s| ns_per_s / 1e9 / f64::from(cpus) * 100.0)
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiskRates {
    pub name: String,
    pub read_bps: Option<f64>,
    pub write_bps: Option<f64>,
    pub read_iops: Option<f64>,
    pub write_iops: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NicRates {
    pub name: String,
    pub rx_bps: Option<f64>,
    pub tx_bps: Option<f64>,
    pub rx_pps: Option<f64>,
    pub tx_pps: Option<f64>,
    pub errors_ps: Option<f64>,
    pub drops_ps: Option<f64>,
}

/// What the memory figure is, and why when it is not the guest's own view.
#[derive(Clone, Debug, PartialEq)]
pub enum MemoryFigure {
    /// From the balloon driver: used and usable inside the guest.
    GuestUsed {
        used: u64,
        total: u64,
    },
    /// The guest reports nothing; what the host sees instead, and why.
    HostSide {
        allocated: u64,
        rss: Option<u64>,
        reason: String,
    },
    Missing(String),
}

impl MemoryFigure {
    pub fn from_counters(m: Option<&MemoryCounters>, missing_reason: Option<&str>) -> Self {
        let Some(m) = m else {
            return Self::Missing(missing_reason.unwrap_or("not reported").to_string());
        };
        match (m.guest_available, m.guest_unused) {
            (Some(available), Some(unused)) if available > 0 => Self::GuestUsed {
                used: available
                    .saturating_sub(unused)
                    .saturating_sub(m.guest_disk_caches.unwrap_or(0)),
                total: available,
            },
            _ => Self::HostSide {
                allocated: m.allocated,
                rss: m.rss,
                reason: missing_reason
                    .unwrap_or("the guest reports no memory statistics (no balloon driver)")
                    .to_string(),
            },
        }
    }

    /// Bytes to chart: guest-used when known, else the host's RSS.
    pub fn charted(&self) -> Option<f64> {
        match self {
            Self::GuestUsed { used, .. } => Some(*used as f64),
            Self::HostSide { rss, .. } => rss.map(|r| r as f64),
            Self::Missing(_) => None,
        }
    }
}

/// Rates of one instance between two samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Rates {
    pub cpu_of_vcpus: Option<f64>,
    pub cpu_of_host: Option<f64>,
    pub vcpus: Vec<Option<f64>>,
    pub memory: MemoryFigure,
    pub disk_read_bps: Option<f64>,
    pub disk_write_bps: Option<f64>,
    pub disk_read_iops: Option<f64>,
    pub disk_write_iops: Option<f64>,
    pub net_rx_bps: Option<f64>,
    pub net_tx_bps: Option<f64>,
    pub net_rx_pps: Option<f64>,
    pub net_tx_pps: Option<f64>,
    pub net_errors_ps: Option<f64>,
    pub net_drops_ps: Option<f64>,
    pub disks: Vec<DiskRates>,
    pub nics: Vec<NicRates>,
    /// Reasons for figures that could not be had.
    pub missing: Vec<(String, String)>,
}

fn sum(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let mut total = None;
    for v in values {
        // One device without a rate (just plugged, counter reset) makes the total unknown
        // rather than silently low.
        total = Some(total.unwrap_or(0.0) + v?);
    }
    total
}

/// Rates of `cur` against `prev` (`None` for the first sample: the screen shows "—").
pub fn rates(
    prev: Option<&InstanceCounters>,
    cur: &InstanceCounters,
    dt: Duration,
    host_cpus: u32,
) -> Rates {
    let reason = |what: &str| {
        cur.missing
            .iter()
            .find(|(k, _)| k == what)
            .map(|(_, r)| r.as_str())
    };
    let memory = MemoryFigure::from_counters(cur.memory.as_ref(), reason("memory"));
    let cpu = |cpus: u32| {
        let (p, c) = (prev?.cpu_time_ns?, cur.cpu_time_ns?);
        cpu_percent(p, c, dt, cpus)
    };
    let vcpus = cur
        .vcpu_time_ns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let p = prev?.vcpu_time_ns.get(i)?;
            cpu_percent(*p, *c, dt, 1)
        })
        .collect();
    let disks: Vec<DiskRates> = cur
        .disks
        .iter()
        .map(|d| {
            let p = prev.and_then(|p| p.disks.iter().find(|x| x.name == d.name));
            let r = |f: fn(&crate::model::DiskCounters) -> u64| {
                p.and_then(|p| per_second(f(p), f(d), dt))
            };
            DiskRates {
                name: d.name.clone(),
                read_bps: r(|x| x.read_bytes),
                write_bps: r(|x| x.write_bytes),
                read_iops: r(|x| x.read_reqs),
                write_iops: r(|x| x.write_reqs),
            }
        })
        .collect();
    let nics: Vec<NicRates> = cur
        .nics
        .iter()
        .map(|n| {
            let p = prev.and_then(|p| p.nics.iter().find(|x| x.name == n.name));
            let r = |f: fn(&crate::model::NicCounters) -> u64| {
                p.and_then(|p| per_second(f(p), f(n), dt))
            };
            NicRates {
                name: n.name.clone(),
                rx_bps: r(|x| x.rx_bytes),
                tx_bps: r(|x| x.tx_bytes),
                rx_pps: r(|x| x.rx_packets),
                tx_pps: r(|x| x.tx_packets),
                errors_ps: r(|x| x.rx_errors + x.tx_errors),
                drops_ps: r(|x| x.rx_drops + x.tx_drops),
            }
        })
        .collect();
    Rates {
        cpu_of_vcpus: cpu(cur.vcpus),
        cpu_of_host: cpu(host_cpus),
        vcpus,
        memory,
        disk_read_bps: sum(disks.iter().map(|d| d.read_bps)),
        disk_write_bps: sum(disks.iter().map(|d| d.write_bps)),
        disk_read_iops: sum(disks.iter().map(|d| d.read_iops)),
        disk_write_iops: sum(disks.iter().map(|d| d.write_iops)),
        net_rx_bps: sum(nics.iter().map(|n| n.rx_bps)),
        net_tx_bps: sum(nics.iter().map(|n| n.tx_bps)),
        net_rx_pps: sum(nics.iter().map(|n| n.rx_pps)),
        net_tx_pps: sum(nics.iter().map(|n| n.tx_pps)),
        net_errors_ps: sum(nics.iter().map(|n| n.errors_ps)),
        net_drops_ps: sum(nics.iter().map(|n| n.drops_ps)),
        disks,
        nics,
        missing: cur.missing.clone(),
    }
}

/// A bounded time series: seconds since the monitor started, and a value or a gap.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    points: VecDeque<(f64, Option<f64>)>,
    capacity: usize,
}

impl Series {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            points: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(2),
        }
    }

    pub fn push(&mut self, t: f64, value: Option<f64>) {
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        self.points.push_back((t, value));
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn last(&self) -> Option<f64> {
        self.points.back().and_then(|(_, v)| *v)
    }

    /// The last `n` values (gaps included), oldest first, for sparklines.
    pub fn tail(&self, n: usize) -> impl Iterator<Item = Option<f64>> + '_ {
        self.points
            .iter()
            .skip(self.points.len().saturating_sub(n))
            .map(|(_, v)| *v)
    }

    pub fn max(&self) -> Option<f64> {
        self.points.iter().filter_map(|(_, v)| *v).reduce(f64::max)
    }

    /// At most `width` points, each the mean of the values falling in its bucket; buckets with
    /// only gaps produce no point, so the chart shows a break rather than a fake zero.
    pub fn downsample(&self, width: usize) -> Vec<(f64, f64)> {
        let n = self.points.len();
        if n == 0 || width == 0 {
            return Vec::new();
        }
        let per = n.div_ceil(width);
        let mut out = Vec::with_capacity(width.min(n));
        let points: Vec<&(f64, Option<f64>)> = self.points.iter().collect();
        for chunk in points.chunks(per) {
            let values: Vec<f64> = chunk.iter().filter_map(|(_, v)| *v).collect();
            if let (Some(last), false) = (chunk.last(), values.is_empty()) {
                out.push((last.0, values.iter().sum::<f64>() / values.len() as f64));
            }
        }
        out
    }
}

/// The history of one instance's charted figures.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceHistory {
    /// When the instance last had figures (seconds since the monitor started).
    last_seen: f64,
    pub cpu_of_vcpus: Series,
    pub cpu_of_host: Series,
    pub memory: Series,
    pub disk_read: Series,
    pub disk_write: Series,
    pub net_rx: Series,
    pub net_tx: Series,
}

impl InstanceHistory {
    fn new(capacity: usize) -> Self {
        Self {
            last_seen: 0.0,
            cpu_of_vcpus: Series::with_capacity(capacity),
            cpu_of_host: Series::with_capacity(capacity),
            memory: Series::with_capacity(capacity),
            disk_read: Series::with_capacity(capacity),
            disk_write: Series::with_capacity(capacity),
            net_rx: Series::with_capacity(capacity),
            net_tx: Series::with_capacity(capacity),
        }
    }
}

/// Everything the monitor pane, the Instances columns and the Overview's top list show.
#[derive(Clone, Debug)]
pub struct Monitor {
    pub interval: Duration,
    pub window: Duration,
    started: Instant,
    last: Option<(Instant, StatsSample)>,
    pub latest: HashMap<String, Rates>,
    pub history: HashMap<String, InstanceHistory>,
    pub host_cpu: Series,
    pub host_memory_used: Series,
    pub host_cpu_now: Option<f64>,
    pub host_memory: Option<(u64, u64)>,
    pub host_missing: Vec<(String, String)>,
    pub basis: String,
    pub error: Option<String>,
    pub samples: u64,
}

impl Monitor {
    pub fn new(interval: Duration, window: Duration, now: Instant) -> Self {
        Self {
            interval,
            window,
            started: now,
            last: None,
            latest: HashMap::new(),
            history: HashMap::new(),
            host_cpu: Series::with_capacity(Self::capacity_for(interval, window)),
            host_memory_used: Series::with_capacity(Self::capacity_for(interval, window)),
            host_cpu_now: None,
            host_memory: None,
            host_missing: Vec::new(),
            basis: String::new(),
            error: None,
            samples: 0,
        }
    }

    fn capacity_for(interval: Duration, window: Duration) -> usize {
        let secs = interval.as_secs_f64().max(0.1);
        ((window.as_secs_f64() / secs).ceil() as usize).clamp(2, 36_000)
    }

    fn capacity(&self) -> usize {
        Self::capacity_for(self.interval, self.window)
    }

    /// Take one sample taken at `at`.
    pub fn ingest(&mut self, at: Instant, sample: StatsSample) {
        let t = at.duration_since(self.started).as_secs_f64();
        let capacity = self.capacity();
        let (dt, prev) = match &self.last {
            Some((when, prev)) => (at.saturating_duration_since(*when), Some(prev)),
            None => (Duration::ZERO, None),
        };
        let host = &sample.host;
        // Index the previous sample once: a lookup per instance, not a scan.
        let previous: HashMap<&str, &InstanceCounters> = prev
            .map(|p| p.instances.iter().map(|i| (i.id.as_str(), i)).collect())
            .unwrap_or_default();
        let mut latest = HashMap::with_capacity(sample.instances.len());
        for cur in &sample.instances {
            let p = previous.get(cur.id.as_str()).copied();
            let r = rates(p, cur, dt, host.cpus);
            let h = self
                .history
                .entry(cur.id.clone())
                .or_insert_with(|| InstanceHistory::new(capacity));
            h.last_seen = t;
            h.cpu_of_vcpus.push(t, r.cpu_of_vcpus);
            h.cpu_of_host.push(t, r.cpu_of_host);
            h.memory.push(t, r.memory.charted());
            h.disk_read.push(t, r.disk_read_bps);
            h.disk_write.push(t, r.disk_write_bps);
            h.net_rx.push(t, r.net_rx_bps);
            h.net_tx.push(t, r.net_tx_bps);
            latest.insert(cur.id.clone(), r);
        }
        // Instances that stopped keep their history until it scrolls out, but no current rates.
        let window = self.window.as_secs_f64();
        self.history.retain(|id, h| {
            if !latest.contains_key(id) {
                h.cpu_of_vcpus.push(t, None);
                h.cpu_of_host.push(t, None);
                h.memory.push(t, None);
                h.disk_read.push(t, None);
                h.disk_write.push(t, None);
                h.net_rx.push(t, None);
                h.net_tx.push(t, None);
            }
            t - h.last_seen <= window
        });
        self.latest = latest;

        let prev_host = prev.map(|p| &p.host);
        self.host_cpu_now = match (
            prev_host.and_then(|h| h.cpu_busy_ns.zip(h.cpu_total_ns)),
            host.cpu_busy_ns.zip(host.cpu_total_ns),
        ) {
            (Some((pb, pt)), Some((cb, ct))) if ct > pt && cb >= pb => {
                Some((cb - pb) as f64 / (ct - pt) as f64 * 100.0)
            }
            _ => None,
        };
        self.host_cpu.push(t, self.host_cpu_now);
        self.host_memory = host
            .memory_free
            .map(|free| (host.memory_total.saturating_sub(free), host.memory_total));
        self.host_memory_used
            .push(t, self.host_memory.map(|(used, _)| used as f64));
        self.host_missing.clone_from(&host.missing);
        self.basis.clone_from(&sample.basis);
        self.error = None;
        self.samples += 1;
        self.last = Some((at, sample));
    }

    /// Seconds since the monitor started, for chart axes.
    pub fn now_secs(&self) -> f64 {
        self.last
            .as_ref()
            .map_or(0.0, |(at, _)| at.duration_since(self.started).as_secs_f64())
    }

    /// vCPU count and configured memory of an instance in the last sample.
    pub fn counters(&self, id: &str) -> Option<&InstanceCounters> {
        self.last.as_ref()?.1.instances.iter().find(|i| i.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DiskCounters, HostCounters, NicCounters};

    const SEC: Duration = Duration::from_secs(1);

    fn counters(cpu_ns: u64, disk_rd: u64, net_rx: u64) -> InstanceCounters {
        InstanceCounters {
            id: "a".into(),
            vcpus: 2,
            cpu_time_ns: Some(cpu_ns),
            vcpu_time_ns: vec![cpu_ns / 2, cpu_ns / 2],
            memory: Some(MemoryCounters {
                allocated: 4 << 30,
                rss: Some(1 << 30),
                guest_available: Some(4 << 30),
                guest_unused: Some(3 << 30),
                guest_disk_caches: Some(256 << 20),
            }),
            disks: vec![DiskCounters {
                name: "vda".into(),
                read_bytes: disk_rd,
                write_bytes: disk_rd / 2,
                read_reqs: disk_rd / 4096,
                write_reqs: disk_rd / 8192,
            }],
            nics: vec![NicCounters {
                name: "vnet0".into(),
                rx_bytes: net_rx,
                tx_bytes: net_rx / 2,
                rx_packets: net_rx / 1000,
                ..NicCounters::default()
            }],
            missing: Vec::new(),
        }
    }

    fn sample(c: InstanceCounters) -> StatsSample {
        StatsSample {
            instances: vec![c],
            host: HostCounters {
                cpus: 8,
                ..HostCounters::default()
            },
            basis: "test".into(),
        }
    }

    #[test]
    fn steady_load_gives_steady_rates() {
        // One full vCPU of two busy: 1e9 ns of CPU per second.
        let a = counters(10_000_000_000, 1 << 20, 1_000_000);
        let b = counters(11_000_000_000, (1 << 20) + 4 * 1024 * 1024, 1_500_000);
        let r = rates(Some(&a), &b, SEC, 8);
        assert_eq!(r.cpu_of_vcpus, Some(50.0));
        assert_eq!(r.cpu_of_host, Some(12.5));
        assert_eq!(r.vcpus, vec![Some(50.0), Some(50.0)]);
        assert_eq!(r.disk_read_bps, Some(4.0 * 1024.0 * 1024.0));
        assert_eq!(r.disk_read_iops, Some(1024.0));
        assert_eq!(r.net_rx_bps, Some(500_000.0));
        assert_eq!(r.net_rx_pps, Some(500.0));
        assert_eq!(
            r.memory,
            MemoryFigure::GuestUsed {
                used: (1 << 30) - (256 << 20),
                total: 4 << 30
            }
        );
    }

    #[test]
    fn idle_is_zero_not_missing() {
        let a = counters(5_000, 100, 100);
        let r = rates(Some(&a), &a, 2 * SEC, 8);
        assert_eq!(r.cpu_of_vcpus, Some(0.0));
        assert_eq!(r.disk_write_bps, Some(0.0));
        assert_eq!(r.net_tx_bps, Some(0.0));
    }

    #[test]
    fn first_sample_has_no_rates() {
        let r = rates(None, &counters(1, 1, 1), SEC, 8);
        assert_eq!(r.cpu_of_vcpus, None);
        assert_eq!(r.disk_read_bps, None);
        assert_eq!(r.net_rx_bps, None);
        // Memory is a level, not a rate: known at once.
        assert!(matches!(r.memory, MemoryFigure::GuestUsed { .. }));
    }

    #[test]
    fn counter_reset_is_a_gap_then_a_new_series() {
        let before = counters(50_000_000_000, 9 << 30, 9_000_000);
        let restarted = counters(200_000_000, 1 << 20, 1_000);
        let r = rates(Some(&before), &restarted, SEC, 8);
        assert_eq!(r.cpu_of_vcpus, None, "no negative or huge spike");
        assert_eq!(r.disk_read_bps, None);
        assert_eq!(r.net_rx_bps, None);
        let next = counters(1_200_000_000, (1 << 20) + 1000, 2_000);
        let r = rates(Some(&restarted), &next, SEC, 8);
        assert_eq!(r.cpu_of_vcpus, Some(50.0));
    }

    #[test]
    fn a_hot_unplugged_disk_does_not_poison_the_total() {
        let a = counters(1, 1000, 1);
        let mut b = counters(1, 2000, 1);
        b.disks[0].name = "vdb".into();
        let r = rates(Some(&a), &b, SEC, 8);
        assert_eq!(r.disks[0].read_bps, None, "new disk: no rate yet");
        assert_eq!(r.disk_read_bps, None);
    }

    #[test]
    fn missing_groups_say_why() {
        let mut c = counters(1, 1, 1);
        c.cpu_time_ns = None;
        c.memory = None;
        c.missing = vec![("memory".into(), "domain is shut off".into())];
        let r = rates(Some(&c), &c, SEC, 8);
        assert_eq!(r.cpu_of_vcpus, None);
        assert_eq!(r.memory, MemoryFigure::Missing("domain is shut off".into()));

        let mut c = counters(1, 1, 1);
        c.memory.as_mut().unwrap().guest_available = None;
        let r = rates(None, &c, SEC, 8);
        assert!(
            matches!(r.memory, MemoryFigure::HostSide { rss: Some(_), .. }),
            "{:?}",
            r.memory
        );
    }

    #[test]
    fn clock_jitter_never_divides_by_almost_zero() {
        let a = counters(1_000_000_000, 1, 1);
        let b = counters(1_010_000_000, 2, 2);
        assert_eq!(
            rates(Some(&a), &b, Duration::from_millis(1), 8).cpu_of_vcpus,
            None
        );
        assert_eq!(rates(Some(&a), &b, Duration::ZERO, 8).cpu_of_vcpus, None);
        // A late tick (1.5 s instead of 1 s) is measured over its real length.
        let c = counters(2_500_000_000, 1, 1);
        assert_eq!(
            rates(Some(&a), &c, Duration::from_millis(1500), 8).cpu_of_vcpus,
            Some(50.0)
        );
    }

    #[test]
    fn history_is_bounded_and_downsampled() {
        let t0 = Instant::now();
        let mut m = Monitor::new(SEC, Duration::from_secs(10), t0);
        for i in 0..100u64 {
            m.ingest(
                t0 + SEC * i as u32,
                sample(counters(i * 1_000_000_000, i, i)),
            );
        }
        let h = &m.history["a"];
        assert_eq!(h.cpu_of_vcpus.len(), 10);
        assert_eq!(h.cpu_of_vcpus.last(), Some(50.0));
        let points = h.cpu_of_vcpus.downsample(4);
        assert!(points.len() <= 4);
        assert!(points.iter().all(|(_, v)| (*v - 50.0).abs() < 1e-9));
    }

    #[test]
    fn downsampling_keeps_gaps_as_gaps() {
        let mut s = Series::with_capacity(10);
        for (t, v) in [(0.0, Some(1.0)), (1.0, None), (2.0, None), (3.0, Some(3.0))] {
            s.push(t, v);
        }
        assert_eq!(s.downsample(4), vec![(0.0, 1.0), (3.0, 3.0)]);
        assert_eq!(s.downsample(2), vec![(1.0, 1.0), (3.0, 3.0)]);
    }

    #[test]
    fn stopped_instances_lose_current_rates() {
        let t0 = Instant::now();
        let mut m = Monitor::new(SEC, Duration::from_secs(60), t0);
        m.ingest(t0, sample(counters(0, 0, 0)));
        m.ingest(t0 + SEC, sample(counters(1_000_000_000, 0, 0)));
        assert!(m.latest.contains_key("a"));
        let mut empty = sample(counters(0, 0, 0));
        empty.instances.clear();
        m.ingest(t0 + 2 * SEC, empty);
        assert!(!m.latest.contains_key("a"));
        assert_eq!(m.history["a"].cpu_of_vcpus.last(), None);
    }
}
