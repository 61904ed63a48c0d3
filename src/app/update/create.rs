//! Creates: a form's submit becomes a request, with a task in the row until the listing shows
//! what was made.

use std::time::Instant;

use super::instance::refuse_readonly;
use super::timers::request_list;
use crate::app::action::{Effect, create_title};
use crate::app::modal::form::Form;
use crate::app::modal::{Modal, volume_form};
use crate::app::state::{AppState, Level, RunningTask, TaskWork};
use crate::app::validate;
use crate::backend::{BackendError, BackendRequest, CreateSpec, ResourceRef};
use crate::i18n::Msg;
use crate::model::ResourceKind;

/// Send a create: refused in read-only mode, when the backend cannot create that kind, and when
/// the spec does not pass the checks the form shows.
pub(super) fn request_create(state: &mut AppState, spec: CreateSpec) -> Vec<Effect> {
    let lang = state.lang;
    let title = create_title(&spec);
    if state.caps.readonly {
        refuse_readonly(state, title);
        return Vec::new();
    }
    if !state.caps.can_create(spec.kind()) {
        let msg = Msg::StatusNotSupported.fill(lang, &[("what", title.text(lang))]);
        state.set_status(Level::Warning, msg);
        return Vec::new();
    }
    if let Err(why) = validate::create_spec(state, &spec) {
        let msg = Msg::StatusFailed.fill(
            lang,
            &[
                ("action", title.text(lang)),
                ("name", spec.name()),
                ("error", &why),
            ],
        );
        state.set_status(Level::Error, msg);
        return Vec::new();
    }
    // Until the backend says which id it got, the task waits under the name it will have.
    let key = state.task_key(spec.kind(), validate::pending_id(&spec));
    state.tasks.insert(
        key,
        RunningTask {
            name: spec.name().to_string(),
            work: TaskWork::Create(spec.clone()),
            started: Instant::now(),
            call_done: false,
            from_status: String::new(),
        },
    );
    vec![state.request(BackendRequest::Create { spec })]
}

/// The backend's answer: the task moves to the new id (settled by the next listing), or the
/// error is shown.
pub(super) fn created(
    state: &mut AppState,
    spec: &CreateSpec,
    result: Result<ResourceRef, BackendError>,
) -> Vec<Effect> {
    let lang = state.lang;
    let pending = state.task_key(spec.kind(), validate::pending_id(spec));
    let task = state.tasks.remove(&pending);
    let mut listed_under = spec.kind();
    match result {
        Ok(made) => {
            listed_under = made.kind;
            if let Some(mut task) = task {
                task.call_done = true;
                state.tasks.insert(made, task);
            }
        }
        Err(e) => {
            let title = create_title(spec).text(lang);
            let msg = Msg::StatusFailed.fill(
                lang,
                &[
                    ("action", title),
                    ("name", spec.name()),
                    ("error", &e.to_string()),
                ],
            );
            state.set_status(Level::Error, msg);
        }
    }
    request_list(state, listed_under)
}

/// Open the volume-create form over the pools of the last listing, the selected row's pool
/// chosen first.
pub(super) fn open_volume_form(state: &mut AppState) -> Vec<Effect> {
    if state.caps.readonly {
        refuse_readonly(state, Msg::ActCreateVolume);
        return Vec::new();
    }
    if !state.caps.can_create(ResourceKind::Volumes) {
        let lang = state.lang;
        let msg = Msg::StatusNotSupported.fill(lang, &[("what", Msg::ActCreateVolume.text(lang))]);
        state.set_status(Level::Warning, msg);
        return Vec::new();
    }
    let selected_pool = state
        .tables
        .get(&ResourceKind::Volumes)
        .and_then(|t| t.selected_id())
        .and_then(|id| state.data.volumes.iter().find(|v| v.id == id))
        .and_then(|v| v.pool.clone());
    let spec = volume_form::spec(
        &state.data.pools,
        &state.data.volumes,
        selected_pool.as_deref(),
        &state.caps,
        state.lang,
    );
    state.modal = Some(Modal::Form(Form::open(spec, state.lang)));
    Vec::new()
}
