//! Popups: help (generated from the keymap), the confirmation dialog with the equivalent
//! command, the console endpoints, and a failed edit.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::block;
use crate::app::action::action_title;
use crate::app::commands;
use crate::app::keymap::{Context, Keymap};
use crate::app::state::{AppState, Popup};
use crate::backend::InstanceAction;
use crate::format;
use crate::i18n::Msg;
use crate::theme::Theme;

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
    let Some(popup) = &state.popup else {
        return;
    };
    let lang = state.lang;
    let (title, lines, width, scroll): (String, Vec<Line>, u16, u16) = match popup {
        Popup::Help { scroll } => (
            Msg::HelpTitle.text(lang).to_string(),
            help_lines(state, theme),
            72,
            *scroll,
        ),
        Popup::Confirm { name, action, .. } => {
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
                action.equivalent_command(&state.caps.command_style, name),
                Style::default().fg(theme.accent),
            )));
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                Msg::ConfirmYesNo.text(lang),
                theme.muted(),
            )));
            (Msg::ConfirmTitle.text(lang).to_string(), lines, 76, 0)
        }
        Popup::Console {
            name,
            detail,
            url,
            revealed,
            ..
        } => {
            use crate::app::state::ConsoleUrl;
            let mut lines = Vec::new();
            if *url != ConsoleUrl::NotAsked {
                lines.push(Line::from(Span::styled(
                    Msg::ConsoleGraphics.text(lang),
                    theme.muted(),
                )));
                let shown = match url {
                    ConsoleUrl::Ready(u) if *revealed => u.clone(),
                    ConsoleUrl::Ready(u) => crate::app::state::mask_console_token(u),
                    ConsoleUrl::Failed(reason) => reason.clone(),
                    ConsoleUrl::Loading | ConsoleUrl::NotAsked => {
                        Msg::DetailLoading.text(lang).to_string()
                    }
                };
                lines.push(Line::from(vec![
                    Span::raw("novnc  "),
                    Span::styled(shown, Style::default().fg(theme.accent)),
                ]));
                if matches!(url, ConsoleUrl::Ready(_)) {
                    lines.push(Line::from(Span::styled(
                        Msg::ConsoleUrlTokenHint.text(lang),
                        theme.muted(),
                    )));
                }
                lines.push(Line::default());
            }
            match detail.as_ref() {
                None => lines.push(Line::from(Msg::DetailLoading.text(lang))),
                Some(d) => {
                    if d.graphics.is_empty() && d.serials.is_empty() && *url == ConsoleUrl::NotAsked
                    {
                        lines.push(Line::from(Msg::ConsoleNone.text(lang)));
                    }
                    if !d.serials.is_empty()
                        && let Some(cmd) = &d.console_command
                    {
                        lines.push(Line::from(Span::styled(
                            Msg::ConsoleSerial.text(lang),
                            theme.muted(),
                        )));
                        lines.push(Line::from(Span::styled(
                            cmd.clone(),
                            Style::default().fg(theme.accent),
                        )));
                        lines.push(Line::default());
                    }
                    if !d.graphics.is_empty() {
                        lines.push(Line::from(Span::styled(
                            Msg::ConsoleGraphics.text(lang),
                            theme.muted(),
                        )));
                        for g in &d.graphics {
                            let uri = g
                                .uri
                                .clone()
                                .unwrap_or_else(|| Msg::ConsoleNotRunning.text(lang).to_string());
                            lines.push(Line::from(vec![
                                Span::raw(format!("{}  ", g.kind)),
                                Span::styled(uri, Style::default().fg(theme.accent)),
                            ]));
                        }
                        lines.push(Line::default());
                    }
                }
            }
            lines.push(Line::from(Span::styled(
                Msg::ConsoleHint.text(lang),
                theme.muted(),
            )));
            (
                format!("{} · {name}", Msg::ConsoleTitle.text(lang)),
                lines,
                76,
                0,
            )
        }
        Popup::Prompt {
            name, kind, input, ..
        } => {
            use crate::app::action::PromptKind;
            let question = match kind {
                PromptKind::Snapshot => Msg::PromptSnapshot,
                PromptKind::Rename => Msg::PromptRename,
                PromptKind::Metadata => Msg::PromptMetadata,
            };
            let title = match kind {
                PromptKind::Snapshot => Msg::ActSnapshot,
                PromptKind::Rename => Msg::ActRename,
                PromptKind::Metadata => Msg::ActMetadata,
            };
            let lines = vec![
                Line::from(question.fill(lang, &[("name", name)])),
                Line::from(Span::styled(
                    format!("> {}", input.value()),
                    Style::default().fg(theme.accent),
                )),
                Line::default(),
                Line::from(Span::styled(Msg::PromptHint.text(lang), theme.muted())),
            ];
            (title.text(lang).to_string(), lines, 70, 0)
        }
        Popup::PickFlavor { name, selected, .. } => {
            let mut lines = Vec::new();
            if state.data.flavors.is_empty() {
                lines.push(Line::from(Msg::DetailLoading.text(lang)));
            }
            for (i, f) in state.data.flavors.iter().enumerate() {
                let text = format!(
                    "{:<16} {:>3} vCPU  {:>9} RAM  {:>8} disk",
                    f.name,
                    f.vcpus,
                    format::bytes(f.ram_bytes),
                    format::bytes(f.root_disk_bytes)
                );
                let style = if i == *selected {
                    theme.selection()
                } else {
                    Style::default().fg(theme.fg)
                };
                lines.push(Line::from(Span::styled(text, style)));
            }
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                Msg::PickFlavorHint.text(lang),
                theme.muted(),
            )));
            (
                Msg::PickFlavorTitle.fill(lang, &[("name", name)]),
                lines,
                64,
                0,
            )
        }
        Popup::EditFailed { name, error, .. } => {
            let lines = vec![
                Line::from(Span::styled(
                    error.clone(),
                    Style::default().fg(theme.error),
                )),
                Line::default(),
                Line::from(Span::styled(Msg::EditFailedHint.text(lang), theme.muted())),
            ];
            (
                format!("{} · {name}", Msg::EditFailedTitle.text(lang)),
                lines,
                76,
                0,
            )
        }
    };
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
}

fn help_lines(state: &AppState, theme: &Theme) -> Vec<Line<'static>> {
    let lang = state.lang;
    let mut lines = Vec::new();
    for ctx in [
        Context::Global,
        Context::Table,
        Context::Detail,
        Context::Instances,
    ] {
        let bindings: Vec<_> = state.keymap.in_context(ctx).collect();
        if bindings.is_empty() {
            continue;
        }
        lines.push(Line::from(Span::styled(
            ctx.title().text(lang).to_string(),
            Style::default()
                .fg(theme.title)
                .add_modifier(Modifier::BOLD),
        )));
        for b in bindings {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {}", format::pad(&Keymap::keys_label(b), 16)),
                    Style::default().fg(theme.accent),
                ),
                Span::styled(b.desc.text(lang).to_string(), Style::default().fg(theme.fg)),
            ]));
        }
    }
    lines.push(Line::from(Span::styled(
        Msg::HelpContextCommands.text(lang).to_string(),
        Style::default()
            .fg(theme.title)
            .add_modifier(Modifier::BOLD),
    )));
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
