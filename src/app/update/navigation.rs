//! Moving around: tabs, the selection and its page, the detail's scroll, sorting, clicks, and
//! the layout facts of the last frame that paging and scrolling are measured by.

use super::timers::request_list;
use crate::app::action::{Action, Effect};
use crate::app::commands;
use crate::app::layout::LayoutFacts;
use crate::app::state::{AppState, DetailView, InputMode, Level};
use crate::backend::BackendRequest;
use crate::i18n::Msg;
use crate::model::ResourceKind;

/// Tab and Shift-Tab: the next or the previous tab, round the end.
pub(super) fn next_tab(state: &mut AppState, forward: bool) -> Vec<Effect> {
    let all = ResourceKind::ALL;
    let pos = all.iter().position(|k| *k == state.tab).unwrap_or(0);
    let next = if forward {
        (pos + 1) % all.len()
    } else {
        (pos + all.len() - 1) % all.len()
    };
    switch_tab(state, all[next])
}

pub(super) fn switch_tab(state: &mut AppState, kind: ResourceKind) -> Vec<Effect> {
    state.detail = None;
    state.monitor_view = None;
    state.input_mode = InputMode::Normal;
    // A Networks sub-view (`:ports`) opens the Networks tab showing it.
    if kind.tab() != kind {
        state.network_view = kind;
    } else if kind == ResourceKind::Networks {
        state.network_view = ResourceKind::Networks;
    }
    state.tab = kind.tab();
    state.filter_input = state
        .current_table()
        .map(|t| tui_input::Input::new(t.filter.clone()))
        .unwrap_or_default();
    request_list(state, state.view_kind())
}

pub(super) fn move_selection(state: &mut AppState, delta: isize) -> Vec<Effect> {
    let rows = state.layout.table_rows();
    let end = state.layout.detail_scroll_max.unwrap_or(0);
    if let Some(d) = &mut state.detail {
        d.scroll = d
            .scroll
            .saturating_add_signed(i16::try_from(delta).unwrap_or(0))
            .min(end);
    } else if let Some(t) = state.current_table_mut() {
        t.move_by(delta);
        t.scroll_into_view(rows);
    }
    Vec::new()
}

/// The first row, or the top of the detail.
pub(super) fn top(state: &mut AppState) -> Vec<Effect> {
    let rows = state.layout.table_rows();
    if let Some(d) = &mut state.detail {
        d.scroll = 0;
    } else if let Some(t) = state.current_table_mut() {
        t.select_first();
        t.scroll_into_view(rows);
    }
    Vec::new()
}

/// The last row, or the end of the detail as far as the last frame could scroll.
pub(super) fn bottom(state: &mut AppState) -> Vec<Effect> {
    let rows = state.layout.table_rows();
    let end = state.layout.detail_scroll_max.unwrap_or(0);
    if let Some(d) = &mut state.detail {
        d.scroll = end;
    } else if let Some(t) = state.current_table_mut() {
        t.select_last();
        t.scroll_into_view(rows);
    }
    Vec::new()
}

/// Esc: close the monitor or the detail, else clear the filter.
pub(super) fn back(state: &mut AppState) -> Vec<Effect> {
    if state.monitor_view.take().is_some() {
        return Vec::new();
    }
    if state.detail.take().is_none()
        && let Some(t) = state.current_table_mut()
        && !t.filter.is_empty()
    {
        t.set_filter("");
        state.filter_input.reset();
    }
    Vec::new()
}

/// The Networks tab's next sub-view (the backend lists them).
pub(super) fn next_view(state: &mut AppState) -> Vec<Effect> {
    let sub_views = state.caps.sub_views(state.tab);
    if state.tab != ResourceKind::Networks || sub_views.is_empty() || state.detail.is_some() {
        return Vec::new();
    }
    let order = [state.tab]
        .into_iter()
        .chain(sub_views.iter().copied())
        .collect::<Vec<_>>();
    let pos = order
        .iter()
        .position(|k| *k == state.network_view)
        .unwrap_or(0);
    state.network_view = order[(pos + 1) % order.len()];
    state.input_mode = InputMode::Normal;
    request_list(state, state.network_view)
}

/// Show the detail's document, or its sections again.
pub(super) fn toggle_document(state: &mut AppState) -> Vec<Effect> {
    if let Some(d) = &mut state.detail {
        d.show_document = !d.show_document;
        d.scroll = 0;
    }
    Vec::new()
}

/// What the frame just drawn looked like: the table keeps the first row it showed and the
/// detail's scroll stays within what it can show.
pub fn on_frame(state: &mut AppState, facts: LayoutFacts) {
    if let Some((kind, first)) = facts.first_row
        && let Some(t) = state.tables.get_mut(&kind)
    {
        t.offset = first;
    }
    if let (Some(d), Some(end)) = (&mut state.detail, facts.detail_scroll_max) {
        d.scroll = d.scroll.min(end);
    }
    state.layout = facts;
}

pub(super) fn sort(state: &mut AppState, action: &Action) {
    let lang = state.lang;
    if state.tab == ResourceKind::Overview && state.detail.is_none() {
        if matches!(action, Action::SortNext) {
            state.top_sort = state.top_sort.next();
        }
        return;
    }
    let titles = commands::shown_column_titles(state);
    if state.view_kind() == ResourceKind::Instances {
        // The keys must be there before sorting by a live column (when they are shown).
        state.refresh_live_sort(true);
    }
    let Some(table) = state.current_table_mut() else {
        return;
    };
    let columns = titles.len().max(1);
    let (column, descending) = match action {
        Action::SortNext => ((table.sort_column + 1) % columns, false),
        Action::SortReverse => (table.sort_column, !table.sort_descending),
        Action::SortBy(c) if *c == table.sort_column => (*c, !table.sort_descending),
        Action::SortBy(c) => ((*c).min(columns - 1), false),
        _ => return,
    };
    table.sort_by(column, descending);
    let dir = if descending {
        Msg::SortDescending
    } else {
        Msg::SortAscending
    };
    let title = titles.get(column).map_or("", |m| m.text(lang));
    let msg = Msg::StatusSortedBy.fill(lang, &[("column", title), ("dir", dir.text(lang))]);
    state.set_status(Level::Info, msg);
}

pub(super) fn open_detail(state: &mut AppState) -> Vec<Effect> {
    if state.tab == ResourceKind::Overview {
        return Vec::new();
    }
    let Some(id) = state
        .current_table()
        .and_then(|t| t.selected_id())
        .map(str::to_string)
    else {
        return Vec::new();
    };
    state.detail = Some(DetailView {
        kind: state.view_kind(),
        id: id.clone(),
        scroll: 0,
        show_document: false,
    });
    if state.tab == ResourceKind::Instances {
        if state.instance_detail.as_ref().is_none_or(|(i, _)| *i != id) {
            state.instance_detail = None;
        }
        return vec![state.request(BackendRequest::Detail { id })];
    }
    Vec::new()
}

/// A click on a row selects it; a click on the selected row opens it.
pub(super) fn click_row(state: &mut AppState, row: usize) -> Vec<Effect> {
    if state.detail.is_some() {
        return Vec::new();
    }
    let Some(t) = state.current_table_mut() else {
        return Vec::new();
    };
    if t.selected == row {
        return open_detail(state);
    }
    t.selected = row.min(t.visible.len().saturating_sub(1));
    Vec::new()
}
