//! A form: its question, each field with its label, value and error, the list of the focused
//! select, the equivalent command, and the keys. A secret is drawn as dots, never as text.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::Dialog;
use crate::app::keymap::{Context, Keymap};
use crate::app::modal::form::{Field, FieldKind, Form};
use crate::app::state::AppState;
use crate::format;
use crate::i18n::Msg;
use crate::theme::Theme;

const WIDTH: u16 = 76;
/// Entries of a select shown under it while it has the focus.
const LIST_ROWS: usize = 6;

/// The field's value as one line, and where the text cursor sits in it (columns).
fn shown_value(field: &Field, focused: bool) -> (String, Option<usize>) {
    match &field.kind {
        FieldKind::Text(i) | FieldKind::Path(i) => (i.value().to_string(), Some(i.visual_cursor())),
        FieldKind::Secret(i) => {
            let dots = "•".repeat(i.value().chars().count());
            (dots, Some(i.cursor()))
        }
        FieldKind::Number { input, units, unit } => {
            let text = match units.get(*unit) {
                Some(u) if focused => format!("{}  ‹{u}›", input.value()),
                Some(u) => format!("{} {u}", input.value()),
                None => input.value().to_string(),
            };
            (text, Some(input.visual_cursor()))
        }
        FieldKind::Select {
            choices,
            filter,
            cursor,
        } => {
            if focused {
                (filter.value().to_string(), Some(filter.visual_cursor()))
            } else {
                let chosen = Field::filtered(choices, filter.value())
                    .get(*cursor)
                    .map(|&i| choices[i].label.clone())
                    .unwrap_or_default();
                (chosen, None)
            }
        }
        FieldKind::MultiSelect {
            choices,
            filter,
            ticked,
            ..
        } => {
            if focused {
                (filter.value().to_string(), Some(filter.visual_cursor()))
            } else {
                let chosen: Vec<&str> = choices
                    .iter()
                    .zip(ticked)
                    .filter(|(_, t)| **t)
                    .map(|(c, _)| c.label.as_str())
                    .collect();
                (chosen.join(", "), None)
            }
        }
        FieldKind::Toggle(on) => ((if *on { "[x]" } else { "[ ]" }).to_string(), None),
    }
}

/// The entries of a focused select or multi-select, around its cursor.
fn list_lines(field: &Field, indent: usize, theme: &Theme) -> Vec<Line<'static>> {
    let (choices, filter, cursor, ticked) = match &field.kind {
        FieldKind::Select {
            choices,
            filter,
            cursor,
        } => (choices, filter, *cursor, None),
        FieldKind::MultiSelect {
            choices,
            filter,
            cursor,
            ticked,
        } => (choices, filter, *cursor, Some(ticked)),
        _ => return Vec::new(),
    };
    let shown = Field::filtered(choices, filter.value());
    let start = cursor.saturating_sub(LIST_ROWS - 1);
    shown
        .iter()
        .enumerate()
        .skip(start)
        .take(LIST_ROWS)
        .map(|(pos, &i)| {
            let c = &choices[i];
            let mark = match ticked {
                Some(t) if t[i] => "[x] ",
                Some(_) => "[ ] ",
                None => "",
            };
            let pointer = if pos == cursor { "▸ " } else { "  " };
            let style = if pos == cursor {
                theme.selection()
            } else {
                Style::default().fg(theme.fg)
            };
            let mut spans = vec![
                Span::raw(" ".repeat(indent)),
                Span::styled(format!("{pointer}{mark}{}", c.label), style),
            ];
            if !c.note.is_empty() {
                spans.push(Span::styled(format!("  {}", c.note), theme.muted()));
            }
            Line::from(spans)
        })
        .collect()
}

pub fn dialog(form: &Form, state: &AppState, theme: &Theme) -> Dialog {
    let lang = state.lang;
    let mut lines = Vec::new();
    let mut cursor = None;
    if let Some(intro) = &form.intro {
        lines.push(Line::from(intro.clone()));
        lines.push(Line::default());
    }
    let label_width = form
        .fields
        .iter()
        .map(|f| f.label.text(lang).width())
        .max()
        .unwrap_or(0);
    let indent = 2 + label_width + 2;
    for (i, field) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        let (value, at) = shown_value(field, focused);
        let label_style = if focused {
            Style::default()
                .fg(theme.accent)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(theme.fg)
        };
        if focused && let Some(at) = at {
            let line = u16::try_from(lines.len()).unwrap_or(u16::MAX);
            cursor = Some((line, u16::try_from(indent + at).unwrap_or(u16::MAX)));
        }
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{}{}  ",
                    if focused { "› " } else { "  " },
                    format::pad(field.label.text(lang), label_width)
                ),
                label_style,
            ),
            Span::styled(value, Style::default().fg(theme.accent)),
        ]));
        if focused {
            lines.extend(list_lines(field, indent, theme));
        }
        if let Some(error) = &field.error {
            lines.push(Line::from(vec![
                Span::raw(" ".repeat(indent)),
                Span::styled(format!("✗ {error}"), Style::default().fg(theme.error)),
            ]));
        }
    }
    if let Some(preview) = form.preview_line().filter(|p| !p.is_empty()) {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            Msg::ConfirmEquivalent.text(lang),
            theme.muted(),
        )));
        lines.push(Line::from(Span::styled(
            preview,
            Style::default().fg(theme.accent),
        )));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        Msg::FormHint.fill(
            lang,
            &[
                ("next", &super::keys_of(state, &["form.next"])),
                ("submit", &super::keys_of(state, &["form.submit"])),
                ("cancel", &super::keys_of(state, &["modal.cancel"])),
            ],
        ),
        theme.muted(),
    )));
    if form.focused().is_some_and(Field::chooses) {
        let choice: Vec<String> = state
            .keymap
            .in_context(Context::FormChoice)
            .map(|b| format!("{}: {}", Keymap::keys_label(b), b.desc.text(lang)))
            .collect();
        lines.push(Line::from(Span::styled(choice.join("    "), theme.muted())));
    }
    Dialog {
        title: form.title.clone(),
        lines,
        width: WIDTH,
        scroll: 0,
        cursor,
    }
}
