//! The OpenStack backend: Keystone v3, Nova, Glance, Cinder and Neutron over HTTPS.
//!
//! [`clouds`] finds the credentials, [`auth`] and [`http`] hold the session (token, catalog,
//! retries, pagination), and one module per service decodes its rows leniently and maps them into
//! the neutral model. The backend's own jobs have one file each: [`endpoints`] (catalog
//! discovery and version negotiation), [`scope`] (region, project, all projects), [`listing`],
//! [`detail`], [`console`], [`stats`] (diagnostics) and [`create`]; this file holds the options,
//! the struct and the [`Backend`] impl that delegates to them.

pub mod auth;
pub mod clouds;
pub mod commands;
pub mod compute;
mod console;
mod create;
pub(crate) mod de;
mod detail;
mod endpoints;
pub mod http;
pub mod image;
pub mod limits;
mod listing;
pub mod network;
mod scope;
pub mod secret;
mod stats;
pub mod volume;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::backend::{
    Backend, BackendError, Capabilities, ConnectionState, InstanceAction, Listed, ScopeChange,
};
use crate::model::{HostInfo, InstanceDetail, Listing, ResourceKind, StatsSample};

pub use clouds::{AuthMethod, CloudConfig, Discovery, Scope, needs_password, set_password};
pub use compute::{DiskCounters, NicCounters, ServerDiagnostics};
pub use create::NewServer;
pub use scope::ProjectRef;
pub use secret::Secret;

use endpoints::{Endpoints, discover};
use http::{HttpOptions, Session};

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

pub struct OpenStackBackend {
    cloud: String,
    readonly: bool,
    session: Session,
    endpoints: RwLock<Arc<Endpoints>>,
    region: RwLock<Option<String>>,
    all_projects: AtomicBool,
    /// The next instance listing also fetches a small first page, shown while the rest loads.
    first_page_pending: AtomicBool,
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
            failures: AtomicU32::new(0),
            last_error: RwLock::new(String::new()),
        })
    }

    /// Certificates are not verified, or the password goes over plain http to another
    /// machine: the header should warn.
    pub fn insecure(&self) -> bool {
        self.session.insecure()
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
}

impl Backend for OpenStackBackend {
    fn capabilities(&self) -> Capabilities {
        commands::capabilities(&self.cloud, self.readonly)
    }

    async fn host_info(&self) -> Result<HostInfo, BackendError> {
        let e = read(&self.endpoints);
        Ok(self.host_info_now(&e))
    }

    async fn list(&self, kind: ResourceKind) -> Result<Listing, BackendError> {
        self.list_noted(kind).await.map(|l| l.listing)
    }

    async fn list_progressive(
        &self,
        kind: ResourceKind,
        partial: tokio::sync::mpsc::UnboundedSender<Listing>,
    ) -> Result<Listed, BackendError> {
        self.list_with_first_page(kind, partial).await
    }

    async fn instance_detail(&self, id: &str) -> Result<InstanceDetail, BackendError> {
        let r = self.detail_inner(id).await;
        self.track(r)
    }

    async fn console_url(&self, id: &str) -> Result<String, BackendError> {
        self.remote_console_url(id).await
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

    async fn next_changes(&self) -> Option<Vec<String>> {
        None
    }

    async fn switch_scope(&self, change: ScopeChange) -> Result<HostInfo, BackendError> {
        self.change_scope(change).await
    }

    async fn sample_stats(&self, focus: Vec<String>) -> Result<StatsSample, BackendError> {
        self.diagnostics_sample(focus).await
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
