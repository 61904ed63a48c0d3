//! Nova: servers, flavors, actions, diagnostics, and their mapping into the model.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::de;
use crate::backend::{BackendError, InstanceAction};
use crate::model::{
    Address, AddressSource, Flavor, Instance, InstanceSize, InstanceStatus, PowerState,
};

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// The newest compute microversion yun understands. 2.79: embedded flavors in servers (2.47),
/// normalised diagnostics (2.48), inline flavor extra specs (2.61), down-cell partial records
/// (2.69, every field optional here), `locked_reason` (2.73), integer `swap` (2.75); nothing yun
/// reads changes shape between 2.79 and the newest releases.
pub const MAX_COMPUTE_MICROVERSION: (u32, u32) = (2, 79);

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ServerDto {
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub status: Option<String>,
    #[serde(rename = "OS-EXT-STS:task_state", deserialize_with = "de::opt_string")]
    pub task_state: Option<String>,
    #[serde(rename = "OS-EXT-STS:vm_state", deserialize_with = "de::opt_string")]
    pub vm_state: Option<String>,
    #[serde(rename = "OS-EXT-STS:power_state", deserialize_with = "de::opt_i64")]
    pub power_state: Option<i64>,
    pub addresses: Option<BTreeMap<String, Vec<AddressDto>>>,
    pub flavor: Value,
    pub image: Value,
    #[serde(deserialize_with = "de::opt_string")]
    pub key_name: Option<String>,
    #[serde(
        rename = "OS-EXT-AZ:availability_zone",
        deserialize_with = "de::opt_string"
    )]
    pub availability_zone: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub created: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub updated: Option<String>,
    #[serde(rename = "OS-SRV-USG:launched_at", deserialize_with = "de::opt_string")]
    pub launched_at: Option<String>,
    pub fault: Option<FaultDto>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub locked: Option<bool>,
    #[serde(deserialize_with = "de::opt_string")]
    pub locked_reason: Option<String>,
    pub metadata: Value,
    pub security_groups: Value,
    #[serde(rename = "os-extended-volumes:volumes_attached")]
    pub volumes_attached: Value,
    #[serde(rename = "OS-EXT-SRV-ATTR:host", deserialize_with = "de::opt_string")]
    pub host: Option<String>,
    #[serde(
        rename = "OS-EXT-SRV-ATTR:hypervisor_hostname",
        deserialize_with = "de::opt_string"
    )]
    pub hypervisor_hostname: Option<String>,
    #[serde(
        rename = "OS-EXT-SRV-ATTR:instance_name",
        deserialize_with = "de::opt_string"
    )]
    pub instance_name: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub tenant_id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub user_id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddressDto {
    #[serde(deserialize_with = "de::opt_string")]
    pub addr: Option<String>,
    #[serde(rename = "OS-EXT-IPS:type", deserialize_with = "de::opt_string")]
    pub kind: Option<String>,
    #[serde(
        rename = "OS-EXT-IPS-MAC:mac_addr",
        deserialize_with = "de::opt_string"
    )]
    pub mac: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FaultDto {
    #[serde(deserialize_with = "de::opt_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "de::opt_i64")]
    pub code: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FlavorDto {
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub original_name: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub vcpus: Option<u64>,
    /// MiB.
    #[serde(deserialize_with = "de::opt_u64")]
    pub ram: Option<u64>,
    /// GiB.
    #[serde(deserialize_with = "de::opt_u64")]
    pub disk: Option<u64>,
    #[serde(rename = "OS-FLV-EXT-DATA:ephemeral", deserialize_with = "de::opt_u64")]
    pub ephemeral_ext: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub ephemeral: Option<u64>,
    /// MiB; `""` before 2.75 when zero.
    #[serde(deserialize_with = "de::opt_u64")]
    pub swap: Option<u64>,
    #[serde(
        rename = "os-flavor-access:is_public",
        deserialize_with = "de::opt_bool"
    )]
    pub is_public: Option<bool>,
    pub extra_specs: Value,
}

impl FlavorDto {
    pub fn to_model(&self) -> Option<Flavor> {
        let id = self.id.clone()?;
        Some(Flavor {
            name: self.name.clone().unwrap_or_else(|| id.clone()),
            id,
            vcpus: u32::try_from(self.vcpus.unwrap_or(0)).unwrap_or(u32::MAX),
            ram_bytes: self.ram.unwrap_or(0).saturating_mul(MIB),
            root_disk_bytes: self.disk.unwrap_or(0).saturating_mul(GIB),
            ephemeral_bytes: self
                .ephemeral_ext
                .or(self.ephemeral)
                .unwrap_or(0)
                .saturating_mul(GIB),
            swap_bytes: self.swap.unwrap_or(0).saturating_mul(MIB),
            public: self.is_public,
            fits: None,
            extra_specs: de::string_map(Some(&self.extra_specs)),
        })
    }

    fn size(&self, name: Option<String>) -> InstanceSize {
        InstanceSize {
            vcpus: u32::try_from(self.vcpus.unwrap_or(0)).unwrap_or(u32::MAX),
            ram_bytes: self.ram.unwrap_or(0).saturating_mul(MIB),
            disk_bytes: self.disk.unwrap_or(0).saturating_mul(GIB),
            flavor: name,
        }
    }
}

pub fn status(raw: Option<&str>) -> InstanceStatus {
    match raw.map(str::to_ascii_uppercase).as_deref() {
        Some("ACTIVE") => InstanceStatus::Active,
        Some("BUILD") => InstanceStatus::Build,
        Some("SHUTOFF") => InstanceStatus::Shutoff,
        Some("PAUSED") => InstanceStatus::Paused,
        Some("SUSPENDED") => InstanceStatus::Suspended,
        Some("ERROR") => InstanceStatus::Error,
        Some(other) => InstanceStatus::Other(other.to_string()),
        None => InstanceStatus::Other("UNKNOWN".into()),
    }
}

/// `OS-EXT-STS:power_state` as Horizon names it (2 and 5 are unused by nova).
pub fn power(raw: Option<i64>) -> PowerState {
    match raw {
        Some(1) => PowerState::Running,
        Some(3) => PowerState::Paused,
        Some(4) => PowerState::Shutdown,
        Some(6) => PowerState::Crashed,
        Some(7) => PowerState::Suspended,
        _ => PowerState::NoState,
    }
}

/// What the instance table needs besides the servers themselves.
#[derive(Default)]
pub struct Lookups {
    /// Flavors by id (servers before 2.47 only reference them).
    pub flavors: HashMap<String, FlavorDto>,
    /// Image names by id.
    pub images: HashMap<String, String>,
}

impl ServerDto {
    /// The server's flavor: embedded (≥ 2.47) or looked up by id.
    pub fn flavor_size(&self, lookups: &Lookups) -> InstanceSize {
        if (self.flavor.get("vcpus").is_some() || self.flavor.get("original_name").is_some())
            && let Ok(f) = serde_json::from_value::<FlavorDto>(self.flavor.clone())
        {
            return f.size(f.original_name.clone().or_else(|| f.name.clone()));
        }
        let id = self.flavor.get("id").and_then(|v| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        });
        match id {
            Some(id) => match lookups.flavors.get(&id) {
                Some(f) => f.size(f.name.clone()),
                None => InstanceSize {
                    flavor: Some(id),
                    ..InstanceSize::default()
                },
            },
            None => InstanceSize::default(),
        }
    }

    pub fn image_id(&self) -> Option<String> {
        self.image
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// Image name; `""` (or no image) means booted from a volume.
    pub fn image_label(&self, lookups: &Lookups) -> Option<String> {
        match self.image_id() {
            Some(id) => Some(lookups.images.get(&id).cloned().unwrap_or(id)),
            None if self.image.is_string() || self.image.is_null() => {
                Some("N/A (booted from volume)".into())
            }
            None => None,
        }
    }

    pub fn addresses(&self) -> Vec<Address> {
        let mut out = Vec::new();
        for (net, addrs) in self.addresses.iter().flatten() {
            for a in addrs {
                let Some(ip) = a.addr.clone() else { continue };
                out.push(Address {
                    network: net.clone(),
                    ip,
                    source: if a.kind.as_deref() == Some("floating") {
                        AddressSource::Floating
                    } else {
                        AddressSource::Fixed
                    },
                });
            }
        }
        out
    }

    pub fn to_instance(&self, lookups: &Lookups) -> Option<Instance> {
        let id = self.id.clone()?;
        let mut i = Instance::new(id.clone(), self.name.clone().unwrap_or(id));
        i.addresses = self.addresses();
        i.size = self.flavor_size(lookups);
        i.status = status(self.status.as_deref());
        i.resize_pending = i.status.as_str() == "VERIFY_RESIZE";
        i.deleted = i.status.as_str() == "DELETED";
        i.task = self.task_state.clone();
        i.power = power(self.power_state);
        i.image = self.image_label(lookups);
        i.key_name = self.key_name.clone();
        i.availability_zone = self.availability_zone.clone();
        i.created = self.created.clone();
        i.fault = self
            .fault
            .as_ref()
            .and_then(|f| f.message.clone())
            .filter(|_| i.status == InstanceStatus::Error);
        i.locked = self.locked;
        Some(i)
    }
}

/// The request of an action: method, path relative to the compute endpoint, body.
pub fn action_request(
    id: &str,
    action: &InstanceAction,
) -> Result<(reqwest::Method, String, Option<Value>), BackendError> {
    use reqwest::Method;
    let act = |body: Value| Ok((Method::POST, format!("/servers/{id}/action"), Some(body)));
    match action {
        InstanceAction::Start => act(json!({ "os-start": null })),
        InstanceAction::Shutdown | InstanceAction::ForceOff => act(json!({ "os-stop": null })),
        InstanceAction::Reboot => act(json!({ "reboot": { "type": "SOFT" } })),
        InstanceAction::Reset => act(json!({ "reboot": { "type": "HARD" } })),
        InstanceAction::Pause => act(json!({ "pause": null })),
        InstanceAction::Resume => act(json!({ "unpause": null })),
        InstanceAction::Suspend => act(json!({ "suspend": null })),
        InstanceAction::Restore => act(json!({ "resume": null })),
        InstanceAction::Lock => act(json!({ "lock": null })),
        InstanceAction::Unlock => act(json!({ "unlock": null })),
        InstanceAction::Snapshot { name } => {
            if name.trim().is_empty() {
                return Err(BackendError::Invalid("a snapshot needs a name".into()));
            }
            act(json!({ "createImage": { "name": name } }))
        }
        InstanceAction::Resize { flavor_id, .. } => {
            if flavor_id.trim().is_empty() {
                return Err(BackendError::Invalid("resize needs a flavor".into()));
            }
            act(json!({ "resize": { "flavorRef": flavor_id } }))
        }
        InstanceAction::ConfirmResize => act(json!({ "confirmResize": null })),
        InstanceAction::RevertResize => act(json!({ "revertResize": null })),
        InstanceAction::Rename { name } => {
            if name.trim().is_empty() {
                return Err(BackendError::Invalid("the new name is empty".into()));
            }
            Ok((
                Method::PUT,
                format!("/servers/{id}"),
                Some(json!({ "server": { "name": name } })),
            ))
        }
        InstanceAction::SetMetadata { items } => {
            let map: serde_json::Map<String, Value> = items
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            Ok((
                Method::POST,
                format!("/servers/{id}/metadata"),
                Some(json!({ "metadata": map })),
            ))
        }
        InstanceAction::Delete { .. } => Ok((Method::DELETE, format!("/servers/{id}"), None)),
        InstanceAction::SetAutostart(_) => Err(BackendError::Unsupported(
            "autostart on a cloud (nova restarts instances itself)".into(),
        )),
    }
}

/// Cumulative counters from `GET /servers/{id}/diagnostics` (≥ 2.48).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServerDiagnostics {
    pub state: Option<String>,
    pub driver: Option<String>,
    pub uptime_secs: Option<u64>,
    /// Per vCPU, nanoseconds.
    pub cpu_time_ns: Vec<u64>,
    /// KiB as nova reports it.
    pub memory_max_kib: Option<u64>,
    pub memory_used_kib: Option<u64>,
    pub disks: Vec<DiskCounters>,
    pub nics: Vec<NicCounters>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiskCounters {
    #[serde(deserialize_with = "de::opt_u64")]
    pub read_bytes: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub write_bytes: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub read_requests: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub write_requests: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub errors_count: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NicCounters {
    #[serde(deserialize_with = "de::opt_string")]
    pub mac_address: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub rx_octets: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub tx_octets: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub rx_packets: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub tx_packets: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub rx_errors: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub tx_errors: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub rx_drop: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub tx_drop: Option<u64>,
}

pub fn diagnostics(v: &Value) -> ServerDiagnostics {
    let u = |v: Option<&Value>| {
        v.and_then(|x| {
            x.as_u64()
                .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
        })
    };
    let list = |key: &str| {
        v.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    ServerDiagnostics {
        state: v.get("state").and_then(Value::as_str).map(str::to_string),
        driver: v.get("driver").and_then(Value::as_str).map(str::to_string),
        uptime_secs: u(v.get("uptime")),
        cpu_time_ns: list("cpu_details")
            .iter()
            .filter_map(|c| u(c.get("time")))
            .collect(),
        memory_max_kib: u(v.pointer("/memory_details/maximum")),
        memory_used_kib: u(v.pointer("/memory_details/used")),
        disks: list("disk_details")
            .into_iter()
            .filter_map(|d| serde_json::from_value(d).ok())
            .collect(),
        nics: list("nic_details")
            .into_iter()
            .filter_map(|d| serde_json::from_value(d).ok())
            .collect(),
    }
}

/// Parse `"2.79"` into (2, 79).
pub fn parse_version(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.trim().split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// The microversion range of a version document: `{"version": {...}}` or
/// `{"versions": [...]}` (the entry whose id starts with `id_prefix`).
pub fn version_range(doc: &Value, id_prefix: &str) -> Option<((u32, u32), (u32, u32))> {
    let entry = match doc.get("version") {
        Some(v) if v.is_object() => v.clone(),
        _ => doc
            .get("versions")
            .and_then(Value::as_array)?
            .iter()
            .find(|v| {
                v.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|i| i.starts_with(id_prefix))
            })?
            .clone(),
    };
    let max = entry
        .get("version")
        .and_then(Value::as_str)
        .and_then(parse_version)?;
    let min = entry
        .get("min_version")
        .and_then(Value::as_str)
        .and_then(parse_version)
        .unwrap_or(max);
    Some((min, max))
}
