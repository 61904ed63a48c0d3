//! Runs backend calls in the background and sends each result back as a [`BackendEvent`].
//!
//! The app never awaits the backend: it sends a [`BackendRequest`] and goes on drawing. One
//! listing per resource kind is in flight at a time; a request for a kind that is already being
//! fetched is remembered and run once when the current one ends, so a slow backend never piles up
//! duplicate calls. Every listing carries the generation it was asked for, so the app can drop a
//! stale answer. Every event goes out tagged with the worker's [`ConnectionId`], so the app can
//! tell connections apart.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use tokio::sync::mpsc;

use super::{
    Backend, BackendError, ConnectionId, ConnectionState, CreateSpec, InstanceAction, Listed,
    ResourceRef,
};
use crate::audit::{AuditLog, Change};
use crate::model::{HostInfo, InstanceDetail, ResourceKind, StatsSample};

#[derive(Clone, Debug, PartialEq)]
pub enum BackendRequest {
    HostInfo,
    List {
        kind: ResourceKind,
        generation: u64,
    },
    Detail {
        id: String,
    },
    /// The browser console URL, asked for by the console view.
    ConsoleUrl {
        id: String,
    },
    Perform {
        id: String,
        name: String,
        action: InstanceAction,
    },
    EditableDocument {
        id: String,
        name: String,
    },
    Redefine {
        id: String,
        name: String,
        document: String,
    },
    /// Create what the spec describes.
    Create {
        spec: CreateSpec,
    },
    /// One monitor tick; `focus` lists the instances on screen.
    SampleStats {
        focus: Vec<String>,
    },
    SwitchScope(super::ScopeChange),
}

#[derive(Clone, Debug, PartialEq)]
pub enum BackendEvent {
    HostInfo(Result<HostInfo, BackendError>),
    /// A listing of `kind`: a first page while the rest loads (without a note), then the whole
    /// listing with its own note for the status line.
    Listed {
        kind: ResourceKind,
        generation: u64,
        result: Result<Listed, BackendError>,
    },
    Detail {
        id: String,
        result: Result<InstanceDetail, BackendError>,
    },
    ConsoleUrl {
        id: String,
        result: Result<String, BackendError>,
    },
    ActionFinished {
        id: String,
        name: String,
        action: InstanceAction,
        result: Result<(), BackendError>,
    },
    EditableDocument {
        id: String,
        name: String,
        result: Result<String, BackendError>,
    },
    Redefined {
        id: String,
        name: String,
        document: String,
        result: Result<(), BackendError>,
    },
    /// A create finished: the new resource, on this worker's connection.
    Created {
        spec: CreateSpec,
        result: Result<ResourceRef, BackendError>,
    },
    /// Lifecycle events: these instances changed state.
    Changed(Vec<String>),
    /// Something the user should know that is not the answer to a request (the audit log could
    /// not be written), for the status line.
    Warning(String),
    ScopeSwitched(Result<HostInfo, BackendError>),
    /// A monitor sample and the monotonic time it was taken.
    Stats {
        taken_at: std::time::Instant,
        result: Result<StatsSample, BackendError>,
    },
    Connection(ConnectionState),
}

/// Where the worker records the changes it makes: the audit log and the connection's label
/// (`qemu:///system`, `cloud/region/project`), which follows region and project switches.
#[derive(Clone, Debug)]
pub struct Recorder {
    log: AuditLog,
    connection: Arc<Mutex<String>>,
}

impl Recorder {
    pub fn new(log: AuditLog, connection: String) -> Self {
        Self {
            log,
            connection: Arc::new(Mutex::new(connection)),
        }
    }

    fn connection(&self) -> String {
        self.connection
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn follow(&self, host: &HostInfo) {
        if !host.target.is_empty() {
            *self.connection.lock().unwrap_or_else(|p| p.into_inner()) = host.target.clone();
        }
    }
}

/// An event and the connection it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectionEvent {
    pub connection: ConnectionId,
    pub event: BackendEvent,
}

/// Where a worker sends its events: each one tagged with the worker's connection.
#[derive(Clone, Debug)]
pub struct EventSender {
    connection: ConnectionId,
    tx: mpsc::UnboundedSender<ConnectionEvent>,
}

impl EventSender {
    pub fn new(connection: ConnectionId, tx: mpsc::UnboundedSender<ConnectionEvent>) -> Self {
        Self { connection, tx }
    }

    /// Fails when the app has gone.
    fn send(&self, event: BackendEvent) -> Result<(), ()> {
        self.tx
            .send(ConnectionEvent {
                connection: self.connection,
                event,
            })
            .map_err(|_| ())
    }
}

/// Start the worker for `backend`, the app's connection `connection`. Requests go in through
/// the returned sender; results come out through `events`, tagged with `connection`. The worker
/// stops when the request sender is dropped.
pub fn spawn<B: Backend>(
    backend: Arc<B>,
    connection: ConnectionId,
    events: mpsc::UnboundedSender<ConnectionEvent>,
    recorder: Recorder,
) -> mpsc::UnboundedSender<BackendRequest> {
    let events = EventSender::new(connection, events);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(forward_changes(Arc::clone(&backend), events.clone()));
    tokio::spawn(run(backend, rx, events, recorder));
    tx
}

/// The one path every change takes: refused when it could not be recorded (unless the audit
/// log is optional, then a warning), run, and recorded with its result and duration. A
/// read-only connection changes nothing, so its refusals are not recorded.
async fn mutate<B: Backend, T, F>(
    backend: &B,
    recorder: &Recorder,
    change: Change,
    events: &EventSender,
    op: F,
    new_id: fn(&T) -> Option<String>,
) -> Result<T, BackendError>
where
    F: Future<Output = Result<T, BackendError>>,
{
    if backend.capabilities().readonly {
        return op.await;
    }
    if let Err(e) = recorder.log.ready() {
        if recorder.log.required() {
            return Err(BackendError::Refused(format!(
                "{e}; nothing was changed (with `required = false` under [audit] in \
                 config.toml changes go ahead unrecorded)"
            )));
        }
        let _ = events.send(BackendEvent::Warning(format!(
            "{e}; the change goes ahead unrecorded"
        )));
    }
    let started = SystemTime::now();
    let clock = Instant::now();
    let result = op.await;
    let mut change = change;
    // A create learns the id of what it made only from its answer.
    if let Ok(made) = &result
        && let Some(id) = new_id(made)
    {
        change.id = id;
    }
    let record = change.record(
        &recorder.connection(),
        started,
        clock.elapsed(),
        result.as_ref().map(|_| ()).map_err(ToString::to_string),
    );
    if let Err(e) = recorder.log.append(&record) {
        let _ = events.send(BackendEvent::Warning(format!(
            "{e}; the change was made but not recorded"
        )));
    }
    result
}

async fn forward_changes<B: Backend>(backend: Arc<B>, events: EventSender) {
    while let Some(ids) = backend.next_changes().await {
        if events.send(BackendEvent::Changed(ids)).is_err() {
            return;
        }
    }
}

/// What finished, so the loop can start a queued request of the same kind.
enum Done {
    Listing(ResourceKind),
    Stats,
    Other,
}

async fn run<B: Backend>(
    backend: Arc<B>,
    mut requests: mpsc::UnboundedReceiver<BackendRequest>,
    events: EventSender,
    recorder: Recorder,
) {
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
    // Kinds being listed now, and the generation of a listing queued behind each one.
    let mut in_flight: HashMap<ResourceKind, Option<u64>> = HashMap::new();
    // A stats tick in flight, and the focus of one queued behind it: ticks never pile up.
    let mut stats_in_flight = false;
    let mut stats_queued: Option<Vec<String>> = None;
    let mut last_connection = ConnectionState::Connected;

    loop {
        tokio::select! {
            request = requests.recv() => {
                let Some(request) = request else { return };
                if let BackendRequest::List { kind, generation } = request {
                    if let Some(queued) = in_flight.get_mut(&kind) {
                        *queued = Some(generation);
                        continue;
                    }
                    in_flight.insert(kind, None);
                }
                if let BackendRequest::SampleStats { focus } = &request {
                    if stats_in_flight {
                        stats_queued = Some(focus.clone());
                        continue;
                    }
                    stats_in_flight = true;
                }
                start(&backend, request, &events, &done_tx, &recorder);
            }
            Some(done) = done_rx.recv() => {
                if let Done::Stats = done {
                    stats_in_flight = false;
                    if let Some(focus) = stats_queued.take() {
                        stats_in_flight = true;
                        start(&backend, BackendRequest::SampleStats { focus }, &events, &done_tx, &recorder);
                    }
                }
                if let Done::Listing(kind) = done
                    && let Some(Some(generation)) = in_flight.remove(&kind)
                {
                    in_flight.insert(kind, None);
                    start(&backend, BackendRequest::List { kind, generation }, &events, &done_tx, &recorder);
                }
                let state = backend.connection_state().await;
                if state != last_connection {
                    last_connection = state.clone();
                    if events.send(BackendEvent::Connection(state)).is_err() {
                        return;
                    }
                }
            }
        }
    }
}

fn start<B: Backend>(
    backend: &Arc<B>,
    request: BackendRequest,
    events: &EventSender,
    done: &mpsc::UnboundedSender<Done>,
    recorder: &Recorder,
) {
    let backend = Arc::clone(backend);
    let events = events.clone();
    let done = done.clone();
    let recorder = recorder.clone();
    tokio::spawn(async move {
        let (event, finished) = execute(&*backend, request, &events, &recorder).await;
        // The app may have quit; nothing to report to then.
        let _ = events.send(event);
        let _ = done.send(finished);
    });
}

async fn execute<B: Backend>(
    backend: &B,
    request: BackendRequest,
    events: &EventSender,
    recorder: &Recorder,
) -> (BackendEvent, Done) {
    match request {
        BackendRequest::HostInfo => {
            let result = backend.host_info().await;
            if let Ok(host) = &result {
                recorder.follow(host);
            }
            (BackendEvent::HostInfo(result), Done::Other)
        }
        BackendRequest::List { kind, generation } => {
            let (partial_tx, mut partial_rx) = mpsc::unbounded_channel();
            let listing = backend.list_progressive(kind, partial_tx);
            tokio::pin!(listing);
            // Rows that are in already are shown at once; once the whole listing is ready, a
            // late partial one is dropped rather than shown over it.
            let result = loop {
                tokio::select! {
                    biased;
                    result = &mut listing => break result,
                    Some(partial) = partial_rx.recv() => {
                        let _ = events.send(BackendEvent::Listed {
                            kind,
                            generation,
                            result: Ok(Listed::from(partial)),
                        });
                    }
                }
            };
            (
                BackendEvent::Listed {
                    kind,
                    generation,
                    result,
                },
                Done::Listing(kind),
            )
        }
        BackendRequest::Detail { id } => {
            let result = backend.instance_detail(&id).await;
            (BackendEvent::Detail { id, result }, Done::Other)
        }
        BackendRequest::ConsoleUrl { id } => {
            let result = backend.console_url(&id).await;
            (BackendEvent::ConsoleUrl { id, result }, Done::Other)
        }
        BackendRequest::Perform { id, name, action } => {
            tracing::info!(instance = %name, action = action.id(), "performing action");
            let change = Change {
                kind: "instance".into(),
                id: id.clone(),
                name: name.clone(),
                action: action.id().into(),
                params: action.params(),
                command: backend.capabilities().action_command(&id, &name, &action),
                batch: None,
            };
            let result = mutate(
                backend,
                recorder,
                change,
                events,
                backend.perform(&id, &action),
                |()| None,
            )
            .await;
            match &result {
                Ok(()) => tracing::info!(instance = %name, action = action.id(), "action done"),
                Err(e) => {
                    tracing::warn!(instance = %name, action = action.id(), error = %e, "action failed");
                }
            }
            (
                BackendEvent::ActionFinished {
                    id,
                    name,
                    action,
                    result,
                },
                Done::Other,
            )
        }
        BackendRequest::EditableDocument { id, name } => {
            let result = backend.editable_document(&id).await;
            (
                BackendEvent::EditableDocument { id, name, result },
                Done::Other,
            )
        }
        BackendRequest::SwitchScope(change) => {
            let result = backend.switch_scope(change).await;
            if let Ok(host) = &result {
                recorder.follow(host);
            }
            (BackendEvent::ScopeSwitched(result), Done::Other)
        }
        BackendRequest::SampleStats { focus } => {
            let result = backend.sample_stats(focus).await;
            let taken_at = std::time::Instant::now();
            (BackendEvent::Stats { taken_at, result }, Done::Stats)
        }
        BackendRequest::Create { spec } => {
            let (kind, name) = (spec.kind().command_name(), spec.name().to_string());
            tracing::info!(kind, name = %name, "creating");
            let change = Change {
                kind: spec.audit_kind().into(),
                id: String::new(),
                name: name.clone(),
                action: "create".into(),
                params: spec.params(),
                command: backend.capabilities().commands.create(&spec),
                batch: None,
            };
            let result = mutate(
                backend,
                recorder,
                change,
                events,
                backend.create(spec.clone()),
                |made: &ResourceRef| Some(made.id.clone()),
            )
            .await
            .map(|mut made| {
                made.connection = events.connection;
                made
            });
            match &result {
                Ok(made) => tracing::info!(kind, name = %name, id = %made.id, "created"),
                Err(e) => tracing::warn!(kind, name = %name, error = %e, "create failed"),
            }
            (BackendEvent::Created { spec, result }, Done::Other)
        }
        BackendRequest::Redefine { id, name, document } => {
            let mut params = serde_json::Map::new();
            // The document itself can hold VNC and SPICE passwords: only its digest is kept.
            params.insert(
                "document".into(),
                crate::audit::user_data_summary(document.as_bytes(), None),
            );
            let change = Change {
                kind: "instance".into(),
                id: id.clone(),
                name: name.clone(),
                action: "edit".into(),
                params,
                command: backend.capabilities().commands.edit_document(&id, &name),
                batch: None,
            };
            let result = mutate(
                backend,
                recorder,
                change,
                events,
                backend.redefine(&id, &document),
                |()| None,
            )
            .await;
            (
                BackendEvent::Redefined {
                    id,
                    name,
                    document,
                    result,
                },
                Done::Other,
            )
        }
    }
}
