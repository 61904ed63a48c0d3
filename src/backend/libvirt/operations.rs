//! Mutating calls: instance actions and redefining a domain from edited XML. Runs on the
//! connection thread; the read-only check happens before a job is ever sent here.

use virt::domain::Domain;
use virt::sys;

use super::detail::lookup;
use super::error::{from_virt, is_unsupported};
use super::inventory::Storage;
use super::thread::{Session, lv};
use super::xml;
use crate::backend::{BackendError, InstanceAction};

/// Run `action`, then tell the next listing the domain changed: its events may reach the main
/// connection only after the listing that follows the action.
pub fn perform(s: &Session, id: &str, action: &InstanceAction) -> Result<(), BackendError> {
    let result = act(s, id, action);
    s.shared.changes.domain(id);
    if matches!(
        action,
        InstanceAction::Delete {
            delete_volumes: true
        }
    ) {
        s.shared.changes.storage();
    }
    result
}

fn act(s: &Session, id: &str, action: &InstanceAction) -> Result<(), BackendError> {
    let dom = lookup(s, id)?;
    match action {
        // `create` on a domain with a managed save image restores it.
        InstanceAction::Start | InstanceAction::Restore => lv(dom.create()),
        InstanceAction::Shutdown => shutdown(&dom),
        InstanceAction::ForceOff => lv(dom.destroy()),
        InstanceAction::Reboot => lv(dom.reboot(0)),
        InstanceAction::Reset => lv(dom.reset()),
        InstanceAction::Pause => lv(dom.suspend()),
        InstanceAction::Resume => lv(dom.resume()),
        InstanceAction::Suspend => lv(dom.managed_save(0)),
        InstanceAction::SetAutostart(on) => lv(dom.set_autostart(*on)),
        InstanceAction::Delete { delete_volumes } => delete(s, &dom, *delete_volumes),
        InstanceAction::Snapshot { name } => snapshot(&dom, name),
        InstanceAction::Rename { name } => lv(dom.rename(name, 0)),
        InstanceAction::Lock
        | InstanceAction::Unlock
        | InstanceAction::Resize { .. }
        | InstanceAction::ConfirmResize
        | InstanceAction::RevertResize
        | InstanceAction::SetMetadata { .. } => Err(BackendError::Unsupported(format!(
            "{} on a libvirt host",
            action.id()
        ))),
    }
}

/// A snapshot named `name`, as `virsh snapshot-create-as --name` makes it.
fn snapshot(dom: &Domain, name: &str) -> Result<(), BackendError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(BackendError::Invalid("a snapshot needs a name".into()));
    }
    let escaped = name
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let xml = format!("<domainsnapshot><name>{escaped}</name></domainsnapshot>");
    lv(dom.create_snapshot_xml(&xml, 0)).map(|_| ())
}

/// Graceful shutdown through the ACPI power button; drivers without that mode get their default.
fn shutdown(dom: &Domain) -> Result<(), BackendError> {
    match dom.shutdown_flags(sys::VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) {
        Ok(_) => Ok(()),
        Err(e) if is_unsupported(&e) => lv(dom.shutdown()),
        Err(e) => Err(from_virt(e)),
    }
}

/// Whether a disk's volume may be deleted with its domain, or why not.
fn deletable(
    s: &Session,
    storage: &Storage,
    disk: &xml::DiskXml,
) -> Result<(String, String), String> {
    let label = disk
        .source_path
        .clone()
        .unwrap_or_else(|| disk.target.clone());
    if disk.is_cdrom_or_floppy() {
        return Err(format!("{label}: {} (kept)", disk.device));
    }
    if disk.readonly || disk.shareable {
        return Err(format!("{label}: read-only or shareable (kept)"));
    }
    let Some(vol) = storage.volume_of_disk(disk) else {
        return Err(format!("{label}: not a storage volume (kept)"));
    };
    if s.opts.image_pools.contains(&vol.pool) {
        return Err(format!("{label}: in image pool {} (kept)", vol.pool));
    }
    Ok((vol.pool.clone(), vol.name.clone()))
}

fn delete(s: &Session, dom: &Domain, delete_volumes: bool) -> Result<(), BackendError> {
    let name = lv(dom.name())?;
    // Read the disks before the definition is gone.
    let parsed = xml::parse_domain(&lv(dom.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE))?)
        .map_err(BackendError::Api)?;
    let persistent = lv(dom.is_persistent())?;
    if lv(dom.is_active())? {
        lv(dom.destroy())?;
    }
    if persistent {
        let keep_nothing =
            sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;
        // Drivers without NVRAM (the test driver, non-UEFI hosts) refuse that flag: without it
        // the managed save and the snapshots must still go, or undefine refuses a domain that
        // has snapshots.
        let mut result = dom.undefine_flags(keep_nothing | sys::VIR_DOMAIN_UNDEFINE_NVRAM);
        if matches!(&result, Err(e) if is_unsupported(e)) {
            result = dom.undefine_flags(keep_nothing);
        }
        match result {
            Ok(_) => {}
            Err(e) if is_unsupported(&e) => lv(dom.undefine())?,
            Err(e) => return Err(from_virt(e)),
        }
    }
    if !delete_volumes {
        return Ok(());
    }
    let storage = Storage::read(s)?;
    let mut deleted = Vec::new();
    let mut kept = Vec::new();
    let mut failures = Vec::new();
    for disk in &parsed.disks {
        match deletable(s, &storage, disk) {
            Ok((pool, volume)) => {
                let result = s
                    .conn
                    .lookup_storage_pool_by_name(&pool)
                    .and_then(|p| p.lookup_storage_vol_by_name(&volume))
                    .and_then(|v| v.delete(0));
                match result {
                    Ok(_) => deleted.push(format!("{pool}/{volume}")),
                    Err(e) => failures.push(format!("{pool}/{volume}: {}", e.message())),
                }
            }
            Err(why) => kept.push(why),
        }
    }
    tracing::info!(
        "deleted {name}: volumes deleted [{}], kept [{}]",
        deleted.join(", "),
        kept.join("; ")
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(BackendError::Api(format!(
            "{name} was deleted but some volumes were not: {}",
            failures.join("; ")
        )))
    }
}

/// The XML `virsh edit` opens: the inactive definition, with secrets. A read-only connection
/// may not read secrets (and cannot redefine anyway), so it gets the definition without them.
pub fn editable_document(s: &Session, id: &str) -> Result<String, BackendError> {
    let dom = lookup(s, id)?;
    let flags = if s.opts.readonly {
        sys::VIR_DOMAIN_XML_INACTIVE
    } else {
        sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_SECURE
    };
    lv(dom.xml_desc(flags))
}

/// Check that an edited document still describes the domain `id`.
pub fn check_same_domain(id: &str, document: &str) -> Result<(), BackendError> {
    let parsed = xml::parse_domain(document).map_err(BackendError::Invalid)?;
    match parsed.uuid {
        Some(uuid) if uuid.eq_ignore_ascii_case(id) => Ok(()),
        Some(uuid) => Err(BackendError::Invalid(format!(
            "the document's <uuid> {uuid} is not the edited domain's {id}"
        ))),
        None => Err(BackendError::Invalid(
            "the document has no <uuid>; keep the edited domain's".into(),
        )),
    }
}

pub fn redefine(s: &Session, id: &str, document: &str) -> Result<(), BackendError> {
    check_same_domain(id, document)?;
    let defined = match s
        .conn
        .define_domain_xml_flags(document, sys::VIR_DOMAIN_DEFINE_VALIDATE)
    {
        Ok(_) => Ok(()),
        Err(e) if is_unsupported(&e) => lv(s.conn.define_domain_xml(document)).map(|_| ()),
        Err(e) => Err(from_virt(e)),
    };
    // As for actions: the next listing reads the new definition whenever the event comes.
    s.shared.changes.domain(id);
    defined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redefine_refuses_another_uuid() {
        let doc =
            "<domain><name>a</name><uuid>11111111-2222-3333-4444-555555555555</uuid></domain>";
        assert!(check_same_domain("11111111-2222-3333-4444-555555555555", doc).is_ok());
        assert!(matches!(
            check_same_domain("99999999-2222-3333-4444-555555555555", doc),
            Err(BackendError::Invalid(_))
        ));
        assert!(matches!(
            check_same_domain("x", "<domain><name>a</name></domain>"),
            Err(BackendError::Invalid(_))
        ));
    }
}
