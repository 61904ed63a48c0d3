//! Glance v2 images.

use serde::Deserialize;

use super::de;
use crate::model::Image;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ImageDto {
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub status: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub visibility: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub disk_format: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub size: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub virtual_size: Option<u64>,
    /// GiB.
    #[serde(deserialize_with = "de::opt_u64")]
    pub min_disk: Option<u64>,
    /// MiB.
    #[serde(deserialize_with = "de::opt_u64")]
    pub min_ram: Option<u64>,
    #[serde(deserialize_with = "de::opt_string")]
    pub created_at: Option<String>,
}

impl ImageDto {
    pub fn to_model(&self) -> Option<Image> {
        let id = self.id.clone()?;
        Some(Image {
            name: self.name.clone().unwrap_or_default(),
            id,
            format: self.disk_format.clone(),
            virtual_size: self.virtual_size,
            allocation: self.size,
            pool: None,
            path: None,
            used_by: Vec::new(),
            status: self.status.clone(),
            visibility: self.visibility.clone(),
            min_disk_bytes: self.min_disk.map(|g| g.saturating_mul(GIB)),
            min_ram_bytes: self.min_ram.map(|m| m.saturating_mul(MIB)),
            created: self.created_at.clone(),
        })
    }
}
