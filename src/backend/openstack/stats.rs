//! Statistics: Nova has no bulk counters, so the monitor asks for server diagnostics (an admin
//! API) of the instances on screen and maps them into cumulative counters.

use super::{OpenStackBackend, ServerDiagnostics, compute, read};
use crate::backend::BackendError;
use crate::model::{HostCounters, InstanceCounters, MemoryCounters, StatsSample};

/// Instances whose diagnostics one monitor tick asks for, at most.
const DIAGNOSTICS_PER_TICK: usize = 10;

impl OpenStackBackend {
    /// Cumulative counters of one server (admin; `GET /servers/{id}/diagnostics`).
    pub async fn server_diagnostics(&self, id: &str) -> Result<ServerDiagnostics, BackendError> {
        let e = read(&self.endpoints);
        let url = format!("{}/servers/{id}/diagnostics", e.compute);
        match self
            .session
            .get_json("compute", &url, &e.compute_headers())
            .await
        {
            Ok(doc) => Ok(compute::diagnostics(&doc)),
            Err(BackendError::Api(m)) if m.contains("(HTTP 403)") => Err(BackendError::Api(
                "diagnostics need an admin role (the cloud answered 403)".into(),
            )),
            Err(e) => self.track(Err(e)),
        }
    }

    /// Nova has no bulk statistics: server diagnostics (an admin API) per instance on screen,
    /// at most `DIAGNOSTICS_PER_TICK` of them, fetched concurrently.
    pub(super) async fn diagnostics_sample(
        &self,
        focus: Vec<String>,
    ) -> Result<StatsSample, BackendError> {
        let ids: Vec<String> = focus.into_iter().take(DIAGNOSTICS_PER_TICK).collect();
        let results =
            futures::future::join_all(ids.iter().map(|id| self.server_diagnostics(id))).await;
        let mut instances = Vec::with_capacity(ids.len());
        for (id, result) in ids.into_iter().zip(results) {
            match result {
                Ok(d) => instances.push(diagnostics_counters(id, &d)),
                // Shown per instance (e.g. "diagnostics need an admin role"), not as a failure.
                Err(e) => instances.push(InstanceCounters {
                    id,
                    missing: vec![
                        ("cpu".into(), e.to_string()),
                        ("memory".into(), e.to_string()),
                    ],
                    ..InstanceCounters::default()
                }),
            }
        }
        Ok(StatsSample {
            instances,
            host: HostCounters {
                missing: vec![(
                    "host".into(),
                    "a cloud does not expose its hosts' figures to a project".into(),
                )],
                ..HostCounters::default()
            },
            basis: {
                let (major, minor) = self.compute_microversion();
                format!(
                    "Nova server diagnostics (compute {major}.{minor}), one call per instance on screen"
                )
            },
        })
    }
}

/// Nova's normalised diagnostics (≥ 2.48) as the monitor's cumulative counters.
fn diagnostics_counters(id: String, d: &compute::ServerDiagnostics) -> InstanceCounters {
    let kib = |v: u64| v.saturating_mul(1024);
    let memory = d.memory_max_kib.map(|max| MemoryCounters {
        allocated: kib(max),
        rss: None,
        guest_available: Some(kib(max)),
        guest_unused: d.memory_used_kib.map(|used| kib(max.saturating_sub(used))),
        guest_disk_caches: None,
    });
    let mut missing = Vec::new();
    if d.cpu_time_ns.is_empty() {
        missing.push(("cpu".into(), "the diagnostics carry no CPU time".into()));
    }
    InstanceCounters {
        id,
        vcpus: u32::try_from(d.cpu_time_ns.len()).unwrap_or(u32::MAX),
        cpu_time_ns: (!d.cpu_time_ns.is_empty()).then(|| d.cpu_time_ns.iter().sum()),
        vcpu_time_ns: d.cpu_time_ns.clone(),
        memory,
        disks: d
            .disks
            .iter()
            .enumerate()
            .map(|(i, x)| crate::model::DiskCounters {
                name: format!("disk{i}"),
                read_bytes: x.read_bytes.unwrap_or(0),
                write_bytes: x.write_bytes.unwrap_or(0),
                read_reqs: x.read_requests.unwrap_or(0),
                write_reqs: x.write_requests.unwrap_or(0),
            })
            .collect(),
        nics: d
            .nics
            .iter()
            .enumerate()
            .map(|(i, n)| crate::model::NicCounters {
                name: n.mac_address.clone().unwrap_or_else(|| format!("nic{i}")),
                rx_bytes: n.rx_octets.unwrap_or(0),
                tx_bytes: n.tx_octets.unwrap_or(0),
                rx_packets: n.rx_packets.unwrap_or(0),
                tx_packets: n.tx_packets.unwrap_or(0),
                rx_errors: n.rx_errors.unwrap_or(0),
                tx_errors: n.tx_errors.unwrap_or(0),
                rx_drops: n.rx_drop.unwrap_or(0),
                tx_drops: n.tx_drop.unwrap_or(0),
            })
            .collect(),
        missing,
    }
}
