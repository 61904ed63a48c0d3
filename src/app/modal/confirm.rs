//! The confirmation of a destructive action, with its option (delete the volumes too).

use crate::app::action::{Action, ModalAction};
use crate::app::modal::ModalOutcome;
use crate::backend::InstanceAction;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirm {
    pub id: String,
    pub name: String,
    pub action: InstanceAction,
}

impl Confirm {
    pub fn on_action(&mut self, action: &Action) -> ModalOutcome {
        match action {
            Action::Modal(ModalAction::Submit) => ModalOutcome::Action(Action::Confirmed {
                id: self.id.clone(),
                name: self.name.clone(),
                action: self.action.clone(),
            }),
            Action::Modal(ModalAction::Toggle) => {
                if let InstanceAction::Delete { delete_volumes } = &mut self.action {
                    *delete_volumes = !*delete_volumes;
                }
                ModalOutcome::Stay
            }
            Action::Modal(ModalAction::Cancel) => ModalOutcome::Close,
            _ => ModalOutcome::Stay,
        }
    }
}
