//! What a backend offers, in words the app and the screens understand without knowing which
//! backend it is: the kinds it lists with their columns and sub-views, the Overview's sections,
//! the instance actions, documents, scopes and creations it supports, and how its own CLI
//! writes the equivalent of each change.

use std::fmt;
use std::sync::Arc;

use super::actions::InstanceAction;
use super::create::CreateSpec;
use crate::model::ResourceKind;

/// One listable kind: the ids of its columns in display order (ids the column table in
/// `app::columns` knows), and the kinds shown as sub-views of its tab (cycled with `]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindOffer {
    pub kind: ResourceKind,
    pub columns: Vec<&'static str>,
    pub sub_views: Vec<ResourceKind>,
}

impl KindOffer {
    pub fn new(kind: ResourceKind, columns: &[&'static str]) -> Self {
        Self {
            kind,
            columns: columns.to_vec(),
            sub_views: Vec::new(),
        }
    }

    #[must_use]
    pub fn with_sub_views(mut self, sub_views: &[ResourceKind]) -> Self {
        self.sub_views = sub_views.to_vec();
        self
    }
}

/// Blocks of the Overview tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OverviewSection {
    /// The host's CPUs and memory, and its networks.
    Host,
    /// Instances by state.
    Instances,
    /// vCPUs and memory given to instances against the host's.
    Allocation,
    /// Storage pools and their free space.
    Pools,
    /// The busiest instances, live.
    Top,
    /// The project's limits and usage.
    Quotas,
}

/// What the connection can look at instead, switched at run time (`:region`, `:project`,
/// `:all-projects`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    Region,
    Project,
    AllProjects,
}

/// How an instance's detail is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceDetailLayout {
    /// The backend's own list of properties (what its CLI's `show` prints), then the console.
    Properties,
    /// Autostart, OS, disks, NICs, graphics and serial consoles, with the document one key away.
    Devices,
}

/// The equivalent command line of each change, in the backend's own CLI: shown in
/// confirmations and form previews, and written to the audit log.
pub trait CommandText: Send + Sync {
    /// The command that performs `action` on the instance `id` named `name`.
    fn instance_action(&self, id: &str, name: &str, action: &InstanceAction) -> String;

    /// The command that edits and redefines the document of the instance `id` named `name`.
    fn edit_document(&self, id: &str, name: &str) -> String;

    /// The command that creates what `spec` describes.
    fn create(&self, spec: &CreateSpec) -> String;

    /// The interactive command that attaches the instance's serial console, as an argument
    /// list, when the backend has one.
    fn console_argv(&self, id: &str) -> Option<Vec<String>> {
        let _ = id;
        None
    }
}

/// What a backend can do; the UI offers only what is listed here.
#[derive(Clone)]
pub struct Capabilities {
    /// The connection refuses every mutation (`--readonly`).
    pub readonly: bool,
    /// Kinds this backend lists, tabs and sub-views alike.
    pub kinds: Vec<KindOffer>,
    /// Blocks of the Overview, in the backend's terms.
    pub overview: Vec<OverviewSection>,
    pub instance_detail: InstanceDetailLayout,
    /// Actions this backend implements at all (per-state rules come on top), in menu order.
    pub actions: Vec<InstanceAction>,
    /// Kinds whose document can be edited and redefined (domain XML).
    pub documents: Vec<ResourceKind>,
    /// What the connection can switch at run time.
    pub scopes: Vec<ScopeKind>,
    /// Kinds it can create.
    pub creates: Vec<ResourceKind>,
    /// A browser console URL can be asked for (it opens a console session, so never in
    /// read-only mode).
    pub console_url: bool,
    /// Reading guest memory statistics changes the live guest (its balloon statistics
    /// period), which the monitor says where it shows the figures.
    pub memory_stats_touch_guest: bool,
    /// Instance changes arrive as events ([`Backend::next_changes`]), so the periodic listing
    /// of instances at rest is only a slow safety net.
    ///
    /// [`Backend::next_changes`]: crate::backend::Backend::next_changes
    pub pushes_instance_changes: bool,
    /// How the equivalent command of a change is written.
    pub commands: Arc<dyn CommandText>,
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capabilities")
            .field("readonly", &self.readonly)
            .field("kinds", &self.kinds)
            .field("overview", &self.overview)
            .field("instance_detail", &self.instance_detail)
            .field("actions", &self.actions)
            .field("documents", &self.documents)
            .field("scopes", &self.scopes)
            .field("creates", &self.creates)
            .field("console_url", &self.console_url)
            .finish_non_exhaustive()
    }
}

impl Capabilities {
    /// The ids of `kind`'s columns, in order; none when the backend does not list it.
    pub fn columns(&self, kind: ResourceKind) -> &[&'static str] {
        self.kind(kind).map_or(&[], |k| k.columns.as_slice())
    }

    /// The sub-views of `tab` (cycled after the tab's own kind).
    pub fn sub_views(&self, tab: ResourceKind) -> &[ResourceKind] {
        self.kind(tab).map_or(&[], |k| k.sub_views.as_slice())
    }

    pub fn lists(&self, kind: ResourceKind) -> bool {
        self.kind(kind).is_some()
    }

    fn kind(&self, kind: ResourceKind) -> Option<&KindOffer> {
        self.kinds.iter().find(|k| k.kind == kind)
    }

    pub fn overview_has(&self, section: OverviewSection) -> bool {
        self.overview.contains(&section)
    }

    /// Whether the action (by its id: `lock`, `resize`, …) is implemented at all.
    pub fn offers_action(&self, id: &str) -> bool {
        self.actions.iter().any(|a| a.id() == id)
    }

    pub fn edits_document(&self, kind: ResourceKind) -> bool {
        self.documents.contains(&kind)
    }

    pub fn can_switch(&self, scope: ScopeKind) -> bool {
        self.scopes.contains(&scope)
    }

    pub fn can_create(&self, kind: ResourceKind) -> bool {
        self.creates.contains(&kind)
    }

    /// The equivalent command of `action` on an instance.
    pub fn action_command(&self, id: &str, name: &str, action: &InstanceAction) -> String {
        self.commands.instance_action(id, name, action)
    }
}
