//! The libvirt backend: a local or remote hypervisor through one libvirt connection.
//!
//! All libvirt calls run on one dedicated thread ([`thread`]); the async [`Backend`] methods only
//! send jobs there and await the answers, so no tokio worker ever blocks on libvirt.

mod detail;
mod error;
pub mod ffi;
mod inventory;
mod operations;
pub mod stats;
pub mod status;
mod thread;
pub mod xml;

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::sync::{Mutex, mpsc};

use crate::backend::{
    Backend, BackendError, Capabilities, CommandStyle, ConnectionState, InstanceAction,
};
use crate::model::{Flavor, HostInfo, InstanceDetail, Listing, ResourceKind, StatsSample};

pub use ffi::{DomainStats, StatValue};
use thread::ConnectionThread;

/// How to reach the hypervisor and what to show.
#[derive(Clone, Debug)]
pub struct LibvirtOptions {
    /// e.g. `qemu:///system`, `qemu+ssh://host/system`, `test:///default`.
    pub uri: String,
    /// Open a read-only connection and refuse every mutation.
    pub readonly: bool,
    /// libvirt has no flavors; these are the shapes yun matches instances against.
    pub flavors: Vec<Flavor>,
    /// Pools whose volumes are shown as images (the rest are volumes).
    pub image_pools: Vec<String>,
}

pub struct LibvirtBackend {
    opts: Arc<LibvirtOptions>,
    thread: ConnectionThread,
    events: Mutex<mpsc::UnboundedReceiver<String>>,
    stats: Arc<stats::StatsState>,
}

impl LibvirtBackend {
    /// Start the connection thread and open the connection. Blocks until libvirt answered; a
    /// failed first open is returned with libvirt's message.
    pub fn connect(opts: LibvirtOptions) -> Result<LibvirtBackend, BackendError> {
        let opts = Arc::new(opts);
        let (tx, rx) = mpsc::unbounded_channel();
        let thread = ConnectionThread::start(Arc::clone(&opts), tx)?;
        Ok(LibvirtBackend {
            opts,
            thread,
            events: Mutex::new(rx),
            stats: Arc::new(stats::StatsState::default()),
        })
    }

    pub fn uri(&self) -> &str {
        &self.opts.uri
    }

    /// Bulk statistics of every domain (`virConnectGetAllDomainStats`); `groups` is a
    /// `VIR_DOMAIN_STATS_*` mask, 0 for all the driver has.
    pub async fn domain_stats(&self, groups: u32) -> Result<Vec<DomainStats>, BackendError> {
        self.thread
            .call(move |s| thread::lv(ffi::all_domain_stats(&s.conn, groups, 0)))
            .await
    }

    fn refuse_if_readonly(&self) -> Result<(), BackendError> {
        if self.opts.readonly {
            Err(BackendError::ReadOnly)
        } else {
            Ok(())
        }
    }
}

impl Backend for LibvirtBackend {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            readonly: self.opts.readonly,
            actions: if self.opts.readonly {
                Vec::new()
            } else {
                InstanceAction::all()
            },
            edit: !self.opts.readonly,
            command_style: CommandStyle::Virsh {
                uri: self.opts.uri.clone(),
            },
        }
    }

    async fn host_info(&self) -> Result<HostInfo, BackendError> {
        self.thread.call(inventory::host_info).await
    }

    async fn list(&self, kind: ResourceKind) -> Result<Listing, BackendError> {
        self.thread
            .call(move |s| {
                Ok(match kind {
                    ResourceKind::Overview => Listing::Overview(Box::new(inventory::overview(s)?)),
                    ResourceKind::Instances => Listing::Instances(inventory::instances(s)?),
                    ResourceKind::Flavors => Listing::Flavors(inventory::flavors(s)?),
                    ResourceKind::Images => Listing::Images(inventory::images(s)?),
                    ResourceKind::Volumes => {
                        let (volumes, pools) = inventory::volumes(s)?;
                        Listing::Volumes { volumes, pools }
                    }
                    ResourceKind::Networks => Listing::Networks(inventory::networks(s)?),
                    ResourceKind::SecurityGroups
                    | ResourceKind::FloatingIps
                    | ResourceKind::Ports => {
                        return Err(BackendError::Unsupported(format!(
                            "{} on a libvirt host",
                            kind.command_name()
                        )));
                    }
                })
            })
            .await
    }

    async fn instance_detail(&self, id: &str) -> Result<InstanceDetail, BackendError> {
        let id = id.to_string();
        self.thread
            .call(move |s| detail::instance_detail(s, &id))
            .await
    }

    async fn perform(&self, id: &str, action: &InstanceAction) -> Result<(), BackendError> {
        self.refuse_if_readonly()?;
        let id = id.to_string();
        let action = action.clone();
        self.thread
            .call(move |s| operations::perform(s, &id, &action))
            .await
    }

    async fn editable_document(&self, id: &str) -> Result<String, BackendError> {
        let id = id.to_string();
        self.thread
            .call(move |s| operations::editable_document(s, &id))
            .await
    }

    async fn redefine(&self, id: &str, document: &str) -> Result<(), BackendError> {
        self.refuse_if_readonly()?;
        let id = id.to_string();
        let document = document.to_string();
        self.thread
            .call(move |s| operations::redefine(s, &id, &document))
            .await
    }

    async fn next_changes(&self) -> Option<Vec<String>> {
        let mut events = self.events.lock().await;
        let first = events.recv().await?;
        // Several events usually arrive together (e.g. suspended + resumed); one batch.
        let mut ids = BTreeSet::from([first]);
        while let Ok(more) = events.try_recv() {
            ids.insert(more);
        }
        Some(ids.into_iter().collect())
    }

    async fn connection_state(&self) -> ConnectionState {
        self.thread.state()
    }

    async fn sample_stats(&self, focus: Vec<String>) -> Result<StatsSample, BackendError> {
        let state = Arc::clone(&self.stats);
        self.thread
            .call(move |s| stats::sample(s, &state, &focus))
            .await
    }
}
