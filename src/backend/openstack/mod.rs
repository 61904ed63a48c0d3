//! The OpenStack backend: Keystone v3, Nova, Glance, Cinder and Neutron over HTTPS.
//!
//! [`clouds`] finds the credentials, [`auth`] and [`http`] hold the session (token, catalog,
//! retries, pagination), and one module per service decodes its rows leniently and maps them into
//! the neutral model.

pub mod auth;
pub mod clouds;
pub mod compute;
pub(crate) mod de;
pub mod http;
pub mod image;
pub mod limits;
pub mod network;
pub mod secret;
pub mod volume;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::Url;
use serde_json::Value;

use crate::backend::{
    Backend, BackendError, Capabilities, CommandStyle, ConnectionState, InstanceAction, ScopeChange,
};
use crate::model::{
    HostCounters, HostInfo, InstanceCounters, InstanceDetail, InstanceStatus, Listing,
    MemoryCounters, OsInfo, Overview, ResourceKind, StatsSample,
};

pub use clouds::{AuthMethod, CloudConfig, Discovery, Scope, needs_password, set_password};
pub use compute::{DiskCounters, NicCounters, ServerDiagnostics};
pub use secret::Secret;

use http::{HttpOptions, Paging, Session};

/// How to reach the cloud and what to show.
#[derive(Clone, Debug)]
pub struct OpenStackOptions {
    /// The name the user chose (`--cloud`/`OS_CLOUD`), for the header and command lines.
    pub cloud_name: Option<String>,
    pub config: CloudConfig,
    /// Refuse every mutation before any request.
    pub readonly: bool,
    pub no_token_cache: bool,
    /// Where the token cache lives (one 0600 file per identity).
    pub cache_dir: PathBuf,
    /// Admins: list every project's servers (`all_tenants=1`).
    pub all_projects: bool,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Longest `Retry-After` honoured when a read is retried.
    pub retry_after_cap: Duration,
    /// First retry delay of a read without `Retry-After` (doubled per retry, with jitter).
    pub retry_backoff: Duration,
    /// Largest response body read (default 256 MiB).
    pub max_body_bytes: u64,
    /// Most items one listing may gather across its pages.
    pub max_list_items: usize,
    /// Longest time one listing may take across its pages.
    pub list_deadline: Duration,
}

impl OpenStackOptions {
    pub fn new(config: CloudConfig, cache_dir: PathBuf) -> Self {
        let limits = HttpOptions::default();
        Self {
            cloud_name: config.name.clone(),
            config,
            readonly: false,
            no_token_cache: false,
            cache_dir,
            all_projects: false,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(5),
            retry_backoff: limits.retry_backoff,
            max_body_bytes: limits.max_body_bytes,
            max_list_items: limits.max_list_items,
            list_deadline: limits.list_deadline,
        }
    }
}

/// The token cache directory yun uses by default (`$XDG_CACHE_HOME/yun/openstack`, else
/// `~/.cache/yun/openstack` on Linux). `None` without either: never a shared temp directory,
/// where another user could plant or read the cached tokens.
pub fn default_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
        .map(|d| d.join("yun").join("openstack"))
        .or_else(|| {
            directories::ProjectDirs::from("", "", "yun").map(|d| d.cache_dir().join("openstack"))
        })
}

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

/// A project the user can switch to (`GET /v3/auth/projects`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRef {
    pub id: String,
    pub name: String,
    pub domain_id: Option<String>,
}

/// The service endpoints of the current region and project, and the negotiated versions.
#[derive(Clone, Debug)]
struct Endpoints {
    region: Option<String>,
    project_id: String,
    project_name: String,
    compute: String,
    image: Option<String>,
    volume: Option<String>,
    network: Option<String>,
    compute_mv: (u32, u32),
    volume_mv: Option<(u32, u32)>,
    admin: bool,
}

impl Endpoints {
    fn compute_headers(&self) -> Vec<(&'static str, String)> {
        let (a, b) = self.compute_mv;
        vec![
            ("OpenStack-API-Version", format!("compute {a}.{b}")),
            ("X-OpenStack-Nova-API-Version", format!("{a}.{b}")),
        ]
    }

    fn volume_headers(&self) -> Vec<(&'static str, String)> {
        self.volume_mv
            .map(|(a, b)| vec![("OpenStack-API-Version", format!("volume {a}.{b}"))])
            .unwrap_or_default()
    }

    fn image_root(&self) -> Result<String, BackendError> {
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

    fn network_base(&self) -> Result<String, BackendError> {
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
    fn volume_base(&self) -> Result<String, BackendError> {
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

pub struct OpenStackBackend {
    cloud: String,
    readonly: bool,
    session: Session,
    endpoints: RwLock<Arc<Endpoints>>,
    region: RwLock<Option<String>>,
    all_projects: AtomicBool,
    /// The next instance listing also fetches a small first page, shown while the rest loads.
    first_page_pending: AtomicBool,
    skipped: AtomicUsize,
    failures: AtomicU32,
    last_error: RwLock<String>,
}

fn read<T: Clone>(l: &RwLock<T>) -> T {
    l.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

fn write<T>(l: &RwLock<T>, v: T) {
    *l.write().unwrap_or_else(std::sync::PoisonError::into_inner) = v;
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

impl OpenStackBackend {
    /// Authenticate and find the endpoints; fails with one clear message.
    pub async fn connect(opts: OpenStackOptions) -> Result<Self, BackendError> {
        let cloud = opts
            .cloud_name
            .clone()
            .or_else(|| opts.config.name.clone())
            .unwrap_or_else(|| "envvars".into());
        let region = opts.config.region.clone();
        let session = Session::new(
            opts.config,
            HttpOptions {
                connect_timeout: opts.connect_timeout,
                request_timeout: opts.request_timeout,
                retry_after_cap: opts.retry_after_cap,
                retry_backoff: opts.retry_backoff,
                max_body_bytes: opts.max_body_bytes,
                max_list_items: opts.max_list_items,
                list_deadline: opts.list_deadline,
                readonly: opts.readonly,
                cache_dir: (!opts.no_token_cache).then_some(opts.cache_dir),
            },
        )?;
        let endpoints = discover(&session, region.as_deref())
            .await
            .map_err(|e| match e {
                BackendError::Connection(m) => {
                    BackendError::Connection(format!("cannot reach cloud {cloud}: {m}"))
                }
                other => other,
            })?;
        Ok(Self {
            cloud,
            readonly: opts.readonly,
            session,
            endpoints: RwLock::new(Arc::new(endpoints)),
            region: RwLock::new(region),
            all_projects: AtomicBool::new(opts.all_projects),
            first_page_pending: AtomicBool::new(true),
            skipped: AtomicUsize::new(0),
            failures: AtomicU32::new(0),
            last_error: RwLock::new(String::new()),
        })
    }

    /// Certificates are not verified, or the password goes over plain http to another
    /// machine: the header should warn.
    pub fn insecure(&self) -> bool {
        self.session.insecure()
    }

    /// Rows dropped from the last listing because they did not decode.
    pub fn skipped_rows(&self) -> usize {
        self.skipped.load(Ordering::Relaxed)
    }

    /// The negotiated compute microversion, e.g. `(2, 79)`.
    pub fn compute_microversion(&self) -> (u32, u32) {
        read(&self.endpoints).compute_mv
    }

    pub fn volume_microversion(&self) -> Option<(u32, u32)> {
        read(&self.endpoints).volume_mv
    }

    pub fn current_region(&self) -> Option<String> {
        read(&self.endpoints).region.clone()
    }

    pub fn current_project(&self) -> (String, String) {
        let e = read(&self.endpoints);
        (e.project_id.clone(), e.project_name.clone())
    }

    /// Regions in the catalog.
    pub async fn regions(&self) -> Result<Vec<String>, BackendError> {
        Ok(self.session.token().await?.regions())
    }

    /// Projects the user may scope to.
    pub async fn projects(&self) -> Result<Vec<ProjectRef>, BackendError> {
        let url = format!("{}/auth/projects", self.session.identity_url());
        let doc = self.track(self.session.get_json("identity", &url, &[]).await)?;
        let mut out: Vec<ProjectRef> = doc
            .get("projects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                Some(ProjectRef {
                    id: p.get("id")?.as_str()?.to_string(),
                    name: p
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    domain_id: p
                        .get("domain_id")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Switch region and/or project (project by id); re-scopes the token when the project changes.
    pub async fn switch(
        &self,
        region: Option<String>,
        project_id: Option<String>,
    ) -> Result<(), BackendError> {
        let previous = self.session.project_override();
        if let Some(p) = project_id {
            if matches!(
                self.session.config.auth,
                AuthMethod::ApplicationCredential { .. }
            ) {
                return Err(BackendError::Unsupported(
                    "switching project with an application credential (it is bound to one)".into(),
                ));
            }
            self.session.set_project_override(Some(p));
            self.session.drop_token_in_memory().await;
        }
        let region = region.or_else(|| read(&self.region));
        match discover(&self.session, region.as_deref()).await {
            Ok(endpoints) => {
                write(&self.region, region);
                write(&self.endpoints, Arc::new(endpoints));
                Ok(())
            }
            Err(e) => {
                // Keep working in the project we were in.
                self.session.set_project_override(previous);
                self.session.drop_token_in_memory().await;
                Err(e)
            }
        }
    }

    pub fn set_all_projects(&self, on: bool) {
        self.all_projects.store(on, Ordering::Relaxed);
    }

    pub fn all_projects(&self) -> bool {
        self.all_projects.load(Ordering::Relaxed)
    }

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

    /// Count transport failures for [`Backend::connection_state`].
    fn track<T>(&self, r: Result<T, BackendError>) -> Result<T, BackendError> {
        match &r {
            Err(BackendError::Connection(m)) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                write(&self.last_error, m.clone());
            }
            Ok(_) => self.failures.store(0, Ordering::Relaxed),
            Err(_) => {}
        }
        r
    }

    fn skip(&self, n: usize) {
        self.skipped.store(n, Ordering::Relaxed);
        if n > 0 {
            tracing::warn!("{n} rows skipped (could not be decoded)");
        }
    }

    async fn servers_raw(&self, e: &Endpoints) -> Result<Vec<Value>, BackendError> {
        let mut url = format!("{}/servers/detail", e.compute);
        if self.all_projects() {
            url.push_str("?all_tenants=1");
        }
        self.session
            .list_all(
                "compute",
                &url,
                "servers",
                &e.compute_headers(),
                Paging::Links,
            )
            .await
    }

    /// The first `FIRST_PAGE` servers alone, mapped without the image and flavor lookups the
    /// full listing makes: enough to fill a screen while a large list loads.
    async fn first_page(&self, e: &Endpoints) -> Option<Vec<crate::model::Instance>> {
        let sep = if self.all_projects() {
            "?all_tenants=1&"
        } else {
            "?"
        };
        let url = format!("{}/servers/detail{sep}limit={FIRST_PAGE}", e.compute);
        let doc = self
            .session
            .get_json("compute", &url, &e.compute_headers())
            .await
            .ok()?;
        let items = doc.get("servers")?.as_array()?.clone();
        let mut skipped = 0;
        let rows = de::rows::<compute::ServerDto>("server", items, &mut skipped);
        let lookups = compute::Lookups::default();
        Some(
            rows.iter()
                .filter_map(|s| s.to_instance(&lookups))
                .collect(),
        )
    }

    async fn flavors_raw(&self, e: &Endpoints) -> Result<Vec<Value>, BackendError> {
        let mut url = format!("{}/flavors/detail", e.compute);
        if e.admin {
            url.push_str("?is_public=None");
        }
        self.session
            .list_all(
                "compute",
                &url,
                "flavors",
                &e.compute_headers(),
                Paging::Links,
            )
            .await
    }

    async fn images_raw(&self, e: &Endpoints) -> Result<Vec<Value>, BackendError> {
        let url = format!("{}/v2/images", e.image_root()?);
        self.session
            .list_all("image", &url, "images", &[], Paging::GlanceNext)
            .await
    }

    async fn volumes_raw(&self, e: &Endpoints) -> Result<Vec<Value>, BackendError> {
        let mut url = format!("{}/volumes/detail", e.volume_base()?);
        if self.all_projects() {
            url.push_str("?all_tenants=1");
        }
        self.session
            .list_all(
                "block-storage",
                &url,
                "volumes",
                &e.volume_headers(),
                Paging::Links,
            )
            .await
    }

    async fn neutron_raw(
        &self,
        e: &Endpoints,
        collection: &str,
    ) -> Result<Vec<Value>, BackendError> {
        let path = collection.replace('_', "-");
        let path = if collection == "floatingips" {
            "floatingips".to_string()
        } else {
            path
        };
        let url = format!("{}/{path}", e.network_base()?);
        self.session
            .list_all("network", &url, collection, &[], Paging::Links)
            .await
    }

    /// Server names by id (for volumes, floating IPs, ports) from the cheap `/servers` list;
    /// empty when the list fails.
    async fn server_names(&self, e: &Endpoints) -> HashMap<String, String> {
        let mut skipped = 0;
        let mut url = format!("{}/servers", e.compute);
        if self.all_projects() {
            url.push_str("?all_tenants=1");
        }
        let list = self
            .session
            .list_all(
                "compute",
                &url,
                "servers",
                &e.compute_headers(),
                Paging::Links,
            )
            .await;
        match list {
            Ok(v) => de::rows::<compute::ServerDto>("server", v, &mut skipped)
                .into_iter()
                .filter_map(|s| Some((s.id?, s.name.unwrap_or_default())))
                .collect(),
            Err(err) => {
                tracing::warn!("server names unavailable: {err}");
                HashMap::new()
            }
        }
    }

    async fn instances(
        &self,
        e: &Endpoints,
    ) -> Result<(Vec<crate::model::Instance>, usize), BackendError> {
        let need_flavors = e.compute_mv < (2, 47);
        let flavors = async {
            if need_flavors {
                self.flavors_raw(e).await.map(Some)
            } else {
                Ok(None)
            }
        };
        let (servers, flavors, images) =
            tokio::join!(self.servers_raw(e), flavors, self.images_raw(e));
        let servers = servers?;
        let mut skipped = 0;
        let mut lookups = compute::Lookups::default();
        match flavors {
            Ok(Some(f)) => {
                for f in de::rows::<compute::FlavorDto>("flavor", f, &mut skipped) {
                    if let Some(id) = f.id.clone() {
                        lookups.flavors.insert(id, f);
                    }
                }
            }
            Ok(None) => {}
            Err(err) => tracing::warn!("flavors unavailable for the instance table: {err}"),
        }
        match images {
            Ok(imgs) => {
                for i in de::rows::<image::ImageDto>("image", imgs, &mut skipped) {
                    if let (Some(id), Some(name)) = (i.id, i.name) {
                        lookups.images.insert(id, name);
                    }
                }
            }
            Err(err) => tracing::warn!("image names unavailable: {err}"),
        }
        let mut row_skips = 0;
        let rows = de::rows::<compute::ServerDto>("server", servers, &mut row_skips);
        let mut out = Vec::with_capacity(rows.len());
        for s in &rows {
            match s.to_instance(&lookups) {
                Some(i) => out.push(i),
                None => row_skips += 1,
            }
        }
        Ok((out, row_skips))
    }

    async fn overview(&self, e: &Endpoints) -> Result<Overview, BackendError> {
        let nova_limits = async {
            self.session
                .get_json(
                    "compute",
                    &format!("{}/limits", e.compute),
                    &e.compute_headers(),
                )
                .await
        };
        let cinder_limits = async {
            match e.volume_base() {
                Ok(b) => self
                    .session
                    .get_json("block-storage", &format!("{b}/limits"), &e.volume_headers())
                    .await
                    .map(Some),
                Err(_) => Ok(None),
            }
        };
        let neutron_quota = async {
            match e.network_base() {
                Ok(b) => self
                    .session
                    .get_json(
                        "network",
                        &format!("{b}/quotas/{}/details", e.project_id),
                        &[],
                    )
                    .await
                    .map(Some),
                Err(_) => Ok(None),
            }
        };
        let (instances, nl, cl, nq) =
            tokio::join!(self.instances(e), nova_limits, cinder_limits, neutron_quota);
        let (instances, skipped) = instances?;
        self.skip(skipped);
        let mut quotas = limits::compute(&nl?);
        match cl {
            Ok(Some(doc)) => quotas.extend(limits::volume(&doc)),
            Ok(None) => {}
            Err(err) => tracing::warn!("volume limits unavailable: {err}"),
        }
        match nq {
            Ok(Some(doc)) => quotas.extend(limits::network(&doc)),
            Ok(None) => {}
            Err(err) => tracing::warn!("network quotas unavailable: {err}"),
        }
        let mut by_status: Vec<(InstanceStatus, usize)> = Vec::new();
        let mut o = Overview {
            host: self.host_info_now(e),
            quotas,
            ..Overview::default()
        };
        for i in &instances {
            match by_status.iter_mut().find(|(s, _)| *s == i.status) {
                Some((_, n)) => *n += 1,
                None => by_status.push((i.status.clone(), 1)),
            }
            o.vcpus_allocated += u64::from(i.size.vcpus);
            o.memory_allocated += i.size.ram_bytes;
            if i.status == InstanceStatus::Active {
                o.vcpus_running += u64::from(i.size.vcpus);
                o.memory_running += i.size.ram_bytes;
            }
        }
        by_status.sort();
        o.instances_by_status = by_status;
        Ok(o)
    }

    fn host_info_now(&self, e: &Endpoints) -> HostInfo {
        let host = Url::parse(&self.session.config.auth_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        HostInfo {
            target: format!(
                "{}/{}/{}",
                self.cloud,
                e.region.as_deref().unwrap_or("-"),
                e.project_name
            ),
            hostname: host,
            hypervisor: format!("OpenStack (compute {}.{})", e.compute_mv.0, e.compute_mv.1),
            library_version: "Keystone v3".into(),
            memory_free: crate::model::Availability::Unavailable("not exposed by the cloud".into()),
            warnings: self.session.insecure_reasons().to_vec(),
            ..HostInfo::default()
        }
    }

    async fn list_inner(&self, kind: ResourceKind) -> Result<Listing, BackendError> {
        let e = read(&self.endpoints);
        let mut skipped = 0;
        let listing = match kind {
            ResourceKind::Overview => {
                return Ok(Listing::Overview(Box::new(self.overview(&e).await?)));
            }
            ResourceKind::Instances => {
                let (v, s) = self.instances(&e).await?;
                skipped = s;
                Listing::Instances(v)
            }
            ResourceKind::Flavors => {
                let rows = de::rows::<compute::FlavorDto>(
                    "flavor",
                    self.flavors_raw(&e).await?,
                    &mut skipped,
                );
                Listing::Flavors(
                    rows.iter()
                        .filter_map(compute::FlavorDto::to_model)
                        .collect(),
                )
            }
            ResourceKind::Images => {
                let rows =
                    de::rows::<image::ImageDto>("image", self.images_raw(&e).await?, &mut skipped);
                Listing::Images(rows.iter().filter_map(image::ImageDto::to_model).collect())
            }
            ResourceKind::Volumes => {
                let (vols, names) = tokio::join!(self.volumes_raw(&e), self.server_names(&e));
                let rows = de::rows::<volume::VolumeDto>("volume", vols?, &mut skipped);
                Listing::Volumes {
                    volumes: rows.iter().filter_map(|v| v.to_model(&names)).collect(),
                    pools: Vec::new(),
                }
            }
            ResourceKind::Networks => {
                let (nets, subnets) = tokio::join!(
                    self.neutron_raw(&e, "networks"),
                    self.neutron_raw(&e, "subnets")
                );
                let subnets = match subnets {
                    Ok(s) => de::rows::<network::SubnetDto>("subnet", s, &mut skipped),
                    Err(err) => {
                        tracing::warn!("subnets unavailable: {err}");
                        Vec::new()
                    }
                };
                let rows = de::rows::<network::NetworkDto>("network", nets?, &mut skipped);
                Listing::Networks(rows.iter().filter_map(|n| n.to_model(&subnets)).collect())
            }
            ResourceKind::SecurityGroups => {
                let rows = de::rows::<network::SecurityGroupDto>(
                    "security group",
                    self.neutron_raw(&e, "security_groups").await?,
                    &mut skipped,
                );
                Listing::SecurityGroups(
                    rows.iter()
                        .filter_map(network::SecurityGroupDto::to_model)
                        .collect(),
                )
            }
            ResourceKind::FloatingIps => {
                let (fips, ports, names, nets) = tokio::join!(
                    self.neutron_raw(&e, "floatingips"),
                    self.neutron_raw(&e, "ports"),
                    self.server_names(&e),
                    self.network_names(&e)
                );
                let mut ignore = 0;
                let port_devices: HashMap<String, String> = ports
                    .map(|p| de::rows::<network::PortDto>("port", p, &mut ignore))
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| Some((p.id?, p.device_id?)))
                    .collect();
                let rows = de::rows::<network::FloatingIpDto>("floating IP", fips?, &mut skipped);
                Listing::FloatingIps(
                    rows.iter()
                        .filter_map(|f| f.to_model(&port_devices, &names, &nets))
                        .collect(),
                )
            }
            ResourceKind::Ports => {
                let (ports, names, nets) = tokio::join!(
                    self.neutron_raw(&e, "ports"),
                    self.server_names(&e),
                    self.network_names(&e)
                );
                let rows = de::rows::<network::PortDto>("port", ports?, &mut skipped);
                Listing::Ports(
                    rows.iter()
                        .filter_map(|p| p.to_model(&names, &nets))
                        .collect(),
                )
            }
        };
        self.skip(skipped);
        Ok(listing)
    }

    async fn network_names(&self, e: &Endpoints) -> HashMap<String, String> {
        let mut ignore = 0;
        self.neutron_raw(e, "networks")
            .await
            .map(|v| de::rows::<network::NetworkDto>("network", v, &mut ignore))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| Some((n.id?, n.name.unwrap_or_default())))
            .collect()
    }

    async fn detail_inner(&self, id: &str) -> Result<InstanceDetail, BackendError> {
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

impl OpenStackBackend {
    /// The tail of the console log (控制台日志, `os-getConsoleOutput`), or the cloud's reason.
    async fn console_log(&self, id: &str, e: &Endpoints) -> crate::model::Availability<String> {
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
}

/// Token, catalog endpoints of `region`, negotiated versions.
async fn discover(session: &Session, region: Option<&str>) -> Result<Endpoints, BackendError> {
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

impl Backend for OpenStackBackend {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            readonly: self.readonly,
            actions: if self.readonly {
                Vec::new()
            } else {
                InstanceAction::cloud()
            },
            edit: false,
            command_style: CommandStyle::OpenStack {
                cloud: self.cloud.clone(),
            },
        }
    }

    async fn host_info(&self) -> Result<HostInfo, BackendError> {
        let e = read(&self.endpoints);
        Ok(self.host_info_now(&e))
    }

    async fn list(&self, kind: ResourceKind) -> Result<Listing, BackendError> {
        let r = self.list_inner(kind).await;
        self.track(r)
    }

    fn listing_note(&self) -> Option<String> {
        match self.skipped_rows() {
            0 => None,
            n => Some(format!(
                "{n} row(s) could not be read and were skipped; the log has the details"
            )),
        }
    }

    async fn list_progressive(
        &self,
        kind: ResourceKind,
        partial: tokio::sync::mpsc::UnboundedSender<Listing>,
    ) -> Result<Listing, BackendError> {
        // Only the first instance listing (or the first after a switch) shows a first page
        // early: later refreshes keep the rows on screen until the new listing is complete.
        if kind != ResourceKind::Instances
            || !self.first_page_pending.swap(false, Ordering::Relaxed)
        {
            return self.list(kind).await;
        }
        let e = read(&self.endpoints);
        let first = async {
            if let Some(rows) = self.first_page(&e).await {
                let _ = partial.send(Listing::Instances(rows));
            }
        };
        let (result, ()) = tokio::join!(self.list(kind), first);
        result
    }

    async fn instance_detail(&self, id: &str) -> Result<InstanceDetail, BackendError> {
        let r = self.detail_inner(id).await;
        self.track(r)
    }

    /// A noVNC console URL (`remote-consoles`, 2.6+). It carries an access token and creating
    /// it is a POST, so it is never asked for in read-only mode.
    async fn console_url(&self, id: &str) -> Result<String, BackendError> {
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

    async fn perform(&self, id: &str, action: &InstanceAction) -> Result<(), BackendError> {
        if self.readonly {
            return Err(BackendError::ReadOnly);
        }
        let (method, path, body) = compute::action_request(id, action)?;
        let e = read(&self.endpoints);
        let url = format!("{}{path}", e.compute);
        let r = self
            .session
            .request("compute", method, &url, &e.compute_headers(), body.as_ref())
            .await
            .map(|_| ());
        self.track(r)
    }

    async fn editable_document(&self, _id: &str) -> Result<String, BackendError> {
        Err(BackendError::Unsupported(
            "editing a server document on a cloud".into(),
        ))
    }

    async fn redefine(&self, _id: &str, _document: &str) -> Result<(), BackendError> {
        if self.readonly {
            return Err(BackendError::ReadOnly);
        }
        Err(BackendError::Unsupported(
            "redefining a server on a cloud".into(),
        ))
    }

    async fn next_changes(&self) -> Option<Vec<String>> {
        None
    }

    async fn switch_scope(&self, change: ScopeChange) -> Result<HostInfo, BackendError> {
        match change {
            ScopeChange::Region(region) => self.switch(Some(region), None).await?,
            ScopeChange::Project(wanted) => {
                let projects = self.projects().await?;
                let project = projects
                    .iter()
                    .find(|p| p.id == wanted || p.name == wanted)
                    .ok_or_else(|| {
                        let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
                        BackendError::NotFound(format!(
                            "project {wanted} (yours: {})",
                            names.join(", ")
                        ))
                    })?;
                self.switch(None, Some(project.id.clone())).await?;
            }
            ScopeChange::AllProjects(on) => self.set_all_projects(on),
        }
        // New rows to show: the next instance listing shows its first page early again.
        self.first_page_pending.store(true, Ordering::Relaxed);
        let e = read(&self.endpoints);
        Ok(self.host_info_now(&e))
    }

    /// Nova has no bulk statistics: server diagnostics (an admin API) per instance on screen,
    /// at most `DIAGNOSTICS_PER_TICK` of them, fetched concurrently.
    async fn sample_stats(&self, focus: Vec<String>) -> Result<StatsSample, BackendError> {
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

    async fn connection_state(&self) -> ConnectionState {
        match self.failures.load(Ordering::Relaxed) {
            0 => ConnectionState::Connected,
            n => ConnectionState::Reconnecting {
                attempt: n,
                reason: read(&self.last_error),
            },
        }
    }
}

/// Servers in the early first page of the first instance listing.
const FIRST_PAGE: usize = 100;

/// Instances whose diagnostics one monitor tick asks for, at most.
const DIAGNOSTICS_PER_TICK: usize = 10;

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
