//! The Overview (概览) tab: the host, instances by status, allocation against the host,
//! storage pools and active networks.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};

use super::block;
use crate::app::state::AppState;
use crate::backend::OverviewSection;
use crate::format;
use crate::i18n::{self, Msg};
use crate::model::Availability;
use crate::theme::Theme;

fn ratio(used: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (used as f64 / total as f64).clamp(0.0, 1.0)
    }
}

pub fn draw(frame: &mut Frame, state: &AppState, theme: &Theme, area: Rect) {
    let lang = state.lang;
    let Some(ov) = &state.data.overview else {
        let text = state
            .overview_error
            .clone()
            .unwrap_or_else(|| Msg::StatusLoading.text(lang).to_string());
        let outer = block(Msg::TabOverview.text(lang).to_string(), theme);
        let inner = outer.inner(area);
        frame.render_widget(outer, area);
        frame.render_widget(Paragraph::new(text).style(theme.muted()), inner);
        return;
    };
    if state.caps.overview_has(OverviewSection::Quotas) {
        draw_quotas(frame, state, ov, theme, area);
        return;
    }
    let muted = theme.muted();
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!(" {} ", format::pad(k, 14)), muted),
            Span::styled(v, Style::default().fg(theme.fg)),
        ])
    };

    // Host.
    let h = &ov.host;
    let mut lines = vec![
        kv(Msg::HeaderHost.text(lang), h.hostname.clone()),
        kv(
            "hypervisor",
            format!("{} · {}", h.hypervisor, h.library_version),
        ),
        kv(
            Msg::OverviewCpu.text(lang),
            format!("{} × {} ({} MHz)", h.cpus, h.cpu_model, h.mhz),
        ),
    ];
    let memory = match &h.memory_free {
        Availability::Known(free) => format!(
            "{} {} · {} {}",
            format::bytes(h.memory_total),
            Msg::OverviewTotal.text(lang),
            format::bytes(*free),
            Msg::OverviewFree.text(lang)
        ),
        Availability::Unavailable(_) => {
            format!(
                "{} {}",
                format::bytes(h.memory_total),
                Msg::OverviewTotal.text(lang)
            )
        }
    };
    lines.push(kv(Msg::OverviewMemory.text(lang), memory));
    // Live host figures from the monitor, with the basis of the CPU figure.
    let m = &state.monitor;
    let mem_now = m.host_memory.map_or_else(
        || "—".to_string(),
        |(used, total)| format!("{} / {}", format::bytes(used), format::bytes(total)),
    );
    lines.push(kv(
        Msg::MonHostCpu.text(lang),
        format!(
            "{} · {} {mem_now}",
            crate::ui::monitor::percent(m.host_cpu_now),
            Msg::MonHostMem.text(lang)
        ),
    ));
    if let Some(reason) = &m.host_cpu_missing {
        lines.push(Line::from(Span::styled(
            format!(
                " {}",
                Msg::HostCpuUnavailable.fill(lang, &[("reason", reason)])
            ),
            Style::default().fg(theme.warning),
        )));
    }
    if let Availability::Unavailable(reason) = &h.memory_free {
        lines.push(Line::from(Span::styled(
            format!(
                " {}",
                Msg::MemoryFreeUnavailable.fill(lang, &[("reason", reason)])
            ),
            Style::default().fg(theme.warning),
        )));
    }
    // Host | instances by status, then allocation across the width, then pools | networks.
    // The host box grows (a little) when reasons for missing figures wrap, so none is cut.
    let host_inner_width = (usize::from(area.width) * 55 / 100)
        .saturating_sub(2)
        .max(1);
    let host_rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(host_inner_width).max(1))
        .sum();
    let top_height = u16::try_from(host_rows + 2)
        .unwrap_or(u16::MAX)
        .clamp(10, 14);
    let [top, alloc_area, bottom] = Layout::vertical([
        Constraint::Length(top_height),
        Constraint::Length(4),
        Constraint::Min(3),
    ])
    .areas(area);
    let [host_area, inst_area] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(top);
    let [top_area, pools_area] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(bottom);
    draw_top(frame, state, theme, top_area);

    let outer = block(Msg::OverviewHost.text(lang).to_string(), theme);
    let inner = outer.inner(host_area);
    frame.render_widget(outer, host_area);
    frame.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
        inner,
    );

    // Instances by status.
    let total: usize = ov.instances_by_status.iter().map(|(_, n)| n).sum();
    let mut lines = vec![kv(Msg::OverviewTotal.text(lang), total.to_string())];
    for (status, n) in &ov.instances_by_status {
        lines.push(Line::from(vec![
            Span::styled(
                format!(" {} ", format::pad(&i18n::status_text(status, lang), 14)),
                Style::default().fg(theme.status_color(status)),
            ),
            Span::styled(n.to_string(), Style::default().fg(theme.fg)),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled(format!(" {} ", Msg::OverviewNetworks.text(lang)), muted),
        Span::styled(
            if ov.active_networks.is_empty() {
                "—".to_string()
            } else {
                ov.active_networks.join(", ")
            },
            Style::default().fg(theme.fg),
        ),
    ]));
    let outer = block(Msg::OverviewInstances.text(lang).to_string(), theme);
    let inner = outer.inner(inst_area);
    frame.render_widget(outer, inst_area);
    frame.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
        inner,
    );

    // Allocation against the host (overcommit): the bar is what runs, the label says the rest.
    let outer = block(Msg::OverviewAllocation.text(lang).to_string(), theme);
    let inner = outer.inner(alloc_area);
    frame.render_widget(outer, alloc_area);
    let cpus = u64::from(h.cpus);
    let overcommit = |alloc: u64, total: u64| {
        if total == 0 {
            "—".to_string()
        } else {
            format!("{:.2}×", alloc as f64 / total as f64)
        }
    };
    let gauge = |r: f64, label: String| {
        Gauge::default()
            .gauge_style(Style::default().fg(theme.gauge_fill).bg(theme.gauge_empty))
            .ratio(r)
            .label(Span::styled(label, Style::default().fg(theme.fg)))
    };
    let rows = [
        (
            Msg::OverviewVcpusAll,
            ratio(ov.vcpus_running, cpus),
            format!(
                "{} / {} / {} · {} {}",
                ov.vcpus_allocated,
                ov.vcpus_running,
                cpus,
                Msg::OverviewOvercommit.text(lang),
                overcommit(ov.vcpus_allocated, cpus)
            ),
        ),
        (
            Msg::OverviewMemoryAll,
            ratio(ov.memory_running, h.memory_total),
            format!(
                "{} / {} / {} · {} {}",
                format::bytes(ov.memory_allocated),
                format::bytes(ov.memory_running),
                format::bytes(h.memory_total),
                Msg::OverviewOvercommit.text(lang),
                overcommit(ov.memory_allocated, h.memory_total)
            ),
        ),
    ];
    let label_width = 34u16.min(inner.width * 2 / 5);
    for (i, (title, r, label)) in rows.into_iter().enumerate() {
        let y = inner.y + u16::try_from(i).unwrap_or(0);
        if y >= inner.bottom() {
            break;
        }
        frame.render_widget(
            Paragraph::new(format::truncate(title.text(lang), usize::from(label_width)))
                .style(muted),
            Rect::new(inner.x, y, label_width, 1),
        );
        frame.render_widget(
            gauge(r, label),
            Rect::new(
                inner.x + label_width + 1,
                y,
                inner.width.saturating_sub(label_width + 1),
                1,
            ),
        );
    }

    // Pools.
    let outer = block(Msg::OverviewPools.text(lang).to_string(), theme);
    let inner = outer.inner(pools_area);
    frame.render_widget(outer, pools_area);
    for (i, pool) in ov.pools.iter().enumerate() {
        let y = inner.y + u16::try_from(i).unwrap_or(u16::MAX);
        if y >= inner.bottom() {
            break;
        }
        let name_width = 12u16.min(inner.width / 3);
        let label = format!(
            "{} / {} · {} {}",
            format::bytes(pool.allocation),
            format::bytes(pool.capacity),
            format::bytes(pool.available),
            Msg::OverviewFree.text(lang)
        );
        frame.render_widget(
            Paragraph::new(format::truncate(&pool.name, usize::from(name_width))).style(muted),
            Rect::new(inner.x, y, name_width, 1),
        );
        frame.render_widget(
            gauge(ratio(pool.allocation, pool.capacity), label),
            Rect::new(
                inner.x + name_width + 1,
                y,
                inner.width.saturating_sub(name_width + 1),
                1,
            ),
        );
    }
}

/// A top-like list of running instances, sorted by CPU, memory, disk or network (virt-top).
fn draw_top(frame: &mut Frame, state: &AppState, theme: &Theme, area: Rect) {
    use crate::app::state::TopSort;
    use crate::ui::monitor::{percent, rate};
    let lang = state.lang;
    let m = &state.monitor;
    let key = match state.top_sort {
        TopSort::Cpu => Msg::MonCpu,
        TopSort::Memory => Msg::MonMemory,
        TopSort::Disk => Msg::MonDisk,
        TopSort::Network => Msg::MonNetwork,
    };
    let mut title = Msg::OverviewTop.fill(lang, &[("key", key.text(lang))]);
    if !m.basis.is_empty() {
        title.push_str(&format!(" · {}", m.basis));
    }
    let outer = block(title, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let add = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    };
    // Names by id once per frame: a lookup per row, not a scan of every instance per row.
    let names: std::collections::HashMap<&str, &str> = state
        .data
        .instances
        .iter()
        .map(|i| (i.id.as_str(), i.name.as_str()))
        .collect();
    let mut rows: Vec<(&str, &crate::monitor::Rates)> = m
        .current()
        .map(|(id, r)| (names.get(id).copied().unwrap_or(id), r))
        .collect();
    let metric = |r: &crate::monitor::Rates| match state.top_sort {
        TopSort::Cpu => r.cpu_of_host,
        TopSort::Memory => r.memory.charted(),
        TopSort::Disk => add(r.disk_read_bps, r.disk_write_bps),
        TopSort::Network => add(r.net_rx_bps, r.net_tx_bps),
    };
    // Compared as shown (to 0.1), so equal figures are ties broken by the instance's own CPU
    // share and then its name, not by the jitter of the last digits.
    let shown = |v: Option<f64>| v.map_or(-1.0, |v| (v * 10.0).round());
    rows.sort_by(|a, b| {
        shown(metric(b.1))
            .total_cmp(&shown(metric(a.1)))
            .then_with(|| shown(b.1.cpu_of_vcpus).total_cmp(&shown(a.1.cpu_of_vcpus)))
            .then_with(|| a.0.cmp(b.0))
    });
    let widths = [16usize, 9, 9, 10, 11, 11];
    let line = |cells: [String; 6], style: Style| {
        let text: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format::pad(&format::truncate(c, w), w))
            .collect();
        Line::from(Span::styled(text.join(" "), style))
    };
    let mut lines = vec![line(
        [
            Msg::ColInstanceName.text(lang).to_string(),
            format!("{} %vCPU", Msg::MonCpu.text(lang)),
            format!("{} %host", Msg::MonCpu.text(lang)),
            Msg::MonMemory.text(lang).to_string(),
            Msg::MonDisk.text(lang).to_string(),
            Msg::MonNetwork.text(lang).to_string(),
        ],
        Style::default().fg(theme.table_header),
    )];
    if rows.is_empty() {
        let text = m.error.clone().unwrap_or_else(|| {
            let msg = if m.samples == 0 {
                Msg::MonWaiting
            } else {
                Msg::MonNoneRunning
            };
            msg.text(lang).to_string()
        });
        lines.push(Line::from(Span::styled(text, theme.muted())));
    }
    for (name, r) in rows
        .iter()
        .take(usize::from(inner.height.saturating_sub(1)))
    {
        lines.push(line(
            [
                (*name).to_string(),
                percent(r.cpu_of_vcpus),
                percent(r.cpu_of_host),
                r.memory
                    .charted()
                    .map_or_else(|| "—".into(), |b| format::bytes(b as u64)),
                rate(add(r.disk_read_bps, r.disk_write_bps)),
                rate(add(r.net_rx_bps, r.net_tx_bps)),
            ],
            Style::default().fg(theme.fg),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A project's Overview: limits and usage as bars (as the dashboard shows them), the
/// instances by status, and the top list fed by server diagnostics.
fn draw_quotas(
    frame: &mut Frame,
    state: &AppState,
    ov: &crate::model::Overview,
    theme: &Theme,
    area: Rect,
) {
    let lang = state.lang;
    let rows = u16::try_from(ov.quotas.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(rows.max(9)), Constraint::Min(3)]).areas(area);
    let [quota_area, status_area] =
        Layout::horizontal([Constraint::Percentage(65), Constraint::Percentage(35)]).areas(top);
    let outer = block(Msg::OverviewQuotas.text(lang).to_string(), theme);
    let inner = outer.inner(quota_area);
    frame.render_widget(outer, quota_area);
    let label_width = 18u16.min(inner.width / 3);
    for (i, q) in ov.quotas.iter().enumerate() {
        let y = inner.y + u16::try_from(i).unwrap_or(u16::MAX);
        if y >= inner.bottom() {
            break;
        }
        let show = |v: u64| {
            if q.bytes {
                format::bytes(v)
            } else {
                v.to_string()
            }
        };
        let (ratio_value, text) = match q.limit {
            Some(limit) => (
                ratio(q.used, limit),
                format!("{} / {}", show(q.used), show(limit)),
            ),
            None => (
                0.0,
                format!("{} / {}", show(q.used), Msg::Unlimited.text(lang)),
            ),
        };
        frame.render_widget(
            Paragraph::new(format::truncate(
                &i18n::quota_title(&q.name, lang),
                usize::from(label_width),
            ))
            .style(theme.muted()),
            Rect::new(inner.x, y, label_width, 1),
        );
        let color = if ratio_value >= 0.9 {
            theme.error
        } else {
            theme.gauge_fill
        };
        frame.render_widget(
            Gauge::default()
                .gauge_style(Style::default().fg(color).bg(theme.gauge_empty))
                .ratio(ratio_value)
                .label(Span::styled(text, Style::default().fg(theme.fg))),
            Rect::new(
                inner.x + label_width + 1,
                y,
                inner.width.saturating_sub(label_width + 1),
                1,
            ),
        );
    }
    let total: usize = ov.instances_by_status.iter().map(|(_, n)| n).sum();
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!(" {} ", format::pad(Msg::OverviewTotal.text(lang), 12)),
            theme.muted(),
        ),
        Span::raw(total.to_string()),
    ])];
    for (status, n) in &ov.instances_by_status {
        lines.push(Line::from(vec![
            Span::styled(
                format!(" {} ", format::pad(&i18n::status_text(status, lang), 12)),
                Style::default().fg(theme.status_color(status)),
            ),
            Span::raw(n.to_string()),
        ]));
    }
    let outer = block(Msg::OverviewInstances.text(lang).to_string(), theme);
    let inner = outer.inner(status_area);
    frame.render_widget(outer, status_area);
    frame.render_widget(Paragraph::new(lines), inner);
    draw_top(frame, state, theme, bottom);
}
