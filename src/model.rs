//! Backend-neutral resource types. The UI only ever sees these: never `virt` handles or JSON.
//!
//! Sizes are bytes (`u64`). Values a backend cannot provide are `Option::None`, or an
//! [`Availability::Unavailable`] carrying the reason, so the screen can say *why* a figure is
//! missing instead of showing an empty cell.

use serde::Serialize;

/// A value the backend may be unable to provide, with the reason it gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Availability<T> {
    Known(T),
    Unavailable(String),
}

impl<T> Availability<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Self::Known(v) => Some(v),
            Self::Unavailable(_) => None,
        }
    }
}

impl<T: Default> Default for Availability<T> {
    fn default() -> Self {
        Self::Known(T::default())
    }
}

/// The resource kinds: the six tabs, plus the Networks tab's sub-views a cloud has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ResourceKind {
    Overview,
    Instances,
    Flavors,
    Images,
    Volumes,
    Networks,
    /// Sub-views of the Networks tab (cloud only).
    SecurityGroups,
    FloatingIps,
    Ports,
}

impl ResourceKind {
    /// The tabs, in order.
    pub const ALL: [Self; 6] = [
        Self::Overview,
        Self::Instances,
        Self::Flavors,
        Self::Images,
        Self::Volumes,
        Self::Networks,
    ];

    /// Name used by `:` commands and `yun list`.
    pub fn command_name(self) -> &'static str {
        match self {
            Self::Overview => "overview",
            Self::Instances => "instances",
            Self::Flavors => "flavors",
            Self::Images => "images",
            Self::Volumes => "volumes",
            Self::Networks => "networks",
            Self::SecurityGroups => "security-groups",
            Self::FloatingIps => "floating-ips",
            Self::Ports => "ports",
        }
    }

    /// The tab a kind is shown under.
    pub fn tab(self) -> Self {
        match self {
            Self::SecurityGroups | Self::FloatingIps | Self::Ports => Self::Networks,
            other => other,
        }
    }

    pub fn from_command_name(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase();
        let subs = [Self::SecurityGroups, Self::FloatingIps, Self::Ports];
        Self::ALL.into_iter().chain(subs).find(|k| {
            let full = k.command_name();
            name == full
                || name == full.trim_end_matches('s')
                || matches!(
                    (k, name.as_str()),
                    (
                        Self::Instances,
                        "servers" | "server" | "vm" | "vms" | "domains"
                    ) | (Self::Volumes, "vol" | "vols")
                        | (Self::Networks, "net" | "nets")
                        | (Self::Images, "img")
                        | (Self::Overview, "ov" | "home")
                        | (Self::SecurityGroups, "sg" | "secgroups")
                        | (Self::FloatingIps, "fip" | "fips" | "floatingips")
                )
        })
    }
}

/// Dashboard status of an instance (Horizon's Status column).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum InstanceStatus {
    Active,
    Build,
    Shutoff,
    Paused,
    Suspended,
    Crashed,
    Error,
    /// A status string the backend reported that yun has no name for (clouds differ).
    Other(String),
}

impl InstanceStatus {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "ACTIVE",
            Self::Build => "BUILD",
            Self::Shutoff => "SHUTOFF",
            Self::Paused => "PAUSED",
            Self::Suspended => "SUSPENDED",
            Self::Crashed => "CRASHED",
            Self::Error => "ERROR",
            Self::Other(s) => s,
        }
    }
}

/// Hypervisor power state, named as Horizon names Nova's `power_state` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PowerState {
    NoState,
    Running,
    Blocked,
    Paused,
    Shutdown,
    Shutoff,
    Crashed,
    Suspended,
    Failed,
    Building,
}

impl PowerState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoState => "NO STATE",
            Self::Running => "RUNNING",
            Self::Blocked => "BLOCKED",
            Self::Paused => "PAUSED",
            Self::Shutdown => "SHUTDOWN",
            Self::Shutoff => "SHUTOFF",
            Self::Crashed => "CRASHED",
            Self::Suspended => "SUSPENDED",
            Self::Failed => "FAILED",
            Self::Building => "BUILDING",
        }
    }
}

/// An address of an instance and where it was learnt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Address {
    /// Network (or bridge) name the address belongs to.
    pub network: String,
    pub ip: String,
    pub source: AddressSource,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AddressSource {
    Lease,
    Agent,
    Arp,
    Fixed,
    Floating,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InstanceSize {
    pub vcpus: u32,
    pub ram_bytes: u64,
    pub disk_bytes: u64,
    /// The flavor whose shape matches, when one does.
    pub flavor: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Instance {
    pub id: String,
    pub name: String,
    pub addresses: Vec<Address>,
    /// Why addresses could not be read (e.g. the driver has no lease call).
    pub addresses_note: Option<String>,
    pub size: InstanceSize,
    pub status: InstanceStatus,
    /// The action in flight, e.g. `powering-off`, until the state settles.
    pub task: Option<String>,
    pub power: PowerState,
    pub autostart: Option<bool>,
    pub persistent: Option<bool>,
    pub has_managed_save: bool,
    /// Cloud-only columns; `None` on libvirt.
    pub image: Option<String>,
    pub key_name: Option<String>,
    pub availability_zone: Option<String>,
    pub created: Option<String>,
    pub fault: Option<String>,
    pub locked: Option<bool>,
    /// A resize is done and waits to be confirmed or reverted (the backend's own status says
    /// so in its words).
    #[serde(skip)]
    pub resize_pending: bool,
    /// The backend reports the instance deleted (still listed, nothing left to change).
    #[serde(skip)]
    pub deleted: bool,
}

impl Instance {
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            addresses: Vec::new(),
            addresses_note: None,
            size: InstanceSize::default(),
            status: InstanceStatus::Other("UNKNOWN".into()),
            task: None,
            power: PowerState::NoState,
            autostart: None,
            persistent: None,
            has_managed_save: false,
            image: None,
            key_name: None,
            availability_zone: None,
            created: None,
            fault: None,
            locked: None,
            resize_pending: false,
            deleted: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Flavor {
    pub id: String,
    pub name: String,
    pub vcpus: u32,
    pub ram_bytes: u64,
    pub root_disk_bytes: u64,
    pub ephemeral_bytes: u64,
    pub swap_bytes: u64,
    pub public: Option<bool>,
    /// Whether an instance of this flavor fits on the host (libvirt only).
    pub fits: Option<bool>,
    pub extra_specs: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Image {
    pub id: String,
    pub name: String,
    pub format: Option<String>,
    pub virtual_size: Option<u64>,
    pub allocation: Option<u64>,
    pub pool: Option<String>,
    pub path: Option<String>,
    /// Instances whose disks use it directly or as a backing file.
    pub used_by: Vec<String>,
    pub status: Option<String>,
    pub visibility: Option<String>,
    pub min_disk_bytes: Option<u64>,
    pub min_ram_bytes: Option<u64>,
    pub created: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub instance: String,
    pub target: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Volume {
    pub id: String,
    pub name: String,
    pub pool: Option<String>,
    pub format: Option<String>,
    pub capacity: Option<u64>,
    pub allocation: Option<u64>,
    pub attached: Vec<Attachment>,
    pub path: Option<String>,
    pub status: Option<String>,
    pub volume_type: Option<String>,
    pub bootable: Option<bool>,
    pub availability_zone: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pool {
    pub name: String,
    pub active: bool,
    pub capacity: u64,
    pub allocation: u64,
    pub available: u64,
    pub volumes: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lease {
    pub mac: String,
    pub ip: String,
    pub hostname: Option<String>,
    /// Expiry as seconds since the epoch (0 = never).
    pub expiry: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaticHost {
    pub mac: Option<String>,
    pub name: Option<String>,
    pub ip: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Network {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub autostart: Option<bool>,
    /// Forward mode (`nat`, `route`, `bridge`, …) or `isolated` when there is none.
    pub forward: Option<String>,
    pub bridge: Option<String>,
    /// Addresses in CIDR form (network side for libvirt, subnets for a cloud).
    pub cidrs: Vec<String>,
    pub dhcp_ranges: Vec<String>,
    pub leases: Availability<Vec<Lease>>,
    pub static_hosts: Vec<StaticHost>,
    pub shared: Option<bool>,
    pub external: Option<bool>,
    pub status: Option<String>,
}

/// One security group rule; `None` fields mean "any".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SecurityGroupRule {
    pub id: String,
    /// `ingress` or `egress`.
    pub direction: String,
    pub ethertype: Option<String>,
    pub protocol: Option<String>,
    pub port_min: Option<u32>,
    pub port_max: Option<u32>,
    pub remote_ip_prefix: Option<String>,
    pub remote_group: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub rules: Vec<SecurityGroupRule>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FloatingIp {
    pub id: String,
    pub address: String,
    pub fixed_address: Option<String>,
    /// Instance (name when known) the address is associated with, through its port.
    pub instance: Option<String>,
    pub network: Option<String>,
    pub status: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Port {
    pub id: String,
    pub name: String,
    pub network: Option<String>,
    pub mac: Option<String>,
    pub fixed_ips: Vec<String>,
    /// `compute:nova`, `network:router_interface`, …
    pub device_owner: Option<String>,
    /// Instance name (or device id) the port belongs to.
    pub device: Option<String>,
    pub status: Option<String>,
}

/// Used against the limit of one quota (cloud Overview). `limit` is `None` when unlimited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuotaUsage {
    /// `instances`, `cores`, `ram`, `volumes`, `gigabytes`, `floating_ips`, `security_groups`.
    pub name: String,
    pub used: u64,
    pub limit: Option<u64>,
    /// Whether the numbers are bytes (RAM, gigabytes) rather than counts.
    pub bytes: bool,
}

/// Host-wide facts for the header and the Overview tab.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HostInfo {
    /// Connection target: the libvirt URI or cloud/region/project.
    pub target: String,
    pub hostname: String,
    /// e.g. `QEMU 7.2.0` or `TEST 2.0.0`.
    pub hypervisor: String,
    pub library_version: String,
    pub cpu_model: String,
    pub cpus: u32,
    pub mhz: u32,
    pub memory_total: u64,
    pub memory_free: Availability<u64>,
    /// Things the header must warn about, e.g. TLS verification turned off.
    pub warnings: Vec<String>,
}

/// Everything the Overview tab shows beyond [`HostInfo`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Overview {
    pub host: HostInfo,
    /// Count of instances per status.
    pub instances_by_status: Vec<(InstanceStatus, usize)>,
    pub vcpus_allocated: u64,
    /// vCPUs of running instances only.
    pub vcpus_running: u64,
    pub memory_allocated: u64,
    pub memory_running: u64,
    pub pools: Vec<Pool>,
    pub active_networks: Vec<String>,
    /// The project's limits and usage (cloud); empty on libvirt.
    pub quotas: Vec<QuotaUsage>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiskInfo {
    pub target: String,
    pub bus: Option<String>,
    pub device: String,
    pub path: Option<String>,
    pub format: Option<String>,
    pub capacity: Option<u64>,
    pub allocation: Option<u64>,
    pub backing: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NicInfo {
    pub mac: String,
    /// Network name or bridge name.
    pub source: String,
    pub model: Option<String>,
    pub target: Option<String>,
    pub ips: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GraphicsInfo {
    pub kind: String,
    /// e.g. `vnc://127.0.0.1:5900`; `None` while the domain is not running.
    pub uri: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OsInfo {
    pub os_type: String,
    pub arch: String,
    pub machine: String,
}

/// The detail view of one instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstanceDetail {
    pub id: String,
    pub name: String,
    pub disks: Vec<DiskInfo>,
    pub nics: Vec<NicInfo>,
    pub graphics: Vec<GraphicsInfo>,
    /// Serial/console devices (e.g. `pty /dev/pts/3`).
    pub serials: Vec<String>,
    pub os: OsInfo,
    pub autostart: Option<bool>,
    pub persistent: Option<bool>,
    /// The command that attaches a serial console, e.g. `virsh -c URI console NAME`.
    pub console_command: Option<String>,
    /// The last lines of the console log (cloud), or why there is none.
    pub console_log: Option<Availability<String>>,
    /// Further backend-specific key/value rows.
    pub extra: Vec<(String, String)>,
    /// The domain XML (libvirt) or the server JSON (cloud).
    pub document: String,
}

/// One listing of one resource kind, as the tables get it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Listing {
    Overview(Box<Overview>),
    Instances(Vec<Instance>),
    Flavors(Vec<Flavor>),
    Images(Vec<Image>),
    Volumes {
        volumes: Vec<Volume>,
        pools: Vec<Pool>,
    },
    Networks(Vec<Network>),
    SecurityGroups(Vec<SecurityGroup>),
    FloatingIps(Vec<FloatingIp>),
    Ports(Vec<Port>),
}

impl Listing {
    pub fn kind(&self) -> ResourceKind {
        match self {
            Self::Overview(_) => ResourceKind::Overview,
            Self::Instances(_) => ResourceKind::Instances,
            Self::Flavors(_) => ResourceKind::Flavors,
            Self::Images(_) => ResourceKind::Images,
            Self::Volumes { .. } => ResourceKind::Volumes,
            Self::Networks(_) => ResourceKind::Networks,
            Self::SecurityGroups(_) => ResourceKind::SecurityGroups,
            Self::FloatingIps(_) => ResourceKind::FloatingIps,
            Self::Ports(_) => ResourceKind::Ports,
        }
    }
}

/// Cumulative counters of one disk, as the hypervisor reports them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiskCounters {
    pub name: String,
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub read_reqs: u64,
    pub write_reqs: u64,
}

/// Cumulative counters of one network interface.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NicCounters {
    pub name: String,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_drops: u64,
    pub tx_drops: u64,
}

/// Memory figures of one instance, in bytes. Guest-side figures come from the balloon driver
/// and are `None` when the guest does not report them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MemoryCounters {
    /// Memory the instance is configured with (balloon current, or its definition).
    pub allocated: u64,
    /// What the QEMU process occupies on the host.
    pub rss: Option<u64>,
    pub guest_available: Option<u64>,
    pub guest_unused: Option<u64>,
    pub guest_disk_caches: Option<u64>,
}

/// One instance's counters at one moment. A figure the hypervisor cannot give is `None` and
/// its reason is in `missing`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InstanceCounters {
    pub id: String,
    pub vcpus: u32,
    /// Total CPU time in nanoseconds.
    pub cpu_time_ns: Option<u64>,
    /// CPU time of each vCPU in nanoseconds.
    pub vcpu_time_ns: Vec<u64>,
    pub memory: Option<MemoryCounters>,
    pub disks: Vec<DiskCounters>,
    pub nics: Vec<NicCounters>,
    /// Figures that could not be had, with why (`memory`, `cpu`, …).
    pub missing: Vec<(String, String)>,
}

/// Host-wide counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HostCounters {
    pub cpus: u32,
    /// Busy and total CPU time across all host CPUs, in nanoseconds, or why it is missing.
    pub cpu_busy_ns: Option<u64>,
    pub cpu_total_ns: Option<u64>,
    pub memory_total: u64,
    pub memory_free: Option<u64>,
    pub missing: Vec<(String, String)>,
}

/// One stats tick: every running instance's counters from one bulk call, plus the host's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatsSample {
    pub instances: Vec<InstanceCounters>,
    pub host: HostCounters,
    /// Where the figures come from, shown on screen (e.g. "libvirt bulk stats").
    pub basis: String,
}
