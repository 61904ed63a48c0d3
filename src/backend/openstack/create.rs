//! Booting a server (`POST /servers`).

use serde_json::Value;

use super::{OpenStackBackend, read};
use crate::backend::BackendError;

/// A server to boot (`POST /servers`), by ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewServer {
    pub name: String,
    pub flavor_id: String,
    pub image_id: String,
    /// Networks to attach; empty = let nova choose (`"auto"`).
    pub network_ids: Vec<String>,
    pub key_name: Option<String>,
}

impl OpenStackBackend {
    /// Boot a server; returns its id.
    pub async fn create_server(&self, new: &NewServer) -> Result<String, BackendError> {
        if self.readonly {
            return Err(BackendError::ReadOnly);
        }
        let e = read(&self.endpoints);
        let networks = if new.network_ids.is_empty() {
            Value::String("auto".into())
        } else {
            Value::Array(
                new.network_ids
                    .iter()
                    .map(|n| serde_json::json!({ "uuid": n }))
                    .collect(),
            )
        };
        let mut server = serde_json::json!({
            "name": new.name,
            "flavorRef": new.flavor_id,
            "imageRef": new.image_id,
            "networks": networks,
        });
        if let (Some(k), Value::Object(m)) = (&new.key_name, &mut server) {
            m.insert("key_name".into(), Value::String(k.clone()));
        }
        let body = serde_json::json!({ "server": server });
        let url = format!("{}/servers", e.compute);
        let reply = self.track(
            self.session
                .request(
                    "compute",
                    reqwest::Method::POST,
                    &url,
                    &e.compute_headers(),
                    Some(&body),
                )
                .await,
        )?;
        reply
            .json("compute")?
            .pointer("/server/id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| BackendError::Api("compute: server created without an id".into()))
    }
}
