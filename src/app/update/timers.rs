//! Requests on a timer: the start-up requests, the periodic refresh of what is on screen,
//! statistics ticks and the spinner.

use std::time::{Duration, Instant};

use super::tasks::expire_settling_tasks;
use crate::app::action::Effect;
use crate::app::state::{AppState, Level};
use crate::backend::BackendRequest;
use crate::model::ResourceKind;

/// Info messages fade after this long; errors stay until replaced.
const STATUS_TTL: Duration = Duration::from_secs(6);

/// Requests made once at start-up: the header's host facts and the first tab.
pub fn start(state: &mut AppState) -> Vec<Effect> {
    let mut effects = vec![state.request(BackendRequest::HostInfo)];
    effects.extend(request_list(state, state.view_kind()));
    effects
}

pub(super) fn request_list(state: &mut AppState, kind: ResourceKind) -> Vec<Effect> {
    state.generation += 1;
    state.stale.retain(|k| *k != kind);
    vec![state.request(BackendRequest::List {
        kind,
        generation: state.generation,
    })]
}

/// The periodic refresh: only what is on screen is polled (k9s views stop when hidden).
pub fn on_refresh_timer(state: &mut AppState) -> Vec<Effect> {
    let now = Instant::now();
    if let Some(s) = &state.status
        && matches!(s.level, Level::Info | Level::Success)
        && now.duration_since(s.at) > STATUS_TTL
    {
        state.status = None;
    }
    expire_settling_tasks(state, now);
    let mut effects = request_list(state, state.view_kind());
    if (!state.tasks.is_empty() || state.tab == ResourceKind::Overview)
        && state.tab != ResourceKind::Instances
    {
        effects.extend(request_list(state, ResourceKind::Instances));
    }
    effects
}

/// One monitor tick, asked for only while statistics are on screen.
pub fn on_stats_timer(state: &mut AppState) -> Vec<Effect> {
    if !state.wants_stats() {
        return Vec::new();
    }
    vec![state.request(BackendRequest::SampleStats {
        focus: state.stats_focus(),
    })]
}

pub fn on_spinner_tick(state: &mut AppState) {
    state.spinner = state.spinner.wrapping_add(1);
}

/// F5: the tab on screen again, the host facts, and the detail shown.
pub(super) fn refresh(state: &mut AppState) -> Vec<Effect> {
    let mut effects = request_list(state, state.view_kind());
    effects.push(state.request(BackendRequest::HostInfo));
    if let Some(d) = &state.detail
        && d.kind == ResourceKind::Instances
    {
        effects.push(state.request(BackendRequest::Detail { id: d.id.clone() }));
    }
    effects
}
