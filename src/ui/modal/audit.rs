//! The `:audit` view: the filter line, then each change as two lines (what, then the command).

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::Dialog;
use crate::app::modal::{AuditRecords, AuditView};
use crate::app::state::AppState;
use crate::audit::Outcome;
use crate::format::escape_controls;
use crate::i18n::Msg;
use crate::theme::Theme;

pub fn dialog(modal: &AuditView, state: &AppState, theme: &Theme) -> Dialog {
    let lang = state.lang;
    let shown = modal.shown();
    let filter = modal.filter.value();
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{}: ", Msg::AuditFilter.text(lang)), theme.muted()),
            Span::styled(
                escape_controls(filter).into_owned(),
                Style::default().fg(theme.fg),
            ),
        ]),
        Line::default(),
    ];
    match &modal.records {
        AuditRecords::Loading => {
            lines.push(Line::from(Span::styled(
                Msg::AuditLoading.text(lang).to_string(),
                theme.muted(),
            )));
        }
        AuditRecords::Failed(e) => {
            lines.push(Line::from(Span::styled(
                escape_controls(e).into_owned(),
                Style::default().fg(theme.error),
            )));
        }
        AuditRecords::Ready(_) if shown.is_empty() => {
            lines.push(Line::from(Span::styled(
                Msg::AuditEmpty.text(lang).to_string(),
                theme.muted(),
            )));
        }
        AuditRecords::Ready(_) => {
            for r in shown.iter().skip(modal.scroll) {
                let (result, colour) = match (&r.result, &r.error) {
                    (Outcome::Ok, _) => ("ok".to_string(), theme.success),
                    (Outcome::Error, e) => (
                        format!("error: {}", e.as_deref().unwrap_or("")),
                        theme.error,
                    ),
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("{}  ", r.time), theme.muted()),
                    Span::styled(
                        escape_controls(&format!(
                            "{} {} {} {}  ",
                            r.user, r.action, r.kind, r.name
                        ))
                        .into_owned(),
                        Style::default().fg(theme.fg),
                    ),
                    Span::styled(
                        escape_controls(&result).into_owned(),
                        Style::default().fg(colour),
                    ),
                    Span::styled(format!("  {} ms", r.duration_ms), theme.muted()),
                ]));
                lines.push(Line::from(Span::styled(
                    format!("    {}", escape_controls(&r.command)),
                    Style::default().fg(theme.accent),
                )));
            }
        }
    }
    let count = shown.len().to_string();
    let cursor_col = u16::try_from(
        Msg::AuditFilter.text(lang).chars().count() + 2 + modal.filter.visual_cursor(),
    )
    .unwrap_or(u16::MAX);
    Dialog {
        title: Msg::AuditTitle.fill(lang, &[("count", &count)]),
        lines,
        width: 120,
        scroll: 0,
        cursor: Some((0, cursor_col)),
    }
}
