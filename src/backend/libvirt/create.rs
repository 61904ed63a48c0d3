//! Creating resources on a host: a storage volume in a pool (`virsh vol-create-as`). Runs on
//! the connection thread; the read-only check happens before a job is ever sent here.

use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;

use super::thread::{Session, lv};
use crate::backend::create::{volume_fits, volume_name_valid};
use crate::backend::{BackendError, ConnectionId, CreateSpec, ResourceRef, VolumeSpec};
use crate::model::{Pool, ResourceKind};

pub fn create(s: &Session, spec: &CreateSpec) -> Result<ResourceRef, BackendError> {
    let created = match spec {
        CreateSpec::Volume(v) => volume(s, v),
    };
    // The kept pools are read again by the next listing: a new volume raises no pool event.
    s.shared.changes.storage();
    created
}

/// A new volume in the pool, checked against the pool as it is now: a name that is free there
/// and a capacity that fits in its free space, both refused before libvirt is asked to create.
fn volume(s: &Session, spec: &VolumeSpec) -> Result<ResourceRef, BackendError> {
    volume_name_valid(&spec.name).map_err(BackendError::Invalid)?;
    let pool = lv(s.conn.lookup_storage_pool_by_name(&spec.pool))?;
    let figures = pool_figures(&pool, &spec.pool)?;
    volume_fits(&figures, spec.capacity_bytes).map_err(BackendError::Invalid)?;
    if pool.lookup_storage_vol_by_name(&spec.name).is_ok() {
        return Err(BackendError::Conflict(format!(
            "pool {} has a volume named {} already",
            spec.pool, spec.name
        )));
    }
    let vol = lv(StorageVol::create_xml(&pool, &volume_xml(spec), 0))?;
    let key = lv(vol.key())?;
    // A volume in an image pool is listed with the images.
    let kind = if s.opts.image_pools.contains(&spec.pool) {
        ResourceKind::Images
    } else {
        ResourceKind::Volumes
    };
    Ok(ResourceRef::new(ConnectionId::FIRST, kind, key))
}

/// The pool's figures now (refreshed first, so files added behind libvirt's back count).
fn pool_figures(pool: &StoragePool, name: &str) -> Result<Pool, BackendError> {
    let active = lv(pool.is_active())?;
    if active {
        lv(pool.refresh(0))?;
    }
    let info = lv(pool.info())?;
    Ok(Pool {
        name: name.to_string(),
        active,
        capacity: info.capacity,
        allocation: info.allocation,
        available: info.available,
        volumes: 0,
    })
}

/// The volume's XML; allocation 0 makes a sparse volume, as `vol-create-as` does by default.
fn volume_xml(spec: &VolumeSpec) -> String {
    format!(
        "<volume>\n  <name>{}</name>\n  <capacity unit='bytes'>{}</capacity>\n  \
         <allocation unit='bytes'>0</allocation>\n  <target>\n    <format type='{}'/>\n  \
         </target>\n</volume>\n",
        xml_text(&spec.name),
        spec.capacity_bytes,
        spec.format.as_str()
    )
}

/// Text for an XML element or a quoted attribute.
fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::VolumeFormat;

    #[test]
    fn volume_xml_escapes_the_name() {
        let xml = volume_xml(&VolumeSpec {
            name: "a<b>&'c\"".into(),
            pool: "p".into(),
            capacity_bytes: 1024,
            format: VolumeFormat::Raw,
        });
        assert!(
            xml.contains("<name>a&lt;b&gt;&amp;&apos;c&quot;</name>"),
            "{xml}"
        );
        assert!(xml.contains("<capacity unit='bytes'>1024</capacity>"));
        assert!(xml.contains("<format type='raw'/>"));
    }
}
