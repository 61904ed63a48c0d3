//! State transitions: input and backend results in, [`Effect`]s out. No I/O happens here, so
//! every flow (selection across refreshes, confirm dialogs, read-only refusals, stale answers)
//! is tested without a terminal or a hypervisor.

use std::time::{Duration, Instant};

use tui_input::backend::crossterm::EventHandler;

use crate::app::action::{Action, Effect, InputEdit, LineAction, PromptKind, action_title};
use crate::app::commands::{self, completions};
use crate::app::layout::LayoutFacts;
use crate::app::modal::{
    Behind, Confirm, ConsoleUrl, ConsoleView, EditFailed, FlavorPicker, Form, Help, Modal,
    ModalOutcome, instance_forms,
};
use crate::app::state::{AppState, DetailView, InputMode, Level, RunningTask};
use crate::backend::{BackendError, BackendEvent, BackendRequest, ConnectionState, InstanceAction};
use crate::i18n::{self, Msg, tab_title};
use crate::model::{InstanceStatus, ResourceKind};

/// Info messages fade after this long; errors stay until replaced.
const STATUS_TTL: Duration = Duration::from_secs(6);

/// Requests made once at start-up: the header's host facts and the first tab.
pub fn start(state: &mut AppState) -> Vec<Effect> {
    let mut effects = vec![Effect::Request(BackendRequest::HostInfo)];
    effects.extend(request_list(state, state.view_kind()));
    effects
}

fn request_list(state: &mut AppState, kind: ResourceKind) -> Vec<Effect> {
    state.generation += 1;
    state.stale.retain(|k| *k != kind);
    vec![Effect::Request(BackendRequest::List {
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
    vec![Effect::Request(BackendRequest::SampleStats {
        focus: state.stats_focus(),
    })]
}

pub fn on_spinner_tick(state: &mut AppState) {
    state.spinner = state.spinner.wrapping_add(1);
}

fn expire_settling_tasks(state: &mut AppState, now: Instant) {
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

/// The open dialog reads its own keys; what it asks for is carried out here.
fn modal_action(state: &mut AppState, mut modal: Modal, action: &Action) -> Vec<Effect> {
    let behind = Behind {
        lang: state.lang,
        caps: &state.caps,
        instances: &state.data.instances,
        flavors: &state.data.flavors,
    };
    match modal.on_action(action, &behind) {
        ModalOutcome::Stay => {
            state.modal = Some(modal);
            Vec::new()
        }
        ModalOutcome::Close => Vec::new(),
        ModalOutcome::Action(next) => on_action(state, next),
        ModalOutcome::Effects(effects) => effects,
        ModalOutcome::Warn(text) => {
            state.set_status(Level::Warning, text);
            state.modal = Some(modal);
            Vec::new()
        }
    }
}

pub fn on_action(state: &mut AppState, action: Action) -> Vec<Effect> {
    if Modal::reads(&action)
        && let Some(modal) = state.modal.take()
    {
        return modal_action(state, modal, &action);
    }
    match action {
        // Keys of a dialog with none open, or typed with no text field: nothing to do.
        Action::Modal(_) | Action::RevealConsoleToken => Vec::new(),
        Action::Input(edit) => edit_line(state, edit),
        Action::Line(line) => on_line(state, line),
        Action::Scroll(delta) => move_selection(state, delta),
        Action::ClickRow(row) => click_row(state, row),
        Action::Perform { id, action } => {
            // The instance is the one the dialog named, even if rows moved meanwhile.
            if let Some(t) = state.tables.get_mut(&ResourceKind::Instances) {
                t.select_id(&id);
            }
            request_instance_action(state, action)
        }
        Action::Confirmed { id, name, action } => perform(state, id, name, action),
        Action::Quit => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Action::NextTab | Action::PrevTab => {
            let all = ResourceKind::ALL;
            let pos = all.iter().position(|k| *k == state.tab).unwrap_or(0);
            let next = if action == Action::NextTab {
                (pos + 1) % all.len()
            } else {
                (pos + all.len() - 1) % all.len()
            };
            switch_tab(state, all[next])
        }
        Action::GoTab(kind) => switch_tab(state, kind),
        // Resolved to `GoTab` by the input layer, which knows the digit.
        Action::GoTabByKey => Vec::new(),
        Action::Up => move_selection(state, -1),
        Action::Down => move_selection(state, 1),
        Action::PageUp => {
            let page = state.layout.rows_per_page.max(1).cast_signed();
            move_selection(state, -page)
        }
        Action::PageDown => {
            let page = state.layout.rows_per_page.max(1).cast_signed();
            move_selection(state, page)
        }
        Action::Top => {
            let rows = state.layout.table_rows();
            if let Some(d) = &mut state.detail {
                d.scroll = 0;
            } else if let Some(t) = state.current_table_mut() {
                t.select_first();
                t.scroll_into_view(rows);
            }
            Vec::new()
        }
        Action::Bottom => {
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
        Action::OpenDetail => open_detail(state),
        Action::Back => {
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
        Action::StartFilter => {
            if state.tab != ResourceKind::Overview && state.detail.is_none() {
                state.input_mode = InputMode::Filter;
            }
            Vec::new()
        }
        Action::StartCommand => {
            state.input_mode = InputMode::Command;
            state.command_input.reset();
            state.completion = None;
            Vec::new()
        }
        Action::ToggleHelp => {
            state.modal = Some(Modal::Help(Help::default()));
            Vec::new()
        }
        Action::SortNext | Action::SortReverse | Action::SortBy(_) => {
            sort(state, &action);
            Vec::new()
        }
        Action::Refresh => {
            let mut effects = request_list(state, state.view_kind());
            effects.push(Effect::Request(BackendRequest::HostInfo));
            if let Some(d) = &state.detail
                && d.kind == ResourceKind::Instances
            {
                effects.push(Effect::Request(BackendRequest::Detail { id: d.id.clone() }));
            }
            effects
        }
        Action::Monitor => {
            let Some(id) = state.selected_instance().map(|i| i.id.clone()) else {
                let msg = state.t(Msg::StatusSelectInstance);
                state.set_status(Level::Warning, msg);
                return Vec::new();
            };
            state.monitor_view = Some(id);
            on_stats_timer(state)
        }
        Action::ToggleStatsColumns => {
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
        Action::Prompt(kind) => open_prompt(state, kind),
        Action::Resize => {
            if !warn_unless_selected(state) {
                return Vec::new();
            }
            let Some(inst) = state.selected_instance() else {
                return Vec::new();
            };
            if inst.status.as_str() == "VERIFY_RESIZE" {
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
        Action::ToggleLock => {
            let locked = state.selected_instance().and_then(|i| i.locked) == Some(true);
            let action = if locked {
                InstanceAction::Unlock
            } else {
                InstanceAction::Lock
            };
            request_instance_action(state, action)
        }
        Action::NextView => {
            let cloud = matches!(
                state.caps.command_style,
                crate::backend::CommandStyle::OpenStack { .. }
            );
            if state.tab != ResourceKind::Networks || !cloud || state.detail.is_some() {
                return Vec::new();
            }
            let order = [ResourceKind::Networks]
                .into_iter()
                .chain(crate::app::state::SUB_VIEWS)
                .collect::<Vec<_>>();
            let pos = order
                .iter()
                .position(|k| *k == state.network_view)
                .unwrap_or(0);
            state.network_view = order[(pos + 1) % order.len()];
            state.input_mode = InputMode::Normal;
            request_list(state, state.network_view)
        }
        Action::ToggleXml => {
            if let Some(d) = &mut state.detail {
                d.show_document = !d.show_document;
                d.scroll = 0;
            }
            Vec::new()
        }
        Action::StartOrRestore => {
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
        Action::PauseOrResume => {
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
        Action::ToggleAutostart => {
            let on = state
                .selected_instance()
                .is_some_and(|i| i.autostart == Some(true));
            request_instance_action(state, InstanceAction::SetAutostart(!on))
        }
        Action::Instance(action) => request_instance_action(state, action),
        Action::Console => {
            if !warn_unless_selected(state) {
                return Vec::new();
            }
            let Some(inst) = state.selected_instance() else {
                return Vec::new();
            };
            let (id, name) = (inst.id.clone(), inst.name.clone());
            // A cloud's browser console URL is asked for here only: creating it is a POST that
            // opens a console session, which read-only mode never sends.
            let cloud = matches!(
                state.caps.command_style,
                crate::backend::CommandStyle::OpenStack { .. }
            );
            let url = match (cloud, state.caps.readonly) {
                (false, _) => ConsoleUrl::NotAsked,
                (true, true) => ConsoleUrl::Failed(state.t(Msg::ConsoleUrlReadOnly).to_string()),
                (true, false) => ConsoleUrl::Loading,
            };
            let mut effects = vec![Effect::Request(BackendRequest::Detail { id: id.clone() })];
            if url == ConsoleUrl::Loading {
                effects.push(Effect::Request(BackendRequest::ConsoleUrl {
                    id: id.clone(),
                }));
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
        // A cloud has no document to edit: its edit (编辑) is the name.
        Action::Edit if !state.caps.edit && !state.caps.readonly => {
            open_prompt(state, PromptKind::Rename)
        }
        Action::Edit => {
            if state.caps.readonly || !state.caps.edit {
                refuse_readonly(state, Msg::ActEdit);
                return Vec::new();
            }
            if !warn_unless_selected(state) {
                return Vec::new();
            }
            let Some(inst) = state.selected_instance() else {
                return Vec::new();
            };
            vec![Effect::Request(BackendRequest::EditableDocument {
                id: inst.id.clone(),
                name: inst.name.clone(),
            })]
        }
    }
}

/// Whether an instance is selected; says so in the status line when none is.
fn warn_unless_selected(state: &mut AppState) -> bool {
    if state.selected_instance().is_some() {
        return true;
    }
    let msg = state.t(Msg::StatusSelectInstance);
    state.set_status(Level::Warning, msg);
    false
}

fn open_prompt(state: &mut AppState, kind: PromptKind) -> Vec<Effect> {
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

fn switch_tab(state: &mut AppState, kind: ResourceKind) -> Vec<Effect> {
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

fn move_selection(state: &mut AppState, delta: isize) -> Vec<Effect> {
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

fn sort(state: &mut AppState, action: &Action) {
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

fn open_detail(state: &mut AppState) -> Vec<Effect> {
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
        return vec![Effect::Request(BackendRequest::Detail { id })];
    }
    Vec::new()
}

fn refuse_readonly(state: &mut AppState, what: Msg) {
    let msg = Msg::StatusReadonly.fill(state.lang, &[("action", what.text(state.lang))]);
    state.set_status(Level::Error, msg);
}

fn request_instance_action(state: &mut AppState, action: InstanceAction) -> Vec<Effect> {
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
    let busy = state.tasks.contains_key(&inst.id);
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

fn perform(state: &mut AppState, id: String, name: String, action: InstanceAction) -> Vec<Effect> {
    let from_status = state
        .data
        .instances
        .iter()
        .find(|i| i.id == id)
        .map(|i| i.status.as_str().to_string())
        .unwrap_or_default();
    state.tasks.insert(
        id.clone(),
        RunningTask {
            name: name.clone(),
            action: action.clone(),
            started: Instant::now(),
            call_done: false,
            from_status,
        },
    );
    state.refresh_instance_rows();
    vec![Effect::Request(BackendRequest::Perform {
        id,
        name,
        action,
    })]
}

/// A key typed into the filter or `:` line.
fn edit_line(state: &mut AppState, edit: InputEdit) -> Vec<Effect> {
    let event = crossterm::event::Event::Key(edit.0);
    match state.input_mode {
        InputMode::Filter => {
            state.filter_input.handle_event(&event);
            let text = state.filter_input.value().to_string();
            if let Some(t) = state.current_table_mut() {
                t.set_filter(&text);
            }
        }
        InputMode::Command => {
            state.command_input.handle_event(&event);
            state.completion = None;
        }
        InputMode::Normal => {}
    }
    Vec::new()
}

/// Enter, Esc and Tab on the filter or `:` line.
fn on_line(state: &mut AppState, line: LineAction) -> Vec<Effect> {
    match (state.input_mode, line) {
        (InputMode::Filter, LineAction::Cancel) => {
            state.filter_input.reset();
            state.input_mode = InputMode::Normal;
            if let Some(t) = state.current_table_mut() {
                t.set_filter("");
            }
        }
        (InputMode::Filter, LineAction::Submit) => state.input_mode = InputMode::Normal,
        (InputMode::Command, LineAction::Cancel) => {
            state.input_mode = InputMode::Normal;
            state.command_input.reset();
        }
        (InputMode::Command, LineAction::Complete) => complete_command(state),
        (InputMode::Command, LineAction::Submit) => {
            state.input_mode = InputMode::Normal;
            let line = state.command_input.value().trim().to_string();
            state.command_input.reset();
            return run_command(state, &line);
        }
        _ => {}
    }
    Vec::new()
}

fn complete_command(state: &mut AppState) {
    let (prefix, index) = match &state.completion {
        Some((p, i)) => (p.clone(), *i),
        None => (state.command_input.value().to_string(), 0),
    };
    let candidates = completions(state, &prefix);
    if let Some(line) = candidates.get(index % candidates.len().max(1)) {
        state.command_input = tui_input::Input::new(line.clone());
        state.completion = Some((prefix, index + 1));
    }
}

/// Run a `:` line through the command table.
pub fn run_command(state: &mut AppState, line: &str) -> Vec<Effect> {
    let line = line.trim();
    let (word, arg) = line.split_once(' ').unwrap_or((line, ""));
    if word.is_empty() {
        return Vec::new();
    }
    let Some(command) = commands::find(word) else {
        let msg = Msg::StatusUnknownCommand.fill(state.lang, &[("command", line)]);
        state.set_status(Level::Error, msg);
        return Vec::new();
    };
    let arg = arg.trim();
    match (command.build)(state, arg) {
        Ok(commands::Outcome::Action(action)) => {
            if command.on_instance && state.tab != ResourceKind::Instances {
                state.tab = ResourceKind::Instances;
            }
            on_action(state, action)
        }
        Ok(commands::Outcome::Effect(effect)) => {
            if let Effect::Request(BackendRequest::SwitchScope(change)) = &effect {
                state.pending_scope = Some(change.clone());
            }
            vec![effect]
        }
        Err(error) => {
            let lang = state.lang;
            let msg = match error {
                commands::ArgError::Missing => {
                    let what = command.arg.placeholder().map_or("", |m| m.text(lang));
                    Msg::StatusMissingArgument
                        .fill(lang, &[("command", command.word), ("arg", what)])
                }
                commands::ArgError::Unknown => {
                    Msg::StatusBadArgument.fill(lang, &[("command", command.word), ("arg", arg)])
                }
            };
            state.set_status(Level::Error, msg);
            Vec::new()
        }
    }
}

/// A click on a row selects it; a click on the selected row opens it.
fn click_row(state: &mut AppState, row: usize) -> Vec<Effect> {
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
                Ok(listing) => {
                    let changed = state.apply_listing(listing);
                    if kind == ResourceKind::Instances && !state.tasks.is_empty() {
                        settle_tasks(state);
                    } else if !changed {
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
                    if let Some(task) = state.tasks.get_mut(&id) {
                        task.call_done = true;
                    }
                    if matches!(action, InstanceAction::Delete { .. })
                        && state.detail.as_ref().is_some_and(|d| d.id == id)
                    {
                        state.detail = None;
                    }
                }
                Err(e) => {
                    state.tasks.remove(&id);
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
                effects.push(Effect::Request(BackendRequest::Detail { id }));
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
                    effects.push(Effect::Request(BackendRequest::Detail { id }));
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
        BackendEvent::Changed(ids) => {
            state.screen_changed = false;
            let visible = matches!(state.tab, ResourceKind::Instances | ResourceKind::Overview);
            let mut effects = Vec::new();
            if visible || ids.iter().any(|id| state.tasks.contains_key(id)) {
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
                effects.push(Effect::Request(BackendRequest::Detail { id: d.id.clone() }));
            }
            return effects;
        }
        BackendEvent::Note(note) => state.set_status(Level::Warning, note),
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
                effects.push(Effect::Request(BackendRequest::HostInfo));
                return effects;
            }
        }
    }
    Vec::new()
}

/// Clear tasks whose action has taken effect, announcing the result.
fn settle_tasks(state: &mut AppState) {
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
        Ok(document) => vec![Effect::Request(BackendRequest::Redefine {
            id,
            name,
            document,
        })],
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
