//! Drawing. `draw` is a pure function of the state: no I/O, no locks, and work proportional to
//! what is visible, not to the size of the data. It returns the positions of clickable things
//! so the mouse can be resolved without the views keeping state.

mod detail;
pub mod modal;
pub mod monitor;
mod overview;
mod table;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use unicode_width::UnicodeWidthStr;

use crate::app::commands;
use crate::app::layout::LayoutFacts;
use crate::app::state::{AppState, InputMode, Level};
use crate::backend::ConnectionState;
use crate::format;
use crate::i18n::{Msg, tab_title};
use crate::model::ResourceKind;
use crate::theme::Theme;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Draw the whole screen from the state, changing nothing; returns what input and `update`
/// need to know of the frame (hit areas, rows per page, scroll limits).
pub fn draw(frame: &mut Frame, state: &AppState, theme: &Theme) -> LayoutFacts {
    let area = frame.area();
    frame.render_widget(Block::default().style(theme.base()), area);
    let mut facts = LayoutFacts {
        rows_per_page: state.layout.rows_per_page,
        ..LayoutFacts::default()
    };
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, state, theme, area);
        return facts;
    }
    let [header, tabs, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, state, theme, header);
    facts.tabs = draw_tabs(frame, state, theme, tabs);
    match (&state.detail, state.view_kind()) {
        _ if state.monitor_view.is_some() => monitor::draw(frame, state, theme, body),
        (Some(_), _) => facts.detail_scroll_max = Some(detail::draw(frame, state, theme, body)),
        (None, ResourceKind::Overview) => overview::draw(frame, state, theme, body),
        (None, kind) => table::draw(frame, state, theme, body, kind, &mut facts),
    }
    draw_status(frame, state, theme, status);
    draw_hints(frame, state, theme, hints);
    modal::draw(frame, state, theme, area);
    facts
}

fn draw_too_small(frame: &mut Frame, state: &AppState, theme: &Theme, area: Rect) {
    let text = Msg::TooSmall.fill(
        state.lang,
        &[
            ("w", &area.width.to_string()),
            ("h", &area.height.to_string()),
            ("min_w", &MIN_WIDTH.to_string()),
            ("min_h", &MIN_HEIGHT.to_string()),
        ],
    );
    let lines: Vec<Line> = wrap(&text, usize::from(area.width))
        .into_iter()
        .map(|l| Line::from(Span::styled(l, Style::default().fg(theme.warning))))
        .collect();
    let y = area.height.saturating_sub(lines.len() as u16) / 2;
    let rect = Rect::new(area.x, area.y + y, area.width, area.height - y);
    frame.render_widget(Paragraph::new(lines).centered(), rect);
}

/// Greedy wrap by display width (for short messages only).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.width() + 1 + word.width() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
        .into_iter()
        .map(|l| format::truncate(&l, width))
        .collect()
}

fn draw_header(frame: &mut Frame, state: &AppState, theme: &Theme, area: Rect) {
    let sep = Span::styled(" │ ", Style::default().fg(theme.border));
    let mut spans = vec![
        Span::styled(
            format!(" 云 {} ", state.t(Msg::AppName)),
            Style::default()
                .fg(theme.title)
                .add_modifier(Modifier::BOLD),
        ),
        sep.clone(),
        Span::styled(state.target.clone(), Style::default().fg(theme.accent)),
    ];
    // Connection trouble comes before the host facts, so a narrow terminal still shows it.
    let trouble = match &state.connection {
        ConnectionState::Connected => None,
        ConnectionState::Reconnecting { attempt, reason } => {
            Some((Msg::HeaderReconnecting, attempt, reason))
        }
        ConnectionState::NotAnswering { attempt, reason } => {
            Some((Msg::HeaderNotAnswering, attempt, reason))
        }
    };
    if let Some((msg, attempt, reason)) = trouble {
        spans.push(sep.clone());
        spans.push(Span::styled(
            msg.fill(
                state.lang,
                &[("attempt", &attempt.to_string()), ("reason", reason)],
            ),
            Style::default()
                .fg(theme.error)
                .add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(h) = &state.host {
        spans.push(sep.clone());
        let mut facts = vec![format!("{} {}", state.t(Msg::HeaderHost), h.hostname)];
        if !h.hypervisor.is_empty() {
            facts.push(h.hypervisor.clone());
        }
        if !h.library_version.is_empty() {
            facts.push(h.library_version.clone());
        }
        // A project has no host figures of its own.
        if h.cpus > 0 {
            facts.push(format!("{} CPU", h.cpus));
            facts.push(format::bytes(h.memory_total));
        }
        spans.push(Span::styled(
            facts.join(" · "),
            Style::default().fg(theme.header),
        ));
    }
    for warning in state.host.iter().flat_map(|h| &h.warnings) {
        spans.push(sep.clone());
        spans.push(Span::styled(
            warning.clone(),
            Style::default()
                .fg(theme.error)
                .add_modifier(Modifier::BOLD),
        ));
    }
    if state.caps.readonly {
        spans.push(sep.clone());
        spans.push(Span::styled(
            state.t(Msg::HeaderReadonly),
            Style::default()
                .fg(theme.warning)
                .add_modifier(Modifier::BOLD),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_tabs(
    frame: &mut Frame,
    state: &AppState,
    theme: &Theme,
    area: Rect,
) -> Vec<(Rect, ResourceKind)> {
    let label = |i: usize, kind: ResourceKind, with_count: bool| {
        let count = state
            .table(kind)
            .filter(|t| t.loaded && with_count)
            .map(|t| format!(" {}", t.ids.len()))
            .unwrap_or_default();
        format!(" {} {}{} ", i + 1, tab_title(kind).text(state.lang), count)
    };
    // Row counts are dropped when the tabs would not fit otherwise.
    let full: usize = ResourceKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| label(i, *k, true).width() + 1)
        .sum();
    let with_count = full <= usize::from(area.width);
    let mut spans = Vec::new();
    let mut hits = Vec::new();
    let mut x = area.x;
    for (i, kind) in ResourceKind::ALL.iter().enumerate() {
        let label = label(i, *kind, with_count);
        let width = label.width() as u16;
        let style = if *kind == state.tab {
            Style::default()
                .fg(theme.selection_fg)
                .bg(theme.tab_active)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(theme.tab_inactive)
        };
        hits.push((Rect::new(x, area.y, width, 1), *kind));
        x = x.saturating_add(width + 1);
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    hits
}

fn draw_status(frame: &mut Frame, state: &AppState, theme: &Theme, area: Rect) {
    let mut tasks: Vec<String> = state
        .tasks
        .values()
        .map(|t| {
            let label = crate::i18n::task_text(Some(t.work.label()), state.lang);
            format!(
                "{} {label} {}",
                SPINNER[state.spinner % SPINNER.len()],
                t.name
            )
        })
        .collect();
    tasks.sort();
    let right = tasks.join("  ");
    let right_width = right.width().min(usize::from(area.width) / 2);
    let left_width = usize::from(area.width).saturating_sub(right_width + 1);
    let (text, color) = match &state.status {
        Some(s) => (
            s.text.clone(),
            match s.level {
                Level::Info => theme.info,
                Level::Success => theme.success,
                Level::Warning => theme.warning,
                Level::Error => theme.error,
            },
        ),
        None => (String::new(), theme.fg),
    };
    let left = format::pad(&format::truncate(&text, left_width), left_width);
    let line = Line::from(vec![
        Span::styled(left, Style::default().fg(color)),
        Span::raw(" "),
        Span::styled(
            format::truncate(&right, right_width),
            Style::default().fg(theme.state_task),
        ),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_hints(frame: &mut Frame, state: &AppState, theme: &Theme, area: Rect) {
    let line = match state.input_mode {
        InputMode::Filter | InputMode::Command => {
            let (prompt, input) = if state.input_mode == InputMode::Filter {
                (Msg::FilterPrompt, &state.filter_input)
            } else {
                (Msg::CommandPrompt, &state.command_input)
            };
            let prompt = state.t(prompt);
            let value = input.value().to_string();
            let mut spans = vec![
                Span::styled(
                    prompt,
                    Style::default()
                        .fg(theme.accent)
                        .add_modifier(Modifier::BOLD),
                ),
                Span::styled(value, Style::default().fg(theme.fg)),
            ];
            if state.input_mode == InputMode::Command {
                let candidates = commands::completions(state, input.value());
                if !input.value().is_empty() && !candidates.is_empty() {
                    let labels: Vec<&str> = candidates
                        .iter()
                        .map(|c| commands::completion_label(c))
                        .collect();
                    spans.push(Span::styled(
                        format!("   Tab: {}", labels.join(" ")),
                        theme.muted(),
                    ));
                }
            }
            let cursor_x = area.x + prompt.width() as u16 + input.visual_cursor() as u16;
            frame.set_cursor_position((cursor_x.min(area.right().saturating_sub(1)), area.y));
            Line::from(spans)
        }
        InputMode::Normal => {
            let contexts = state.screen_contexts();
            let mut spans = Vec::new();
            for ctx in contexts.iter().rev() {
                for b in state.keymap.in_context(*ctx).filter(|b| b.hint) {
                    let key = b
                        .keys
                        .first()
                        .map(crate::app::keymap::Key::label)
                        .unwrap_or_default();
                    spans.push(Span::styled(
                        format!("<{key}>"),
                        Style::default().fg(theme.accent),
                    ));
                    spans.push(Span::styled(
                        format!(" {}  ", b.desc.text(state.lang)),
                        theme.muted(),
                    ));
                }
            }
            Line::from(spans)
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// A titled block in the theme's border colour.
pub(crate) fn block<'a>(title: String, theme: &Theme) -> Block<'a> {
    Block::bordered()
        .border_style(Style::default().fg(theme.border))
        .title(Span::styled(
            format!(" {title} "),
            Style::default()
                .fg(theme.title)
                .add_modifier(Modifier::BOLD),
        ))
}
