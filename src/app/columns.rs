//! Column specs of each table: title, cell text, colour tone and sort key, one list per resource
//! (as k9s has one renderer per resource).

use crate::format;
use crate::i18n::{self, Lang, Msg};
use crate::model::{
    Flavor, FloatingIp, Image, Instance, InstanceStatus, Network, Port, ResourceKind,
    SecurityGroup, Volume,
};

/// A cell's semantic colour, resolved against the theme when drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Normal,
    Muted,
    Good,
    Bad,
    Task,
    Status(StatusTone),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusTone {
    Active,
    Build,
    Shutoff,
    Paused,
    Suspended,
    Crashed,
    Error,
    Other,
}

impl StatusTone {
    pub fn of(status: &InstanceStatus) -> Self {
        match status {
            InstanceStatus::Active => Self::Active,
            InstanceStatus::Build => Self::Build,
            InstanceStatus::Shutoff => Self::Shutoff,
            InstanceStatus::Paused => Self::Paused,
            InstanceStatus::Suspended => Self::Suspended,
            InstanceStatus::Crashed => Self::Crashed,
            InstanceStatus::Error => Self::Error,
            InstanceStatus::Other(_) => Self::Other,
        }
    }
}

pub struct Column<T> {
    pub title: Msg,
    pub cell: fn(&T, Lang) -> String,
    pub tone: fn(&T) -> Tone,
    pub sort_num: Option<fn(&T) -> u64>,
    /// Widest this column grows, in display columns.
    pub max_width: usize,
}

impl<T> Column<T> {
    pub fn text(title: Msg, cell: fn(&T, Lang) -> String) -> Self {
        Self {
            title,
            cell,
            tone: |_| Tone::Normal,
            sort_num: None,
            max_width: 40,
        }
    }

    #[must_use]
    pub fn numeric(mut self, key: fn(&T) -> u64) -> Self {
        self.sort_num = Some(key);
        self
    }

    #[must_use]
    pub fn tone(mut self, tone: fn(&T) -> Tone) -> Self {
        self.tone = tone;
        self
    }

    #[must_use]
    pub fn max(mut self, width: usize) -> Self {
        self.max_width = width;
        self
    }
}

fn opt(v: Option<&String>) -> String {
    v.cloned().unwrap_or_else(|| "—".into())
}

fn yes_no_opt(v: Option<bool>, lang: Lang) -> String {
    v.map_or_else(|| "—".into(), |b| i18n::yes_no(b, lang).to_string())
}

fn good_bad(v: bool) -> Tone {
    if v { Tone::Good } else { Tone::Muted }
}

/// The columns named by `ids`, in that order, from a kind's catalogue of every column it can
/// show (the backend's capabilities say which it has). An id the catalogue lacks is skipped.
fn pick<T>(mut catalogue: Vec<(&'static str, Column<T>)>, ids: &[&str]) -> Vec<Column<T>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(pos) = catalogue.iter().position(|(c, _)| c == id) {
            out.push(catalogue.swap_remove(pos).1);
        }
    }
    out
}

pub fn instances(ids: &[&str]) -> Vec<Column<Instance>> {
    let catalogue = vec![
        (
            "name",
            Column::text(Msg::ColInstanceName, |i: &Instance, _| i.name.clone()).max(32),
        ),
        (
            "addresses",
            Column::text(Msg::ColIpAddresses, |i: &Instance, _| {
                if i.addresses.is_empty() {
                    "—".into()
                } else {
                    format::addresses(&i.addresses)
                }
            })
            .max(34),
        ),
        (
            "size",
            Column::text(Msg::ColSize, |i: &Instance, _| {
                format::instance_size(&i.size)
            })
            .numeric(|i| i.size.ram_bytes.saturating_add(u64::from(i.size.vcpus)))
            .max(44),
        ),
        (
            "status",
            Column::text(Msg::ColStatus, |i: &Instance, lang| {
                // An ERROR instance carries its fault right in the row, not only in its detail.
                match &i.fault {
                    Some(fault) => format!("{}: {fault}", i18n::status_text(&i.status, lang)),
                    None => i18n::status_text(&i.status, lang),
                }
            })
            .tone(|i| Tone::Status(StatusTone::of(&i.status)))
            .max(40),
        ),
        (
            "task",
            Column::text(Msg::ColTask, |i: &Instance, lang| {
                i18n::task_text(i.task.as_deref(), lang)
            })
            .tone(|i| {
                if i.task.is_some() {
                    Tone::Task
                } else {
                    Tone::Muted
                }
            })
            .max(18),
        ),
        (
            "power",
            Column::text(Msg::ColPowerState, |i: &Instance, lang| {
                i18n::power_text(i.power, lang).to_string()
            })
            .tone(|i| Tone::Status(StatusTone::of(&i.status)))
            .max(12),
        ),
        (
            "image",
            Column::text(Msg::ColImage, |i: &Instance, _| opt(i.image.as_ref())).max(24),
        ),
        (
            "key_pair",
            Column::text(Msg::ColKeyPair, |i: &Instance, _| opt(i.key_name.as_ref())).max(16),
        ),
        (
            "az",
            Column::text(Msg::ColAz, |i: &Instance, _| {
                opt(i.availability_zone.as_ref())
            })
            .max(12),
        ),
        (
            "age",
            Column::text(Msg::ColAge, |i: &Instance, _| opt(i.created.as_ref())).max(20),
        ),
    ];
    pick(catalogue, ids)
}

pub fn flavors(ids: &[&str]) -> Vec<Column<Flavor>> {
    let catalogue = vec![
        (
            "id",
            Column::text(Msg::ColId, |f: &Flavor, _| f.id.clone()).max(12),
        ),
        (
            "name",
            Column::text(Msg::ColName, |f: &Flavor, _| f.name.clone()).max(24),
        ),
        (
            "vcpus",
            Column::text(Msg::ColVcpus, |f: &Flavor, _| f.vcpus.to_string())
                .numeric(|f| u64::from(f.vcpus))
                .max(6),
        ),
        (
            "ram",
            Column::text(Msg::ColRam, |f: &Flavor, _| format::bytes(f.ram_bytes))
                .numeric(|f| f.ram_bytes)
                .max(10),
        ),
        (
            "root_disk",
            Column::text(Msg::ColRootDisk, |f: &Flavor, _| {
                format::bytes(f.root_disk_bytes)
            })
            .numeric(|f| f.root_disk_bytes)
            .max(10),
        ),
        (
            "ephemeral",
            Column::text(Msg::ColEphemeral, |f: &Flavor, _| {
                format::bytes(f.ephemeral_bytes)
            })
            .numeric(|f| f.ephemeral_bytes)
            .max(14),
        ),
        (
            "swap",
            Column::text(Msg::ColSwap, |f: &Flavor, _| format::bytes(f.swap_bytes))
                .numeric(|f| f.swap_bytes)
                .max(10),
        ),
        (
            "public",
            Column::text(Msg::ColPublic, |f: &Flavor, lang| {
                yes_no_opt(f.public, lang)
            })
            .max(8),
        ),
        (
            "fits",
            Column::text(Msg::ColFits, |f: &Flavor, lang| yes_no_opt(f.fits, lang))
                .tone(|f| match f.fits {
                    Some(true) => Tone::Good,
                    Some(false) => Tone::Bad,
                    None => Tone::Muted,
                })
                .max(12),
        ),
    ];
    pick(catalogue, ids)
}

pub fn images(ids: &[&str]) -> Vec<Column<Image>> {
    let catalogue = vec![
        (
            "name",
            Column::text(Msg::ColName, |i: &Image, _| i.name.clone()).max(34),
        ),
        (
            "status",
            Column::text(Msg::ColStatus, |i: &Image, _| opt(i.status.as_ref())).max(12),
        ),
        (
            "visibility",
            Column::text(Msg::ColVisibility, |i: &Image, _| {
                opt(i.visibility.as_ref())
            })
            .max(10),
        ),
        (
            "format",
            Column::text(Msg::ColFormat, |i: &Image, _| opt(i.format.as_ref())).max(8),
        ),
        (
            "size",
            Column::text(Msg::ColSize, |i: &Image, _| format::size(i.allocation))
                .numeric(|i| i.allocation.unwrap_or(0))
                .max(10),
        ),
        (
            "min_disk",
            Column::text(Msg::ColMinDisk, |i: &Image, _| {
                format::size(i.min_disk_bytes)
            })
            .numeric(|i| i.min_disk_bytes.unwrap_or(0))
            .max(10),
        ),
        (
            "min_ram",
            Column::text(Msg::ColMinRam, |i: &Image, _| format::size(i.min_ram_bytes))
                .numeric(|i| i.min_ram_bytes.unwrap_or(0))
                .max(10),
        ),
        (
            "age",
            Column::text(Msg::ColAge, |i: &Image, _| opt(i.created.as_ref())).max(20),
        ),
        (
            "virtual_size",
            Column::text(Msg::ColVirtualSize, |i: &Image, _| {
                format::size(i.virtual_size)
            })
            .numeric(|i| i.virtual_size.unwrap_or(0))
            .max(12),
        ),
        (
            "allocation",
            Column::text(Msg::ColAllocation, |i: &Image, _| {
                format::size(i.allocation)
            })
            .numeric(|i| i.allocation.unwrap_or(0))
            .max(12),
        ),
        (
            "pool",
            Column::text(Msg::ColPool, |i: &Image, _| opt(i.pool.as_ref())).max(12),
        ),
        (
            "path",
            Column::text(Msg::ColPath, |i: &Image, _| opt(i.path.as_ref())).max(48),
        ),
        (
            "used_by",
            Column::text(Msg::ColUsedBy, |i: &Image, _| {
                if i.used_by.is_empty() {
                    "—".into()
                } else {
                    i.used_by.join(", ")
                }
            })
            .tone(|i| {
                if i.used_by.is_empty() {
                    Tone::Muted
                } else {
                    Tone::Normal
                }
            })
            .max(30),
        ),
    ];
    pick(catalogue, ids)
}

fn attached(v: &Volume) -> String {
    if v.attached.is_empty() {
        "—".into()
    } else {
        v.attached
            .iter()
            .map(|a| format!("{} ({})", a.instance, a.target))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub fn volumes(ids: &[&str]) -> Vec<Column<Volume>> {
    let catalogue = vec![
        (
            "name",
            Column::text(Msg::ColName, |v: &Volume, _| v.name.clone()).max(30),
        ),
        (
            "status",
            Column::text(Msg::ColStatus, |v: &Volume, _| opt(v.status.as_ref())).max(12),
        ),
        (
            "size",
            Column::text(Msg::ColSize, |v: &Volume, _| format::size(v.capacity))
                .numeric(|v| v.capacity.unwrap_or(0))
                .max(10),
        ),
        (
            "type",
            Column::text(Msg::ColType, |v: &Volume, _| opt(v.volume_type.as_ref())).max(16),
        ),
        (
            "bootable",
            Column::text(Msg::ColBootable, |v: &Volume, lang| {
                yes_no_opt(v.bootable, lang)
            })
            .max(9),
        ),
        (
            "attached",
            Column::text(Msg::ColAttachedTo, |v: &Volume, _| attached(v))
                .tone(|v| good_bad(!v.attached.is_empty()))
                .max(30),
        ),
        // The same, wider: there is no path column beside it to leave room for.
        (
            "attached_wide",
            Column::text(Msg::ColAttachedTo, |v: &Volume, _| attached(v))
                .tone(|v| good_bad(!v.attached.is_empty()))
                .max(34),
        ),
        (
            "az",
            Column::text(Msg::ColAz, |v: &Volume, _| {
                opt(v.availability_zone.as_ref())
            })
            .max(12),
        ),
        (
            "pool",
            Column::text(Msg::ColPool, |v: &Volume, _| opt(v.pool.as_ref())).max(12),
        ),
        (
            "format",
            Column::text(Msg::ColFormat, |v: &Volume, _| opt(v.format.as_ref())).max(8),
        ),
        (
            "capacity",
            Column::text(Msg::ColCapacity, |v: &Volume, _| format::size(v.capacity))
                .numeric(|v| v.capacity.unwrap_or(0))
                .max(10),
        ),
        (
            "allocation",
            Column::text(Msg::ColAllocation, |v: &Volume, _| {
                format::size(v.allocation)
            })
            .numeric(|v| v.allocation.unwrap_or(0))
            .max(10),
        ),
        (
            "path",
            Column::text(Msg::ColPath, |v: &Volume, _| opt(v.path.as_ref())).max(48),
        ),
    ];
    pick(catalogue, ids)
}

fn joined_or_dash(items: &[String]) -> String {
    if items.is_empty() {
        "—".into()
    } else {
        items.join(", ")
    }
}

pub fn networks(ids: &[&str]) -> Vec<Column<Network>> {
    let catalogue = vec![
        (
            "name",
            Column::text(Msg::ColName, |n: &Network, _| n.name.clone()).max(24),
        ),
        (
            "subnets",
            Column::text(Msg::ColSubnets, |n: &Network, _| joined_or_dash(&n.cidrs)).max(40),
        ),
        (
            "status",
            Column::text(Msg::ColStatus, |n: &Network, _| opt(n.status.as_ref())).max(10),
        ),
        (
            "shared",
            Column::text(Msg::ColShared, |n: &Network, lang| {
                yes_no_opt(n.shared, lang)
            })
            .max(8),
        ),
        (
            "external",
            Column::text(Msg::ColExternal, |n: &Network, lang| {
                yes_no_opt(n.external, lang)
            })
            .max(9),
        ),
        (
            "active",
            Column::text(Msg::ColActive, |n: &Network, lang| {
                i18n::yes_no(n.active, lang).to_string()
            })
            .tone(|n| good_bad(n.active))
            .max(8),
        ),
        (
            "autostart",
            Column::text(Msg::ColAutostart, |n: &Network, lang| {
                yes_no_opt(n.autostart, lang)
            })
            .max(10),
        ),
        (
            "forward",
            Column::text(Msg::ColForward, |n: &Network, lang| {
                n.forward
                    .clone()
                    .unwrap_or_else(|| Msg::Isolated.text(lang).to_string())
            })
            .max(12),
        ),
        (
            "bridge",
            Column::text(Msg::ColBridge, |n: &Network, _| opt(n.bridge.as_ref())).max(12),
        ),
        (
            "addresses",
            Column::text(Msg::ColAddresses, |n: &Network, _| joined_or_dash(&n.cidrs)).max(36),
        ),
        (
            "dhcp_range",
            Column::text(Msg::ColDhcpRange, |n: &Network, _| {
                joined_or_dash(&n.dhcp_ranges)
            })
            .max(34),
        ),
        (
            "leases",
            Column::text(Msg::ColLeases, |n: &Network, _| match n.leases.known() {
                Some(l) => l.len().to_string(),
                None => "n/a".into(),
            })
            .numeric(|n| n.leases.known().map_or(0, |l| l.len() as u64))
            .tone(|n| {
                if n.leases.known().is_some() {
                    Tone::Normal
                } else {
                    Tone::Muted
                }
            })
            .max(8),
        ),
    ];
    pick(catalogue, ids)
}

pub fn security_groups() -> Vec<Column<SecurityGroup>> {
    vec![
        Column::text(Msg::ColName, |g: &SecurityGroup, _| g.name.clone()).max(30),
        Column::text(Msg::ColDescription, |g: &SecurityGroup, _| {
            opt(g.description.as_ref())
        })
        .max(40),
        Column::text(Msg::ColRules, |g: &SecurityGroup, _| {
            g.rules.len().to_string()
        })
        .numeric(|g| g.rules.len() as u64)
        .max(6),
        Column::text(Msg::ColId, |g: &SecurityGroup, _| g.id.clone()).max(36),
    ]
}

pub fn floating_ips() -> Vec<Column<FloatingIp>> {
    vec![
        Column::text(Msg::ColIp, |f: &FloatingIp, _| f.address.clone()).max(40),
        Column::text(Msg::ColFixedAddress, |f: &FloatingIp, _| {
            opt(f.fixed_address.as_ref())
        })
        .max(40),
        Column::text(Msg::ColInstanceName, |f: &FloatingIp, _| {
            opt(f.instance.as_ref())
        })
        .tone(|f| good_bad(f.instance.is_some()))
        .max(30),
        Column::text(Msg::ColNetwork, |f: &FloatingIp, _| opt(f.network.as_ref())).max(24),
        Column::text(Msg::ColStatus, |f: &FloatingIp, _| opt(f.status.as_ref())).max(10),
    ]
}

pub fn ports() -> Vec<Column<Port>> {
    vec![
        Column::text(Msg::ColName, |p: &Port, _| {
            if p.name.is_empty() {
                p.id.clone()
            } else {
                p.name.clone()
            }
        })
        .max(30),
        Column::text(Msg::ColNetwork, |p: &Port, _| opt(p.network.as_ref())).max(20),
        Column::text(Msg::ColMac, |p: &Port, _| opt(p.mac.as_ref())).max(17),
        Column::text(Msg::ColAddresses, |p: &Port, _| {
            if p.fixed_ips.is_empty() {
                "—".into()
            } else {
                p.fixed_ips.join(", ")
            }
        })
        .max(34),
        Column::text(Msg::ColDeviceOwner, |p: &Port, _| {
            opt(p.device_owner.as_ref())
        })
        .max(24),
        Column::text(Msg::ColDevice, |p: &Port, _| opt(p.device.as_ref())).max(30),
        Column::text(Msg::ColStatus, |p: &Port, _| opt(p.status.as_ref())).max(8),
    ]
}

/// Titles of the live columns the Instances table gains with `%`, after its own.
pub const LIVE_TITLES: [Msg; 2] = [Msg::MonCpu, Msg::MonMemory];

/// Column titles of a tab's table (empty for Overview).
pub fn column_titles(kind: ResourceKind, caps: &crate::backend::Capabilities) -> Vec<Msg> {
    fn titles<T>(cols: &[Column<T>]) -> Vec<Msg> {
        cols.iter().map(|c| c.title).collect()
    }
    match kind {
        ResourceKind::Overview => Vec::new(),
        ResourceKind::Instances => titles(&instances(caps.columns(kind))),
        ResourceKind::Flavors => titles(&flavors(caps.columns(kind))),
        ResourceKind::Images => titles(&images(caps.columns(kind))),
        ResourceKind::Volumes => titles(&volumes(caps.columns(kind))),
        ResourceKind::Networks => titles(&networks(caps.columns(kind))),
        ResourceKind::SecurityGroups => titles(&security_groups()),
        ResourceKind::FloatingIps => titles(&floating_ips()),
        ResourceKind::Ports => titles(&ports()),
    }
}

/// The widest each column of a tab's table grows, in display columns.
pub fn column_max_widths(kind: ResourceKind, caps: &crate::backend::Capabilities) -> Vec<usize> {
    fn widths<T>(cols: &[Column<T>]) -> Vec<usize> {
        cols.iter().map(|c| c.max_width).collect()
    }
    match kind {
        ResourceKind::Overview => Vec::new(),
        ResourceKind::Instances => widths(&instances(caps.columns(kind))),
        ResourceKind::Flavors => widths(&flavors(caps.columns(kind))),
        ResourceKind::Images => widths(&images(caps.columns(kind))),
        ResourceKind::Volumes => widths(&volumes(caps.columns(kind))),
        ResourceKind::Networks => widths(&networks(caps.columns(kind))),
        ResourceKind::SecurityGroups => widths(&security_groups()),
        ResourceKind::FloatingIps => widths(&floating_ips()),
        ResourceKind::Ports => widths(&ports()),
    }
}
