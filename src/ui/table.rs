//! The resource table: builds rows for the visible slice only, from strings cached in the state.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Cell, Paragraph, Row, Scrollbar, ScrollbarOrientation, ScrollbarState, Table,
};
use unicode_width::UnicodeWidthStr;

use super::block;
use crate::app::columns::{LIVE_TITLES, StatusTone, Tone, column_max_widths, column_titles};
use crate::app::layout::LayoutFacts;
use crate::app::state::AppState;
use crate::format;
use crate::i18n::{Msg, tab_title};
use crate::model::ResourceKind;
use crate::theme::Theme;

const LIVE_CPU_WIDTH: usize = 16;
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline of the last values of a percentage series.
fn sparkline(series: crate::monitor::Series<'_>, len: usize) -> String {
    series
        .tail(len)
        .map(|v| match v {
            Some(v) => {
                let level = (v.clamp(0.0, 100.0) / 100.0 * 7.0).round() as usize;
                SPARKS[level.min(7)]
            }
            None => ' ',
        })
        .collect()
}

fn live_cells(
    monitor: &crate::monitor::Monitor,
    id: &str,
    widths: &[usize],
    theme: &Theme,
    selected: bool,
) -> Vec<Cell<'static>> {
    let style = if selected {
        Style::default()
    } else {
        Style::default().fg(theme.state_task)
    };
    let Some(r) = monitor.rates(id) else {
        return vec![Cell::from("—"), Cell::from("—")];
    };
    let spark = monitor
        .history(id)
        .map(|h| sparkline(h.get(crate::monitor::Figure::CpuOfVcpus), 8))
        .unwrap_or_default();
    let cpu = format!("{:>6} {spark}", crate::ui::monitor::percent(r.cpu_of_vcpus));
    let mem = r
        .memory
        .charted()
        .map_or_else(|| "—".into(), |b| format::bytes(b as u64));
    vec![
        Cell::from(Span::styled(format::truncate(&cpu, widths[0]), style)),
        Cell::from(Span::styled(format::truncate(&mem, widths[1]), style)),
    ]
}

pub fn tone_style(tone: Tone, theme: &Theme) -> Style {
    let fg = match tone {
        Tone::Normal => theme.fg,
        Tone::Muted => theme.muted,
        Tone::Good => theme.success,
        Tone::Bad => theme.error,
        Tone::Task => theme.state_task,
        Tone::Status(s) => match s {
            StatusTone::Active => theme.state_active,
            StatusTone::Build => theme.state_build,
            StatusTone::Shutoff => theme.state_shutoff,
            StatusTone::Paused => theme.state_paused,
            StatusTone::Suspended => theme.state_suspended,
            StatusTone::Crashed => theme.state_crashed,
            StatusTone::Error => theme.state_error,
            StatusTone::Other => theme.fg,
        },
    };
    Style::default().fg(fg)
}

/// Fit column widths into `available` columns: each gets its content width (capped), and
/// when that is too much the widest columns give way first.
pub fn fit_widths(wanted: &[usize], available: usize) -> Vec<usize> {
    let mut widths = wanted.to_vec();
    let gaps = widths.len().saturating_sub(1);
    let mut total: usize = widths.iter().sum::<usize>() + gaps;
    while total > available {
        let Some((i, &w)) = widths.iter().enumerate().max_by_key(|(_, w)| **w) else {
            break;
        };
        if w <= 4 {
            break;
        }
        widths[i] -= 1;
        total -= 1;
    }
    widths
}

/// Draw the table of `kind` and record its hit areas and page size in `facts`.
pub fn draw(
    frame: &mut Frame,
    state: &AppState,
    theme: &Theme,
    area: Rect,
    kind: ResourceKind,
    facts: &mut LayoutFacts,
) {
    let lang = state.lang;
    let titles = column_titles(kind, &state.caps);
    let caps = column_max_widths(kind, &state.caps);
    let Some(table) = state.tables.get(&kind) else {
        return;
    };
    let mut title = format!("{} ({})", tab_title(kind).text(lang), table.visible.len());
    if table.visible.len() != table.ids.len() {
        title = format!(
            "{} ({}/{})",
            tab_title(kind).text(lang),
            table.visible.len(),
            table.ids.len()
        );
    }
    if !table.filter.is_empty() {
        title.push_str(&format!(
            " [{}: {}]",
            Msg::StatusFilter.text(lang),
            table.filter
        ));
    }
    let outer = block(title, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    if inner.height < 2 || inner.width < 4 {
        return;
    }

    let body_height = usize::from(inner.height - 1);
    facts.rows_per_page = body_height.saturating_sub(1).max(1);
    // Live CPU and memory columns, drawn from the monitor for the visible rows only.
    let live = kind == ResourceKind::Instances && state.stats_columns;
    let monitor = &state.monitor;
    // The offset `update` keeps, moved only if this frame is shorter than the last.
    let offset = table.offset_for(body_height);
    facts.first_row = Some((kind, offset));
    let mut titles = titles;
    let mut caps = caps;
    if live {
        titles.extend(LIVE_TITLES);
        caps.extend([LIVE_CPU_WIDTH, 10]);
    }

    let wanted: Vec<usize> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let content = table
                .widths
                .get(i)
                .copied()
                .unwrap_or(caps.get(i).copied().unwrap_or(0));
            // Room for the title and its sort marker.
            let title_w = t.text(lang).width() + 2;
            content
                .max(title_w)
                .min(caps.get(i).copied().unwrap_or(40).max(title_w))
        })
        .collect();
    // One column is kept for the scrollbar.
    let widths = fit_widths(&wanted, usize::from(inner.width.saturating_sub(1)));

    let header_cells: Vec<Cell> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let marker = if i == table.sort_column {
                if table.sort_descending { "↓" } else { "↑" }
            } else {
                ""
            };
            Cell::from(format::truncate(
                &format!("{}{marker}", t.text(lang)),
                widths[i],
            ))
        })
        .collect();
    let header = Row::new(header_cells).style(
        Style::default()
            .fg(theme.table_header)
            .add_modifier(Modifier::BOLD),
    );

    let start = offset;
    let end = (start + body_height).min(table.visible.len());
    let rows: Vec<Row> = table.visible[start..end]
        .iter()
        .enumerate()
        .map(|(pos, &row)| {
            let selected = start + pos == table.selected;
            let cells = table.cells[row]
                .iter()
                .zip(&table.tones[row])
                .zip(&widths)
                .map(|((text, tone), w)| {
                    let style = if selected {
                        Style::default()
                    } else {
                        tone_style(*tone, theme)
                    };
                    Cell::from(Span::styled(format::truncate(text, *w), style))
                });
            let extra: Vec<Cell> = if live {
                live_cells(
                    monitor,
                    &table.ids[row],
                    &widths[widths.len() - 2..],
                    theme,
                    selected,
                )
            } else {
                Vec::new()
            };
            let row = Row::new(cells.chain(extra));
            if selected {
                row.style(theme.selection())
            } else {
                row
            }
        })
        .collect();

    let constraints: Vec<Constraint> = widths
        .iter()
        .map(|w| Constraint::Length(u16::try_from(*w).unwrap_or(u16::MAX)))
        .collect();
    let table_area = Rect {
        width: inner.width.saturating_sub(1),
        ..inner
    };
    frame.render_widget(
        Table::new(rows, constraints)
            .header(header)
            .column_spacing(1)
            .style(theme.base()),
        table_area,
    );

    let body_area = Rect::new(inner.x, inner.y + 1, table_area.width, inner.height - 1);
    if table.visible.is_empty() {
        let msg = if let Some(err) = &table.error {
            Line::from(Span::styled(err.clone(), Style::default().fg(theme.error)))
        } else if !table.loaded {
            Line::from(Span::styled(Msg::StatusLoading.text(lang), theme.muted()))
        } else if table.ids.is_empty() {
            Line::from(Span::styled(Msg::StatusEmpty.text(lang), theme.muted()))
        } else {
            Line::from(Span::styled(Msg::StatusNoMatch.text(lang), theme.muted()))
        };
        frame.render_widget(Paragraph::new(msg).centered(), body_area);
    }

    if table.visible.len() > body_height {
        let mut sb =
            ScrollbarState::new(table.visible.len().saturating_sub(body_height)).position(offset);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None)
                .style(Style::default().fg(theme.border)),
            Rect::new(
                inner.right().saturating_sub(1),
                inner.y + 1,
                1,
                inner.height - 1,
            ),
            &mut sb,
        );
    }

    let mut x = inner.x;
    let header_ranges = widths
        .iter()
        .map(|w| {
            let w = u16::try_from(*w).unwrap_or(u16::MAX);
            let range = (x, x.saturating_add(w));
            x = x.saturating_add(w + 1);
            range
        })
        .collect();
    facts.header = Some((inner.y, header_ranges));
    facts.body = Some((body_area, offset));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_shrink_widest_first_and_fit() {
        let w = fit_widths(&[10, 40, 8], 40);
        assert_eq!(w.iter().sum::<usize>() + 2, 40);
        assert_eq!(w[0], 10);
        assert_eq!(w[2], 8);
        assert_eq!(fit_widths(&[5, 5], 80), vec![5, 5]);
    }
}
