//! Dialogs over the screen, one module each. A dialog owns its state and reads its own keys
//! (as Actions, from the keymap's context for it); what it asks for comes back as a
//! [`ModalOutcome`] that `update` carries out. Each has its drawing twin under `ui::modal`.

pub mod confirm;
pub mod console;
pub mod edit_failed;
pub mod form;
pub mod help;
pub mod instance_forms;
pub mod picker;

use crate::app::action::{Action, Effect};
use crate::app::keymap::Context;
use crate::backend::Capabilities;
use crate::i18n::Lang;
use crate::model::{Flavor, Instance};

pub use confirm::Confirm;
pub use console::{ConsoleUrl, ConsoleView};
pub use edit_failed::EditFailed;
pub use form::Form;
pub use help::Help;
pub use picker::FlavorPicker;

#[derive(Debug)]
pub enum Modal {
    Help(Help),
    Confirm(Confirm),
    Console(ConsoleView),
    EditFailed(EditFailed),
    /// Choose the flavor to resize to (升级).
    PickFlavor(FlavorPicker),
    /// A form: the snapshot, rename and metadata answers, and every create to come.
    Form(Form),
}

/// What a dialog asks for after a key.
#[derive(Clone, Debug, PartialEq)]
pub enum ModalOutcome {
    Stay,
    Close,
    /// Close, then do this.
    Action(Action),
    /// Close, then ask the event loop for these.
    Effects(Vec<Effect>),
    /// Stay open, and say this in the status line as a warning.
    Warn(String),
}

/// What a dialog may read of the screen behind it.
pub struct Behind<'a> {
    pub lang: Lang,
    pub caps: &'a Capabilities,
    pub instances: &'a [Instance],
    pub flavors: &'a [Flavor],
}

impl Modal {
    /// Key contexts while the dialog is open, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        match self {
            Self::Help(_) => vec![Context::Help, Context::Modal],
            Self::Confirm(_) => vec![Context::Confirm, Context::Modal],
            Self::Console(_) => vec![Context::Console, Context::Modal],
            Self::EditFailed(_) => vec![Context::EditFailed, Context::Modal],
            Self::PickFlavor(_) => vec![Context::Picker, Context::Modal],
            Self::Form(form) => form.contexts(),
        }
    }

    /// Whether keys no binding takes are typed into the dialog.
    pub fn takes_text(&self) -> bool {
        match self {
            Self::Form(form) => form.takes_text(),
            _ => false,
        }
    }

    /// Whether `action` is for the dialog (the others, such as quitting, pass it by).
    pub fn reads(action: &Action) -> bool {
        matches!(
            action,
            Action::Modal(_) | Action::Input(_) | Action::RevealConsoleToken
        )
    }

    /// Handle one of the dialog's keys.
    pub fn on_action(&mut self, action: &Action, behind: &Behind<'_>) -> ModalOutcome {
        match self {
            Self::Help(m) => m.on_action(action),
            Self::Confirm(m) => m.on_action(action),
            Self::Console(m) => m.on_action(action, behind),
            Self::EditFailed(m) => m.on_action(action),
            Self::PickFlavor(m) => m.on_action(action, behind.flavors),
            Self::Form(m) => m.on_action(action),
        }
    }
}
