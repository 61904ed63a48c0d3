//! The monitor pane (监控): charts of CPU, memory, disk and network over the window, the current
//! figures with their basis, per-disk and per-NIC rows, per-vCPU times, and why a figure is
//! missing when it is.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};

use super::block;
use crate::app::state::AppState;
use crate::format;
use crate::i18n::{Lang, Msg};
use crate::monitor::{Figure, MemoryFigure, Rates, Series};
use crate::theme::Theme;

/// `12.5 %`, or `—` when there is no figure yet.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.1} %"))
}

/// `1.2 MiB/s`, or `—`.
pub fn rate(v: Option<f64>) -> String {
    v.map_or_else(
        || "—".into(),
        |v| format!("{}/s", format::bytes(v.max(0.0) as u64)),
    )
}

fn per_second(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.1}"))
}

fn window_text(secs: u64) -> String {
    if secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

pub fn draw(frame: &mut Frame, state: &AppState, theme: &Theme, area: Rect) {
    let lang = state.lang;
    let Some(id) = &state.monitor_view else {
        return;
    };
    let name = state
        .data
        .instances
        .iter()
        .find(|i| &i.id == id)
        .map_or_else(|| id.clone(), |i| i.name.clone());
    let m = &state.monitor;
    let mut title = format!(
        "{} · {name} · {}",
        Msg::MonTitle.text(lang),
        Msg::MonEvery.fill(
            lang,
            &[
                ("secs", &format!("{}", m.interval.as_secs_f64())),
                ("window", &window_text(m.window.as_secs())),
            ]
        )
    );
    if !m.basis.is_empty() {
        title.push_str(&format!(" · {}", m.basis));
    }
    let outer = block(title, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);

    let muted = theme.muted();
    let Some(rates) = m.rates(id) else {
        let text = if let Some(e) = &m.error {
            Line::from(Span::styled(e.clone(), Style::default().fg(theme.error)))
        } else if m.samples == 0 {
            Line::from(Span::styled(Msg::MonWaiting.text(lang), muted))
        } else {
            Line::from(Span::styled(
                Msg::MonNotRunning.fill(lang, &[("name", &name)]),
                Style::default().fg(theme.warning),
            ))
        };
        frame.render_widget(Paragraph::new(text), inner);
        return;
    };
    let vcpus = m.counters(id).map_or(0, |c| c.vcpus);
    let summary = summary_lines(rates, vcpus, state, theme);
    let details = detail_lines(rates, lang, theme);
    let summary_height = u16::try_from(summary.len()).unwrap_or(u16::MAX);
    let detail_height = if inner.height >= 30 {
        u16::try_from(details.len())
            .unwrap_or(u16::MAX)
            .min(inner.height / 3)
    } else {
        0
    };
    let [summary_area, charts_area, details_area] = Layout::vertical([
        Constraint::Length(summary_height),
        Constraint::Min(6),
        Constraint::Length(detail_height),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(summary), summary_area);
    if detail_height > 0 {
        frame.render_widget(Paragraph::new(details), details_area);
    }

    let [top, bottom] = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
        .areas(charts_area);
    let [cpu_area, mem_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    let [disk_area, net_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    let Some(h) = m.history(id) else {
        return;
    };
    let window = m.window.as_secs_f64();
    let now = m.now_secs();
    let x = [now - window, now];
    chart(
        frame,
        cpu_area,
        theme,
        &format!("{} %", Msg::MonCpu.text(lang)),
        x,
        &[(
            Msg::MonCpu.text(lang),
            h.get(Figure::CpuOfVcpus),
            theme.state_active,
        )],
        Some(100.0),
        &|v| format!("{v:.0} %"),
    );
    chart(
        frame,
        mem_area,
        theme,
        Msg::MonMemory.text(lang),
        x,
        &[(
            Msg::MonMemory.text(lang),
            h.get(Figure::Memory),
            theme.accent,
        )],
        match &rates.memory {
            MemoryFigure::GuestUsed { total, .. } => Some(*total as f64),
            MemoryFigure::HostSide { allocated, .. } => Some(*allocated as f64),
            MemoryFigure::Missing(_) => None,
        },
        &|v| format::bytes(v as u64),
    );
    chart(
        frame,
        disk_area,
        theme,
        Msg::MonDisk.text(lang),
        x,
        &[
            (
                Msg::MonRead.text(lang),
                h.get(Figure::DiskRead),
                theme.state_active,
            ),
            (
                Msg::MonWrite.text(lang),
                h.get(Figure::DiskWrite),
                theme.warning,
            ),
        ],
        None,
        &|v| rate(Some(v)),
    );
    chart(
        frame,
        net_area,
        theme,
        Msg::MonNetwork.text(lang),
        x,
        &[
            (
                Msg::MonRx.text(lang),
                h.get(Figure::NetRx),
                theme.state_active,
            ),
            (Msg::MonTx.text(lang), h.get(Figure::NetTx), theme.info),
        ],
        None,
        &|v| rate(Some(v)),
    );
}

fn summary_lines(rates: &Rates, vcpus: u32, state: &AppState, theme: &Theme) -> Vec<Line<'static>> {
    let lang = state.lang;
    let label = |t: &str| Span::styled(format!("{} ", format::pad(t, 8)), theme.muted());
    let value = |t: String| Span::styled(t, Style::default().fg(theme.fg));
    let host_cpus = state.host.as_ref().map_or(0, |h| h.cpus);
    let mut lines = vec![Line::from(vec![
        label(Msg::MonCpu.text(lang)),
        value(Msg::MonCpuOfVcpus.fill(
            lang,
            &[
                ("pct", &percent(rates.cpu_of_vcpus)),
                ("n", &vcpus.to_string()),
            ],
        )),
        Span::styled(" · ", theme.muted()),
        value(Msg::MonCpuOfHost.fill(
            lang,
            &[
                ("pct", &percent(rates.cpu_of_host)),
                ("n", &host_cpus.to_string()),
            ],
        )),
    ])];
    let mut why = Vec::new();
    let memory = match &rates.memory {
        MemoryFigure::GuestUsed { used, total } => Msg::MonMemGuest.fill(
            lang,
            &[
                ("used", &format::bytes(*used)),
                ("total", &format::bytes(*total)),
            ],
        ),
        MemoryFigure::HostSide {
            allocated,
            rss,
            reason,
        } => {
            why.push(reason.clone());
            Msg::MonMemHost.fill(
                lang,
                &[
                    ("alloc", &format::bytes(*allocated)),
                    ("rss", &format::size(*rss)),
                ],
            )
        }
        MemoryFigure::Missing(reason) => {
            why.push(reason.clone());
            "—".to_string()
        }
    };
    lines.push(Line::from(vec![
        label(Msg::MonMemory.text(lang)),
        value(memory),
    ]));
    lines.push(Line::from(vec![
        label(Msg::MonDisk.text(lang)),
        value(format!(
            "{} {} · {} {} · {} {}/{}",
            Msg::MonRead.text(lang),
            rate(rates.disk_read_bps),
            Msg::MonWrite.text(lang),
            rate(rates.disk_write_bps),
            Msg::MonIops.text(lang),
            per_second(rates.disk_read_iops),
            per_second(rates.disk_write_iops),
        )),
    ]));
    lines.push(Line::from(vec![
        label(Msg::MonNetwork.text(lang)),
        value(format!(
            "{} {} · {} {} · {} {}/{} · {} {} · {} {}",
            Msg::MonRx.text(lang),
            rate(rates.net_rx_bps),
            Msg::MonTx.text(lang),
            rate(rates.net_tx_bps),
            Msg::MonPackets.text(lang),
            per_second(rates.net_rx_pps),
            per_second(rates.net_tx_pps),
            Msg::MonErrors.text(lang),
            per_second(rates.net_errors_ps),
            Msg::MonDrops.text(lang),
            per_second(rates.net_drops_ps),
        )),
    ]));
    for (what, reason) in &rates.missing {
        if what != "memory" {
            why.push(format!("{what}: {reason}"));
        }
    }
    for reason in why {
        lines.push(Line::from(Span::styled(
            format!("  {}", Msg::MonWhy.fill(lang, &[("reason", &reason)])),
            Style::default().fg(theme.warning),
        )));
    }
    // Reading guest memory changes the live domain (its balloon statistics period): say so
    // where the figures are shown, not only in the README.
    if state.caps.memory_stats_touch_guest && !state.caps.readonly {
        lines.push(Line::from(Span::styled(
            format!("  {}", Msg::MonBalloonNote.text(lang)),
            theme.muted(),
        )));
    }
    lines
}

fn detail_lines(rates: &Rates, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for d in &rates.disks {
        lines.push(Line::from(vec![
            Span::styled(format!("  {} ", format::pad(&d.name, 10)), theme.muted()),
            Span::raw(format!(
                "{} {}  {} {}  {} {}/{}",
                Msg::MonRead.text(lang),
                rate(d.read_bps),
                Msg::MonWrite.text(lang),
                rate(d.write_bps),
                Msg::MonIops.text(lang),
                per_second(d.read_iops),
                per_second(d.write_iops)
            )),
        ]));
    }
    for n in &rates.nics {
        lines.push(Line::from(vec![
            Span::styled(format!("  {} ", format::pad(&n.name, 10)), theme.muted()),
            Span::raw(format!(
                "{} {}  {} {}  {} {}/{}  {} {}  {} {}",
                Msg::MonRx.text(lang),
                rate(n.rx_bps),
                Msg::MonTx.text(lang),
                rate(n.tx_bps),
                Msg::MonPackets.text(lang),
                per_second(n.rx_pps),
                per_second(n.tx_pps),
                Msg::MonErrors.text(lang),
                per_second(n.errors_ps),
                Msg::MonDrops.text(lang),
                per_second(n.drops_ps)
            )),
        ]));
    }
    if !rates.vcpus.is_empty() {
        let cells: Vec<String> = rates
            .vcpus
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{i}: {}", percent(*v)))
            .collect();
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {} ", format::pad(Msg::MonVcpus.text(lang), 10)),
                theme.muted(),
            ),
            Span::raw(cells.join("  ")),
        ]));
    }
    lines
}

#[allow(clippy::too_many_arguments)]
fn chart(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    title: &str,
    x: [f64; 2],
    series: &[(&str, Series<'_>, Color)],
    y_max: Option<f64>,
    fmt: &dyn Fn(f64) -> String,
) {
    // One point per braille column pair is all the chart can show; draw no more than that.
    let width = usize::from(area.width.saturating_sub(10)).max(1) * 2;
    let points: Vec<Vec<(f64, f64)>> = series.iter().map(|(_, s, _)| s.downsample(width)).collect();
    let peak = series
        .iter()
        .filter_map(|(_, s, _)| s.max())
        .fold(0.0_f64, f64::max);
    // Headroom above the peak, so a line at the limit stays visible under the border.
    let top = match y_max {
        Some(limit) => limit.max(peak) * 1.1,
        None => peak * 1.1,
    }
    .max(1.0);
    let datasets: Vec<Dataset> = series
        .iter()
        .zip(&points)
        .map(|((name, _, color), pts)| {
            Dataset::default()
                .name((*name).to_string())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(*color))
                .data(pts)
        })
        .collect();
    let chart = Chart::new(datasets)
        .block(block(title.to_string(), theme))
        .x_axis(Axis::default().bounds(x).style(theme.muted()))
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels([Span::raw("0"), Span::raw(fmt(top))])
                .style(theme.muted()),
        )
        .legend_position((series.len() > 1).then_some(ratatui::widgets::LegendPosition::TopLeft))
        .style(theme.base());
    frame.render_widget(chart, area);
}
