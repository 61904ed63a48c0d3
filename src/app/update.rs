//! State transitions: Actions and backend results in, [`Effect`]s out. No I/O happens here, so
//! every flow (selection across refreshes, confirm dialogs, read-only refusals, stale answers)
//! is tested without a terminal or a hypervisor. This file only dispatches; each job has its
//! module under `update/`.

mod create;
mod events;
mod instance;
mod line;
mod navigation;
mod tasks;
mod timers;

pub use events::{on_backend, on_edited, on_interactive_error};
pub use navigation::on_frame;
pub use timers::{on_refresh_timer, on_spinner_tick, on_stats_timer, start};

use crate::app::action::{Action, Effect};
use crate::app::commands::Outcome;
use crate::app::modal::{Behind, Help, Modal, ModalOutcome};
use crate::app::state::{AppState, Level};

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

/// What a line or command asks for, carried out.
fn then(state: &mut AppState, outcome: Option<Outcome>) -> Vec<Effect> {
    match outcome {
        Some(Outcome::Action(action)) => on_action(state, action),
        Some(Outcome::Effect(effect)) => vec![effect],
        None => Vec::new(),
    }
}

/// Run a `:` line (the command table says what it means).
pub fn run_command(state: &mut AppState, text: &str) -> Vec<Effect> {
    let outcome = line::run_command(state, text);
    then(state, outcome)
}

pub fn on_action(state: &mut AppState, action: Action) -> Vec<Effect> {
    if Modal::reads(&action)
        && let Some(modal) = state.modal.take()
    {
        return modal_action(state, modal, &action);
    }
    match action {
        // Keys of a dialog with none open: nothing to do.
        Action::Modal(_) | Action::RevealConsoleToken => Vec::new(),
        Action::Input(edit) => line::edit_line(state, edit),
        Action::Line(key) => {
            let outcome = line::on_line(state, key);
            then(state, outcome)
        }
        Action::StartFilter => line::start_filter(state),
        Action::StartCommand => line::start_command(state),
        Action::Quit => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Action::ToggleHelp => {
            state.modal = Some(Modal::Help(Help::default()));
            Vec::new()
        }
        Action::Refresh => timers::refresh(state),

        Action::NextTab => navigation::next_tab(state, true),
        Action::PrevTab => navigation::next_tab(state, false),
        Action::GoTab(kind) => navigation::switch_tab(state, kind),
        // Resolved to `GoTab` by the input layer, which knows the digit.
        Action::GoTabByKey => Vec::new(),
        Action::NextView => navigation::next_view(state),
        Action::Up => navigation::move_selection(state, -1),
        Action::Down => navigation::move_selection(state, 1),
        Action::Scroll(delta) => navigation::move_selection(state, delta),
        Action::PageUp => {
            let page = state.layout.rows_per_page.max(1).cast_signed();
            navigation::move_selection(state, -page)
        }
        Action::PageDown => {
            let page = state.layout.rows_per_page.max(1).cast_signed();
            navigation::move_selection(state, page)
        }
        Action::Top => navigation::top(state),
        Action::Bottom => navigation::bottom(state),
        Action::ClickRow(row) => navigation::click_row(state, row),
        Action::OpenDetail => navigation::open_detail(state),
        Action::Back => navigation::back(state),
        Action::ToggleXml => navigation::toggle_document(state),
        Action::SortNext | Action::SortReverse | Action::SortBy(_) => {
            navigation::sort(state, &action);
            Vec::new()
        }

        Action::Monitor => instance::monitor(state),
        Action::ToggleStatsColumns => instance::toggle_stats_columns(state),
        Action::Prompt(kind) => instance::open_prompt(state, kind),
        Action::Resize => instance::resize(state),
        Action::ToggleLock => instance::toggle_lock(state),
        Action::Create(spec) => create::request_create(state, spec),
        Action::NewVolume => create::open_volume_form(state),
        Action::OpenAudit => {
            state.modal = Some(Modal::Audit(crate::app::modal::AuditView::default()));
            vec![state.request(crate::backend::BackendRequest::ReadAudit)]
        }
        Action::StartOrRestore => instance::start_or_restore(state),
        Action::PauseOrResume => instance::pause_or_resume(state),
        Action::ToggleAutostart => instance::toggle_autostart(state),
        Action::Instance(action) => instance::request_instance_action(state, action),
        Action::Perform { id, action } => instance::perform_on(state, id, action),
        Action::Confirmed { id, name, action } => instance::perform(state, id, name, action),
        Action::Console => instance::console(state),
        Action::Edit => instance::edit(state),
    }
}
