//! The filter and `:` lines: text typed into them, Enter, Esc and Tab, and running a command
//! through the command table.

use tui_input::backend::crossterm::EventHandler;

use crate::app::action::{Effect, InputEdit, LineAction};
use crate::app::commands::{self, Outcome, completions};
use crate::app::state::{AppState, InputMode, Level};
use crate::backend::{BackendRequest, ScopeChange, ScopeKind};
use crate::i18n::Msg;
use crate::model::ResourceKind;

/// `/`: type a filter for the table on screen.
pub(super) fn start_filter(state: &mut AppState) -> Vec<Effect> {
    if state.tab != ResourceKind::Overview && state.detail.is_none() {
        state.input_mode = InputMode::Filter;
    }
    Vec::new()
}

/// `:`: type a command.
pub(super) fn start_command(state: &mut AppState) -> Vec<Effect> {
    state.input_mode = InputMode::Command;
    state.command_input.reset();
    state.completion = None;
    Vec::new()
}

/// A key typed into the filter or `:` line.
pub(super) fn edit_line(state: &mut AppState, edit: InputEdit) -> Vec<Effect> {
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
pub(super) fn on_line(state: &mut AppState, line: LineAction) -> Option<Outcome> {
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
    None
}

pub(super) fn complete_command(state: &mut AppState) {
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

/// Run a `:` line through the command table: what it asks for, if anything.
pub(super) fn run_command(state: &mut AppState, line: &str) -> Option<Outcome> {
    let line = line.trim();
    let (word, arg) = line.split_once(' ').unwrap_or((line, ""));
    if word.is_empty() {
        return None;
    }
    let Some(command) = commands::find(word) else {
        let msg = Msg::StatusUnknownCommand.fill(state.lang, &[("command", line)]);
        state.set_status(Level::Error, msg);
        return None;
    };
    let arg = arg.trim();
    match (command.build)(state, arg) {
        Ok(Outcome::Action(action)) => {
            if command.on_instance && state.tab != ResourceKind::Instances {
                state.tab = ResourceKind::Instances;
            }
            Some(Outcome::Action(action))
        }
        Ok(Outcome::Effect(effect)) => {
            if let Effect::Request {
                request: BackendRequest::SwitchScope(change),
                ..
            } = &effect
            {
                let scope = match change {
                    ScopeChange::Region(_) => ScopeKind::Region,
                    ScopeChange::Project(_) => ScopeKind::Project,
                    ScopeChange::AllProjects(_) => ScopeKind::AllProjects,
                };
                if !state.caps.can_switch(scope) {
                    let msg = Msg::StatusNotSupported.fill(state.lang, &[("what", word)]);
                    state.set_status(Level::Warning, msg);
                    return None;
                }
                state.pending_scope = Some(change.clone());
            }
            Some(Outcome::Effect(effect))
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
            None
        }
    }
}
