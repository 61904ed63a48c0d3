//! Runs backend calls in the background and sends each result back as a [`BackendEvent`].
//!
//! The app never awaits the backend: it sends a [`BackendRequest`] and goes on drawing. One
//! listing per resource kind is in flight at a time; a request for a kind that is already being
//! fetched is remembered and run once when the current one ends, so a slow backend never piles up
//! duplicate calls. Every listing carries the generation it was asked for, so the app can drop a
//! stale answer.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::{Backend, BackendError, ConnectionState, InstanceAction, Listed};
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
    /// Lifecycle events: these instances changed state.
    Changed(Vec<String>),
    ScopeSwitched(Result<HostInfo, BackendError>),
    /// A monitor sample and the monotonic time it was taken.
    Stats {
        taken_at: std::time::Instant,
        result: Result<StatsSample, BackendError>,
    },
    Connection(ConnectionState),
}

/// Start the worker for `backend`. Requests go in through the returned sender; results come out
/// through `events`. The worker stops when the request sender is dropped.
pub fn spawn<B: Backend>(
    backend: Arc<B>,
    events: mpsc::UnboundedSender<BackendEvent>,
) -> mpsc::UnboundedSender<BackendRequest> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(forward_changes(Arc::clone(&backend), events.clone()));
    tokio::spawn(run(backend, rx, events));
    tx
}

async fn forward_changes<B: Backend>(backend: Arc<B>, events: mpsc::UnboundedSender<BackendEvent>) {
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
    events: mpsc::UnboundedSender<BackendEvent>,
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
                start(&backend, request, &events, &done_tx);
            }
            Some(done) = done_rx.recv() => {
                if let Done::Stats = done {
                    stats_in_flight = false;
                    if let Some(focus) = stats_queued.take() {
                        stats_in_flight = true;
                        start(&backend, BackendRequest::SampleStats { focus }, &events, &done_tx);
                    }
                }
                if let Done::Listing(kind) = done
                    && let Some(Some(generation)) = in_flight.remove(&kind)
                {
                    in_flight.insert(kind, None);
                    start(&backend, BackendRequest::List { kind, generation }, &events, &done_tx);
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
    events: &mpsc::UnboundedSender<BackendEvent>,
    done: &mpsc::UnboundedSender<Done>,
) {
    let backend = Arc::clone(backend);
    let events = events.clone();
    let done = done.clone();
    tokio::spawn(async move {
        let (event, finished) = execute(&*backend, request, &events).await;
        // The app may have quit; nothing to report to then.
        let _ = events.send(event);
        let _ = done.send(finished);
    });
}

async fn execute<B: Backend>(
    backend: &B,
    request: BackendRequest,
    events: &mpsc::UnboundedSender<BackendEvent>,
) -> (BackendEvent, Done) {
    match request {
        BackendRequest::HostInfo => (
            BackendEvent::HostInfo(backend.host_info().await),
            Done::Other,
        ),
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
            let result = backend.perform(&id, &action).await;
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
        BackendRequest::SwitchScope(change) => (
            BackendEvent::ScopeSwitched(backend.switch_scope(change).await),
            Done::Other,
        ),
        BackendRequest::SampleStats { focus } => {
            let result = backend.sample_stats(focus).await;
            let taken_at = std::time::Instant::now();
            (BackendEvent::Stats { taken_at, result }, Done::Stats)
        }
        BackendRequest::Redefine { id, name, document } => {
            let result = backend.redefine(&id, &document).await;
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
