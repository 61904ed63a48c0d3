//! A redefinition the backend refused, with its error.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::Dialog;
use crate::app::modal::EditFailed;
use crate::app::state::AppState;
use crate::i18n::Msg;
use crate::theme::Theme;

pub fn dialog(modal: &EditFailed, state: &AppState, theme: &Theme) -> Dialog {
    let lang = state.lang;
    let (name, error) = (&modal.name, &modal.error);
    let lines = vec![
        Line::from(Span::styled(
            error.clone(),
            Style::default().fg(theme.error),
        )),
        Line::default(),
        Line::from(Span::styled(
            Msg::EditFailedHint.fill(
                lang,
                &[
                    ("edit", &super::keys_of(state, &["edit_failed.edit"])),
                    (
                        "discard",
                        &super::keys_of(state, &["edit_failed.discard", "modal.cancel"]),
                    ),
                ],
            ),
            theme.muted(),
        )),
    ];
    Dialog {
        title: format!("{} · {name}", Msg::EditFailedTitle.text(lang)),
        lines,
        width: 76,
        scroll: 0,
        cursor: None,
    }
}
