//! One server's detail: its record, flavor and image names, attached volumes and console log.

use std::collections::HashMap;

use serde_json::Value;

use super::{OpenStackBackend, compute, de, read};
use crate::backend::BackendError;
use crate::model::{InstanceDetail, OsInfo};

impl OpenStackBackend {
    pub(super) async fn detail_inner(&self, id: &str) -> Result<InstanceDetail, BackendError> {
        let e = read(&self.endpoints);
        let url = format!("{}/servers/{id}", e.compute);
        let attach_url = format!("{}/servers/{id}/os-volume_attachments", e.compute);
        let headers = e.compute_headers();
        let (doc, attachments) = tokio::join!(
            self.session.get_json("compute", &url, &headers),
            self.session.get_json("compute", &attach_url, &headers)
        );
        let doc = doc?;
        let server_json = doc.get("server").cloned().unwrap_or(Value::Null);
        let s: compute::ServerDto = serde_json::from_value(server_json.clone()).map_err(|err| {
            BackendError::Api(format!("compute: server {id} did not decode: {err}"))
        })?;
        let mut lookups = compute::Lookups::default();
        if e.compute_mv < (2, 47)
            && let Some(fid) = s.flavor.get("id").and_then(Value::as_str)
            && let Ok(f) = self
                .session
                .get_json("compute", &format!("{}/flavors/{fid}", e.compute), &headers)
                .await
            && let Ok(f) = serde_json::from_value::<compute::FlavorDto>(
                f.get("flavor").cloned().unwrap_or(Value::Null),
            )
        {
            lookups.flavors.insert(fid.to_string(), f);
        }
        if let Some(img) = s.image_id()
            && let Ok(root) = e.image_root()
            && let Ok(doc) = self
                .session
                .get_json("image", &format!("{root}/v2/images/{img}"), &[])
                .await
            && let Some(name) = doc.get("name").and_then(Value::as_str)
        {
            lookups.images.insert(img, name.to_string());
        }
        let inst = s.to_instance(&lookups).ok_or_else(|| {
            BackendError::Api(format!("compute: server {id} has no id in its record"))
        })?;
        let mut extra: Vec<(String, String)> = Vec::new();
        let mut kv = |k: &str, v: Option<String>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                extra.push((k.to_string(), v));
            }
        };
        kv("id", Some(inst.id.clone()));
        kv("status", Some(inst.status.as_str().to_string()));
        kv("vm_state", s.vm_state.clone());
        kv("task_state", inst.task.clone());
        kv("power_state", Some(inst.power.as_str().to_string()));
        let size = &inst.size;
        kv(
            "flavor",
            Some(format!(
                "{} ({} vCPU, {} MiB RAM, {} GiB disk)",
                size.flavor.clone().unwrap_or_default(),
                size.vcpus,
                size.ram_bytes / (1024 * 1024),
                size.disk_bytes / (1024 * 1024 * 1024)
            )),
        );
        for (k, v) in de::string_map(s.flavor.get("extra_specs")) {
            kv(&format!("flavor:{k}"), Some(v));
        }
        kv("image", inst.image.clone());
        kv("key_name", inst.key_name.clone());
        kv("availability_zone", inst.availability_zone.clone());
        kv("host", s.host.clone());
        kv("hypervisor_hostname", s.hypervisor_hostname.clone());
        kv("instance_name", s.instance_name.clone());
        kv("project_id", s.tenant_id.clone());
        kv("user_id", s.user_id.clone());
        kv("created", s.created.clone());
        kv("updated", s.updated.clone());
        kv("launched_at", s.launched_at.clone());
        kv("description", s.description.clone());
        let groups: Vec<String> = s
            .security_groups
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g.get("name").and_then(Value::as_str).map(str::to_string))
            .collect();
        kv("security_groups", Some(groups.join(", ")));
        for (k, v) in de::string_map(Some(&s.metadata)) {
            kv(&format!("metadata:{k}"), Some(v));
        }
        let devices: HashMap<String, String> = attachments
            .ok()
            .and_then(|a| {
                a.get("volumeAttachments")
                    .and_then(Value::as_array)
                    .cloned()
            })
            .unwrap_or_default()
            .iter()
            .filter_map(|a| {
                Some((
                    a.get("volumeId")?.as_str()?.to_string(),
                    a.get("device")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                ))
            })
            .collect();
        for v in s.volumes_attached.as_array().into_iter().flatten() {
            if let Some(vid) = v.get("id").and_then(Value::as_str) {
                let dev = devices.get(vid).cloned().unwrap_or_default();
                kv("volume", Some(format!("{vid} {dev}").trim().to_string()));
            }
        }
        kv("locked", inst.locked.map(|l| l.to_string()));
        kv("locked_reason", s.locked_reason.clone());
        kv("fault", s.fault.as_ref().and_then(|f| f.message.clone()));
        for a in &inst.addresses {
            let kind = match a.source {
                crate::model::AddressSource::Floating => "floating",
                _ => "fixed",
            };
            kv(
                &format!("address:{}", a.network),
                Some(format!("{} ({kind})", a.ip)),
            );
        }
        let document = serde_json::to_string_pretty(&server_json).unwrap_or_default();
        // The log is a read; the browser console URL is not fetched here: asking for one
        // creates a console session with an access token, so only `c` (the console view) does.
        let console_log = self.console_log(id, &e).await;
        Ok(InstanceDetail {
            id: inst.id.clone(),
            name: inst.name.clone(),
            disks: Vec::new(),
            nics: Vec::new(),
            graphics: Vec::new(),
            serials: Vec::new(),
            os: OsInfo::default(),
            autostart: None,
            persistent: None,
            console_log: Some(console_log),
            console_command: Some(format!(
                "openstack --os-cloud {} console log show {}",
                crate::backend::actions::shell_quote(&self.cloud),
                crate::backend::actions::shell_quote(&inst.id)
            )),
            extra,
            document,
        })
    }
}
