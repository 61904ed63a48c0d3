//! User intents, produced by the keymap, the mouse and `:` commands.

use crate::backend::{BackendRequest, InstanceAction};
use crate::model::ResourceKind;

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
    Prompt(crate::app::state::PromptKind),
    /// Pick a flavor to resize to, or confirm a resize that waits for it.
    Resize,
    ToggleLock,
    /// Create what a form describes (its submit).
    Create(crate::backend::CreateSpec),
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
