//! Actions on instances and their guards: read-only, a selection, what the backend offers
//! and what the instance's state allows; destructive ones ask first.

use std::time::Instant;

use super::timers::{on_stats_timer, request_list};
use crate::app::action::{Effect, PromptKind, action_title};
use crate::app::modal::{
    Confirm, ConsoleUrl, ConsoleView, FlavorPicker, Form, Modal, instance_forms,
};
use crate::app::state::{AppState, Level, RunningTask, TaskWork};
use crate::backend::{BackendRequest, InstanceAction};
use crate::i18n::{self, Msg};
use crate::model::{InstanceStatus, ResourceKind};

/// A dialog's answer for the instance `id`: the same guards as a key on its row.
pub(super) fn perform_on(state: &mut AppState, id: String, action: InstanceAction) -> Vec<Effect> {
    // The instance is the one the dialog named, even if rows moved meanwhile.
    if let Some(t) = state.tables.get_mut(&ResourceKind::Instances) {
        t.select_id(&id);
    }
    request_instance_action(state, action)
}

/// Open the monitor pane (监控) of the selected instance.
pub(super) fn monitor(state: &mut AppState) -> Vec<Effect> {
    let Some(id) = state.selected_instance().map(|i| i.id.clone()) else {
        let msg = state.t(Msg::StatusSelectInstance);
        state.set_status(Level::Warning, msg);
        return Vec::new();
    };
    state.monitor_view = Some(id);
    on_stats_timer(state)
}

/// Show or hide the live CPU and memory columns.
pub(super) fn toggle_stats_columns(state: &mut AppState) -> Vec<Effect> {
    state.stats_columns = !state.stats_columns;
    // Hidden live columns cannot be what the table is sorted by: back to the name.
    if !state.stats_columns
        && let Some(t) = state.tables.get_mut(&ResourceKind::Instances)
        && t.sorted_by_live_column()
    {
        t.sort_by(0, false);
    }
    on_stats_timer(state)
}

/// Pick a flavor to resize to, or confirm a resize that waits for it.
pub(super) fn resize(state: &mut AppState) -> Vec<Effect> {
    if !warn_unless_selected(state) {
        return Vec::new();
    }
    let Some(inst) = state.selected_instance() else {
        return Vec::new();
    };
    if inst.resize_pending {
        return request_instance_action(state, InstanceAction::ConfirmResize);
    }
    if state.caps.readonly {
        refuse_readonly(state, Msg::ActResize);
        return Vec::new();
    }
    let (id, name) = (inst.id.clone(), inst.name.clone());
    state.modal = Some(Modal::PickFlavor(FlavorPicker {
        id,
        name,
        selected: 0,
    }));
    request_list(state, ResourceKind::Flavors)
}

/// Lock an unlocked instance, unlock a locked one.
pub(super) fn toggle_lock(state: &mut AppState) -> Vec<Effect> {
    let locked = state.selected_instance().and_then(|i| i.locked) == Some(true);
    let action = if locked {
        InstanceAction::Unlock
    } else {
        InstanceAction::Lock
    };
    request_instance_action(state, action)
}

/// Start, or restore when the instance has a managed save.
pub(super) fn start_or_restore(state: &mut AppState) -> Vec<Effect> {
    let restore = state
        .selected_instance()
        .is_some_and(|i| i.status == InstanceStatus::Suspended && i.has_managed_save);
    let action = if restore {
        InstanceAction::Restore
    } else {
        InstanceAction::Start
    };
    request_instance_action(state, action)
}

/// Pause a running instance, resume a paused one.
pub(super) fn pause_or_resume(state: &mut AppState) -> Vec<Effect> {
    let paused = state
        .selected_instance()
        .is_some_and(|i| i.status == InstanceStatus::Paused);
    let action = if paused {
        InstanceAction::Resume
    } else {
        InstanceAction::Pause
    };
    request_instance_action(state, action)
}

/// Turn autostart the other way.
pub(super) fn toggle_autostart(state: &mut AppState) -> Vec<Effect> {
    let on = state
        .selected_instance()
        .is_some_and(|i| i.autostart == Some(true));
    request_instance_action(state, InstanceAction::SetAutostart(!on))
}

/// Open the console view, asking for its endpoints.
pub(super) fn console(state: &mut AppState) -> Vec<Effect> {
    if !warn_unless_selected(state) {
        return Vec::new();
    }
    let Some(inst) = state.selected_instance() else {
        return Vec::new();
    };
    let (id, name) = (inst.id.clone(), inst.name.clone());
    // A browser console URL is asked for here only: creating it opens a console session,
    // which read-only mode never does.
    let url = match (state.caps.console_url, state.caps.readonly) {
        (false, _) => ConsoleUrl::NotAsked,
        (true, true) => ConsoleUrl::Failed(state.t(Msg::ConsoleUrlReadOnly).to_string()),
        (true, false) => ConsoleUrl::Loading,
    };
    let mut effects = vec![state.request(BackendRequest::Detail { id: id.clone() })];
    if url == ConsoleUrl::Loading {
        effects.push(state.request(BackendRequest::ConsoleUrl { id: id.clone() }));
    }
    state.modal = Some(Modal::Console(ConsoleView {
        id,
        name,
        detail: Box::new(None),
        url,
        revealed: false,
    }));
    effects
}

/// Fetch the document to edit (a backend without one renames instead).
pub(super) fn edit(state: &mut AppState) -> Vec<Effect> {
    let edits = state.caps.edits_document(ResourceKind::Instances);
    // Without a document to edit, edit (编辑) is the name.
    if !edits && !state.caps.readonly {
        return open_prompt(state, PromptKind::Rename);
    }
    if state.caps.readonly || !edits {
        refuse_readonly(state, Msg::ActEdit);
        return Vec::new();
    }
    if !warn_unless_selected(state) {
        return Vec::new();
    }
    let Some(inst) = state.selected_instance() else {
        return Vec::new();
    };
    vec![state.request(BackendRequest::EditableDocument {
        id: inst.id.clone(),
        name: inst.name.clone(),
    })]
}

/// Whether an instance is selected; says so in the status line when none is.
pub(super) fn warn_unless_selected(state: &mut AppState) -> bool {
    if state.selected_instance().is_some() {
        return true;
    }
    let msg = state.t(Msg::StatusSelectInstance);
    state.set_status(Level::Warning, msg);
    false
}

pub(super) fn open_prompt(state: &mut AppState, kind: PromptKind) -> Vec<Effect> {
    use PromptKind;
    let title = match kind {
        PromptKind::Snapshot => Msg::ActSnapshot,
        PromptKind::Rename => Msg::ActRename,
        PromptKind::Metadata => Msg::ActMetadata,
    };
    if state.caps.readonly {
        refuse_readonly(state, title);
        return Vec::new();
    }
    if !warn_unless_selected(state) {
        return Vec::new();
    }
    let Some(inst) = state.selected_instance() else {
        return Vec::new();
    };
    let spec = instance_forms::spec(kind, &inst.id, &inst.name, &state.caps, state.lang);
    state.modal = Some(Modal::Form(Form::open(spec, state.lang)));
    Vec::new()
}

pub(super) fn refuse_readonly(state: &mut AppState, what: Msg) {
    let msg = Msg::StatusReadonly.fill(state.lang, &[("action", what.text(state.lang))]);
    state.set_status(Level::Error, msg);
}

pub(super) fn request_instance_action(state: &mut AppState, action: InstanceAction) -> Vec<Effect> {
    let lang = state.lang;
    if state.caps.readonly {
        refuse_readonly(state, action_title(&action));
        return Vec::new();
    }
    if !state.caps.actions.iter().any(|a| a.id() == action.id()) {
        let msg = Msg::StatusNotSupported.fill(lang, &[("what", action_title(&action).text(lang))]);
        state.set_status(Level::Warning, msg);
        return Vec::new();
    }
    if !warn_unless_selected(state) {
        return Vec::new();
    }
    let Some(inst) = state.selected_instance() else {
        return Vec::new();
    };
    let busy = state.task(ResourceKind::Instances, &inst.id).is_some();
    if busy || !action.allowed_for(inst) {
        let status = i18n::status_text(&inst.status, lang);
        let msg = Msg::StatusNotAllowed.fill(
            lang,
            &[
                ("action", action_title(&action).text(lang)),
                ("name", &inst.name),
                ("status", &status),
            ],
        );
        state.set_status(Level::Warning, msg);
        return Vec::new();
    }
    let (id, name) = (inst.id.clone(), inst.name.clone());
    if action.is_destructive() {
        state.modal = Some(Modal::Confirm(Confirm { id, name, action }));
        return Vec::new();
    }
    perform(state, id, name, action)
}

pub(super) fn perform(
    state: &mut AppState,
    id: String,
    name: String,
    action: InstanceAction,
) -> Vec<Effect> {
    let from_status = state
        .data
        .instances
        .iter()
        .find(|i| i.id == id)
        .map(|i| i.status.as_str().to_string())
        .unwrap_or_default();
    state.tasks.insert(
        state.task_key(ResourceKind::Instances, &id),
        RunningTask {
            name: name.clone(),
            work: TaskWork::Action(action.clone()),
            started: Instant::now(),
            call_done: false,
            from_status,
        },
    );
    state.refresh_instance_rows();
    vec![state.request(BackendRequest::Perform { id, name, action })]
}
