//! The console view: serial console command, graphics endpoints, the browser console URL.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::Dialog;
use crate::app::modal::ConsoleView;
use crate::app::modal::console::{ConsoleUrl, mask_console_token};
use crate::app::state::AppState;
use crate::i18n::Msg;
use crate::theme::Theme;

pub fn dialog(modal: &ConsoleView, state: &AppState, theme: &Theme) -> Dialog {
    let lang = state.lang;
    let ConsoleView {
        name,
        detail,
        url,
        revealed,
        ..
    } = modal;
    let mut lines = Vec::new();
    if *url != ConsoleUrl::NotAsked {
        lines.push(Line::from(Span::styled(
            Msg::ConsoleGraphics.text(lang),
            theme.muted(),
        )));
        let shown = match url {
            ConsoleUrl::Ready(u) if *revealed => u.clone(),
            ConsoleUrl::Ready(u) => mask_console_token(u),
            ConsoleUrl::Failed(reason) => reason.clone(),
            ConsoleUrl::Loading | ConsoleUrl::NotAsked => Msg::DetailLoading.text(lang).to_string(),
        };
        lines.push(Line::from(vec![
            Span::raw("novnc  "),
            Span::styled(shown, Style::default().fg(theme.accent)),
        ]));
        if matches!(url, ConsoleUrl::Ready(_)) {
            lines.push(Line::from(Span::styled(
                Msg::ConsoleUrlTokenHint.fill(
                    lang,
                    &[("reveal", &super::keys_of(state, &["instance.reveal_token"]))],
                ),
                theme.muted(),
            )));
        }
        lines.push(Line::default());
    }
    match detail.as_ref() {
        None => lines.push(Line::from(Msg::DetailLoading.text(lang))),
        Some(d) => {
            if d.graphics.is_empty() && d.serials.is_empty() && *url == ConsoleUrl::NotAsked {
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
        Msg::ConsoleHint.fill(
            lang,
            &[
                ("attach", &super::keys_of(state, &["console.attach"])),
                (
                    "close",
                    &super::keys_of(state, &["console.close", "modal.cancel"]),
                ),
            ],
        ),
        theme.muted(),
    )));
    Dialog {
        title: format!("{} · {name}", Msg::ConsoleTitle.text(lang)),
        lines,
        width: 76,
        scroll: 0,
        cursor: None,
    }
}
