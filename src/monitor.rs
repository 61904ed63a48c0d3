//! The monitor's arithmetic: rates from cumulative counters over monotonic time, kept in
//! bounded ring buffers, and downsampled to a chart's width. Pure: no I/O, no clock reads.
//!
//! Conventions, shown on screen with every figure:
//! * CPU % of the instance: Δ(sum of its vCPUs' times) / (Δt × its vCPUs) — 100 % means
//!   every vCPU busy. Where per-vCPU times are missing, the domain's total CPU time instead.
//! * CPU % of the host: Δcpu_time / (Δt × host CPUs) — virt-top's %CPU. The domain's total
//!   counts QEMU's own threads (emulator, I/O) too: what the instance costs the host.
//! * Memory used by the guest: available − unused − disk caches, from the balloon driver.
//!
//! A counter that goes backwards (the guest restarted, a disk was unplugged) does not produce a
//! negative or huge rate: that point is a gap and the series starts again from the new value.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::model::{HostCounters, InstanceCounters, MemoryCounters, StatsSample};

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

impl Default for Rates {
    fn default() -> Self {
        Self {
            cpu_of_vcpus: None,
            cpu_of_host: None,
            vcpus: Vec::new(),
            memory: MemoryFigure::Missing(String::new()),
            disk_read_bps: None,
            disk_write_bps: None,
            disk_read_iops: None,
            disk_write_iops: None,
            net_rx_bps: None,
            net_tx_bps: None,
            net_rx_pps: None,
            net_tx_pps: None,
            net_errors_ps: None,
            net_drops_ps: None,
            disks: Vec::new(),
            nics: Vec::new(),
            missing: Vec::new(),
        }
    }
}

/// The device of the previous sample with the same name: usually at the same index.
fn same_device<'a, T>(
    prev: &'a [T],
    i: usize,
    name: &str,
    name_of: fn(&T) -> &str,
) -> Option<&'a T> {
    match prev.get(i) {
        Some(p) if name_of(p) == name => Some(p),
        _ => prev.iter().find(|p| name_of(p) == name),
    }
}

/// Rates of `cur` against `prev` (`None` for the first sample: the screen shows "—").
pub fn rates(
    prev: Option<&InstanceCounters>,
    cur: &InstanceCounters,
    dt: Duration,
    host_cpus: u32,
) -> Rates {
    let mut out = Rates::default();
    rates_into(&mut out, prev, cur, dt, host_cpus);
    out
}

/// [`rates`] written over an earlier result, reusing its allocations (device names and
/// lists): at a thousand instances a tick then allocates almost nothing.
pub fn rates_into(
    out: &mut Rates,
    prev: Option<&InstanceCounters>,
    cur: &InstanceCounters,
    dt: Duration,
    host_cpus: u32,
) {
    let reason = |what: &str| {
        cur.missing
            .iter()
            .find(|(k, _)| k == what)
            .map(|(_, r)| r.as_str())
    };
    out.memory = MemoryFigure::from_counters(cur.memory.as_ref(), reason("memory"));
    let cpu = |cpus: u32| {
        let (p, c) = (prev?.cpu_time_ns?, cur.cpu_time_ns?);
        cpu_percent(p, c, dt, cpus)
    };
    // The vCPUs' own time, when every vCPU reported it in both samples (a hot-plugged vCPU
    // would bring its whole past into one delta).
    let vcpu_time = |c: &InstanceCounters| {
        (c.vcpus > 0 && c.vcpu_time_ns.len() == c.vcpus as usize).then(|| {
            c.vcpu_time_ns
                .iter()
                .fold(0u64, |a, t| a.saturating_add(*t))
        })
    };
    out.cpu_of_vcpus = match (prev.and_then(vcpu_time), vcpu_time(cur)) {
        (Some(p), Some(c)) if prev.is_some_and(|p| p.vcpus == cur.vcpus) => {
            cpu_percent(p, c, dt, cur.vcpus)
        }
        _ => cpu(cur.vcpus),
    };
    out.cpu_of_host = cpu(host_cpus);
    out.vcpus.clear();
    out.vcpus
        .extend(cur.vcpu_time_ns.iter().enumerate().map(|(i, c)| {
            let p = prev?.vcpu_time_ns.get(i)?;
            cpu_percent(*p, *c, dt, 1)
        }));

    out.disks.truncate(cur.disks.len());
    for (i, d) in cur.disks.iter().enumerate() {
        let p = prev.and_then(|p| same_device(&p.disks, i, &d.name, |x| x.name.as_str()));
        let r =
            |f: fn(&crate::model::DiskCounters) -> u64| p.and_then(|p| per_second(f(p), f(d), dt));
        if out.disks.len() == i {
            out.disks.push(DiskRates::default());
        }
        let o = &mut out.disks[i];
        o.name.clone_from(&d.name);
        o.read_bps = r(|x| x.read_bytes);
        o.write_bps = r(|x| x.write_bytes);
        o.read_iops = r(|x| x.read_reqs);
        o.write_iops = r(|x| x.write_reqs);
    }
    out.nics.truncate(cur.nics.len());
    for (i, n) in cur.nics.iter().enumerate() {
        let p = prev.and_then(|p| same_device(&p.nics, i, &n.name, |x| x.name.as_str()));
        let r =
            |f: fn(&crate::model::NicCounters) -> u64| p.and_then(|p| per_second(f(p), f(n), dt));
        if out.nics.len() == i {
            out.nics.push(NicRates::default());
        }
        let o = &mut out.nics[i];
        o.name.clone_from(&n.name);
        o.rx_bps = r(|x| x.rx_bytes);
        o.tx_bps = r(|x| x.tx_bytes);
        o.rx_pps = r(|x| x.rx_packets);
        o.tx_pps = r(|x| x.tx_packets);
        o.errors_ps = r(|x| x.rx_errors.saturating_add(x.tx_errors));
        o.drops_ps = r(|x| x.rx_drops.saturating_add(x.tx_drops));
    }
    let disks = &out.disks;
    out.disk_read_bps = sum(disks.iter().map(|d| d.read_bps));
    out.disk_write_bps = sum(disks.iter().map(|d| d.write_bps));
    out.disk_read_iops = sum(disks.iter().map(|d| d.read_iops));
    out.disk_write_iops = sum(disks.iter().map(|d| d.write_iops));
    let nics = &out.nics;
    out.net_rx_bps = sum(nics.iter().map(|n| n.rx_bps));
    out.net_tx_bps = sum(nics.iter().map(|n| n.tx_bps));
    out.net_rx_pps = sum(nics.iter().map(|n| n.rx_pps));
    out.net_tx_pps = sum(nics.iter().map(|n| n.tx_pps));
    out.net_errors_ps = sum(nics.iter().map(|n| n.errors_ps));
    out.net_drops_ps = sum(nics.iter().map(|n| n.drops_ps));
    out.missing.clone_from(&cur.missing);
}

/// What the history keeps of each instance, one value per tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    CpuOfVcpus,
    CpuOfHost,
    Memory,
    DiskRead,
    DiskWrite,
    NetRx,
    NetTx,
}

impl Figure {
    const COUNT: usize = 7;
}

/// One point of a [`History`]: seconds since the monitor started and a value of each
/// [`Figure`], NaN for a gap.
type Point = (f64, [f32; Figure::COUNT]);

/// A bounded ring of points sharing one time axis. One ring per instance, not one per figure,
/// so a tick writes one point of 36 bytes per instance; at 1,000 instances and a 5-minute
/// window at 1 s that is 12 MB in all.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    points: VecDeque<Point>,
    capacity: usize,
}

impl History {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            points: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(2),
        }
    }

    /// Add the values at `t`; `None` is a gap.
    pub fn push(&mut self, t: f64, values: [Option<f64>; Figure::COUNT]) {
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        self.points
            .push_back((t, values.map(|v| v.map_or(f32::NAN, |v| v as f32))));
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The series of one figure.
    pub fn get(&self, figure: Figure) -> Series<'_> {
        Series {
            points: &self.points,
            index: figure as usize,
        }
    }
}

/// One figure's series out of a [`History`].
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    points: &'a VecDeque<Point>,
    index: usize,
}

impl Series<'_> {
    fn values(&self) -> impl DoubleEndedIterator<Item = Option<f64>> + ExactSizeIterator + '_ {
        self.points.iter().map(|(_, v)| {
            let v = v[self.index];
            (!v.is_nan()).then_some(f64::from(v))
        })
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The newest value, `None` when it is a gap.
    pub fn last(&self) -> Option<f64> {
        self.values().next_back().flatten()
    }

    /// The last `n` values (gaps included), oldest first, for sparklines.
    pub fn tail(&self, n: usize) -> impl Iterator<Item = Option<f64>> + '_ {
        self.values().skip(self.points.len().saturating_sub(n))
    }

    pub fn max(&self) -> Option<f64> {
        self.values().flatten().reduce(f64::max)
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
        let (mut sum, mut count, mut in_bucket) = (0.0, 0u32, 0usize);
        for (i, (t, v)) in self.points.iter().enumerate() {
            let v = v[self.index];
            if !v.is_nan() {
                sum += f64::from(v);
                count += 1;
            }
            in_bucket += 1;
            if in_bucket == per || i + 1 == n {
                if count > 0 {
                    out.push((*t, sum / f64::from(count)));
                }
                (sum, count, in_bucket) = (0.0, 0, 0);
            }
        }
        out
    }
}

/// One instance as the monitor tracks it: its last counters, its rates between the last two
/// samples, and its history.
#[derive(Clone, Debug)]
struct Tracked {
    counters: InstanceCounters,
    /// `None` when the instance was not in the last sample (stopped, or off screen).
    rates: Option<Rates>,
    history: History,
    /// The number of the last sample the instance was in.
    seen_in: u64,
    /// When that was, in seconds since the monitor started.
    last_seen: f64,
}

/// Everything the monitor pane, the Instances columns and the Overview's top list show.
#[derive(Clone, Debug)]
pub struct Monitor {
    pub interval: Duration,
    pub window: Duration,
    started: Instant,
    last_at: Option<Instant>,
    last_host: Option<HostCounters>,
    instances: HashMap<String, Tracked>,
    pub host_cpu_now: Option<f64>,
    /// Why there is no host CPU figure, once there could have been one (not on the first
    /// sample, where "—" only means "wait a tick").
    pub host_cpu_missing: Option<String>,
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
            last_at: None,
            last_host: None,
            instances: HashMap::new(),
            host_cpu_now: None,
            host_cpu_missing: None,
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
    ///
    /// A sample taken too soon after the last one to give rates (one requested by an action
    /// right after a timer tick's) is set aside: as a point it would only be a gap in every
    /// chart. The next tick measures over the whole interval instead.
    pub fn ingest(&mut self, at: Instant, sample: StatsSample) {
        if self
            .last_at
            .is_some_and(|last| at.saturating_duration_since(last) < MIN_INTERVAL)
        {
            return;
        }
        let t = at.duration_since(self.started).as_secs_f64();
        let capacity = self.capacity();
        let dt = self
            .last_at
            .map_or(Duration::ZERO, |when| at.saturating_duration_since(when));
        let host_cpus = sample.host.cpus;
        // Samples are numbered from 1; an instance's counters serve as the previous reading
        // only if it was in the sample just before this one.
        let previous = self.samples;
        let this = previous + 1;
        for cur in sample.instances {
            // One lookup per instance; the id is copied only for an instance seen first.
            let tracked = match self.instances.get_mut(cur.id.as_str()) {
                Some(tracked) => tracked,
                None => self
                    .instances
                    .entry(cur.id.clone())
                    .or_insert_with(|| Tracked {
                        counters: InstanceCounters::default(),
                        rates: None,
                        history: History::with_capacity(capacity),
                        seen_in: 0,
                        last_seen: t,
                    }),
            };
            let prev =
                (tracked.seen_in > 0 && tracked.seen_in == previous).then_some(&tracked.counters);
            let r = tracked.rates.get_or_insert_with(Rates::default);
            rates_into(r, prev, &cur, dt, host_cpus);
            tracked.history.push(
                t,
                [
                    r.cpu_of_vcpus,
                    r.cpu_of_host,
                    r.memory.charted(),
                    r.disk_read_bps,
                    r.disk_write_bps,
                    r.net_rx_bps,
                    r.net_tx_bps,
                ],
            );
            tracked.counters = cur;
            tracked.seen_in = this;
            tracked.last_seen = t;
        }
        // Instances that stopped keep their history until it scrolls out, but no current rates.
        let window = self.window.as_secs_f64();
        self.instances.retain(|_, tracked| {
            if tracked.seen_in != this {
                tracked.rates = None;
                tracked.history.push(t, [None; Figure::COUNT]);
            }
            t - tracked.last_seen <= window
        });

        let host = sample.host;
        let reported = host
            .missing
            .iter()
            .find(|(k, _)| k == "cpu")
            .map(|(_, why)| why.clone());
        (self.host_cpu_now, self.host_cpu_missing) = match (
            self.last_host
                .as_ref()
                .and_then(|h| h.cpu_busy_ns.zip(h.cpu_total_ns)),
            host.cpu_busy_ns.zip(host.cpu_total_ns),
        ) {
            (Some((pb, pt)), Some((cb, ct))) if ct > pt && cb >= pb => {
                (Some((cb - pb) as f64 / (ct - pt) as f64 * 100.0), None)
            }
            (Some(_), Some(_)) => (
                None,
                Some("the host's CPU counters did not advance between two samples".to_string()),
            ),
            _ if self.last_at.is_none() => (None, None),
            _ => (
                None,
                Some(reported.unwrap_or_else(|| "the driver reports no host CPU times".into())),
            ),
        };
        self.host_memory = host
            .memory_free
            .map(|free| (host.memory_total.saturating_sub(free), host.memory_total));
        self.host_missing.clone_from(&host.missing);
        self.basis = sample.basis;
        self.error = None;
        self.samples += 1;
        self.last_at = Some(at);
        self.last_host = Some(host);
    }

    /// Seconds since the monitor started, for chart axes.
    pub fn now_secs(&self) -> f64 {
        self.last_at
            .map_or(0.0, |at| at.duration_since(self.started).as_secs_f64())
    }

    /// The current rates of an instance, `None` when it was not in the last sample.
    pub fn rates(&self, id: &str) -> Option<&Rates> {
        self.instances.get(id)?.rates.as_ref()
    }

    /// Every instance with current rates.
    pub fn current(&self) -> impl Iterator<Item = (&str, &Rates)> {
        self.instances
            .iter()
            .filter_map(|(id, t)| Some((id.as_str(), t.rates.as_ref()?)))
    }

    /// The charted history of an instance (kept for a window after it stopped).
    pub fn history(&self, id: &str) -> Option<&History> {
        self.instances.get(id).map(|t| &t.history)
    }

    /// The counters of an instance in the last sample (vCPU count, configured memory).
    pub fn counters(&self, id: &str) -> Option<&InstanceCounters> {
        let t = self.instances.get(id)?;
        t.rates.as_ref().map(|_| &t.counters)
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
    fn the_vcpu_share_is_the_vcpus_own_time_and_the_host_share_all_of_it() {
        // QEMU's emulator and I/O threads add 0.2 s a second to the vCPUs' 1 s.
        let a = counters(10_000_000_000, 0, 0);
        let mut b = counters(11_200_000_000, 0, 0);
        b.vcpu_time_ns = vec![5_500_000_000, 5_500_000_000];
        let r = rates(Some(&a), &b, SEC, 8);
        assert_eq!(r.cpu_of_vcpus, Some(50.0), "never above 100 % of the vCPUs");
        assert_eq!(r.cpu_of_host, Some(15.0));
        // Without per-vCPU times in both samples (or after a vCPU was added), the total.
        let mut b2 = b.clone();
        b2.vcpu_time_ns.pop();
        assert_eq!(rates(Some(&a), &b2, SEC, 8).cpu_of_vcpus, Some(60.0));
        let mut b3 = b.clone();
        b3.vcpus = 3;
        b3.vcpu_time_ns.push(9_000_000_000);
        let r3 = rates(Some(&a), &b3, SEC, 8).cpu_of_vcpus.unwrap();
        assert!((r3 - 40.0).abs() < 1e-9, "{r3}");
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
        // Without the domain's total, the host share is unknown; the vCPUs' own times still
        // give theirs.
        let r = rates(Some(&c), &c, SEC, 8);
        assert_eq!(r.cpu_of_host, None);
        assert_eq!(r.cpu_of_vcpus, Some(0.0));
        assert_eq!(r.memory, MemoryFigure::Missing("domain is shut off".into()));
        c.vcpu_time_ns.clear();
        let r = rates(Some(&c), &c, SEC, 8);
        assert_eq!(
            r.cpu_of_vcpus, None,
            "no CPU group at all: no figure, not 0"
        );

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
        let h = m.history("a").unwrap();
        assert_eq!(h.len(), 10);
        let cpu = h.get(Figure::CpuOfVcpus);
        assert_eq!(cpu.last(), Some(50.0));
        assert_eq!(h.get(Figure::CpuOfHost).last(), Some(12.5));
        assert_eq!(h.get(Figure::NetRx).last(), Some(1.0));
        let points = cpu.downsample(4);
        assert!(points.len() <= 4);
        assert!(points.iter().all(|(_, v)| (*v - 50.0).abs() < 1e-9));
        // The newest point closes the last bucket.
        assert_eq!(points.last().map(|p| p.0), Some(99.0));
    }

    #[test]
    fn downsampling_keeps_gaps_as_gaps() {
        let mut h = History::with_capacity(10);
        for (t, v) in [(0.0, Some(1.0)), (1.0, None), (2.0, None), (3.0, Some(3.0))] {
            let mut values = [Some(7.0); Figure::COUNT];
            values[Figure::CpuOfHost as usize] = v;
            h.push(t, values);
        }
        let s = h.get(Figure::CpuOfHost);
        assert_eq!(s.downsample(4), vec![(0.0, 1.0), (3.0, 3.0)]);
        assert_eq!(s.downsample(2), vec![(1.0, 1.0), (3.0, 3.0)]);
        assert_eq!(s.tail(3).collect::<Vec<_>>(), vec![None, None, Some(3.0)]);
        assert_eq!(s.max(), Some(3.0));
        assert_eq!(h.get(Figure::Memory).downsample(1), vec![(3.0, 7.0)]);
    }

    #[test]
    fn stopped_instances_lose_current_rates() {
        let t0 = Instant::now();
        let mut m = Monitor::new(SEC, Duration::from_secs(60), t0);
        m.ingest(t0, sample(counters(0, 0, 0)));
        m.ingest(t0 + SEC, sample(counters(1_000_000_000, 0, 0)));
        assert!(m.rates("a").is_some());
        assert_eq!(m.counters("a").map(|c| c.vcpus), Some(2));
        let mut empty = sample(counters(0, 0, 0));
        empty.instances.clear();
        m.ingest(t0 + 2 * SEC, empty.clone());
        assert!(m.rates("a").is_none());
        assert!(m.counters("a").is_none());
        assert_eq!(m.current().count(), 0);
        let h = m.history("a").unwrap();
        assert_eq!(h.get(Figure::CpuOfVcpus).last(), None, "a gap, not a zero");
        assert_eq!(h.len(), 3);

        // Back after a gap: its old counters are not a previous reading of now.
        m.ingest(t0 + 10 * SEC, sample(counters(2_000_000_000, 0, 0)));
        assert_eq!(m.rates("a").unwrap().cpu_of_vcpus, None);
        m.ingest(t0 + 11 * SEC, sample(counters(3_000_000_000, 0, 0)));
        assert_eq!(m.rates("a").unwrap().cpu_of_vcpus, Some(50.0));

        // Gone for longer than the window: its history goes too.
        m.ingest(t0 + 100 * SEC, empty);
        assert!(m.history("a").is_none());
    }

    #[test]
    fn a_sample_right_after_another_is_set_aside_not_a_gap() {
        let t0 = Instant::now();
        let mut m = Monitor::new(SEC, Duration::from_secs(60), t0);
        m.ingest(t0, sample(counters(0, 0, 0)));
        m.ingest(t0 + SEC, sample(counters(1_000_000_000, 0, 0)));
        // Queued behind the tick's own request, taken 5 ms later.
        m.ingest(
            t0 + SEC + Duration::from_millis(5),
            sample(counters(1_010_000_000, 0, 0)),
        );
        assert_eq!(m.rates("a").unwrap().cpu_of_vcpus, Some(50.0));
        assert_eq!(m.samples, 2);
        m.ingest(t0 + 2 * SEC, sample(counters(2_000_000_000, 0, 0)));
        let h = m.history("a").unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(
            h.get(Figure::CpuOfVcpus).tail(2).collect::<Vec<_>>(),
            vec![Some(50.0), Some(50.0)],
            "measured over the whole second, no gap"
        );
    }

    #[test]
    fn many_instances_are_tracked_independently() {
        let t0 = Instant::now();
        let mut m = Monitor::new(SEC, Duration::from_secs(60), t0);
        let tick = |i: u64| StatsSample {
            instances: (0..3u64)
                .map(|k| InstanceCounters {
                    id: format!("vm{k}"),
                    vcpus: 1,
                    // vm0 idle, vm1 half busy, vm2 fully busy.
                    cpu_time_ns: Some(i * k * 500_000_000),
                    ..InstanceCounters::default()
                })
                .collect(),
            host: HostCounters {
                cpus: 4,
                ..HostCounters::default()
            },
            basis: "test".into(),
        };
        m.ingest(t0, tick(0));
        assert!(
            m.current().all(|(_, r)| r.cpu_of_vcpus.is_none()),
            "first sample: —"
        );
        m.ingest(t0 + SEC, tick(1));
        let mut cpu: Vec<(String, Option<f64>)> = m
            .current()
            .map(|(id, r)| (id.to_string(), r.cpu_of_vcpus))
            .collect();
        cpu.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            cpu,
            vec![
                ("vm0".into(), Some(0.0)),
                ("vm1".into(), Some(50.0)),
                ("vm2".into(), Some(100.0))
            ]
        );
        assert_eq!(m.rates("vm2").unwrap().cpu_of_host, Some(25.0));
    }
}
