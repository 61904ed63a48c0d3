//! A redefinition the backend refused: edit the same text again, or discard it.

use crate::app::action::{Action, Effect, ModalAction};
use crate::app::modal::ModalOutcome;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditFailed {
    pub id: String,
    pub name: String,
    /// The edited text, kept so nothing the user typed is lost.
    pub document: String,
    pub error: String,
}

impl EditFailed {
    pub fn on_action(&mut self, action: &Action) -> ModalOutcome {
        match action {
            Action::Modal(ModalAction::Submit) => ModalOutcome::Effects(vec![Effect::Edit {
                id: self.id.clone(),
                name: self.name.clone(),
                document: self.document.clone(),
            }]),
            Action::Modal(ModalAction::Cancel) => ModalOutcome::Close,
            _ => ModalOutcome::Stay,
        }
    }
}
