//! The libvirt backend: a local or remote hypervisor through one libvirt connection.
//!
//! libvirt calls run on dedicated threads ([`thread`]); the async [`Backend`] methods only send
//! jobs there and await the answers, each within a deadline, so no tokio worker ever blocks on
//! libvirt and a daemon that stops answering does not freeze the console. Three connections:
//! the main one (listings, details, quick actions, lifecycle events), the monitor's (so a stuck
//! listing never stops the charts, and the reverse) and one for long mutations (a managed save
//! must not hold up listings); on `test:` URIs the three are one (see
//! [`thread::shares_one_connection`]).

mod cache;
mod calls;
mod commands;
mod create;
mod detail;
mod error;
mod facts;
pub mod ffi;
mod inventory;
mod operations;
mod parallel;
mod shared;
pub mod stats;
pub mod status;
mod thread;
pub mod xml;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Mutex, mpsc};

use crate::backend::{
    Backend, BackendError, Capabilities, ConnectionState, CreateSpec, InstanceAction, ResourceRef,
};
use crate::model::{Flavor, HostInfo, InstanceDetail, Listing, ResourceKind, StatsSample};

pub use commands::{
    VirshCommands, capabilities, instance_actions, virsh_command, virsh_console_argv,
};
pub use ffi::{DomainStats, StatValue};
use shared::Shared;
use thread::{ConnectionThread, Deadline};

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
    /// Listings, details, quick actions; registers for lifecycle events.
    main: Arc<ConnectionThread>,
    /// Statistics for the monitor.
    monitor: Arc<ConnectionThread>,
    /// Mutations that may take minutes.
    slow: Arc<ConnectionThread>,
    events: Mutex<mpsc::UnboundedReceiver<String>>,
    stats: Arc<stats::StatsState>,
    /// What every connection shares: call counters, changes announced to the next listing.
    shared: Arc<Shared>,
    /// The host's facts have been read once: the daemon has probed QEMU, so later reads get
    /// the ordinary deadline and a stopped daemon is reported as soon as by any other call.
    host_facts_read: AtomicBool,
}

impl LibvirtBackend {
    /// Start the connection thread and open the main connection. Blocks until libvirt answered,
    /// at most [`thread::open_deadline`]; a failed first open is returned with libvirt's message.
    /// The other connections open with their first call.
    pub fn connect(opts: LibvirtOptions) -> Result<LibvirtBackend, BackendError> {
        let opts = Arc::new(opts);
        let shared = Arc::new(Shared::default());
        let (tx, rx) = mpsc::unbounded_channel();
        let main = Arc::new(ConnectionThread::start(
            Arc::clone(&opts),
            Arc::clone(&shared),
            Some(tx),
            "libvirt",
        )?);
        let (monitor, slow) = if thread::shares_one_connection(&opts.uri) {
            (Arc::clone(&main), Arc::clone(&main))
        } else {
            (
                Arc::new(ConnectionThread::lazy(
                    Arc::clone(&opts),
                    Arc::clone(&shared),
                    None,
                    "libvirt-monitor",
                )),
                Arc::new(ConnectionThread::lazy(
                    Arc::clone(&opts),
                    Arc::clone(&shared),
                    None,
                    "libvirt-slow",
                )),
            )
        };
        Ok(LibvirtBackend {
            opts,
            main,
            monitor,
            slow,
            events: Mutex::new(rx),
            stats: Arc::new(stats::StatsState::default()),
            shared,
            host_facts_read: AtomicBool::new(false),
        })
    }

    pub fn uri(&self) -> &str {
        &self.opts.uri
    }

    /// Whether the main connection receives domain events: then a listing reads XML only for
    /// the domains events named, and the periodic listing need only be a slow safety net.
    pub fn events_available(&self) -> bool {
        self.shared.changes.events()
    }

    /// How many libvirt calls of each kind this backend has made (`xml_desc`,
    /// `list_all_domains`, …), for tests and benchmarks.
    #[doc(hidden)]
    pub fn call_counts(&self) -> BTreeMap<&'static str, u64> {
        self.shared.calls.snapshot()
    }

    /// Bulk statistics of every domain (`virConnectGetAllDomainStats`); `groups` is a
    /// `VIR_DOMAIN_STATS_*` mask, 0 for all the driver has.
    pub async fn domain_stats(&self, groups: u32) -> Result<Vec<DomainStats>, BackendError> {
        self.monitor
            .call("reading domain statistics", move |s| {
                stats::without_waiting(|flags| ffi::all_domain_stats(&s.conn, groups, flags), 0)
            })
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

/// Actions that may take long on a healthy daemon: they run on their own connection with
/// [`Deadline::LONG`], so they show as running and never hold up listings.
fn takes_long(action: &InstanceAction) -> bool {
    matches!(
        action,
        // A start may restore a managed save image; a save writes the guest's memory out; a
        // snapshot of a running guest does too; a destroy waits for QEMU to die; a delete may
        // remove volumes.
        InstanceAction::Start
            | InstanceAction::Restore
            | InstanceAction::Suspend
            | InstanceAction::Snapshot { .. }
            | InstanceAction::ForceOff
            | InstanceAction::Delete { .. }
    )
}

impl Backend for LibvirtBackend {
    fn capabilities(&self) -> Capabilities {
        let mut caps = commands::capabilities(&self.opts.uri, self.opts.readonly);
        caps.pushes_instance_changes = self.events_available();
        caps
    }

    async fn host_info(&self) -> Result<HostInfo, BackendError> {
        let deadline = if self.host_facts_read.load(Ordering::Relaxed) {
            Deadline::LISTING
        } else {
            Deadline::HOST
        };
        let facts = self
            .main
            .call_with(deadline, "reading the host's facts", inventory::host_info)
            .await;
        if facts.is_ok() {
            self.host_facts_read.store(true, Ordering::Relaxed);
        }
        facts
    }

    async fn list(&self, kind: ResourceKind) -> Result<Listing, BackendError> {
        let what = format!("listing {}", kind.command_name());
        self.main
            .call_with(Deadline::LISTING, &what, move |s| {
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
        self.main
            .call_with(
                Deadline::LISTING,
                "reading an instance's details",
                move |s| detail::instance_detail(s, &id),
            )
            .await
    }

    async fn perform(&self, id: &str, action: &InstanceAction) -> Result<(), BackendError> {
        self.refuse_if_readonly()?;
        let id = id.to_string();
        let action = action.clone();
        let long = takes_long(&action);
        let what = format!("the {} action", action.id());
        let perform = move |s: &thread::Session| operations::perform(s, &id, &action);
        if long {
            self.slow.call_with(Deadline::LONG, &what, perform).await
        } else {
            self.main.call(&what, perform).await
        }
    }

    async fn editable_document(&self, id: &str) -> Result<String, BackendError> {
        let id = id.to_string();
        self.main
            .call("reading the domain XML", move |s| {
                operations::editable_document(s, &id)
            })
            .await
    }

    async fn redefine(&self, id: &str, document: &str) -> Result<(), BackendError> {
        self.refuse_if_readonly()?;
        let id = id.to_string();
        let document = document.to_string();
        // A define on a daemon that has not probed QEMU yet takes seconds.
        self.slow
            .call_with(Deadline::LONG, "defining the domain", move |s| {
                operations::redefine(s, &id, &document)
            })
            .await
    }

    async fn create(&self, spec: CreateSpec) -> Result<ResourceRef, BackendError> {
        self.refuse_if_readonly()?;
        // Formatting a qcow2 volume runs qemu-img on the host: it may take seconds.
        self.slow
            .call_with(Deadline::LONG, "creating a storage volume", move |s| {
                create::create(s, &spec)
            })
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
        // The first connection in trouble speaks for all.
        [&self.main, &self.monitor, &self.slow]
            .into_iter()
            .map(|lane| lane.state())
            .find(|state| *state != ConnectionState::Connected)
            .unwrap_or(ConnectionState::Connected)
    }

    async fn sample_stats(&self, focus: Vec<String>) -> Result<StatsSample, BackendError> {
        let state = Arc::clone(&self.stats);
        self.monitor
            .call("reading statistics", move |s| {
                stats::sample(s, &state, &focus)
            })
            .await
    }
}
