//! The one interface every backend (libvirt, OpenStack) implements, and the worker that runs its
//! calls in the background and sends the results back to the app as [`BackendEvent`]s.

pub mod actions;
pub mod capabilities;
pub mod create;
pub mod libvirt;
pub mod openstack;
pub mod worker;

use std::future::Future;

use serde::Serialize;

use crate::model::{HostInfo, InstanceDetail, Listing, ResourceKind, StatsSample};

pub use actions::InstanceAction;
pub use capabilities::{
    Capabilities, CommandText, InstanceDetailLayout, KindOffer, OverviewSection, ScopeKind,
};
pub use create::{CreateSpec, VolumeFormat, VolumeSpec};
pub use worker::{BackendEvent, BackendRequest};

/// One backend connection of the app. Every request, event and task names the connection it
/// belongs to, so that several can be open at once; today there is one, [`ConnectionId::FIRST`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ConnectionId(pub u32);

impl ConnectionId {
    pub const FIRST: Self = Self(0);
}

/// One resource of one connection: what a task runs on, what a create made.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ResourceRef {
    pub connection: ConnectionId,
    pub kind: ResourceKind,
    pub id: String,
}

impl ResourceRef {
    pub fn new(connection: ConnectionId, kind: ResourceKind, id: impl Into<String>) -> Self {
        Self {
            connection,
            kind,
            id: id.into(),
        }
    }
}

/// In-flight tasks are keyed by the resource they run on.
pub type TaskKey = ResourceRef;

/// A whole listing as the app shows it: the rows and what the user should know about them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Listed {
    pub listing: Listing,
    /// Something the user should know about these rows (some could not be read and were
    /// skipped), for the status line. Backends whose listings are all-or-nothing have none.
    pub note: Option<String>,
}

impl From<Listing> for Listed {
    fn from(listing: Listing) -> Self {
        Self {
            listing,
            note: None,
        }
    }
}

#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum BackendError {
    #[error("not supported: {0}")]
    Unsupported(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("refused: the connection is read-only")]
    ReadOnly,
    /// Refused by yun before anything was sent (the audit log cannot be written).
    #[error("refused: {0}")]
    Refused(String),
    #[error("{0}")]
    Conflict(String),
    #[error("connection lost: {0}")]
    Connection(String),
    #[error("invalid: {0}")]
    Invalid(String),
    /// Any other error the hypervisor or cloud reported, in its own words.
    #[error("{0}")]
    Api(String),
}

/// A change of what a cloud connection looks at, made at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeChange {
    Region(String),
    /// A project by name or id.
    Project(String),
    /// Admins: every project's instances, or only the current project's.
    AllProjects(bool),
}

/// Connection health, shown in the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    Connected,
    /// Lost; retrying. `attempt` counts retries, `reason` is the last error.
    Reconnecting {
        attempt: u32,
        reason: String,
    },
    /// The server took a request and never answered it (a stopped daemon, a call stuck inside
    /// it); yun gave up on that connection and is opening another. `reason` names what did
    /// not answer in time.
    NotAnswering {
        attempt: u32,
        reason: String,
    },
}

/// Why a mutation the backend does not implement is refused: read-only first, as for every
/// mutation, else unsupported.
fn refused_mutation(caps: &Capabilities, what: &str) -> BackendError {
    if caps.readonly {
        BackendError::ReadOnly
    } else {
        BackendError::Unsupported(what.into())
    }
}

/// The backend interface. Every call may block on I/O, so the app only ever calls it from the
/// [`worker`], never on the render path.
pub trait Backend: Send + Sync + 'static {
    fn capabilities(&self) -> Capabilities;

    fn host_info(&self) -> impl Future<Output = Result<HostInfo, BackendError>> + Send;

    /// One listing of `kind`, fetched with as few bulk calls as the API allows.
    fn list(
        &self,
        kind: ResourceKind,
    ) -> impl Future<Output = Result<Listing, BackendError>> + Send;

    /// Like [`Backend::list`], sending rows that are already in (a first page) to `partial`
    /// before the whole listing is ready, and returning the listing with its own note (rows
    /// skipped in this very listing): listings of different kinds overlap, so the note travels
    /// with the rows it is about. Backends without pages or notes just list.
    fn list_progressive(
        &self,
        kind: ResourceKind,
        partial: tokio::sync::mpsc::UnboundedSender<Listing>,
    ) -> impl Future<Output = Result<Listed, BackendError>> + Send {
        drop(partial);
        async move { self.list(kind).await.map(Listed::from) }
    }

    fn instance_detail(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<InstanceDetail, BackendError>> + Send;

    /// A browser console URL for the instance, fetched only when the user asks for it (on a
    /// cloud, asking creates a console session with an access token).
    fn console_url(&self, id: &str) -> impl Future<Output = Result<String, BackendError>> + Send {
        let _ = id;
        async {
            Err(BackendError::Unsupported(
                "a browser console URL here".into(),
            ))
        }
    }

    fn perform(
        &self,
        id: &str,
        action: &InstanceAction,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// The document the user edits (inactive domain XML), like `virsh edit` opens. Only
    /// backends listing [`Capabilities::documents`] have one.
    fn editable_document(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<String, BackendError>> + Send {
        let _ = id;
        async { Err(BackendError::Unsupported("editing a document here".into())) }
    }

    /// Validate and apply an edited document (domain XML), like `virsh edit`. A read-only
    /// connection refuses it as every other mutation, whether or not it has documents.
    fn redefine(
        &self,
        id: &str,
        document: &str,
    ) -> impl Future<Output = Result<(), BackendError>> + Send {
        let _ = (id, document);
        let refused = refused_mutation(&self.capabilities(), "redefining a document here");
        async move { Err(refused) }
    }

    /// Create what `spec` describes (a kind listed in [`Capabilities::creates`]); returns the
    /// new resource's reference (its connection is the first one: the worker sets its own).
    /// Refused with [`BackendError::ReadOnly`] in read-only mode.
    fn create(
        &self,
        spec: CreateSpec,
    ) -> impl Future<Output = Result<ResourceRef, BackendError>> + Send {
        let _ = spec;
        let refused = refused_mutation(&self.capabilities(), "creating resources here");
        async move { Err(refused) }
    }

    /// Ids of instances whose state changed since the last call: lifecycle events when the
    /// backend has them. Waits until at least one arrives; `None` when the backend has no events.
    fn next_changes(&self) -> impl Future<Output = Option<Vec<String>>> + Send;

    /// Current connection health.
    fn connection_state(&self) -> impl Future<Output = ConnectionState> + Send;

    /// Cumulative counters of every running instance and of the host, from one bulk call where
    /// the backend has one. `focus` names the instances on screen, for backends that must ask
    /// per instance.
    fn sample_stats(
        &self,
        focus: Vec<String>,
    ) -> impl Future<Output = Result<StatsSample, BackendError>> + Send;

    /// Switch region, project or the all-projects view; returns the new header facts.
    fn switch_scope(
        &self,
        change: ScopeChange,
    ) -> impl Future<Output = Result<HostInfo, BackendError>> + Send {
        let _ = change;
        async {
            Err(BackendError::Unsupported(
                "switching region or project here".into(),
            ))
        }
    }
}
