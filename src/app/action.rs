//! User intents, produced by the keymap, the mouse and `:` commands.

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
    /// Cycle the Networks tab through its sub-views (cloud).
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
}

/// What `update` asks the event loop to do; the only way state changes reach the outside.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Request(BackendRequest),
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
