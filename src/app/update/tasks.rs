//! In-flight work (actions and creates): settling once the listing shows its effect, or giving
//! up after the settle timeout.

use std::time::Instant;

use crate::app::action::{action_title, create_title};
use crate::app::state::{AppState, Level, TaskWork};
use crate::backend::{InstanceAction, TaskKey};
use crate::i18n::Msg;
use crate::model::ResourceKind;

/// The title of a task's work, as the status line names it.
pub(super) fn task_title(work: &TaskWork) -> Msg {
    match work {
        TaskWork::Action(action) => action_title(action),
        TaskWork::Create(spec) => create_title(spec),
    }
}

pub(super) fn expire_settling_tasks(state: &mut AppState, now: Instant) {
    let timeout = state.settle_timeout;
    let expired: Vec<TaskKey> = state
        .tasks
        .iter()
        .filter(|(_, t)| t.call_done && now.duration_since(t.started) > timeout)
        .map(|(key, _)| key.clone())
        .collect();
    for key in expired {
        if let Some(task) = state.tasks.remove(&key) {
            let msg = Msg::StatusSettleTimeout.fill(
                state.lang,
                &[
                    ("action", task_title(&task.work).text(state.lang)),
                    ("name", &task.name),
                    ("secs", &timeout.as_secs().to_string()),
                ],
            );
            state.set_status(Level::Warning, msg);
        }
    }
    state.refresh_instance_rows();
}

/// Clear the tasks on `kind`'s rows whose work has taken effect, announcing the result.
pub(super) fn settle_tasks(state: &mut AppState, kind: ResourceKind) {
    let lang = state.lang;
    let mut done = Vec::new();
    for (key, task) in &state.tasks {
        if !task.call_done || key.kind != kind || key.connection != state.connection_id {
            continue;
        }
        let settled = match &task.work {
            TaskWork::Action(action) => {
                let current = state.data.instances.iter().find(|i| i.id == key.id);
                match (action, current) {
                    (InstanceAction::Delete { .. }, None) => true,
                    (InstanceAction::Delete { .. }, Some(_)) => false,
                    // A graceful shutdown returns at once; the guest may take a while to
                    // power off.
                    (InstanceAction::Shutdown, Some(i)) => i.status.as_str() != task.from_status,
                    (_, _) => true,
                }
            }
            // Created once the listing shows it.
            TaskWork::Create(_) => match key.kind {
                ResourceKind::Volumes => state.data.volumes.iter().any(|v| v.id == key.id),
                ResourceKind::Images => state.data.images.iter().any(|i| i.id == key.id),
                _ => true,
            },
        };
        if settled {
            done.push(key.clone());
        }
    }
    for key in done {
        if let Some(task) = state.tasks.remove(&key) {
            let title = task_title(&task.work).text(lang);
            let msg = Msg::StatusDone.fill(lang, &[("action", title), ("name", &task.name)]);
            state.set_status(Level::Success, msg);
        }
    }
    state.refresh_instance_rows();
}
