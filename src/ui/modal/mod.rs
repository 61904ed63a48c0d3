//! Dialogs, one drawing module per dialog of `app::modal`. Each builds a [`Dialog`] (its
//! title, lines and width); this module centres and frames it.

mod audit;
mod confirm;
mod console;
mod edit_failed;
pub mod form;
pub mod help;
mod picker;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::block;
use crate::app::modal::Modal;
use crate::app::state::AppState;
use crate::theme::Theme;

/// The keys of the bindings `ids`, as help writes them (`y/Y/Enter`), for a dialog's hint
/// line: the user's keys, not the defaults.
pub(super) fn keys_of(state: &AppState, ids: &[&str]) -> String {
    ids.iter()
        .filter_map(|id| state.keymap.bindings.iter().find(|b| b.id == *id))
        .map(crate::app::keymap::Keymap::keys_label)
        .collect::<Vec<_>>()
        .join("/")
}

/// What a dialog draws inside its frame.
pub struct Dialog {
    pub title: String,
    pub lines: Vec<Line<'static>>,
    pub width: u16,
    pub scroll: u16,
    /// Where the text cursor goes: line and column inside the frame.
    pub cursor: Option<(u16, u16)>,
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    h
}

pub fn draw(frame: &mut Frame, state: &AppState, theme: &Theme, area: Rect) {
    let Some(modal) = &state.modal else {
        return;
    };
    let dialog = match modal {
        Modal::Help(m) => help::dialog(m, state, theme),
        Modal::Confirm(m) => confirm::dialog(m, state, theme),
        Modal::Console(m) => console::dialog(m, state, theme),
        Modal::EditFailed(m) => edit_failed::dialog(m, state, theme),
        Modal::PickFlavor(m) => picker::dialog(m, state, theme),
        Modal::Form(m) => form::dialog(m, state, theme),
        Modal::Audit(m) => audit::dialog(m, state, theme),
    };
    let Dialog {
        title,
        lines,
        width,
        scroll,
        cursor,
    } = dialog;
    let inner_width = usize::from(width.saturating_sub(2));
    let needed: u16 = lines
        .iter()
        .map(|l| u16::try_from(l.width().div_ceil(inner_width.max(1)).max(1)).unwrap_or(1))
        .sum();
    let rect = centered(
        area,
        width,
        needed.saturating_add(2).min(area.height.saturating_sub(2)),
    );
    frame.render_widget(Clear, rect);
    let outer = block(title, theme).style(theme.base());
    let inner = outer.inner(rect);
    frame.render_widget(outer, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
    if let Some((line, col)) = cursor
        && line < inner.height
    {
        let x = (inner.x + col).min(inner.right().saturating_sub(1));
        frame.set_cursor_position((x, inner.y + line));
    }
}
