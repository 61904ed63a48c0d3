//! What a create asks for: one typed spec per kind, checked by the app before it is sent and
//! by the backend again before it calls anything.

use serde::Serialize;

use crate::model::{Pool, ResourceKind};

/// Something to create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum CreateSpec {
    Volume(VolumeSpec),
}

impl CreateSpec {
    /// The kind that the new resource is listed under.
    pub fn kind(&self) -> ResourceKind {
        match self {
            Self::Volume(_) => ResourceKind::Volumes,
        }
    }

    /// The kind's name in the audit log (`volume`), as instance actions are `instance`.
    pub fn audit_kind(&self) -> &'static str {
        match self {
            Self::Volume(_) => "volume",
        }
    }

    /// What the user chose, as the audit log records it.
    pub fn params(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(outer)) => match outer.into_iter().next() {
                Some((_, serde_json::Value::Object(fields))) => fields,
                _ => serde_json::Map::new(),
            },
            _ => serde_json::Map::new(),
        }
    }

    /// The name the user gave it.
    pub fn name(&self) -> &str {
        match self {
            Self::Volume(v) => &v.name,
        }
    }
}

/// A storage volume in a pool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VolumeSpec {
    pub name: String,
    pub pool: String,
    pub capacity_bytes: u64,
    pub format: VolumeFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VolumeFormat {
    Qcow2,
    Raw,
}

impl VolumeFormat {
    pub const ALL: [Self; 2] = [Self::Qcow2, Self::Raw];

    /// The format's name as disk tools write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Qcow2 => "qcow2",
            Self::Raw => "raw",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// Why a volume of `bytes` cannot go into `pool`, in plain words, or `Ok` when it fits in the
/// pool's free space. The app checks this before sending a create, the backend again against
/// the pool's figures at the time of the call.
pub fn volume_fits(pool: &Pool, bytes: u64) -> Result<(), String> {
    if bytes == 0 {
        return Err("the capacity must be more than 0 bytes".into());
    }
    if !pool.active {
        return Err(format!("pool {} is not active", pool.name));
    }
    if bytes > pool.available {
        return Err(format!(
            "{} does not fit in pool {}: {} free",
            crate::format::bytes(bytes),
            pool.name,
            crate::format::bytes(pool.available)
        ));
    }
    Ok(())
}

/// Why `name` cannot name a new volume, or `Ok`. Names are file names in most pools: no `/`,
/// not `.` or `..`, no control characters.
pub fn volume_name_valid(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("a name is needed".into());
    }
    if name == "." || name == ".." || name.contains('/') || name.chars().any(char::is_control) {
        return Err(format!(
            "{name:?} cannot name a volume (no '/', control characters, '.' or '..')"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(available: u64) -> Pool {
        Pool {
            name: "default".into(),
            active: true,
            capacity: 100 << 30,
            allocation: (100 << 30) - available,
            available,
            volumes: 0,
        }
    }

    #[test]
    fn a_volume_fits_only_in_the_free_space() {
        assert_eq!(volume_fits(&pool(10 << 30), 10 << 30), Ok(()));
        let err = volume_fits(&pool(10 << 30), (10 << 30) + 1).unwrap_err();
        assert!(err.contains("does not fit in pool default"), "{err}");
        assert!(volume_fits(&pool(10 << 30), 0).is_err());
        let mut inactive = pool(10 << 30);
        inactive.active = false;
        assert!(
            volume_fits(&inactive, 1)
                .unwrap_err()
                .contains("not active")
        );
    }

    #[test]
    fn volume_names_are_file_names() {
        assert_eq!(volume_name_valid("data-01.qcow2"), Ok(()));
        for bad in ["", " ", "a/b", "..", "a\nb"] {
            assert!(volume_name_valid(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn formats_parse_by_their_tool_names() {
        assert_eq!(VolumeFormat::parse("QCOW2"), Some(VolumeFormat::Qcow2));
        assert_eq!(VolumeFormat::parse("raw"), Some(VolumeFormat::Raw));
        assert_eq!(VolumeFormat::parse("vmdk"), None);
    }
}
