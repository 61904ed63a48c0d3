//! The `?` help: every binding of every context, then the `:` commands; it only scrolls.

use crate::app::action::{Action, ModalAction};
use crate::app::modal::ModalOutcome;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Help {
    pub scroll: u16,
}

impl Help {
    pub fn on_action(&mut self, action: &Action) -> ModalOutcome {
        match action {
            Action::Modal(ModalAction::Down) => self.scroll = self.scroll.saturating_add(1),
            Action::Modal(ModalAction::Up) => self.scroll = self.scroll.saturating_sub(1),
            Action::Modal(ModalAction::Cancel | ModalAction::Submit) => return ModalOutcome::Close,
            _ => {}
        }
        ModalOutcome::Stay
    }
}
