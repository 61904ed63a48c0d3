//! Builds each listing from as few bulk libvirt calls as possible. Runs on the connection thread.

use std::collections::{BTreeMap, HashMap, HashSet};

use virt::domain::Domain;
use virt::network::Network as VirtNetwork;
use virt::sys;

use super::error::from_virt;
use super::ffi::{self, RawLease};
use super::status;
use super::thread::{Session, lv};
use super::xml::{self, DiskXml, DomainXml};
use crate::backend::BackendError;
use crate::model::{
    Address, AddressSource, Attachment, Availability, Flavor, HostInfo, Image, Instance,
    InstanceSize, InstanceStatus, Lease, Network, Overview, Pool, StaticHost, Volume,
};

/// Everything read about one domain.
pub struct DomainFacts {
    pub dom: Domain,
    pub id: String,
    pub xml: DomainXml,
    pub state: u32,
    pub reason: i32,
    pub active: bool,
    pub persistent: Option<bool>,
    pub autostart: Option<bool>,
    pub managed_save: bool,
}

/// Read one domain; `Ok(None)` when it vanished meanwhile.
pub fn domain_facts(dom: Domain) -> Result<Option<DomainFacts>, BackendError> {
    let facts = (|| {
        let id = dom.uuid_string()?;
        let xml_text = dom.xml_desc(0)?;
        let (state, reason) = ffi::domain_state(&dom)?;
        let active = dom.is_active()?;
        let persistent = dom.is_persistent().ok();
        // Transient domains have neither autostart nor a managed save image.
        let autostart = if persistent == Some(true) {
            dom.autostart().ok()
        } else {
            None
        };
        let managed_save = persistent == Some(true) && dom.has_managed_save(0).unwrap_or(false);
        Ok::<_, virt::error::Error>((
            id,
            xml_text,
            state,
            reason,
            active,
            persistent,
            autostart,
            managed_save,
        ))
    })();
    let (id, xml_text, state, reason, active, persistent, autostart, managed_save) = match facts {
        Ok(f) => f,
        Err(e) if e.code().to_raw() == sys::VIR_ERR_NO_DOMAIN => return Ok(None),
        Err(e) => return Err(from_virt(e)),
    };
    let xml = xml::parse_domain(&xml_text).map_err(BackendError::Api)?;
    Ok(Some(DomainFacts {
        dom,
        id,
        xml,
        state,
        reason,
        active,
        persistent,
        autostart,
        managed_save,
    }))
}

/// Every domain, active and inactive.
pub fn domains(s: &Session) -> Result<Vec<DomainFacts>, BackendError> {
    let mut out = Vec::new();
    for dom in lv(s.conn.list_all_domains(0))? {
        // Each domain's answers count: a listing of many domains is stuck only when one call
        // does not answer in time.
        s.answered();
        if let Some(facts) = domain_facts(dom)? {
            out.push(facts);
        }
    }
    out.sort_by(|a, b| a.xml.name.cmp(&b.xml.name));
    Ok(out)
}

/// One storage volume.
#[derive(Clone, Debug)]
pub struct VolumeFacts {
    pub pool: String,
    pub name: String,
    pub key: String,
    pub path: Option<String>,
    pub capacity: u64,
    pub allocation: u64,
    pub format: Option<String>,
    pub backing: Option<String>,
}

/// One pool with its volumes (none when the pool is inactive).
pub struct PoolFacts {
    pub pool: Pool,
    pub volumes: Vec<VolumeFacts>,
}

/// Every pool and volume, indexed by path and by (pool, name).
pub struct Storage {
    pub pools: Vec<PoolFacts>,
    by_path: HashMap<String, (usize, usize)>,
    by_name: HashMap<(String, String), (usize, usize)>,
}

impl Storage {
    pub fn read(s: &Session) -> Result<Storage, BackendError> {
        let mut pools = Vec::new();
        for pool in lv(s.conn.list_all_storage_pools(0))? {
            let name = lv(pool.name())?;
            let info = lv(pool.info())?;
            let active = lv(pool.is_active())?;
            let mut volumes = Vec::new();
            if active {
                for vol in lv(pool.list_all_volumes(0))? {
                    s.answered();
                    let info = lv(vol.info())?;
                    let parsed = vol
                        .xml_desc(0)
                        .ok()
                        .and_then(|x| xml::parse_volume(&x).ok())
                        .unwrap_or_default();
                    volumes.push(VolumeFacts {
                        pool: name.clone(),
                        name: lv(vol.name())?,
                        key: lv(vol.key())?,
                        path: vol.path().ok().or(parsed.path),
                        capacity: info.capacity,
                        allocation: info.allocation,
                        format: parsed.format,
                        backing: parsed.backing_path,
                    });
                }
            }
            volumes.sort_by(|a, b| a.name.cmp(&b.name));
            pools.push(PoolFacts {
                pool: Pool {
                    name,
                    active,
                    capacity: info.capacity,
                    allocation: info.allocation,
                    available: info.available,
                    volumes: volumes.len(),
                },
                volumes,
            });
        }
        pools.sort_by(|a, b| a.pool.name.cmp(&b.pool.name));
        let mut by_path = HashMap::new();
        let mut by_name = HashMap::new();
        for (p, pool) in pools.iter().enumerate() {
            for (v, vol) in pool.volumes.iter().enumerate() {
                if let Some(path) = &vol.path {
                    by_path.insert(path.clone(), (p, v));
                }
                by_name.insert((vol.pool.clone(), vol.name.clone()), (p, v));
            }
        }
        Ok(Storage {
            pools,
            by_path,
            by_name,
        })
    }

    fn at(&self, (p, v): (usize, usize)) -> Option<&VolumeFacts> {
        self.pools.get(p).and_then(|pool| pool.volumes.get(v))
    }

    pub fn volume_by_path(&self, path: &str) -> Option<&VolumeFacts> {
        self.by_path.get(path).and_then(|i| self.at(*i))
    }

    /// The volume a disk uses: by its source path or its `<source pool volume>`.
    pub fn volume_of_disk(&self, disk: &DiskXml) -> Option<&VolumeFacts> {
        disk.source_path
            .as_deref()
            .and_then(|p| self.volume_by_path(p))
            .or_else(|| {
                disk.source_volume
                    .as_ref()
                    .and_then(|key| self.by_name.get(key))
                    .and_then(|i| self.at(*i))
            })
    }

    /// The path a disk reads from (its file/device, or its pool volume's path).
    pub fn disk_path(&self, disk: &DiskXml) -> Option<String> {
        disk.source_path
            .clone()
            .or_else(|| self.volume_of_disk(disk).and_then(|v| v.path.clone()))
    }

    /// Every path a disk depends on: its own, the backing chain libvirt reports in the domain
    /// XML, and the backing stores of the volumes along the way.
    pub fn disk_chain(&self, disk: &DiskXml) -> Vec<String> {
        let mut chain: Vec<String> = self.disk_path(disk).into_iter().collect();
        chain.extend(disk.backing_chain.iter().cloned());
        let mut i = 0;
        // Bounded: a corrupt chain (loop) must not hang the thread.
        while i < chain.len() && chain.len() < 64 {
            if let Some(backing) = self
                .volume_by_path(&chain[i])
                .and_then(|v| v.backing.clone())
                && !chain.contains(&backing)
            {
                chain.push(backing);
            }
            i += 1;
        }
        chain
    }
}

/// DHCP leases per network name, or libvirt's reason why they could not be read.
pub type LeaseMap = BTreeMap<String, Result<Vec<RawLease>, String>>;

pub fn leases_of(net: &VirtNetwork) -> Result<Vec<RawLease>, String> {
    ffi::network_dhcp_leases(net).map_err(|e| e.message().to_string())
}

/// One raw lease call per network.
pub fn all_leases(s: &Session) -> Result<LeaseMap, BackendError> {
    let mut map = LeaseMap::new();
    for net in lv(s.conn.list_all_networks(0))? {
        s.answered();
        map.insert(lv(net.name())?, leases_of(&net));
    }
    Ok(map)
}

/// An address found for one NIC, by the NIC's MAC.
pub struct NicAddress {
    pub mac: String,
    pub address: Address,
}

/// The addresses of a domain's NICs (from the networks' leases, else the domain's own lease
/// lookup), plus libvirt's reason when a lease call failed.
pub fn addresses(d: &DomainFacts, leases: &LeaseMap) -> (Vec<NicAddress>, Option<String>) {
    let mut found = Vec::new();
    let mut note = None;
    let mut unmatched = Vec::new();
    for nic in &d.xml.interfaces {
        let Some(mac) = nic.mac.as_deref() else {
            continue;
        };
        if nic.kind == "network"
            && let Some(Err(reason)) = nic.source.as_ref().and_then(|n| leases.get(n))
        {
            note = Some(reason.clone());
        }
        let before = found.len();
        // Any network may hold the lease: a `bridge` NIC can sit on a libvirt network's bridge.
        for (network, result) in leases {
            for lease in result.iter().flatten() {
                if lease.mac.eq_ignore_ascii_case(mac) {
                    found.push(NicAddress {
                        mac: mac.to_string(),
                        address: Address {
                            network: network.clone(),
                            ip: lease.ip.clone(),
                            source: AddressSource::Lease,
                        },
                    });
                }
            }
        }
        if found.len() == before {
            unmatched.push(nic);
        }
    }
    // Fallbacks for NICs no network lease names: ask the domain, through libvirt's lease
    // lookup, then the guest agent, then the host's ARP table, as `virsh domifaddr --source` does.
    let sources = [
        (
            sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
            AddressSource::Lease,
        ),
        (
            sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT,
            AddressSource::Agent,
        ),
        (
            sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
            AddressSource::Arp,
        ),
    ];
    for (source, kind) in sources {
        if !d.active || unmatched.is_empty() {
            break;
        }
        match d.dom.interface_addresses(source, 0) {
            Ok(ifaces) => {
                for iface in ifaces {
                    let Some(pos) = unmatched.iter().position(|n| {
                        n.mac
                            .as_deref()
                            .zip(iface.hwaddr.as_deref())
                            .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
                    }) else {
                        continue;
                    };
                    if iface.addrs.is_empty() {
                        continue;
                    }
                    let nic = unmatched.remove(pos);
                    for addr in iface.addrs {
                        found.push(NicAddress {
                            mac: nic.mac.clone().unwrap_or_default(),
                            address: Address {
                                network: nic.source.clone().unwrap_or_else(|| iface.name.clone()),
                                ip: addr.addr,
                                source: kind,
                            },
                        });
                    }
                }
            }
            // The first source's reason is the one worth showing (agent and ARP are extras).
            Err(e) if kind == AddressSource::Lease => {
                note.get_or_insert_with(|| e.message().to_string());
            }
            Err(_) => {}
        }
    }
    (found, note)
}

/// Sum of the capacities of a domain's disks (cdroms and floppies excluded). Uses the matching
/// volume, else the hypervisor's block info when it answers.
fn disk_bytes(d: &DomainFacts, storage: &Storage) -> u64 {
    d.xml
        .disks
        .iter()
        .filter(|disk| !disk.is_cdrom_or_floppy())
        .map(|disk| match storage.volume_of_disk(disk) {
            Some(vol) => vol.capacity,
            None => ffi::block_info(&d.dom, &disk.target)
                .map(|b| b.capacity)
                .unwrap_or(0),
        })
        .sum()
}

pub fn matching_flavor(flavors: &[Flavor], vcpus: u32, ram_bytes: u64) -> Option<String> {
    flavors
        .iter()
        .find(|f| f.vcpus == vcpus && f.ram_bytes == ram_bytes)
        .map(|f| f.name.clone())
}

fn instance_row(
    d: &DomainFacts,
    storage: &Storage,
    leases: &LeaseMap,
    flavors: &[Flavor],
) -> Instance {
    let mut inst = Instance::new(d.id.clone(), d.xml.name.clone());
    let (addresses, note) = addresses(d, leases);
    inst.addresses = addresses.into_iter().map(|a| a.address).collect();
    inst.addresses_note = note;
    inst.size = InstanceSize {
        vcpus: d.xml.vcpus,
        ram_bytes: d.xml.memory_bytes,
        disk_bytes: disk_bytes(d, storage),
        flavor: matching_flavor(flavors, d.xml.vcpus, d.xml.memory_bytes),
    };
    let shown = status::present(d.state, d.reason, d.managed_save);
    inst.status = shown.status;
    inst.power = shown.power;
    inst.task = shown.task;
    inst.autostart = d.autostart;
    inst.persistent = d.persistent;
    inst.has_managed_save = d.managed_save;
    inst.created = d.xml.nova.as_ref().and_then(|n| n.created.clone());
    inst
}

pub fn instances(s: &Session) -> Result<Vec<Instance>, BackendError> {
    let domains = domains(s)?;
    let storage = Storage::read(s)?;
    let leases = all_leases(s)?;
    Ok(domains
        .iter()
        .map(|d| instance_row(d, &storage, &leases, &s.opts.flavors))
        .collect())
}

pub fn flavors(s: &Session) -> Result<Vec<Flavor>, BackendError> {
    let node = lv(s.conn.node_info())?;
    let memory = s
        .conn
        .free_memory()
        .unwrap_or(node.memory.saturating_mul(1024));
    Ok(s.opts
        .flavors
        .iter()
        .map(|f| Flavor {
            fits: Some(f.vcpus <= node.cpus && f.ram_bytes <= memory),
            ..f.clone()
        })
        .collect())
}

fn is_image_pool(s: &Session, pool: &str) -> bool {
    s.opts.image_pools.iter().any(|p| p == pool)
}

pub fn images(s: &Session) -> Result<Vec<Image>, BackendError> {
    let storage = Storage::read(s)?;
    let domains = domains(s)?;
    // Every path each domain depends on.
    let uses: Vec<(String, HashSet<String>)> = domains
        .iter()
        .map(|d| {
            let paths = d
                .xml
                .disks
                .iter()
                .flat_map(|disk| storage.disk_chain(disk))
                .collect();
            (d.xml.name.clone(), paths)
        })
        .collect();
    let mut out = Vec::new();
    for pool in storage
        .pools
        .iter()
        .filter(|p| is_image_pool(s, &p.pool.name))
    {
        for vol in &pool.volumes {
            let used_by = vol
                .path
                .as_ref()
                .map(|path| {
                    uses.iter()
                        .filter(|(_, paths)| paths.contains(path))
                        .map(|(name, _)| name.clone())
                        .collect()
                })
                .unwrap_or_default();
            out.push(Image {
                id: vol.key.clone(),
                name: vol.name.clone(),
                format: vol.format.clone(),
                virtual_size: Some(vol.capacity),
                allocation: Some(vol.allocation),
                pool: Some(vol.pool.clone()),
                path: vol.path.clone(),
                used_by,
                status: None,
                visibility: None,
                min_disk_bytes: None,
                min_ram_bytes: None,
                created: None,
            });
        }
    }
    Ok(out)
}

pub fn volumes(s: &Session) -> Result<(Vec<Volume>, Vec<Pool>), BackendError> {
    let storage = Storage::read(s)?;
    let domains = domains(s)?;
    let mut attachments: HashMap<String, Vec<Attachment>> = HashMap::new();
    for d in &domains {
        for disk in &d.xml.disks {
            if let Some(path) = storage.disk_path(disk) {
                attachments.entry(path).or_default().push(Attachment {
                    instance: d.xml.name.clone(),
                    target: disk.target.clone(),
                });
            }
        }
    }
    let mut out = Vec::new();
    for pool in storage
        .pools
        .iter()
        .filter(|p| !is_image_pool(s, &p.pool.name))
    {
        for vol in &pool.volumes {
            out.push(Volume {
                id: vol.key.clone(),
                name: vol.name.clone(),
                pool: Some(vol.pool.clone()),
                format: vol.format.clone(),
                capacity: Some(vol.capacity),
                allocation: Some(vol.allocation),
                attached: vol
                    .path
                    .as_ref()
                    .and_then(|p| attachments.get(p).cloned())
                    .unwrap_or_default(),
                path: vol.path.clone(),
                status: None,
                volume_type: None,
                bootable: None,
                availability_zone: None,
            });
        }
    }
    let pools = storage.pools.into_iter().map(|p| p.pool).collect();
    Ok((out, pools))
}

pub fn networks(s: &Session) -> Result<Vec<Network>, BackendError> {
    let mut out = Vec::new();
    for net in lv(s.conn.list_all_networks(0))? {
        let parsed = xml::parse_network(&lv(net.xml_desc(0))?).map_err(BackendError::Api)?;
        let leases = match leases_of(&net) {
            Ok(list) => Availability::Known(
                list.into_iter()
                    .map(|l| Lease {
                        mac: l.mac,
                        ip: l.ip,
                        hostname: l.hostname,
                        expiry: l.expiry,
                    })
                    .collect(),
            ),
            Err(reason) => Availability::Unavailable(reason),
        };
        out.push(Network {
            id: lv(net.uuid_string())?,
            name: lv(net.name())?,
            active: lv(net.is_active())?,
            autostart: net.autostart().ok(),
            forward: Some(parsed.forward.unwrap_or_else(|| "isolated".into())),
            bridge: parsed.bridge.or_else(|| net.bridge_name().ok()),
            cidrs: parsed.cidrs,
            dhcp_ranges: parsed.dhcp_ranges,
            leases,
            static_hosts: parsed
                .hosts
                .into_iter()
                .map(|h| StaticHost {
                    mac: h.mac,
                    name: h.name,
                    ip: h.ip,
                })
                .collect(),
            shared: None,
            external: None,
            status: None,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// libvirt's `major * 1_000_000 + minor * 1000 + release` as `major.minor.release`.
pub fn version_string(v: u32) -> String {
    format!("{}.{}.{}", v / 1_000_000, (v / 1000) % 1000, v % 1000)
}

pub fn host_info(s: &Session) -> Result<HostInfo, BackendError> {
    let node = lv(s.conn.node_info())?;
    let mem_stats = ffi::node_memory_stats(&s.conn).map_err(|e| e.message().to_string());
    let stat = |name: &str| {
        mem_stats
            .as_ref()
            .ok()
            .and_then(|m| m.iter().find(|(n, _)| n == name).map(|(_, v)| *v))
    };
    let driver = lv(s.conn.driver_type())?;
    let hypervisor = match s.conn.hyp_version() {
        Ok(v) => format!("{driver} {}", version_string(v)),
        Err(_) => driver,
    };
    Ok(HostInfo {
        target: s.opts.uri.clone(),
        hostname: lv(s.conn.hostname())?,
        hypervisor,
        library_version: format!("libvirt {}", version_string(lv(s.conn.lib_version())?)),
        cpu_model: node.model,
        cpus: node.cpus,
        mhz: node.mhz,
        memory_total: stat("total").unwrap_or(node.memory.saturating_mul(1024)),
        memory_free: match (stat("free"), &mem_stats) {
            (Some(free), _) => Availability::Known(free),
            (None, Err(reason)) => match s.conn.free_memory() {
                Ok(bytes) => Availability::Known(bytes),
                // Say why with the call that matters: the host's memory statistics.
                Err(_) => Availability::Unavailable(reason.clone()),
            },
            (None, Ok(_)) => Availability::Unavailable("the host reports no free memory".into()),
        },
        warnings: Vec::new(),
    })
}

pub fn overview(s: &Session) -> Result<Overview, BackendError> {
    let host = host_info(s)?;
    let domains = domains(s)?;
    let mut by_status: BTreeMap<InstanceStatus, usize> = BTreeMap::new();
    let mut ov = Overview {
        host,
        ..Overview::default()
    };
    for d in &domains {
        let shown = status::present(d.state, d.reason, d.managed_save);
        *by_status.entry(shown.status).or_default() += 1;
        ov.vcpus_allocated += u64::from(d.xml.vcpus);
        ov.memory_allocated += d.xml.memory_bytes;
        if d.active {
            ov.vcpus_running += u64::from(d.xml.vcpus);
            ov.memory_running += d.xml.memory_bytes;
        }
    }
    ov.instances_by_status = by_status.into_iter().collect();
    let mut pools = Vec::new();
    for pool in lv(s.conn.list_all_storage_pools(0))? {
        let info = lv(pool.info())?;
        let active = lv(pool.is_active())?;
        pools.push(Pool {
            name: lv(pool.name())?,
            active,
            capacity: info.capacity,
            allocation: info.allocation,
            available: info.available,
            volumes: if active {
                pool.num_of_volumes().unwrap_or(0) as usize
            } else {
                0
            },
        });
    }
    pools.sort_by(|a, b| a.name.cmp(&b.name));
    ov.pools = pools;
    let mut active = Vec::new();
    for net in lv(s
        .conn
        .list_all_networks(sys::VIR_CONNECT_LIST_NETWORKS_ACTIVE))?
    {
        active.push(lv(net.name())?);
    }
    active.sort();
    ov.active_networks = active;
    Ok(ov)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_dotted() {
        assert_eq!(version_string(9_000_000), "9.0.0");
        assert_eq!(version_string(7_002_022), "7.2.22");
    }

    #[test]
    fn flavor_matches_on_vcpus_and_ram() {
        let f = Flavor {
            id: "1".into(),
            name: "m1.small".into(),
            vcpus: 1,
            ram_bytes: 2 << 30,
            root_disk_bytes: 0,
            ephemeral_bytes: 0,
            swap_bytes: 0,
            public: None,
            fits: None,
            extra_specs: vec![],
        };
        let flavors = [f];
        assert_eq!(
            matching_flavor(&flavors, 1, 2 << 30).as_deref(),
            Some("m1.small")
        );
        assert_eq!(matching_flavor(&flavors, 2, 2 << 30), None);
    }
}
