//! Applying what the backend answered: listings (newest generation wins), details, action
//! results, edits, scope switches, statistics and the connection's health.

use super::tasks::settle_tasks;
use super::timers::request_list;
use crate::app::action::{Effect, action_title};
use crate::app::modal::ConsoleUrl;
use crate::app::modal::{EditFailed, Modal};
use crate::app::state::{AppState, Level};
use crate::backend::{
    BackendError, BackendEvent, BackendRequest, ConnectionState, InstanceAction, Listed,
};
use crate::i18n::{Msg, tab_title};
use crate::model::ResourceKind;

pub fn on_backend(state: &mut AppState, event: BackendEvent) -> Vec<Effect> {
    let lang = state.lang;
    state.screen_changed = true;
    match event {
        BackendEvent::HostInfo(Ok(host)) => state.host = Some(host),
        BackendEvent::HostInfo(Err(e)) => state.set_status(Level::Error, e.to_string()),
        BackendEvent::Listed {
            kind,
            generation,
            result,
        } => {
            if state.applied.get(&kind).is_some_and(|g| *g > generation) {
                return Vec::new();
            }
            state.applied.insert(kind, generation);
            match result {
                Ok(Listed { listing, note }) => {
                    // The note is about these very rows (skipped ones), so a listing of another
                    // kind never reports this one's count.
                    let noted = note.is_some();
                    if let Some(note) = note {
                        state.set_status(Level::Warning, note);
                    }
                    let changed = state.apply_listing(listing);
                    if state.tasks.keys().any(|k| k.kind == kind) {
                        settle_tasks(state, kind);
                    } else if !changed && !noted {
                        state.screen_changed = false;
                    }
                }
                Err(e) => {
                    let what = tab_title(kind).text(lang);
                    let msg = Msg::StatusLoadFailed
                        .fill(lang, &[("what", what), ("error", &e.to_string())]);
                    if let Some(t) = state.tables.get_mut(&kind) {
                        t.error = Some(e.to_string());
                    } else {
                        state.overview_error = Some(e.to_string());
                    }
                    state.set_status(Level::Error, msg);
                }
            }
        }
        BackendEvent::ConsoleUrl { id, result } => {
            if let Some(Modal::Console(view)) = &mut state.modal
                && view.id == id
            {
                view.url = match result {
                    Ok(u) => ConsoleUrl::Ready(u),
                    Err(e) => ConsoleUrl::Failed(e.to_string()),
                };
            }
        }
        BackendEvent::Detail { id, result } => {
            if let Some(Modal::Console(view)) = &mut state.modal
                && let Ok(d) = &result
                && d.id == id
            {
                *view.detail = Some(d.clone());
            }
            state.instance_detail = Some((id, result.map_err(|e| e.to_string())));
        }
        BackendEvent::ActionFinished {
            id,
            name,
            action,
            result,
        } => {
            let title = action_title(&action).text(lang);
            match result {
                Ok(()) => {
                    let key = state.task_key(ResourceKind::Instances, &id);
                    if let Some(task) = state.tasks.get_mut(&key) {
                        task.call_done = true;
                    }
                    if matches!(action, InstanceAction::Delete { .. })
                        && state.detail.as_ref().is_some_and(|d| d.id == id)
                    {
                        state.detail = None;
                    }
                }
                Err(e) => {
                    let key = state.task_key(ResourceKind::Instances, &id);
                    state.tasks.remove(&key);
                    state.refresh_instance_rows();
                    let msg = Msg::StatusFailed.fill(
                        lang,
                        &[
                            ("action", title),
                            ("name", &name),
                            ("error", &e.to_string()),
                        ],
                    );
                    state.set_status(Level::Error, msg);
                }
            }
            let mut effects = request_list(state, ResourceKind::Instances);
            if state.tab != ResourceKind::Instances {
                effects.extend(request_list(state, state.view_kind()));
            }
            if state.detail.as_ref().is_some_and(|d| d.id == id) {
                effects.push(state.request(BackendRequest::Detail { id }));
            }
            return effects;
        }
        BackendEvent::EditableDocument { id, name, result } => match result {
            Ok(document) => return vec![Effect::Edit { id, name, document }],
            Err(e) => {
                let title = Msg::ActEdit.text(lang);
                let msg = Msg::StatusFailed.fill(
                    lang,
                    &[
                        ("action", title),
                        ("name", &name),
                        ("error", &e.to_string()),
                    ],
                );
                state.set_status(Level::Error, msg);
            }
        },
        BackendEvent::Redefined {
            id,
            name,
            document,
            result,
        } => match result {
            Ok(()) => {
                let msg = Msg::StatusRedefined.fill(lang, &[("name", &name)]);
                state.set_status(Level::Success, msg);
                let mut effects = request_list(state, ResourceKind::Instances);
                if state.detail.as_ref().is_some_and(|d| d.id == id) {
                    effects.push(state.request(BackendRequest::Detail { id }));
                }
                return effects;
            }
            Err(e) => {
                // Keep the edited text so nothing the user typed is lost.
                state.modal = Some(Modal::EditFailed(EditFailed {
                    id,
                    name,
                    document,
                    error: e.to_string(),
                }));
            }
        },
        BackendEvent::Warning(text) => state.set_status(Level::Warning, text),
        BackendEvent::Audit(result) => {
            if let Some(Modal::Audit(view)) = &mut state.modal {
                view.records = match result {
                    Ok(records) => crate::app::modal::AuditRecords::Ready(records),
                    Err(e) => crate::app::modal::AuditRecords::Failed(e),
                };
            }
        }
        BackendEvent::Changed(ids) => {
            state.screen_changed = false;
            let visible = matches!(state.tab, ResourceKind::Instances | ResourceKind::Overview);
            let mut effects = Vec::new();
            if visible
                || ids
                    .iter()
                    .any(|id| state.task(ResourceKind::Instances, id).is_some())
            {
                effects.extend(request_list(state, ResourceKind::Instances));
                if state.tab == ResourceKind::Overview {
                    effects.extend(request_list(state, ResourceKind::Overview));
                }
            } else if !state.stale.contains(&ResourceKind::Instances) {
                state.stale.push(ResourceKind::Instances);
            }
            if let Some(d) = &state.detail
                && ids.contains(&d.id)
            {
                effects.push(state.request(BackendRequest::Detail { id: d.id.clone() }));
            }
            return effects;
        }
        BackendEvent::Created { spec, result } => {
            return super::create::created(state, &spec, result);
        }
        BackendEvent::ScopeSwitched(result) => match result {
            Ok(host) => {
                match state.pending_scope.take() {
                    Some(crate::backend::ScopeChange::Region(r))
                        if !state.known_regions.contains(&r) =>
                    {
                        state.known_regions.push(r);
                    }
                    Some(crate::backend::ScopeChange::Project(p))
                        if !state.known_projects.contains(&p) =>
                    {
                        state.known_projects.push(p);
                    }
                    _ => {}
                }
                // A new region or project: every table belongs to the old one.
                state.target.clone_from(&host.target);
                state.host = Some(host);
                state.data = crate::app::state::Data::default();
                for table in state.tables.values_mut() {
                    *table = crate::app::table::TableView::default();
                }
                state.detail = None;
                state.monitor_view = None;
                state.set_status(Level::Success, state.target.clone());
                return request_list(state, state.view_kind());
            }
            Err(e) => {
                state.pending_scope = None;
                state.set_status(Level::Error, e.to_string());
            }
        },
        BackendEvent::Stats { taken_at, result } => match result {
            Ok(sample) => {
                state.monitor.ingest(taken_at, sample);
                state.refresh_live_sort(false);
            }
            Err(e) => state.monitor.error = Some(e.to_string()),
        },
        BackendEvent::Connection(conn) => {
            let was_lost = state.connection != ConnectionState::Connected;
            state.connection = conn;
            if was_lost && state.connection == ConnectionState::Connected {
                let mut effects = request_list(state, state.view_kind());
                effects.push(state.request(BackendRequest::HostInfo));
                return effects;
            }
        }
    }
    Vec::new()
}

/// The result of running the editor, reported by the event loop.
pub fn on_edited(
    state: &mut AppState,
    id: String,
    name: String,
    original: &str,
    edited: Result<String, String>,
) -> Vec<Effect> {
    let lang = state.lang;
    match edited {
        Ok(text) if text == original => {
            let msg = Msg::StatusUnchanged.fill(lang, &[("name", &name)]);
            state.set_status(Level::Info, msg);
            Vec::new()
        }
        Ok(document) => vec![state.request(BackendRequest::Redefine { id, name, document })],
        Err(e) => {
            state.set_status(Level::Error, e);
            Vec::new()
        }
    }
}

/// The result of an interactive command (console) that failed to run.
pub fn on_interactive_error(state: &mut AppState, error: &BackendError) {
    state.set_status(Level::Error, error.to_string());
}
