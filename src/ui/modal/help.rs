//! The `?` help: every binding, grouped by the context it works in, then the `:` commands.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::Dialog;
use crate::app::commands;
use crate::app::keymap::{Context, Keymap};
use crate::app::modal::Help;
use crate::app::state::AppState;
use crate::format;
use crate::i18n::Msg;
use crate::theme::Theme;

pub fn dialog(modal: &Help, state: &AppState, theme: &Theme) -> Dialog {
    Dialog {
        title: Msg::HelpTitle.text(state.lang).to_string(),
        lines: help_lines(state, theme),
        width: 72,
        scroll: modal.scroll,
        cursor: None,
    }
}

fn heading(text: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(
        text.to_string(),
        Style::default()
            .fg(theme.title)
            .add_modifier(Modifier::BOLD),
    ))
}

fn entry(keys: &str, desc: &str, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(
            format!("  {}", format::pad(keys, 16)),
            Style::default().fg(theme.accent),
        ),
        Span::styled(desc.to_string(), Style::default().fg(theme.fg)),
    ])
}

pub fn help_lines(state: &AppState, theme: &Theme) -> Vec<Line<'static>> {
    let lang = state.lang;
    let mut lines = Vec::new();
    for ctx in Context::ALL {
        let bindings: Vec<_> = state.keymap.in_context(ctx).collect();
        if bindings.is_empty() {
            continue;
        }
        lines.push(heading(ctx.title().text(lang), theme));
        for b in bindings {
            lines.push(entry(&Keymap::keys_label(b), b.desc.text(lang), theme));
        }
        if ctx.takes_text() {
            lines.push(entry("…", Msg::HelpTyping.text(lang), theme));
        }
    }
    lines.push(heading(Msg::HelpContextCommands.text(lang), theme));
    for (usage, desc) in commands::help_entries(lang) {
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {}", format::pad(&usage, 24)),
                Style::default().fg(theme.accent),
            ),
            Span::styled(desc, Style::default().fg(theme.fg)),
        ]));
    }
    lines
}
