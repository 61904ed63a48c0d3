//! Against a real libvirtd + QEMU guest, as `scripts/hypervisor.sh up` provides (the guest
//! `yun-guest` on the isolated network `yun-lan`). Runs when `YUN_TEST_QEMU_URI` names the
//! connection; `scripts/test.sh` sets it after bringing the hypervisor up, and says so when the
//! machine cannot run one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::{Duration, Instant};

use yun::backend::libvirt::{LibvirtBackend, LibvirtOptions};
use yun::backend::{Backend, BackendError, CreateSpec, InstanceAction, VolumeFormat, VolumeSpec};
use yun::config::Config;
use yun::model::{Availability, InstanceStatus, Listing, ResourceKind};

const GUEST: &str = "yun-guest";
const NETWORK: &str = "yun-lan";

fn uri() -> Option<String> {
    let uri = std::env::var("YUN_TEST_QEMU_URI")
        .ok()
        .filter(|u| !u.is_empty());
    if uri.is_none() {
        eprintln!("YUN_TEST_QEMU_URI is not set: run scripts/test.sh, which starts the hypervisor");
    }
    uri
}

fn backend(uri: &str) -> LibvirtBackend {
    let config = Config::default();
    LibvirtBackend::connect(LibvirtOptions {
        uri: uri.to_string(),
        readonly: false,
        flavors: config.flavors(),
        image_pools: config.image_pools,
    })
    .unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn virsh(uri: &str, args: &[&str]) -> String {
    let out = Command::new("virsh")
        .arg("-c")
        .arg(uri)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "virsh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// (MAC, IP without prefix) pairs from `virsh net-dhcp-leases`.
fn virsh_leases(uri: &str) -> Vec<(String, String)> {
    let mut leases: Vec<(String, String)> = virsh(uri, &["net-dhcp-leases", NETWORK])
        .lines()
        .filter(|l| l.contains("ipv4") || l.contains("ipv6"))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let mac = f
                .iter()
                .find(|w| w.matches(':').count() == 5 && w.len() == 17)?;
            let ip = f.iter().find(|w| w.contains('/'))?;
            Some((mac.to_string(), ip.split('/').next()?.to_string()))
        })
        .collect();
    leases.sort();
    leases
}

fn guest_status(rt: &tokio::runtime::Runtime, b: &LibvirtBackend) -> InstanceStatus {
    match rt.block_on(b.list(ResourceKind::Instances)).unwrap() {
        Listing::Instances(list) => list.into_iter().find(|i| i.name == GUEST).unwrap().status,
        _ => unreachable!(),
    }
}

fn wait_for(rt: &tokio::runtime::Runtime, b: &LibvirtBackend, want: &InstanceStatus) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = guest_status(rt, b);
        if &status == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{GUEST} stayed {status:?}, wanted {want:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn guest_is_listed_running_with_its_lease_address() {
    let Some(uri) = uri() else { return };
    let (rt, b) = (rt(), backend(&uri));
    let Listing::Instances(list) = rt.block_on(b.list(ResourceKind::Instances)).unwrap() else {
        unreachable!()
    };
    let guest = list.iter().find(|i| i.name == GUEST).expect("guest listed");
    assert_eq!(guest.status, InstanceStatus::Active);
    let leases = virsh_leases(&uri);
    assert!(!leases.is_empty(), "the guest has a DHCP lease");
    let ips: Vec<&str> = guest.addresses.iter().map(|a| a.ip.as_str()).collect();
    for (_, ip) in &leases {
        assert!(ips.contains(&ip.as_str()), "{ip} from virsh not in {ips:?}");
    }
    // The list matches virsh's.
    let names = virsh(&uri, &["list", "--all", "--name"]);
    let mut virsh_names: Vec<&str> = names.lines().filter(|l| !l.is_empty()).collect();
    let mut ours: Vec<&str> = list.iter().map(|i| i.name.as_str()).collect();
    virsh_names.sort_unstable();
    ours.sort_unstable();
    assert_eq!(ours, virsh_names);
}

#[test]
fn network_leases_match_virsh() {
    let Some(uri) = uri() else { return };
    let (rt, b) = (rt(), backend(&uri));
    let Listing::Networks(nets) = rt.block_on(b.list(ResourceKind::Networks)).unwrap() else {
        unreachable!()
    };
    let net = nets
        .iter()
        .find(|n| n.name == NETWORK)
        .expect("network listed");
    let Availability::Known(leases) = &net.leases else {
        panic!("a real libvirtd has the lease call: {:?}", net.leases)
    };
    let mut ours: Vec<(String, String)> = leases
        .iter()
        .map(|l| (l.mac.clone(), l.ip.clone()))
        .collect();
    ours.sort();
    assert_eq!(ours, virsh_leases(&uri));
    assert!(
        net.cidrs.contains(&"192.168.213.0/24".to_string()),
        "{:?}",
        net.cidrs
    );
}

#[test]
fn pause_resume_force_off_and_start_take_effect() {
    let Some(uri) = uri() else { return };
    let (rt, b) = (rt(), backend(&uri));
    let id = virsh(&uri, &["domuuid", GUEST]).trim().to_string();
    wait_for(&rt, &b, &InstanceStatus::Active);

    rt.block_on(b.perform(&id, &InstanceAction::Pause)).unwrap();
    assert_eq!(virsh(&uri, &["domstate", GUEST]).trim(), "paused");
    wait_for(&rt, &b, &InstanceStatus::Paused);

    rt.block_on(b.perform(&id, &InstanceAction::Resume))
        .unwrap();
    assert_eq!(virsh(&uri, &["domstate", GUEST]).trim(), "running");
    wait_for(&rt, &b, &InstanceStatus::Active);

    rt.block_on(b.perform(&id, &InstanceAction::ForceOff))
        .unwrap();
    assert_eq!(virsh(&uri, &["domstate", GUEST]).trim(), "shut off");
    wait_for(&rt, &b, &InstanceStatus::Shutoff);

    rt.block_on(b.perform(&id, &InstanceAction::Start)).unwrap();
    assert_eq!(virsh(&uri, &["domstate", GUEST]).trim(), "running");
    wait_for(&rt, &b, &InstanceStatus::Active);
}

#[test]
fn lifecycle_events_arrive_from_the_real_daemon() {
    let Some(uri) = uri() else { return };
    let (rt, b) = (rt(), backend(&uri));
    let id = virsh(&uri, &["domuuid", GUEST]).trim().to_string();
    wait_for(&rt, &b, &InstanceStatus::Active);
    virsh(&uri, &["suspend", GUEST]);
    let changed = rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(5), b.next_changes()).await })
        .expect("an event within 5 s")
        .expect("events supported");
    virsh(&uri, &["resume", GUEST]);
    assert!(changed.contains(&id), "{changed:?}");
}

/// `cpu.time` and the sum of `vcpu.N.time` of the guest from `virsh domstats`, in
/// nanoseconds.
fn virsh_cpu_times(uri: &str) -> (u64, u64) {
    let out = virsh(uri, &["domstats", "--cpu-total", "--vcpu", GUEST]);
    let total = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("cpu.time="))
        .and_then(|v| v.parse().ok())
        .expect("cpu.time in virsh domstats");
    let vcpus: u64 = out
        .lines()
        .filter_map(|l| {
            let (key, value) = l.trim().split_once('=')?;
            let index = key.strip_prefix("vcpu.")?.strip_suffix(".time")?;
            index.parse::<u32>().ok()?;
            value.parse::<u64>().ok()
        })
        .sum();
    assert!(vcpus > 0, "vcpu.N.time in virsh domstats: {out}");
    (total, vcpus)
}

#[test]
fn monitor_cpu_agrees_with_virsh_domstats_and_io_counters_move() {
    use yun::monitor::Monitor;
    let Some(uri) = uri() else { return };
    let (rt, b) = (rt(), backend(&uri));
    let id = virsh(&uri, &["domuuid", GUEST]).trim().to_string();
    wait_for(&rt, &b, &InstanceStatus::Active);
    // Let a freshly started guest get past its boot before measuring.
    std::thread::sleep(Duration::from_secs(2));

    let mut monitor = Monitor::new(
        Duration::from_secs(1),
        Duration::from_secs(60),
        Instant::now(),
    );
    let virsh_a = (virsh_cpu_times(&uri), Instant::now());
    let a = rt.block_on(b.sample_stats(vec![id.clone()])).unwrap();
    let taken_a = Instant::now();
    std::thread::sleep(Duration::from_secs(4));
    let virsh_b = (virsh_cpu_times(&uri), Instant::now());
    let b_sample = rt.block_on(b.sample_stats(vec![id.clone()])).unwrap();
    let taken_b = Instant::now();

    assert!(a.basis.contains("bulk"), "{}", a.basis);
    let ca = a.instances.iter().find(|c| c.id == id).unwrap().clone();
    let cb = b_sample
        .instances
        .iter()
        .find(|c| c.id == id)
        .unwrap()
        .clone();
    let b_sample_host_cpus = b_sample.host.cpus;
    assert!(b_sample_host_cpus > 0);
    monitor.ingest(taken_a, a);
    monitor.ingest(taken_b, b_sample);
    let rates = monitor.rates(&id).expect("rates of the guest");
    let ours = rates.cpu_of_vcpus.expect("a CPU figure");
    let ours_host = rates.cpu_of_host.expect("a host CPU figure");
    let secs = virsh_b.1.duration_since(virsh_a.1).as_secs_f64();
    let share = |a: u64, b: u64, cpus: u32| (b - a) as f64 / secs / 1e9 / f64::from(cpus) * 100.0;
    let theirs = share(virsh_a.0.1, virsh_b.0.1, cb.vcpus.max(1));
    let host_cpus = b_sample_host_cpus;
    let theirs_host = share(virsh_a.0.0, virsh_b.0.0, host_cpus);
    eprintln!(
        "CPU % of vCPUs: yun {ours:.1}, virsh domstats {theirs:.1}; \
         of the host's {host_cpus} CPUs: yun {ours_host:.1}, virsh {theirs_host:.1}"
    );
    assert!(ours > 0.0);
    assert!(
        (ours - theirs).abs() <= 5.0,
        "yun {ours:.1} % vs virsh {theirs:.1} %"
    );
    assert!(ours <= 105.0, "a share of the vCPUs: {ours:.1} %");
    assert!(
        (ours_host - theirs_host).abs() <= 5.0,
        "host share: yun {ours_host:.1} % vs virsh {theirs_host:.1} %"
    );

    // The guest writes to its disk every 2 s and pings the bridge every second.
    let moved = |f: fn(&yun::model::InstanceCounters) -> u64| f(&cb) > f(&ca);
    assert!(moved(|c| c
        .nics
        .iter()
        .map(|n| n.rx_packets + n.tx_packets)
        .sum()));
    assert!(moved(|c| c
        .disks
        .iter()
        .map(|d| d.write_reqs + d.read_reqs)
        .sum()));
    assert!(
        monitor
            .rates(&id)
            .expect("rates of the guest")
            .memory
            .charted()
            .is_some()
    );
}

/// The pool `scripts/hypervisor.sh` defines for the guest's disk.
const POOL: &str = "yun-pool";

#[test]
fn a_created_qcow2_volume_is_what_virsh_reports_and_one_too_big_is_refused() {
    let Some(uri) = uri() else { return };
    let rt = rt();
    let b = backend(&uri);
    let name = format!("yun-test-{}.qcow2", std::process::id());
    let spec = |capacity_bytes| {
        CreateSpec::Volume(VolumeSpec {
            name: name.clone(),
            pool: POOL.into(),
            capacity_bytes,
            format: VolumeFormat::Qcow2,
        })
    };
    let Listing::Volumes { pools, .. } = rt.block_on(b.list(ResourceKind::Volumes)).unwrap() else {
        unreachable!()
    };
    let pool = pools
        .iter()
        .find(|p| p.name == POOL)
        .expect("the test pool");
    let too_big = rt.block_on(b.create(spec(pool.available + (1 << 30))));
    assert!(
        matches!(&too_big, Err(BackendError::Invalid(m)) if m.contains("does not fit")),
        "{too_big:?}"
    );
    let made = rt.block_on(b.create(spec(64 << 20))).expect("creates");
    let xml = virsh(&uri, &["vol-dumpxml", "--pool", POOL, &name]);
    // Clean up before asserting, so a failure leaves nothing behind.
    virsh(&uri, &["vol-delete", "--pool", POOL, &name]);
    assert!(
        xml.contains("<capacity unit='bytes'>67108864</capacity>"),
        "{xml}"
    );
    assert!(xml.contains("<format type='qcow2'/>"), "{xml}");
    assert!(xml.contains(&format!("<key>{}</key>", made.id)), "{xml}");
}
