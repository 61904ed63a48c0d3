//! Choose the flavor an instance is resized to (升级).

use crate::app::action::{Action, ModalAction};
use crate::app::modal::ModalOutcome;
use crate::backend::InstanceAction;
use crate::model::Flavor;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlavorPicker {
    pub id: String,
    pub name: String,
    pub selected: usize,
}

impl FlavorPicker {
    pub fn on_action(&mut self, action: &Action, flavors: &[Flavor]) -> ModalOutcome {
        match action {
            Action::Modal(ModalAction::Down) => {
                self.selected = (self.selected + 1).min(flavors.len().saturating_sub(1));
            }
            Action::Modal(ModalAction::Up) => self.selected = self.selected.saturating_sub(1),
            Action::Modal(ModalAction::Submit) => {
                if let Some(f) = flavors.get(self.selected) {
                    return ModalOutcome::Action(Action::Perform {
                        id: self.id.clone(),
                        action: InstanceAction::Resize {
                            flavor_id: f.id.clone(),
                            flavor_name: f.name.clone(),
                        },
                    });
                }
            }
            Action::Modal(ModalAction::Cancel) => return ModalOutcome::Close,
            _ => {}
        }
        ModalOutcome::Stay
    }
}
