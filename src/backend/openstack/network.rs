//! Neutron: networks (+ subnets), security groups, floating IPs, ports.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::de;
use crate::model::{Availability, FloatingIp, Network, Port, SecurityGroup, SecurityGroupRule};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NetworkDto {
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub status: Option<String>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub admin_state_up: Option<bool>,
    #[serde(deserialize_with = "de::opt_bool")]
    pub shared: Option<bool>,
    #[serde(rename = "router:external", deserialize_with = "de::opt_bool")]
    pub external: Option<bool>,
    pub subnets: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SubnetDto {
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub network_id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub cidr: Option<String>,
    pub allocation_pools: Vec<Value>,
}

impl NetworkDto {
    pub fn to_model(&self, subnets: &[SubnetDto]) -> Option<Network> {
        let id = self.id.clone()?;
        let mine: Vec<&SubnetDto> = subnets
            .iter()
            .filter(|s| s.network_id.as_deref() == Some(id.as_str()))
            .collect();
        Some(Network {
            name: self.name.clone().unwrap_or_default(),
            active: self.status.as_deref() == Some("ACTIVE"),
            id,
            autostart: None,
            forward: None,
            bridge: None,
            cidrs: mine.iter().filter_map(|s| s.cidr.clone()).collect(),
            dhcp_ranges: mine
                .iter()
                .flat_map(|s| s.allocation_pools.iter())
                .filter_map(|p| {
                    Some(format!(
                        "{}-{}",
                        p.get("start")?.as_str()?,
                        p.get("end")?.as_str()?
                    ))
                })
                .collect(),
            leases: Availability::Unavailable("not exposed by the cloud".into()),
            static_hosts: Vec::new(),
            shared: self.shared,
            external: self.external,
            status: self.status.clone(),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SecurityGroupDto {
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    pub security_group_rules: Vec<RuleDto>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RuleDto {
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub direction: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub ethertype: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub protocol: Option<String>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub port_range_min: Option<u64>,
    #[serde(deserialize_with = "de::opt_u64")]
    pub port_range_max: Option<u64>,
    #[serde(deserialize_with = "de::opt_string")]
    pub remote_ip_prefix: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub remote_group_id: Option<String>,
}

impl SecurityGroupDto {
    pub fn to_model(&self) -> Option<SecurityGroup> {
        let id = self.id.clone()?;
        Some(SecurityGroup {
            name: self.name.clone().unwrap_or_default(),
            id,
            description: self.description.clone(),
            rules: self
                .security_group_rules
                .iter()
                .map(|r| SecurityGroupRule {
                    id: r.id.clone().unwrap_or_default(),
                    direction: r.direction.clone().unwrap_or_default(),
                    ethertype: r.ethertype.clone(),
                    protocol: r.protocol.clone(),
                    port_min: r.port_range_min.and_then(|p| u32::try_from(p).ok()),
                    port_max: r.port_range_max.and_then(|p| u32::try_from(p).ok()),
                    remote_ip_prefix: r.remote_ip_prefix.clone(),
                    remote_group: r.remote_group_id.clone(),
                })
                .collect(),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FloatingIpDto {
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub floating_ip_address: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub fixed_ip_address: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub port_id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub floating_network_id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub status: Option<String>,
    pub port_details: Option<Value>,
}

impl FloatingIpDto {
    /// `port_devices`: device id by port id; `servers`: server name by id; `networks`: names.
    pub fn to_model(
        &self,
        port_devices: &HashMap<String, String>,
        servers: &HashMap<String, String>,
        networks: &HashMap<String, String>,
    ) -> Option<FloatingIp> {
        let id = self.id.clone()?;
        let device = self
            .port_details
            .as_ref()
            .and_then(|d| d.get("device_id"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .or_else(|| {
                self.port_id
                    .as_ref()
                    .and_then(|p| port_devices.get(p).cloned())
            });
        Some(FloatingIp {
            address: self.floating_ip_address.clone().unwrap_or_default(),
            id,
            fixed_address: self.fixed_ip_address.clone(),
            instance: device.map(|d| servers.get(&d).cloned().unwrap_or(d)),
            network: self
                .floating_network_id
                .as_ref()
                .map(|n| networks.get(n).cloned().unwrap_or_else(|| n.clone())),
            status: self.status.clone(),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PortDto {
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub network_id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub mac_address: Option<String>,
    pub fixed_ips: Vec<Value>,
    #[serde(deserialize_with = "de::opt_string")]
    pub device_owner: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub device_id: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub status: Option<String>,
}

impl PortDto {
    pub fn to_model(
        &self,
        servers: &HashMap<String, String>,
        networks: &HashMap<String, String>,
    ) -> Option<Port> {
        let id = self.id.clone()?;
        Some(Port {
            name: self.name.clone().unwrap_or_default(),
            id,
            network: self
                .network_id
                .as_ref()
                .map(|n| networks.get(n).cloned().unwrap_or_else(|| n.clone())),
            mac: self.mac_address.clone(),
            fixed_ips: self
                .fixed_ips
                .iter()
                .filter_map(|f| {
                    f.get("ip_address")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect(),
            device_owner: self.device_owner.clone(),
            device: self
                .device_id
                .as_ref()
                .map(|d| servers.get(d).cloned().unwrap_or_else(|| d.clone())),
            status: self.status.clone(),
        })
    }
}
