//! Where the services are: the catalog's endpoints for the current region and project, and the
//! microversions negotiated with Nova and Cinder from their version documents.

use reqwest::Url;

use super::http::Session;
use super::{OpenStackBackend, compute, read, volume};
use crate::backend::BackendError;

/// The service endpoints of the current region and project, and the negotiated versions.
#[derive(Clone, Debug)]
pub(super) struct Endpoints {
    pub(super) region: Option<String>,
    pub(super) project_id: String,
    pub(super) project_name: String,
    pub(super) compute: String,
    pub(super) image: Option<String>,
    pub(super) volume: Option<String>,
    pub(super) network: Option<String>,
    pub(super) compute_mv: (u32, u32),
    pub(super) volume_mv: Option<(u32, u32)>,
    pub(super) admin: bool,
}

impl Endpoints {
    pub(super) fn compute_headers(&self) -> Vec<(&'static str, String)> {
        let (a, b) = self.compute_mv;
        vec![
            ("OpenStack-API-Version", format!("compute {a}.{b}")),
            ("X-OpenStack-Nova-API-Version", format!("{a}.{b}")),
        ]
    }

    pub(super) fn volume_headers(&self) -> Vec<(&'static str, String)> {
        self.volume_mv
            .map(|(a, b)| vec![("OpenStack-API-Version", format!("volume {a}.{b}"))])
            .unwrap_or_default()
    }

    pub(super) fn image_root(&self) -> Result<String, BackendError> {
        let url = self
            .image
            .as_deref()
            .ok_or_else(|| BackendError::Unsupported("no image service in the catalog".into()))?;
        let url = url.trim_end_matches('/');
        Ok(url
            .strip_suffix("/v2")
            .or_else(|| url.strip_suffix("/v2.0"))
            .unwrap_or(url)
            .to_string())
    }

    pub(super) fn network_base(&self) -> Result<String, BackendError> {
        let url = self
            .network
            .as_deref()
            .ok_or_else(|| BackendError::Unsupported("no network service in the catalog".into()))?
            .trim_end_matches('/');
        Ok(if url.ends_with("/v2.0") {
            url.to_string()
        } else {
            format!("{url}/v2.0")
        })
    }

    /// Cinder's base including the project id when the URL form needs it.
    pub(super) fn volume_base(&self) -> Result<String, BackendError> {
        let url = self
            .volume
            .as_deref()
            .ok_or_else(|| {
                BackendError::Unsupported("no block-storage service in the catalog".into())
            })?
            .trim_end_matches('/');
        let has_project = url.rsplit('/').next() == Some(self.project_id.as_str());
        let optional = self.volume_mv.is_some_and(|v| v >= (3, 67));
        Ok(if has_project || optional {
            url.to_string()
        } else {
            format!("{url}/{}", self.project_id)
        })
    }
}

/// Strip a trailing `/{project_id}` from an endpoint URL.
fn without_project(url: &str, project_id: &str) -> String {
    let url = url.trim_end_matches('/');
    url.strip_suffix(&format!("/{project_id}"))
        .unwrap_or(url)
        .to_string()
}

fn url_root(url: &str) -> Option<String> {
    let mut u = Url::parse(url).ok()?;
    u.set_path("/");
    u.set_query(None);
    Some(u.to_string())
}

/// Token, catalog endpoints of `region`, negotiated versions.
pub(super) async fn discover(
    session: &Session,
    region: Option<&str>,
) -> Result<Endpoints, BackendError> {
    let token = session.token().await?;
    let iface = session.config.interface.clone();
    let region_ok = region.filter(|r| token.catalog.iter().any(|e| e.region.as_deref() == Some(r)));
    if let Some(r) = region
        && region_ok.is_none()
        && !token.catalog.is_empty()
    {
        return Err(BackendError::Invalid(format!(
            "region {r:?} is not in the catalog (regions: {})",
            token.regions().join(", ")
        )));
    }
    let ep = |types: &[&str]| token.endpoint(types, &iface, region_ok);
    let compute = ep(&["compute"]).ok_or_else(|| {
        BackendError::Unsupported(format!(
            "no compute endpoint ({iface}) in the catalog{}",
            region
                .map(|r| format!(" for region {r}"))
                .unwrap_or_default()
        ))
    })?;
    let project_id = token.project_id.clone().unwrap_or_default();
    let volume = ep(&["block-storage", "volumev3", "volume"]);
    let compute_mv = async {
        let base = without_project(&compute, &project_id);
        let mut docs = vec![format!("{base}/")];
        if let Some(root) = url_root(&compute) {
            docs.push(root);
        }
        for url in docs {
            match session.get_json("compute", &url, &[]).await {
                Ok(doc) => {
                    if let Some((_, max)) = compute::version_range(&doc, "v2.1") {
                        return Ok(max.min(compute::MAX_COMPUTE_MICROVERSION));
                    }
                }
                Err(e @ BackendError::Connection(_)) => return Err(e),
                Err(e) => tracing::debug!("compute version document {url}: {e}"),
            }
        }
        tracing::warn!("compute version discovery failed; using 2.1");
        Ok((2, 1))
    };
    let volume_mv = async {
        let v = volume.as_deref()?;
        let base = without_project(v, &project_id);
        let mut docs = vec![format!("{base}/")];
        if let Some(root) = url_root(v) {
            docs.push(root);
        }
        for url in docs {
            if let Ok(doc) = session.get_json("block-storage", &url, &[]).await
                && let Some((_, max)) = compute::version_range(&doc, "v3")
            {
                return Some(max.min(volume::MAX_VOLUME_MICROVERSION));
            }
        }
        None
    };
    let (compute_mv, volume_mv) = tokio::join!(compute_mv, volume_mv);
    Ok(Endpoints {
        region: region_ok.map(str::to_string),
        project_name: token
            .project_name
            .clone()
            .unwrap_or_else(|| project_id.clone()),
        project_id,
        compute,
        image: ep(&["image"]),
        volume,
        network: ep(&["network"]),
        compute_mv: compute_mv?,
        volume_mv,
        admin: token.is_admin(),
    })
}

impl OpenStackBackend {
    /// The negotiated compute microversion, e.g. `(2, 79)`.
    pub fn compute_microversion(&self) -> (u32, u32) {
        read(&self.endpoints).compute_mv
    }

    pub fn volume_microversion(&self) -> Option<(u32, u32)> {
        read(&self.endpoints).volume_mv
    }
}
