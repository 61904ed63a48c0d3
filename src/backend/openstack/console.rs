//! Consoles: the console log (a read) and the noVNC browser URL (a POST that creates a console
//! session with an access token, so only on request and never in read-only mode).

use serde_json::Value;

use super::endpoints::Endpoints;
use super::{OpenStackBackend, read};
use crate::backend::BackendError;

impl OpenStackBackend {
    /// The tail of the console log (控制台日志, `os-getConsoleOutput`), or the cloud's reason.
    pub(super) async fn console_log(
        &self,
        id: &str,
        e: &Endpoints,
    ) -> crate::model::Availability<String> {
        use crate::model::Availability;
        let action = format!("{}/servers/{id}/action", e.compute);
        let body = serde_json::json!({"os-getConsoleOutput": {"length": 40}});
        let reply = self
            .session
            .request(
                "compute",
                reqwest::Method::POST,
                &action,
                &e.compute_headers(),
                Some(&body),
            )
            .await;
        match reply.and_then(|r| r.json("compute")) {
            Ok(v) => match v.get("output").and_then(Value::as_str) {
                Some(text) => Availability::Known(text.to_string()),
                // Some clouds answer `"output": null` for an instance without a log.
                None => Availability::Unavailable("the cloud returned no console log".into()),
            },
            Err(err) => Availability::Unavailable(err.to_string()),
        }
    }

    /// A noVNC console URL (`remote-consoles`, 2.6+). It carries an access token and creating
    /// it is a POST, so it is never asked for in read-only mode.
    pub(super) async fn remote_console_url(&self, id: &str) -> Result<String, BackendError> {
        if self.readonly {
            return Err(BackendError::ReadOnly);
        }
        let e = read(&self.endpoints);
        let url = format!("{}/servers/{id}/remote-consoles", e.compute);
        let body = serde_json::json!({"remote_console": {"protocol": "vnc", "type": "novnc"}});
        let reply = self
            .session
            .request(
                "compute",
                reqwest::Method::POST,
                &url,
                &e.compute_headers(),
                Some(&body),
            )
            .await
            .and_then(|r| r.json("compute"));
        let r = reply.and_then(|v| {
            v.pointer("/remote_console/url")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| BackendError::Api("the cloud returned no console URL".into()))
        });
        self.track(r)
    }
}
