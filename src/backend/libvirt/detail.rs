//! The detail view of one instance. Runs on the connection thread.

use super::commands::virsh_console_line;
use super::ffi;
use super::inventory::{self, DomainFacts, LeaseMap, Storage};
use super::thread::{Session, lv};
use crate::backend::BackendError;
use crate::model::{DiskInfo, GraphicsInfo, InstanceDetail, NicInfo, OsInfo};

/// Look a domain up by its UUID string.
pub fn lookup(s: &Session, id: &str) -> Result<virt::domain::Domain, BackendError> {
    s.count("lookup_domain_by_uuid");
    lv(s.conn.lookup_domain_by_uuid_string(id))
}

/// Count a call of `kind`, then make it.
fn count_then<R>(s: &Session, kind: &'static str, call: impl FnOnce() -> R) -> R {
    s.count(kind);
    call()
}

fn disks(s: &Session, d: &DomainFacts, storage: &Storage) -> Vec<DiskInfo> {
    d.xml
        .disks
        .iter()
        .map(|disk| {
            let volume = storage.volume_of_disk(disk);
            let (capacity, allocation) = match volume {
                Some(v) => (Some(v.capacity), Some(v.allocation)),
                None if disk.is_cdrom_or_floppy() => (None, None),
                // Only trust block info when the call succeeded.
                None => match count_then(s, "block_info", || ffi::block_info(&d.dom, &disk.target))
                {
                    Ok(b) => (Some(b.capacity), Some(b.allocation)),
                    Err(_) => (None, None),
                },
            };
            DiskInfo {
                target: disk.target.clone(),
                bus: disk.bus.clone(),
                device: disk.device.clone(),
                path: storage
                    .disk_path(disk)
                    .or_else(|| disk.source_network.clone()),
                format: disk
                    .driver_type
                    .clone()
                    .or_else(|| volume.and_then(|v| v.format.clone())),
                capacity,
                allocation,
                backing: disk
                    .backing_chain
                    .first()
                    .cloned()
                    .or_else(|| volume.and_then(|v| v.backing.clone())),
            }
        })
        .collect()
}

fn nics(s: &Session, d: &DomainFacts, leases: &LeaseMap) -> Vec<NicInfo> {
    let (addresses, _) = inventory::addresses(s, d, leases);
    d.xml
        .interfaces
        .iter()
        .map(|nic| {
            let mac = nic.mac.clone().unwrap_or_default();
            let ips = addresses
                .iter()
                .filter(|a| a.mac.eq_ignore_ascii_case(&mac))
                .map(|a| a.address.ip.clone())
                .collect();
            NicInfo {
                mac,
                source: nic.source.clone().unwrap_or_else(|| nic.kind.clone()),
                model: nic.model.clone(),
                target: nic.target.clone(),
                ips,
            }
        })
        .collect()
}

fn graphics(d: &DomainFacts) -> Vec<GraphicsInfo> {
    d.xml
        .graphics
        .iter()
        .map(|g| GraphicsInfo {
            kind: g.kind.clone(),
            uri: match (d.active, g.port) {
                (true, Some(port)) => {
                    let host = g
                        .listen
                        .as_deref()
                        .filter(|l| !l.is_empty() && *l != "0.0.0.0" && *l != "::")
                        .unwrap_or("127.0.0.1");
                    Some(format!("{}://{host}:{port}", g.kind))
                }
                _ => None,
            },
        })
        .collect()
}

pub fn instance_detail(s: &Session, id: &str) -> Result<InstanceDetail, BackendError> {
    let dom = lookup(s, id)?;
    s.count("xml_desc");
    let document = lv(dom.xml_desc(0))?;
    let d = inventory::domain_facts(s, dom)?
        .ok_or_else(|| BackendError::NotFound(format!("domain {id} is gone")))?;
    let storage = inventory::storage(s)?;
    let leases = inventory::all_leases(s)?;
    // Status, power and size are on the instance row already; only add what is not.
    let mut extra = Vec::new();
    if let Some(n) = &d.xml.nova {
        let rows = [
            ("Nova name", &n.name),
            ("Nova flavor", &n.flavor),
            ("Nova project", &n.project),
            ("Nova user", &n.user),
            ("Created", &n.created),
        ];
        extra.extend(
            rows.into_iter()
                .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v))),
        );
    }
    Ok(InstanceDetail {
        id: d.id.clone(),
        name: d.xml.name.clone(),
        disks: disks(s, &d, &storage),
        nics: nics(s, &d, &leases),
        graphics: graphics(&d),
        serials: d
            .xml
            .consoles
            .iter()
            .map(|c| match &c.path {
                Some(p) => format!("{} {} {p}", c.device, c.kind),
                None => format!("{} {}", c.device, c.kind),
            })
            .collect(),
        os: OsInfo {
            os_type: d.xml.os_type.clone(),
            arch: d.xml.arch.clone(),
            machine: d.xml.machine.clone(),
        },
        autostart: d.autostart,
        persistent: d.persistent,
        console_command: Some(virsh_console_line(&s.opts.uri, &d.id)),
        console_log: None,
        extra,
        document,
    })
}
