//! Everything the screen shows, owned by the app task alone. Views draw from it; only
//! `update` changes it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tui_input::Input;

use crate::app::columns;
use crate::app::keymap::{Context, Keymap};
use crate::app::layout::LayoutFacts;
use crate::app::modal::Modal;
use crate::app::table::TableView;
use crate::backend::{
    Capabilities, ConnectionId, ConnectionState, CreateSpec, InstanceAction, ScopeChange, TaskKey,
};
use crate::i18n::{Lang, Msg};
use crate::model::{
    Flavor, FloatingIp, HostInfo, Image, Instance, InstanceDetail, Listing, Network, Overview,
    Pool, Port, ResourceKind, SecurityGroup, Volume,
};
use crate::monitor::Monitor;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Success,
    Warning,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusMessage {
    pub level: Level,
    pub text: String,
    pub at: Instant,
}

/// What a task does.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskWork {
    Action(InstanceAction),
    Create(CreateSpec),
}

impl TaskWork {
    /// The task shown in the row while it runs, until the state settles.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Action(a) => a.task_label(),
            Self::Create(_) => "creating",
        }
    }
}

/// Work in flight on one resource (an action on an instance, a volume being created), shown
/// in its row and the status line.
#[derive(Clone, Debug)]
pub struct RunningTask {
    pub name: String,
    pub work: TaskWork,
    pub started: Instant,
    /// The backend call returned; waiting for the state to settle.
    pub call_done: bool,
    /// Status text when the action started, to notice the change.
    pub from_status: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputMode {
    Normal,
    Filter,
    Command,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetailView {
    pub kind: ResourceKind,
    pub id: String,
    pub scroll: u16,
    pub show_document: bool,
}

/// Typed rows of each table, kept beside their display caches.
#[derive(Clone, Debug, Default)]
pub struct Data {
    pub overview: Option<Overview>,
    pub instances: Vec<Instance>,
    pub flavors: Vec<Flavor>,
    pub images: Vec<Image>,
    pub volumes: Vec<Volume>,
    pub pools: Vec<Pool>,
    pub networks: Vec<Network>,
    pub security_groups: Vec<SecurityGroup>,
    pub floating_ips: Vec<FloatingIp>,
    pub ports: Vec<Port>,
}

/// How often instances are listed at rest when the backend sends their changes as events.
pub const EVENTS_SAFETY_NET: Duration = Duration::from_secs(60);

pub struct AppState {
    pub lang: Lang,
    pub keymap: Keymap,
    pub caps: Capabilities,
    /// The connection this state shows; events of others are not applied to it.
    pub connection_id: ConnectionId,
    /// Connection label, in the backend's words (a URI, a region and project).
    pub target: String,
    pub host: Option<HostInfo>,
    pub connection: ConnectionState,
    pub tab: ResourceKind,
    /// What the Networks tab shows: networks or one of its sub-views.
    pub network_view: ResourceKind,
    pub data: Data,
    pub tables: HashMap<ResourceKind, TableView>,
    /// Overview errors and loading state (it has no table).
    pub overview_error: Option<String>,
    pub generation: u64,
    /// Newest generation applied per kind; older answers are dropped.
    pub applied: HashMap<ResourceKind, u64>,
    /// Kinds whose data is known to be out of date (events arrived while hidden).
    pub stale: Vec<ResourceKind>,
    pub detail: Option<DetailView>,
    pub instance_detail: Option<(String, Result<InstanceDetail, String>)>,
    pub modal: Option<Modal>,
    pub input_mode: InputMode,
    pub filter_input: Input,
    pub command_input: Input,
    /// Cycling state of `:` completion: (typed prefix, next candidate index).
    pub completion: Option<(String, usize)>,
    pub tasks: HashMap<TaskKey, RunningTask>,
    pub status: Option<StatusMessage>,
    pub spinner: usize,
    /// What the last frame looked like: hit areas, rows per page, scroll limits.
    pub layout: LayoutFacts,
    pub settle_timeout: Duration,
    pub quit: bool,
    /// Set by `update` when a backend event changed what is on screen; a listing identical to
    /// the one shown clears it, so an idle refresh draws nothing.
    pub screen_changed: bool,
    pub monitor: Monitor,
    /// The instance whose monitor pane (监控) is open.
    pub monitor_view: Option<String>,
    /// CPU % and memory columns with sparklines on the Instances tab.
    pub stats_columns: bool,
    /// Sort key of the Overview's top list of instances.
    pub top_sort: TopSort,
    /// Regions and projects this session has switched to, for `:region`/`:project` completion.
    pub known_regions: Vec<String>,
    pub known_projects: Vec<String>,
    /// The scope change asked for and not answered yet.
    pub pending_scope: Option<ScopeChange>,
}

/// What the Overview's top list is sorted by, as virt-top's P, M, … keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TopSort {
    #[default]
    Cpu,
    Memory,
    Disk,
    Network,
}

impl TopSort {
    pub fn next(self) -> Self {
        match self {
            Self::Cpu => Self::Memory,
            Self::Memory => Self::Disk,
            Self::Disk => Self::Network,
            Self::Network => Self::Cpu,
        }
    }
}

impl AppState {
    pub fn new(lang: Lang, caps: Capabilities, target: String, settle_timeout: Duration) -> Self {
        let mut tables = HashMap::new();
        let sub_views = ResourceKind::ALL
            .into_iter()
            .flat_map(|tab| caps.sub_views(tab).to_vec());
        for kind in ResourceKind::ALL.into_iter().chain(sub_views) {
            if kind != ResourceKind::Overview {
                tables.insert(kind, TableView::default());
            }
        }
        Self {
            lang,
            keymap: Keymap::new(&caps),
            caps,
            connection_id: ConnectionId::FIRST,
            target,
            host: None,
            connection: ConnectionState::Connected,
            tab: ResourceKind::Instances,
            network_view: ResourceKind::Networks,
            data: Data::default(),
            tables,
            overview_error: None,
            generation: 0,
            applied: HashMap::new(),
            stale: Vec::new(),
            detail: None,
            instance_detail: None,
            modal: None,
            input_mode: InputMode::Normal,
            filter_input: Input::default(),
            command_input: Input::default(),
            completion: None,
            tasks: HashMap::new(),
            status: None,
            spinner: 0,
            layout: LayoutFacts::default(),
            settle_timeout,
            quit: false,
            screen_changed: false,
            monitor: Monitor::new(
                Duration::from_secs(1),
                Duration::from_secs(300),
                Instant::now(),
            ),
            monitor_view: None,
            stats_columns: false,
            top_sort: TopSort::default(),
            known_regions: Vec::new(),
            known_projects: Vec::new(),
            pending_scope: None,
        }
    }

    /// The task in flight on `kind`'s row `id`, on this state's connection.
    pub fn task(&self, kind: ResourceKind, id: &str) -> Option<&RunningTask> {
        self.tasks.get(&TaskKey::new(self.connection_id, kind, id))
    }

    pub fn task_key(&self, kind: ResourceKind, id: impl Into<String>) -> TaskKey {
        TaskKey::new(self.connection_id, kind, id)
    }

    pub fn t(&self, msg: Msg) -> &'static str {
        msg.text(self.lang)
    }

    pub fn table(&self, kind: ResourceKind) -> Option<&TableView> {
        self.tables.get(&kind)
    }

    /// The kind the screen shows: the tab, or the Networks tab's current sub-view.
    pub fn view_kind(&self) -> ResourceKind {
        if self.tab == ResourceKind::Networks {
            self.network_view
        } else {
            self.tab
        }
    }

    pub fn current_table(&self) -> Option<&TableView> {
        self.tables.get(&self.view_kind())
    }

    pub fn current_table_mut(&mut self) -> Option<&mut TableView> {
        let kind = self.view_kind();
        self.tables.get_mut(&kind)
    }

    /// The instance under the cursor (or shown in the detail view).
    pub fn selected_instance(&self) -> Option<&Instance> {
        let id = match &self.detail {
            Some(d) if d.kind == ResourceKind::Instances => Some(d.id.as_str()),
            Some(_) => None,
            None if self.tab == ResourceKind::Instances => self
                .table(ResourceKind::Instances)
                .and_then(TableView::selected_id),
            None => None,
        }?;
        self.data.instances.iter().find(|i| i.id == id)
    }

    /// Key contexts active now, most specific first: the dialog's, the line's, or the
    /// screen's.
    pub fn contexts(&self) -> Vec<Context> {
        if let Some(modal) = &self.modal {
            return modal.contexts();
        }
        match self.input_mode {
            InputMode::Filter => return vec![Context::Filter],
            InputMode::Command => return vec![Context::CommandLine],
            InputMode::Normal => {}
        }
        self.screen_contexts()
    }

    /// Whether keys no binding takes are typed into a text field now.
    pub fn takes_text(&self) -> bool {
        match &self.modal {
            Some(modal) => modal.takes_text(),
            None => self.input_mode != InputMode::Normal,
        }
    }

    /// Key contexts of the screen under any dialog or line, most specific first.
    pub fn screen_contexts(&self) -> Vec<Context> {
        let mut ctx = Vec::with_capacity(4);
        if self.detail.is_some() {
            ctx.push(Context::Detail);
        }
        if self.tab == ResourceKind::Instances {
            ctx.push(Context::Instances);
        }
        if self.tab == ResourceKind::Volumes && self.detail.is_none() {
            ctx.push(Context::Volumes);
        }
        ctx.push(Context::Table);
        ctx.push(Context::Global);
        ctx
    }

    /// Apply a listing to the typed data and the display cache. Returns whether it differed
    /// from what was shown.
    pub fn apply_listing(&mut self, listing: Listing) -> bool {
        let lang = self.lang;
        let caps = &self.caps;
        let unchanged = match &listing {
            Listing::Overview(o) => self.data.overview.as_ref() == Some(o.as_ref()),
            Listing::Instances(l) => {
                self.loaded(ResourceKind::Instances) && self.data.instances == *l
            }
            Listing::Flavors(l) => self.loaded(ResourceKind::Flavors) && self.data.flavors == *l,
            Listing::Images(l) => self.loaded(ResourceKind::Images) && self.data.images == *l,
            Listing::Volumes { volumes, pools } => {
                self.loaded(ResourceKind::Volumes)
                    && self.data.volumes == *volumes
                    && self.data.pools == *pools
            }
            Listing::Networks(l) => self.loaded(ResourceKind::Networks) && self.data.networks == *l,
            Listing::SecurityGroups(l) => {
                self.loaded(ResourceKind::SecurityGroups) && self.data.security_groups == *l
            }
            Listing::FloatingIps(l) => {
                self.loaded(ResourceKind::FloatingIps) && self.data.floating_ips == *l
            }
            Listing::Ports(l) => self.loaded(ResourceKind::Ports) && self.data.ports == *l,
        };
        let errored = self
            .tables
            .get(&listing.kind())
            .is_some_and(|t| t.error.is_some())
            || (listing.kind() == ResourceKind::Overview && self.overview_error.is_some());
        if unchanged && !errored {
            return false;
        }
        match listing {
            Listing::Overview(o) => {
                self.host = Some(o.host.clone());
                self.data.overview = Some(*o);
                self.overview_error = None;
            }
            Listing::Instances(list) => {
                self.data.instances = list;
                self.refresh_instance_rows();
            }
            Listing::Flavors(list) => {
                if let Some(t) = self.tables.get_mut(&ResourceKind::Flavors) {
                    t.set_rows(
                        &list,
                        &columns::flavors(caps.columns(ResourceKind::Flavors)),
                        lang,
                        |f| &f.id,
                    );
                }
                self.data.flavors = list;
            }
            Listing::Images(list) => {
                if let Some(t) = self.tables.get_mut(&ResourceKind::Images) {
                    t.set_rows(
                        &list,
                        &columns::images(caps.columns(ResourceKind::Images)),
                        lang,
                        |i| &i.id,
                    );
                }
                self.data.images = list;
            }
            Listing::Volumes { volumes, pools } => {
                if let Some(t) = self.tables.get_mut(&ResourceKind::Volumes) {
                    t.set_rows(
                        &volumes,
                        &columns::volumes(caps.columns(ResourceKind::Volumes)),
                        lang,
                        |v| &v.id,
                    );
                }
                self.data.volumes = volumes;
                self.data.pools = pools;
            }
            Listing::Networks(list) => {
                if let Some(t) = self.tables.get_mut(&ResourceKind::Networks) {
                    t.set_rows(
                        &list,
                        &columns::networks(caps.columns(ResourceKind::Networks)),
                        lang,
                        |n| &n.id,
                    );
                }
                self.data.networks = list;
            }
            Listing::SecurityGroups(list) => {
                if let Some(t) = self.tables.get_mut(&ResourceKind::SecurityGroups) {
                    t.set_rows(&list, &columns::security_groups(), lang, |g| &g.id);
                }
                self.data.security_groups = list;
            }
            Listing::FloatingIps(list) => {
                if let Some(t) = self.tables.get_mut(&ResourceKind::FloatingIps) {
                    t.set_rows(&list, &columns::floating_ips(), lang, |f| &f.id);
                }
                self.data.floating_ips = list;
            }
            Listing::Ports(list) => {
                if let Some(t) = self.tables.get_mut(&ResourceKind::Ports) {
                    t.set_rows(&list, &columns::ports(), lang, |p| &p.id);
                }
                self.data.ports = list;
            }
        }
        true
    }

    fn loaded(&self, kind: ResourceKind) -> bool {
        self.tables.get(&kind).is_some_and(|t| t.loaded)
    }

    /// Rebuild the instances table from the backend's rows with yun's own in-flight actions
    /// shown in the Task column (unless the backend reports a task itself).
    pub fn refresh_instance_rows(&mut self) {
        let shown: Vec<Instance> = self
            .data
            .instances
            .iter()
            .map(|inst| {
                let mut inst = inst.clone();
                if inst.task.is_none()
                    && let Some(task) = self.task(ResourceKind::Instances, &inst.id)
                {
                    inst.task = Some(task.work.label().to_string());
                }
                inst
            })
            .collect();
        let lang = self.lang;
        let columns = columns::instances(self.caps.columns(ResourceKind::Instances));
        if let Some(t) = self.tables.get_mut(&ResourceKind::Instances) {
            t.set_rows(&shown, &columns, lang, |i| &i.id);
        }
        self.refresh_live_sort(false);
    }

    /// Hand the Instances table the live figures (CPU % of the vCPUs, memory) to sort by, when
    /// it is sorted by one of its live columns, or when `force`d because it is about to be.
    pub fn refresh_live_sort(&mut self, force: bool) {
        use crate::app::table::SortKey;
        if !self.stats_columns {
            return;
        }
        let monitor = &self.monitor;
        let Some(t) = self.tables.get_mut(&ResourceKind::Instances) else {
            return;
        };
        if !force && !t.sorted_by_live_column() {
            return;
        }
        // At the precision shown (CPU to 0.1 %, memory to the byte): equal figures are ties
        // in a stable order, not reshuffled every tick by the last digits' jitter.
        let key = |v: Option<f64>, scale: f64| {
            v.map_or(SortKey::Missing, |v| {
                SortKey::Num((v.max(0.0) * scale).round() as u64)
            })
        };
        t.set_live_keys(|id| {
            let r = monitor.rates(id);
            vec![
                key(r.and_then(|r| r.cpu_of_vcpus), 10.0),
                key(r.and_then(|r| r.memory.charted()), 1.0),
            ]
        });
    }

    /// The text often carries the backend's own message: its controls and bidi overrides
    /// are escaped visibly, as in the tables.
    pub fn set_status(&mut self, level: Level, text: impl Into<String>) {
        self.status = Some(StatusMessage {
            level,
            text: crate::format::escape_controls_owned(text.into()),
            at: Instant::now(),
        });
    }

    /// Whether anything on screen shows live statistics, so sampling runs (and only then).
    pub fn wants_stats(&self) -> bool {
        self.modal.is_none()
            && (self.monitor_view.is_some()
                || (self.detail.is_none()
                    && (self.tab == ResourceKind::Overview
                        || (self.tab == ResourceKind::Instances && self.stats_columns))))
    }

    /// Instances whose figures are on screen (for backends that must ask per instance).
    pub fn stats_focus(&self) -> Vec<String> {
        if let Some(id) = &self.monitor_view {
            return vec![id.clone()];
        }
        let running = |i: &&Instance| {
            matches!(
                i.status,
                crate::model::InstanceStatus::Active | crate::model::InstanceStatus::Paused
            )
        };
        if self.tab == ResourceKind::Overview {
            return self
                .data
                .instances
                .iter()
                .filter(running)
                .map(|i| i.id.clone())
                .collect();
        }
        let Some(t) = self.table(ResourceKind::Instances) else {
            return Vec::new();
        };
        let end = (t.offset + self.layout.table_rows()).min(t.visible.len());
        t.visible[t.offset.min(end)..end]
            .iter()
            .map(|&row| t.ids[row].clone())
            .collect()
    }

    /// How often the visible data should be polled: fast while an action settles.
    /// A request for the backend this state shows.
    pub fn request(&self, request: crate::backend::BackendRequest) -> crate::app::action::Effect {
        crate::app::action::Effect::Request {
            connection: self.connection_id,
            request,
        }
    }

    pub fn poll_interval(&self, normal: Duration) -> Duration {
        // Rows in a transitional state (yun's own actions, or a task the backend reports, such
        // as a server that is still building) are re-polled fast until they settle.
        let settling = !self.tasks.is_empty()
            || (self.tab == ResourceKind::Instances
                && self.data.instances.iter().any(|i| i.task.is_some()));
        if settling {
            normal.min(Duration::from_secs(1))
        } else if self.caps.pushes_instance_changes
            && self.tab == ResourceKind::Instances
            && self.connection == ConnectionState::Connected
        {
            // Changes arrive as events and update the rows at once; the listing is a safety
            // net. A connection that is stuck or lost delivers none: poll until it is back.
            normal.max(EVENTS_SAFETY_NET)
        } else {
            normal
        }
    }
}
