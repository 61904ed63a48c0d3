//! The confirmation dialog, with the equivalent command.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::Dialog;
use crate::app::action::action_title;
use crate::app::modal::Confirm;
use crate::app::state::AppState;
use crate::backend::InstanceAction;
use crate::i18n::Msg;
use crate::theme::Theme;

pub fn dialog(modal: &Confirm, state: &AppState, theme: &Theme) -> Dialog {
    let lang = state.lang;
    let (name, action) = (&modal.name, &modal.action);
    let verb = action_title(action).text(lang);
    let mut lines = vec![
        Line::from(Span::styled(
            Msg::ConfirmQuestion.fill(lang, &[("action", verb), ("name", name)]),
            Style::default()
                .fg(theme.warning)
                .add_modifier(Modifier::BOLD),
        )),
        Line::default(),
    ];
    if let InstanceAction::Delete { delete_volumes } = action {
        let mark = if *delete_volumes { "[x]" } else { "[ ]" };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{mark} {}", Msg::ConfirmDeleteVolumes.text(lang)),
                Style::default().fg(if *delete_volumes {
                    theme.error
                } else {
                    theme.fg
                }),
            ),
            Span::styled(
                format!("   {}", Msg::ConfirmToggleVolumes.text(lang)),
                theme.muted(),
            ),
        ]));
        lines.push(Line::default());
    }
    lines.push(Line::from(Span::styled(
        Msg::ConfirmEquivalent.text(lang),
        theme.muted(),
    )));
    lines.push(Line::from(Span::styled(
        state.caps.action_command(&modal.id, name, action),
        Style::default().fg(theme.accent),
    )));
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        Msg::ConfirmYesNo.fill(
            lang,
            &[
                ("yes", &super::keys_of(state, &["confirm.yes"])),
                (
                    "no",
                    &super::keys_of(state, &["confirm.no", "modal.cancel"]),
                ),
            ],
        ),
        theme.muted(),
    )));
    Dialog {
        title: Msg::ConfirmTitle.text(lang).to_string(),
        lines,
        width: 76,
        scroll: 0,
        cursor: None,
    }
}
