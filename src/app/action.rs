//! User intents, produced by the keymap, the mouse and `:` commands.

use crossterm::event::KeyEvent;

use crate::backend::{BackendRequest, InstanceAction};
use crate::i18n::Msg;
use crate::model::ResourceKind;

/// The one-line answers an instance action asks for before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    Snapshot,
    Rename,
    Metadata,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    NextTab,
    PrevTab,
    GoTab(ResourceKind),
    /// A digit key: the tab is the digit's position.
    GoTabByKey,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    OpenDetail,
    Back,
    StartFilter,
    StartCommand,
    ToggleHelp,
    SortNext,
    SortReverse,
    SortBy(usize),
    Refresh,
    ToggleXml,
    /// Cycle a tab through its sub-views (the backend lists them).
    NextView,
    /// Start, or restore when the instance has a managed save.
    StartOrRestore,
    PauseOrResume,
    ToggleAutostart,
    Instance(InstanceAction),
    Console,
    /// In the console view: show or hide the browser console URL's access token.
    RevealConsoleToken,
    Edit,
    /// Open the monitor pane (监控) of the selected instance.
    Monitor,
    /// Show or hide the CPU and memory columns of the Instances table.
    ToggleStatsColumns,
    /// Ask for a snapshot name, a new name or metadata, then act.
    Prompt(PromptKind),
    /// Pick a flavor to resize to, or confirm a resize that waits for it.
    Resize,
    ToggleLock,
    /// Open the form that creates a volume.
    NewVolume,
    /// Open the audit log view.
    OpenAudit,
    /// Create what a form describes (its submit).
    Create(crate::backend::CreateSpec),
    /// Run `action` on the instance `id` (a form's or a picker's answer); the same guards
    /// apply as for a key on the selected row.
    Perform {
        id: String,
        action: InstanceAction,
    },
    /// The confirmation dialog said yes: run it.
    Confirmed {
        id: String,
        name: String,
        action: InstanceAction,
    },
    /// A key of the open dialog.
    Modal(ModalAction),
    /// A key of the filter or `:` line.
    Line(LineAction),
    /// A key typed into the text field that has the focus (filter, `:` line, form field).
    Input(InputEdit),
    /// The mouse wheel: move the selection (or the detail) by this many rows.
    Scroll(isize),
    /// A click on a row of the table (its position among the visible rows).
    ClickRow(usize),
}

/// What the keys of a dialog ask for; each dialog reads the ones it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModalAction {
    /// Yes, choose, attach, edit again, or a form's Enter (next field, or submit on the last).
    Submit,
    Cancel,
    /// The next field of a form.
    Next,
    /// The previous field of a form.
    Prev,
    /// Scroll, or move through a list (a form's select, multi-select or unit).
    Up,
    Down,
    /// A checkbox: a form's toggle or multi-select entry, a confirmation's option.
    Toggle,
}

/// The keys of the filter and `:` lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineAction {
    /// Enter: keep the filter, run the command.
    Submit,
    Cancel,
    /// Tab on the `:` line.
    Complete,
}

/// A key for the text field with the focus, handed to its editor as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputEdit(pub KeyEvent);

/// What `update` asks the event loop to do; the only way state changes reach the outside.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// A request for the backend of `connection`.
    Request {
        connection: crate::backend::ConnectionId,
        request: BackendRequest,
    },
    /// Suspend the UI and open `document` in `$EDITOR`; then redefine it.
    Edit {
        id: String,
        name: String,
        document: String,
    },
    /// Suspend the UI and run an interactive command (the serial console).
    RunInteractive(Vec<String>),
    Quit,
}

/// The name of a create, as forms and status lines say it.
pub fn create_title(spec: &crate::backend::CreateSpec) -> Msg {
    match spec {
        crate::backend::CreateSpec::Volume(_) => Msg::ActCreateVolume,
    }
}

/// The name of an instance action, as menus, confirmations and status lines say it.
pub fn action_title(action: &InstanceAction) -> Msg {
    match action {
        InstanceAction::Start => Msg::ActStart,
        InstanceAction::Shutdown => Msg::ActShutdown,
        InstanceAction::ForceOff => Msg::ActForceOff,
        InstanceAction::Reboot => Msg::ActReboot,
        InstanceAction::Reset => Msg::ActReset,
        InstanceAction::Pause => Msg::ActPause,
        InstanceAction::Resume => Msg::ActResume,
        InstanceAction::Suspend => Msg::ActSuspend,
        InstanceAction::Restore => Msg::ActRestore,
        InstanceAction::Delete { .. } => Msg::ActDelete,
        InstanceAction::SetAutostart(true) => Msg::ActAutostartOn,
        InstanceAction::SetAutostart(false) => Msg::ActAutostartOff,
        InstanceAction::Lock => Msg::ActLock,
        InstanceAction::Unlock => Msg::ActUnlock,
        InstanceAction::Snapshot { .. } => Msg::ActSnapshot,
        InstanceAction::Resize { .. } => Msg::ActResize,
        InstanceAction::ConfirmResize => Msg::ActConfirmResize,
        InstanceAction::RevertResize => Msg::ActRevertResize,
        InstanceAction::Rename { .. } => Msg::ActRename,
        InstanceAction::SetMetadata { .. } => Msg::ActMetadata,
    }
}
