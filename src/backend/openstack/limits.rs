//! Quotas and usage: nova and cinder `/limits`, neutron quota details.

use serde_json::Value;

use crate::model::QuotaUsage;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

fn num(v: Option<&Value>) -> Option<i64> {
    v.and_then(|x| {
        x.as_i64()
            .or_else(|| x.as_f64().map(|f| f as i64))
            .or_else(|| x.as_str().and_then(|s| s.trim().parse().ok()))
    })
}

fn quota(name: &str, used: Option<i64>, limit: Option<i64>, unit: u64) -> Option<QuotaUsage> {
    let limit = limit?;
    Some(QuotaUsage {
        name: name.into(),
        used: u64::try_from(used.unwrap_or(0).max(0))
            .unwrap_or(0)
            .saturating_mul(unit),
        // -1 = unlimited
        limit: u64::try_from(limit).ok().map(|l| l.saturating_mul(unit)),
        bytes: unit > 1,
    })
}

/// Nova `GET /limits`.
pub fn compute(doc: &Value) -> Vec<QuotaUsage> {
    let a = |k: &str| num(doc.pointer(&format!("/limits/absolute/{k}")));
    [
        quota(
            "instances",
            a("totalInstancesUsed"),
            a("maxTotalInstances"),
            1,
        ),
        quota("cores", a("totalCoresUsed"), a("maxTotalCores"), 1),
        quota("ram", a("totalRAMUsed"), a("maxTotalRAMSize"), MIB),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Cinder `GET /limits`.
pub fn volume(doc: &Value) -> Vec<QuotaUsage> {
    let a = |k: &str| num(doc.pointer(&format!("/limits/absolute/{k}")));
    [
        quota("volumes", a("totalVolumesUsed"), a("maxTotalVolumes"), 1),
        quota(
            "gigabytes",
            a("totalGigabytesUsed"),
            a("maxTotalVolumeGigabytes"),
            GIB,
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Neutron `GET /v2.0/quotas/{project}/details`.
pub fn network(doc: &Value) -> Vec<QuotaUsage> {
    let q = |k: &str, name: &str| {
        let d = doc.pointer(&format!("/quota/{k}"))?;
        quota(name, num(d.get("used")), num(d.get("limit")), 1)
    };
    [
        q("floatingip", "floating_ips"),
        q("security_group", "security_groups"),
    ]
    .into_iter()
    .flatten()
    .collect()
}
