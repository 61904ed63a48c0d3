//! Builds each listing from as few libvirt calls as possible. Runs on the connection thread.
//!
//! The instance listing costs the same handful of bulk calls however many domains there are:
//! `virConnectListAllDomains` (every domain, then the active, transient, autostart and
//! managed-save ones as sets, through its filter flags) and `virConnectGetAllDomainStats` with
//! the state group (state and reason of every domain, inactive ones included). Each domain's
//! XML is read once and kept (see [`super::cache`]); later listings read it only for the
//! domains events named, new domains and the safety net's slice. Every call is counted (see
//! [`super::calls`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use virt::domain::Domain;
use virt::network::Network as VirtNetwork;
use virt::storage_vol::StorageVol;
use virt::sys;

use super::cache::Known;
use super::calls::CallCounts;
use super::error::from_virt;
pub use super::facts::{NicAddress, PoolFacts, Storage, VolumeFacts};
use super::ffi::{self, RawLease};
use super::parallel;
use super::stats::without_waiting;
use super::status;
use super::thread::{Session, lv};
use super::xml::{self, DiskXml, DomainXml, InterfaceXml};
use crate::backend::BackendError;
use crate::model::{
    Address, AddressSource, Attachment, Availability, Flavor, HostInfo, Image, Instance,
    InstanceSize, InstanceStatus, Lease, Network, Overview, Pool, StaticHost, Volume,
};

/// Everything known about one domain.
pub struct DomainFacts {
    pub dom: Domain,
    pub id: String,
    pub xml: Arc<DomainXml>,
    pub state: u32,
    pub reason: i32,
    pub active: bool,
    pub persistent: Option<bool>,
    pub autostart: Option<bool>,
    pub managed_save: bool,
}

/// Read one domain with one call per fact, for a view of that domain alone; `Ok(None)` when
/// it vanished meanwhile.
pub fn domain_facts(s: &Session, dom: Domain) -> Result<Option<DomainFacts>, BackendError> {
    let facts = (|| {
        let id = dom.uuid_string()?;
        s.count("xml_desc");
        let xml_text = dom.xml_desc(0)?;
        s.count("domain_state");
        let (state, reason) = ffi::domain_state(&dom)?;
        s.count("is_active");
        let active = dom.is_active()?;
        s.count("is_persistent");
        let persistent = dom.is_persistent().ok();
        // Transient domains have neither autostart nor a managed save image.
        let autostart = if persistent == Some(true) {
            s.count("autostart");
            dom.autostart().ok()
        } else {
            None
        };
        let managed_save = persistent == Some(true) && {
            s.count("has_managed_save");
            dom.has_managed_save(0).unwrap_or(false)
        };
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
        xml: Arc::new(xml),
        state,
        reason,
        active,
        persistent,
        autostart,
        managed_save,
    }))
}

/// `virConnectListAllDomains` with `flags`, as handles with their UUIDs.
fn listed(s: &Session, flags: u32) -> Result<Vec<(String, Domain)>, BackendError> {
    s.count("list_all_domains");
    let domains = lv(s.conn.list_all_domains(flags))?;
    s.answered();
    // The UUID is in the handle: no call to the daemon.
    Ok(domains
        .into_iter()
        .filter_map(|d| d.uuid_string().ok().map(|id| (id, d)))
        .collect())
}

/// The UUIDs of the domains `flags` selects.
fn listed_ids(s: &Session, flags: u32) -> Result<HashSet<String>, BackendError> {
    Ok(listed(s, flags)?.into_iter().map(|(id, _)| id).collect())
}

/// State and reason (`VIR_DOMAIN_*` numbers) by domain UUID.
type States = HashMap<String, (u32, i32)>;

/// State and reason of every domain by UUID from one `virConnectGetAllDomainStats` call;
/// `None` when the daemon has no such call (libvirt before 1.2.8).
fn bulk_states(s: &Session) -> Result<Option<States>, BackendError> {
    s.count("get_all_domain_stats");
    let records = match without_waiting(
        |flags| ffi::DomainStatsList::fetch(&s.conn, sys::VIR_DOMAIN_STATS_STATE, flags),
        0,
    ) {
        Ok(records) => records,
        Err(BackendError::Unsupported(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    s.answered();
    let states = records.read(|id, params| {
        let mut state = None;
        let mut reason = 0;
        for (key, value) in params {
            if key.is(b"state.state\0") {
                state = value.as_u64().and_then(|v| u32::try_from(v).ok());
            } else if key.is(b"state.reason\0") {
                reason = value
                    .as_u64()
                    .and_then(|v| i32::try_from(v).ok())
                    .unwrap_or(0);
            }
        }
        state.map(|st| (id.to_string(), (st, reason)))
    });
    s.drop_after_reply(records);
    Ok(Some(states.into_iter().flatten().collect()))
}

/// Every domain, active and inactive, from the bulk calls and the kept XML.
pub fn domains(s: &Session) -> Result<Vec<DomainFacts>, BackendError> {
    let all = listed(s, 0)?;
    // The small sets on a big host: each handle costs the daemon and the wire (20 ms for
    // 2,000 domains), so the persistent ones are the complement of the transient ones.
    let active = listed_ids(s, sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE)?;
    let transient = listed_ids(s, sys::VIR_CONNECT_LIST_DOMAINS_TRANSIENT)?;
    let autostart = listed_ids(s, sys::VIR_CONNECT_LIST_DOMAINS_AUTOSTART)?;
    let managed_save = listed_ids(s, sys::VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE)?;
    let states = bulk_states(s)?;
    // Taken before any XML is read: a change announced from here on is read next time.
    let named = s.shared.changes.take_domains();
    let trusted = s.shared.changes.events();
    let now = Instant::now();
    let mut cache = s.cache.borrow_mut();
    let present: HashSet<&str> = all.iter().map(|(id, _)| id.as_str()).collect();
    cache.domains.retain(|id, _| present.contains(id.as_str()));
    let recheck: HashSet<String> = cache.recheck_slice(now).into_iter().collect();
    // Each domain with its state; a domain without one was defined after the stats call (the
    // next listing has it) or has vanished.
    let mut listed = Vec::with_capacity(all.len());
    for (id, dom) in all {
        let (state, reason) = match states.as_ref() {
            Some(states) => match states.get(&id) {
                Some(st) => *st,
                None => continue,
            },
            None => {
                s.count("domain_state");
                match ffi::domain_state(&dom) {
                    Ok(st) => st,
                    Err(e) if e.code().to_raw() == sys::VIR_ERR_NO_DOMAIN => continue,
                    Err(e) => return Err(from_virt(e)),
                }
            }
        };
        listed.push((id, dom, state, reason));
    }
    let stale: Vec<usize> = (0..listed.len())
        .filter(|&i| {
            let id = &listed[i].0;
            !trusted
                || named.contains(id)
                || recheck.contains(id)
                || !cache.domains.contains_key(id)
        })
        .collect();
    let answers = s.answers();
    let calls = &s.shared.calls;
    let read = parallel::map(&stale, parallel::threads_for(&s.opts.uri), |&i| {
        calls.add("xml_desc");
        let text = listed[i].1.xml_desc(0);
        // Each answer counts: a listing of many domains is stuck only when one call does
        // not answer in time.
        answers.answered();
        text.map(|t| xml::parse_domain(&t))
    });
    let mut vanished = HashSet::new();
    for (&i, result) in stale.iter().zip(read) {
        let id = &listed[i].0;
        match result {
            Ok(parsed) => {
                let parsed = parsed.map_err(BackendError::Api)?;
                cache.domains.insert(id.clone(), Known::new(parsed, now));
            }
            Err(e) if e.code().to_raw() == sys::VIR_ERR_NO_DOMAIN => {
                cache.domains.remove(id);
                vanished.insert(i);
            }
            Err(e) => return Err(from_virt(e)),
        }
    }
    let mut out = Vec::with_capacity(listed.len());
    for (i, (id, dom, state, reason)) in listed.into_iter().enumerate() {
        if vanished.contains(&i) {
            continue;
        }
        let Some(known) = cache.domains.get(&id) else {
            continue;
        };
        let is_persistent = !transient.contains(&id);
        out.push(DomainFacts {
            xml: Arc::clone(&known.xml),
            state,
            reason,
            active: active.contains(&id),
            persistent: Some(is_persistent),
            // Transient domains have neither autostart nor a managed save image.
            autostart: is_persistent.then(|| autostart.contains(&id)),
            managed_save: is_persistent && managed_save.contains(&id),
            dom,
            id,
        });
    }
    out.sort_by(|a, b| a.xml.name.cmp(&b.xml.name));
    Ok(out)
}

/// One volume from its XML, which has the sizes and the path; they are asked for separately
/// only when it lacks them: one call per volume instead of three.
fn volume_facts(
    calls: &CallCounts,
    pool: &str,
    vol: &StorageVol,
) -> Result<VolumeFacts, BackendError> {
    calls.add("volume_xml_desc");
    let parsed = vol
        .xml_desc(0)
        .ok()
        .and_then(|x| xml::parse_volume(&x).ok())
        .unwrap_or_default();
    let (capacity, allocation) = match (parsed.capacity, parsed.allocation) {
        (Some(capacity), Some(allocation)) => (capacity, allocation),
        _ => {
            calls.add("volume_info");
            let info = lv(vol.info())?;
            (info.capacity, info.allocation)
        }
    };
    let path = match parsed.path {
        Some(path) => Some(path),
        None => {
            calls.add("volume_path");
            vol.path().ok()
        }
    };
    Ok(VolumeFacts {
        pool: pool.to_string(),
        name: lv(vol.name())?,
        key: lv(vol.key())?,
        path,
        capacity,
        allocation,
        format: parsed.format,
        backing: parsed.backing_path,
    })
}

impl Storage {
    /// Every pool and volume, read now.
    pub fn read(s: &Session) -> Result<Storage, BackendError> {
        let mut pools = Vec::new();
        s.count("list_all_storage_pools");
        for pool in lv(s.conn.list_all_storage_pools(0))? {
            let name = lv(pool.name())?;
            s.count("pool_info");
            let info = lv(pool.info())?;
            s.count("pool_is_active");
            let active = lv(pool.is_active())?;
            let mut volumes = Vec::new();
            if active {
                s.count("list_all_volumes");
                let listed = lv(pool.list_all_volumes(0))?;
                s.answered();
                let answers = s.answers();
                let calls = &s.shared.calls;
                let read = parallel::map(&listed, parallel::threads_for(&s.opts.uri), |vol| {
                    let facts = volume_facts(calls, &name, vol);
                    answers.answered();
                    facts
                });
                for facts in read {
                    volumes.push(facts?);
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

/// The storage pools and volumes the listings of instances use: kept, and read again only
/// after a storage pool event (or a change yun made) marked them, or when events are not
/// available.
pub fn storage(s: &Session) -> Result<Rc<Storage>, BackendError> {
    let marked = s.shared.changes.take_storage();
    let kept = s.cache.borrow().storage.clone();
    match kept {
        Some(storage) if !marked && s.shared.changes.events() => Ok(storage),
        _ => fresh_storage(s),
    }
}

/// The storage pools and volumes read now, and kept for the next listings.
pub fn fresh_storage(s: &Session) -> Result<Rc<Storage>, BackendError> {
    let storage = Rc::new(Storage::read(s)?);
    s.cache.borrow_mut().storage = Some(Rc::clone(&storage));
    Ok(storage)
}

/// The DHCP leases of every network, by MAC, and libvirt's reason for each network whose
/// leases could not be read.
#[derive(Default)]
pub struct LeaseMap {
    by_mac: HashMap<String, Vec<Address>>,
    failed: HashMap<String, String>,
}

impl LeaseMap {
    fn insert(&mut self, network: &str, leases: Result<Vec<RawLease>, String>) {
        match leases {
            Ok(leases) => {
                for lease in leases {
                    self.by_mac
                        .entry(lease.mac.to_ascii_lowercase())
                        .or_default()
                        .push(Address {
                            network: network.to_string(),
                            ip: lease.ip,
                            source: AddressSource::Lease,
                        });
                }
            }
            Err(reason) => {
                self.failed.insert(network.to_string(), reason);
            }
        }
    }

    /// The leased addresses of `mac`, whichever network holds them.
    fn of_mac(&self, mac: &str) -> &[Address] {
        self.by_mac
            .get(&mac.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }
}

pub fn leases_of(s: &Session, net: &VirtNetwork) -> Result<Vec<RawLease>, String> {
    s.count("network_dhcp_leases");
    ffi::network_dhcp_leases(net).map_err(|e| e.message().to_string())
}

/// One lease call per network.
pub fn all_leases(s: &Session) -> Result<LeaseMap, BackendError> {
    let mut map = LeaseMap::default();
    s.count("list_all_networks");
    for net in lv(s.conn.list_all_networks(0))? {
        s.answered();
        let leases = leases_of(s, &net);
        map.insert(&lv(net.name())?, leases);
    }
    Ok(map)
}

/// The addresses the networks' leases give a domain's NICs, the NICs they leave without one,
/// and libvirt's reason when the lease call of a NIC's network failed.
fn leased_addresses<'a>(
    d: &'a DomainFacts,
    leases: &LeaseMap,
) -> (Vec<NicAddress>, Vec<&'a InterfaceXml>, Option<String>) {
    let mut found = Vec::new();
    let mut note = None;
    let mut unmatched = Vec::new();
    for nic in &d.xml.interfaces {
        let Some(mac) = nic.mac.as_deref() else {
            continue;
        };
        if nic.kind == "network"
            && let Some(reason) = nic.source.as_ref().and_then(|n| leases.failed.get(n))
        {
            note = Some(reason.clone());
        }
        // Any network may hold the lease: a `bridge` NIC can sit on a libvirt network's bridge.
        let leased = leases.of_mac(mac);
        if leased.is_empty() {
            unmatched.push(nic);
        }
        found.extend(leased.iter().map(|address| NicAddress {
            mac: mac.to_string(),
            address: address.clone(),
        }));
    }
    (found, unmatched, note)
}

/// The addresses of `unmatched` NICs from the domain's own lookups: libvirt's lease lookup,
/// then the guest agent, then the host's ARP table, as `virsh domifaddr --source` does. With
/// libvirt's reason when the lease lookup failed.
fn looked_up_addresses(
    s: &Session,
    d: &DomainFacts,
    unmatched: &[&InterfaceXml],
) -> (Vec<NicAddress>, Option<String>) {
    let mut unmatched = unmatched.to_vec();
    let mut found = Vec::new();
    let mut note = None;
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
        s.count("interface_addresses");
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

/// The addresses of a domain's NICs (from the networks' leases, else the domain's own
/// lookups), plus libvirt's reason when a lease call failed. Asks the domain now.
pub fn addresses(
    s: &Session,
    d: &DomainFacts,
    leases: &LeaseMap,
) -> (Vec<NicAddress>, Option<String>) {
    let (mut found, unmatched, note) = leased_addresses(d, leases);
    let (more, lookup_note) = looked_up_addresses(s, d, &unmatched);
    found.extend(more);
    (found, note.or(lookup_note))
}

/// [`addresses`] for a listing: the domain's own lookups are kept, and asked again only while
/// a NIC of a running domain has no address, at most [`super::cache::LOOKUP_TRIES`] listings after its XML
/// was read (so after a start or a hot-plugged NIC).
fn listed_addresses(
    s: &Session,
    d: &DomainFacts,
    known: &mut Known,
    leases: &LeaseMap,
) -> (Vec<NicAddress>, Option<String>) {
    let (mut found, unmatched, note) = leased_addresses(d, leases);
    if !d.active || unmatched.is_empty() {
        return (found, note);
    }
    let has = |lookup: &(Vec<NicAddress>, Option<String>), nic: &InterfaceXml| {
        lookup.0.iter().any(|a| {
            nic.mac
                .as_deref()
                .is_some_and(|m| a.mac.eq_ignore_ascii_case(m))
        })
    };
    let complete = known
        .lookup
        .as_ref()
        .is_some_and(|lookup| unmatched.iter().all(|nic| has(lookup, nic)));
    if !complete && known.lookup_tries > 0 {
        known.lookup_tries -= 1;
        known.lookup = Some(looked_up_addresses(s, d, &unmatched));
    }
    let Some(lookup) = &known.lookup else {
        return (found, note);
    };
    found.extend(
        lookup
            .0
            .iter()
            .filter(|a| {
                unmatched.iter().any(|nic| {
                    nic.mac
                        .as_deref()
                        .is_some_and(|m| a.mac.eq_ignore_ascii_case(m))
                })
            })
            .cloned(),
    );
    (found, note.or_else(|| lookup.1.clone()))
}

/// Sum of the capacities of a domain's disks (cdroms and floppies excluded). Uses the matching
/// volume, else the hypervisor's block info, asked once per XML read.
fn disk_bytes(s: &Session, d: &DomainFacts, known: &mut Known, storage: &Storage) -> u64 {
    d.xml
        .disks
        .iter()
        .filter(|disk| !disk.is_cdrom_or_floppy())
        .map(|disk| match storage.volume_of_disk(disk) {
            Some(vol) => vol.capacity,
            None => *known
                .outside_pool
                .entry(disk.target.clone())
                .or_insert_with(|| {
                    s.count("block_info");
                    ffi::block_info(&d.dom, &disk.target)
                        .map(|b| b.capacity)
                        .unwrap_or(0)
                }),
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
    s: &Session,
    d: &DomainFacts,
    known: &mut Known,
    storage: &Storage,
    leases: &LeaseMap,
) -> Instance {
    let mut inst = Instance::new(d.id.clone(), d.xml.name.clone());
    let (addresses, note) = listed_addresses(s, d, known, leases);
    inst.addresses = addresses.into_iter().map(|a| a.address).collect();
    inst.addresses_note = note;
    inst.size = InstanceSize {
        vcpus: d.xml.vcpus,
        ram_bytes: d.xml.memory_bytes,
        disk_bytes: disk_bytes(s, d, known, storage),
        flavor: matching_flavor(&s.opts.flavors, d.xml.vcpus, d.xml.memory_bytes),
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

/// Ask the hypervisor for the capacity of every disk outside any pool not asked for since
/// its domain's XML was read, over a few threads, and keep the answers.
fn read_outside_pool_sizes(s: &Session, domains: &[DomainFacts], storage: &Storage) {
    let mut wanted = Vec::new();
    {
        let cache = s.cache.borrow();
        for (i, d) in domains.iter().enumerate() {
            let Some(known) = cache.domains.get(&d.id) else {
                continue;
            };
            for disk in d.xml.disks.iter().filter(|disk| !disk.is_cdrom_or_floppy()) {
                if storage.volume_of_disk(disk).is_none()
                    && !known.outside_pool.contains_key(&disk.target)
                {
                    wanted.push((i, disk.target.clone()));
                }
            }
        }
    }
    let answers = s.answers();
    let calls = &s.shared.calls;
    let sizes = parallel::map(
        &wanted,
        parallel::threads_for(&s.opts.uri),
        |(i, target)| {
            calls.add("block_info");
            let size = ffi::block_info(&domains[*i].dom, target).map_or(0, |b| b.capacity);
            answers.answered();
            size
        },
    );
    let mut cache = s.cache.borrow_mut();
    for ((i, target), size) in wanted.into_iter().zip(sizes) {
        if let Some(known) = cache.domains.get_mut(&domains[i].id) {
            known.outside_pool.insert(target, size);
        }
    }
}

pub fn instances(s: &Session) -> Result<Vec<Instance>, BackendError> {
    let domains = domains(s)?;
    let storage = storage(s)?;
    let leases = all_leases(s)?;
    read_outside_pool_sizes(s, &domains, &storage);
    let mut rows = Vec::with_capacity(domains.len());
    for d in &domains {
        // Taken out for the row (which may ask the domain) and put back.
        let Some(mut known) = s.cache.borrow_mut().domains.remove(&d.id) else {
            continue;
        };
        rows.push(instance_row(s, d, &mut known, &storage, &leases));
        s.cache.borrow_mut().domains.insert(d.id.clone(), known);
    }
    Ok(rows)
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
    // Asked for: read now, and kept for the instance listings.
    let storage = fresh_storage(s)?;
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
    let storage = fresh_storage(s)?;
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
    let pools = storage.pools.iter().map(|p| p.pool.clone()).collect();
    Ok((out, pools))
}

pub fn networks(s: &Session) -> Result<Vec<Network>, BackendError> {
    let mut out = Vec::new();
    for net in lv(s.conn.list_all_networks(0))? {
        let parsed = xml::parse_network(&lv(net.xml_desc(0))?).map_err(BackendError::Api)?;
        let leases = match leases_of(s, &net) {
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
