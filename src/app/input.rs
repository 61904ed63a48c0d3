//! The input boundary: every terminal event becomes an [`Action`] here, through the keymap
//! for keys (in the contexts active now) and through the last frame's layout facts for the
//! mouse. A key no binding takes is typed into the text field with the focus, as
//! [`Action::Input`]. `update` sees Actions only.

use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};

use crate::app::action::{Action, Effect, InputEdit};
use crate::app::state::AppState;
use crate::app::update;
use crate::model::ResourceKind;

/// Rows one notch of the wheel moves.
const WHEEL_ROWS: isize = 3;

/// The Action a key asks for now, if any.
pub fn key_action(state: &AppState, key: KeyEvent) -> Option<Action> {
    let contexts = state.contexts();
    match (state.keymap.lookup(&key, &contexts), key.code) {
        // A digit key: the tab is the digit's position.
        (Some(Action::GoTabByKey), KeyCode::Char(c)) => {
            let index = c.to_digit(10).map_or(0, |d| d as usize).checked_sub(1)?;
            ResourceKind::ALL
                .get(index)
                .map(|kind| Action::GoTab(*kind))
        }
        (Some(action), _) => Some(action.clone()),
        (None, _) => state.takes_text().then_some(Action::Input(InputEdit(key))),
    }
}

/// The Action a mouse event asks for, from where things were in the last frame.
pub fn mouse_action(state: &AppState, mouse: MouseEvent) -> Option<Action> {
    if state.modal.is_some() {
        return None;
    }
    let hits = &state.layout;
    match mouse.kind {
        MouseEventKind::ScrollDown => Some(Action::Scroll(WHEEL_ROWS)),
        MouseEventKind::ScrollUp => Some(Action::Scroll(-WHEEL_ROWS)),
        MouseEventKind::Down(MouseButton::Left) => {
            let (x, y) = (mouse.column, mouse.row);
            if let Some(kind) = hits.tab_at(x, y) {
                return Some(Action::GoTab(kind));
            }
            if let Some(col) = hits.header_column_at(x, y) {
                return Some(Action::SortBy(col));
            }
            hits.row_at(x, y).map(Action::ClickRow)
        }
        _ => None,
    }
}

/// A key press, resolved and applied.
pub fn on_key(state: &mut AppState, key: KeyEvent) -> Vec<Effect> {
    key_action(state, key).map_or_else(Vec::new, |action| update::on_action(state, action))
}

/// A mouse event, resolved and applied.
pub fn on_mouse(state: &mut AppState, mouse: MouseEvent) -> Vec<Effect> {
    mouse_action(state, mouse).map_or_else(Vec::new, |action| update::on_action(state, action))
}
