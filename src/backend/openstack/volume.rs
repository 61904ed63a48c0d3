//! Cinder v3 volumes.

use std::collections::HashMap;

use serde::Deserialize;

use super::de;
use crate::model::{Attachment, Volume};

const GIB: u64 = 1024 * 1024 * 1024;

/// Newest block-storage microversion yun asks for: 3.67 makes the project id optional in the URL;
/// nothing yun reads changes shape up to it.
pub const MAX_VOLUME_MICROVERSION: (u32, u32) = (3, 67);

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VolumeDto {
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub status: Option<String>,
    /// GiB.
    #[serde(deserialize_with = "de::opt_u64")]
    pub size: Option<u64>,
    #[serde(deserialize_with = "de::opt_string")]
    pub volume_type: Option<String>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub bootable: Option<bool>,
    #[serde(deserialize_with = "de::opt_string")]
    pub availability_zone: Option<String>,
    pub attachments: Vec<AttachmentDto>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AttachmentDto {
    #[serde(deserialize_with = "de::opt_string")]
    pub server_id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub device: Option<String>,
}

impl VolumeDto {
    /// `servers`: server names by id, when known.
    pub fn to_model(&self, servers: &HashMap<String, String>) -> Option<Volume> {
        let id = self.id.clone()?;
        Some(Volume {
            name: self.name.clone().unwrap_or_default(),
            id,
            pool: None,
            format: None,
            capacity: self.size.map(|g| g.saturating_mul(GIB)),
            allocation: None,
            attached: self
                .attachments
                .iter()
                .filter_map(|a| {
                    let sid = a.server_id.clone()?;
                    Some(Attachment {
                        instance: servers.get(&sid).cloned().unwrap_or(sid),
                        target: a.device.clone().unwrap_or_default(),
                    })
                })
                .collect(),
            path: None,
            status: self.status.clone(),
            volume_type: self.volume_type.clone(),
            bootable: self.bootable,
            availability_zone: self.availability_zone.clone(),
        })
    }
}
