//! In-flight actions: settling once the listing shows their effect, or giving up after the
//! settle timeout.

use std::time::Instant;

use crate::app::action::action_title;
use crate::app::state::{AppState, Level};
use crate::backend::InstanceAction;
use crate::i18n::Msg;

pub(super) fn expire_settling_tasks(state: &mut AppState, now: Instant) {
    let timeout = state.settle_timeout;
    let expired: Vec<String> = state
        .tasks
        .iter()
        .filter(|(_, t)| t.call_done && now.duration_since(t.started) > timeout)
        .map(|(id, _)| id.clone())
        .collect();
    for id in expired {
        if let Some(task) = state.tasks.remove(&id) {
            let msg = Msg::StatusSettleTimeout.fill(
                state.lang,
                &[
                    ("action", action_title(&task.action).text(state.lang)),
                    ("name", &task.name),
                    ("secs", &timeout.as_secs().to_string()),
                ],
            );
            state.set_status(Level::Warning, msg);
        }
    }
    state.refresh_instance_rows();
}

/// Clear tasks whose action has taken effect, announcing the result.
pub(super) fn settle_tasks(state: &mut AppState) {
    let lang = state.lang;
    let mut done = Vec::new();
    for (id, task) in &state.tasks {
        if !task.call_done {
            continue;
        }
        let current = state.data.instances.iter().find(|i| &i.id == id);
        let settled = match (&task.action, current) {
            (InstanceAction::Delete { .. }, None) => true,
            (InstanceAction::Delete { .. }, Some(_)) => false,
            // A graceful shutdown returns at once; the guest may take a while to power off.
            (InstanceAction::Shutdown, Some(i)) => i.status.as_str() != task.from_status,
            (_, _) => true,
        };
        if settled {
            done.push(id.clone());
        }
    }
    for id in done {
        if let Some(task) = state.tasks.remove(&id) {
            let title = action_title(&task.action).text(lang);
            let msg = Msg::StatusDone.fill(lang, &[("action", title), ("name", &task.name)]);
            state.set_status(Level::Success, msg);
        }
    }
    state.refresh_instance_rows();
}
