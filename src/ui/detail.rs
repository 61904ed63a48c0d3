//! The detail view of the selected row: sections of key/value lines and small tables, scrollable.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::block;
use crate::app::state::AppState;
use crate::backend::InstanceDetailLayout;
use crate::format;
use crate::i18n::{self, Lang, Msg};
use crate::model::{Availability, InstanceDetail, Network, ResourceKind};
use crate::theme::Theme;

struct Lines<'t> {
    lines: Vec<Line<'static>>,
    theme: &'t Theme,
    lang: Lang,
}

impl Lines<'_> {
    fn section(&mut self, title: Msg) {
        if !self.lines.is_empty() {
            self.lines.push(Line::default());
        }
        self.lines.push(Line::from(Span::styled(
            title.text(self.lang).to_string(),
            Style::default()
                .fg(self.theme.title)
                .add_modifier(Modifier::BOLD),
        )));
    }

    fn kv(&mut self, key: &str, value: impl Into<String>) {
        self.kv_styled(key, value, Style::default().fg(self.theme.fg));
    }

    fn kv_styled(&mut self, key: &str, value: impl Into<String>, style: Style) {
        self.lines.push(Line::from(vec![
            Span::styled(format!("  {}  ", format::pad(key, 22)), self.theme.muted()),
            Span::styled(value.into(), style),
        ]));
    }

    fn note(&mut self, text: String) {
        self.lines.push(Line::from(Span::styled(
            format!("  {text}"),
            Style::default().fg(self.theme.warning),
        )));
    }

    /// A small aligned table: header row then data rows.
    fn grid(&mut self, header: &[Msg], rows: &[Vec<String>]) {
        let mut widths: Vec<usize> = header.iter().map(|h| h.text(self.lang).width()).collect();
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.width()).min(60);
                }
            }
        }
        let line = |cells: Vec<String>, style: Style| {
            let text = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format::pad(&format::truncate(c, *w), *w))
                .collect::<Vec<_>>()
                .join("  ");
            Line::from(Span::styled(format!("  {}", text.trim_end()), style))
        };
        self.lines.push(line(
            header
                .iter()
                .map(|h| h.text(self.lang).to_string())
                .collect(),
            Style::default().fg(self.theme.table_header),
        ));
        for row in rows {
            self.lines
                .push(line(row.clone(), Style::default().fg(self.theme.fg)));
        }
    }
}

fn dash(v: Option<&String>) -> String {
    v.cloned().unwrap_or_else(|| "—".into())
}

/// Draw the detail; returns how far it can scroll.
pub fn draw(frame: &mut Frame, state: &AppState, theme: &Theme, area: Rect) -> u16 {
    let Some(view) = state.detail.clone() else {
        return 0;
    };
    let lang = state.lang;
    let mut out = Lines {
        lines: Vec::new(),
        theme,
        lang,
    };
    let mut title = Msg::DetailTitle.text(lang).to_string();
    let mut raw_document: Option<String> = None;
    match view.kind {
        ResourceKind::Instances => {
            if let Some(inst) = state.data.instances.iter().find(|i| i.id == view.id) {
                title = format!("{} · {}", inst.name, title);
                out.section(Msg::DetailGeneral);
                out.kv(Msg::ColId.text(lang), inst.id.clone());
                let status_style = Style::default().fg(theme.status_color(&inst.status));
                out.kv_styled(
                    Msg::ColStatus.text(lang),
                    i18n::status_text(&inst.status, lang),
                    status_style,
                );
                let task = state
                    .task(ResourceKind::Instances, &inst.id)
                    .map(|t| t.work.label().to_string())
                    .or_else(|| inst.task.clone());
                out.kv(
                    Msg::ColTask.text(lang),
                    i18n::task_text(task.as_deref(), lang),
                );
                out.kv_styled(
                    Msg::ColPowerState.text(lang),
                    i18n::power_text(inst.power, lang),
                    status_style,
                );
                out.kv(Msg::ColSize.text(lang), format::instance_size(&inst.size));
                let ips = if inst.addresses.is_empty() {
                    inst.addresses_note.clone().unwrap_or_else(|| "—".into())
                } else {
                    inst.addresses
                        .iter()
                        .map(|a| format!("{} ({})", a.ip, a.network))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                out.kv(Msg::ColIpAddresses.text(lang), ips);
            }
            match &state.instance_detail {
                Some((id, Ok(d))) if *id == view.id => {
                    if view.show_document {
                        raw_document = Some(d.document.clone());
                    } else {
                        instance_sections(&mut out, d, state.caps.instance_detail);
                    }
                }
                Some((id, Err(e))) if *id == view.id => out.note(e.clone()),
                _ => out.note(Msg::DetailLoading.text(lang).to_string()),
            }
        }
        ResourceKind::Networks => {
            if let Some(n) = state.data.networks.iter().find(|n| n.id == view.id) {
                title = format!("{} · {}", n.name, title);
                network_sections(&mut out, n);
            }
        }
        ResourceKind::Flavors => {
            if let Some(f) = state.data.flavors.iter().find(|f| f.id == view.id) {
                title = format!("{} · {}", f.name, title);
                out.section(Msg::DetailGeneral);
                out.kv(Msg::ColId.text(lang), f.id.clone());
                out.kv(Msg::ColName.text(lang), f.name.clone());
                out.kv(Msg::ColVcpus.text(lang), f.vcpus.to_string());
                out.kv(Msg::ColRam.text(lang), format::bytes(f.ram_bytes));
                out.kv(
                    Msg::ColRootDisk.text(lang),
                    format::bytes(f.root_disk_bytes),
                );
                out.kv(
                    Msg::ColEphemeral.text(lang),
                    format::bytes(f.ephemeral_bytes),
                );
                out.kv(Msg::ColSwap.text(lang), format::bytes(f.swap_bytes));
                if let Some(fits) = f.fits {
                    out.kv(Msg::ColFits.text(lang), i18n::yes_no(fits, lang));
                }
                for (k, v) in &f.extra_specs {
                    out.kv(k, v.clone());
                }
            }
        }
        ResourceKind::Images => {
            if let Some(i) = state.data.images.iter().find(|i| i.id == view.id) {
                title = format!("{} · {}", i.name, title);
                out.section(Msg::DetailGeneral);
                out.kv(Msg::ColName.text(lang), i.name.clone());
                out.kv(Msg::ColFormat.text(lang), dash(i.format.as_ref()));
                out.kv(Msg::ColVirtualSize.text(lang), format::size(i.virtual_size));
                out.kv(Msg::ColAllocation.text(lang), format::size(i.allocation));
                out.kv(Msg::ColPool.text(lang), dash(i.pool.as_ref()));
                out.kv(Msg::ColPath.text(lang), dash(i.path.as_ref()));
                let used = if i.used_by.is_empty() {
                    "—".into()
                } else {
                    i.used_by.join(", ")
                };
                out.kv(Msg::ColUsedBy.text(lang), used);
            }
        }
        ResourceKind::Volumes => {
            if let Some(v) = state.data.volumes.iter().find(|v| v.id == view.id) {
                title = format!("{} · {}", v.name, title);
                out.section(Msg::DetailGeneral);
                out.kv(Msg::ColName.text(lang), v.name.clone());
                out.kv(Msg::ColPool.text(lang), dash(v.pool.as_ref()));
                out.kv(Msg::ColFormat.text(lang), dash(v.format.as_ref()));
                out.kv(Msg::ColCapacity.text(lang), format::size(v.capacity));
                out.kv(Msg::ColAllocation.text(lang), format::size(v.allocation));
                out.kv(Msg::ColPath.text(lang), dash(v.path.as_ref()));
                let attached = v
                    .attached
                    .iter()
                    .map(|a| format!("{} ({})", a.instance, a.target))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.kv(
                    Msg::ColAttachedTo.text(lang),
                    if attached.is_empty() {
                        "—".into()
                    } else {
                        attached
                    },
                );
                if let Some(pool) = v
                    .pool
                    .as_ref()
                    .and_then(|p| state.data.pools.iter().find(|x| &x.name == p))
                {
                    out.section(Msg::ColPool);
                    out.kv(Msg::ColName.text(lang), pool.name.clone());
                    out.kv(Msg::ColCapacity.text(lang), format::bytes(pool.capacity));
                    out.kv(
                        Msg::ColAllocation.text(lang),
                        format::bytes(pool.allocation),
                    );
                    out.kv(Msg::ColAvailable.text(lang), format::bytes(pool.available));
                }
            }
        }
        ResourceKind::SecurityGroups => {
            if let Some(g) = state.data.security_groups.iter().find(|g| g.id == view.id) {
                title = format!("{} · {}", g.name, title);
                out.section(Msg::DetailGeneral);
                out.kv(Msg::ColName.text(lang), g.name.clone());
                out.kv(Msg::ColId.text(lang), g.id.clone());
                out.kv(Msg::ColDescription.text(lang), dash(g.description.as_ref()));
                out.section(Msg::ColRules);
                let any = || "any".to_string();
                let rows: Vec<Vec<String>> = g
                    .rules
                    .iter()
                    .map(|r| {
                        let ports = match (r.port_min, r.port_max) {
                            (Some(a), Some(b)) if a == b => a.to_string(),
                            (Some(a), Some(b)) => format!("{a}-{b}"),
                            _ => any(),
                        };
                        vec![
                            r.direction.clone(),
                            r.ethertype.clone().unwrap_or_else(any),
                            r.protocol.clone().unwrap_or_else(any),
                            ports,
                            r.remote_ip_prefix
                                .clone()
                                .or_else(|| r.remote_group.clone())
                                .unwrap_or_else(any),
                        ]
                    })
                    .collect();
                out.grid(
                    &[
                        Msg::ColDirection,
                        Msg::ColEthertype,
                        Msg::ColProtocol,
                        Msg::ColPortRange,
                        Msg::ColRemote,
                    ],
                    &rows,
                );
            }
        }
        ResourceKind::FloatingIps => {
            if let Some(f) = state.data.floating_ips.iter().find(|f| f.id == view.id) {
                title = format!("{} · {}", f.address, title);
                out.section(Msg::DetailGeneral);
                out.kv(Msg::ColIp.text(lang), f.address.clone());
                out.kv(Msg::ColId.text(lang), f.id.clone());
                out.kv(
                    Msg::ColFixedAddress.text(lang),
                    dash(f.fixed_address.as_ref()),
                );
                out.kv(Msg::ColInstanceName.text(lang), dash(f.instance.as_ref()));
                out.kv(Msg::ColNetwork.text(lang), dash(f.network.as_ref()));
                out.kv(Msg::ColStatus.text(lang), dash(f.status.as_ref()));
            }
        }
        ResourceKind::Ports => {
            if let Some(p) = state.data.ports.iter().find(|p| p.id == view.id) {
                title = format!(
                    "{} · {}",
                    if p.name.is_empty() { &p.id } else { &p.name },
                    title
                );
                out.section(Msg::DetailGeneral);
                out.kv(Msg::ColName.text(lang), p.name.clone());
                out.kv(Msg::ColId.text(lang), p.id.clone());
                out.kv(Msg::ColNetwork.text(lang), dash(p.network.as_ref()));
                out.kv(Msg::ColMac.text(lang), dash(p.mac.as_ref()));
                out.kv(Msg::ColAddresses.text(lang), p.fixed_ips.join(", "));
                out.kv(
                    Msg::ColDeviceOwner.text(lang),
                    dash(p.device_owner.as_ref()),
                );
                out.kv(Msg::ColDevice.text(lang), dash(p.device.as_ref()));
                out.kv(Msg::ColStatus.text(lang), dash(p.status.as_ref()));
            }
        }
        ResourceKind::Overview => {}
    }
    if view.kind == ResourceKind::Instances && view.show_document {
        title = format!("{title} · {}", Msg::DetailXml.text(lang));
    }
    let outer = block(title, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let (paragraph, line_count) = match raw_document {
        Some(doc) => {
            let lines: Vec<Line> = doc.lines().map(|l| Line::from(l.to_string())).collect();
            let n = lines.len();
            (
                Paragraph::new(lines).style(Style::default().fg(theme.fg)),
                n,
            )
        }
        None => {
            let n = out.lines.len();
            (Paragraph::new(out.lines).wrap(Wrap { trim: false }), n)
        }
    };
    let max_scroll =
        u16::try_from(line_count.saturating_sub(usize::from(inner.height))).unwrap_or(u16::MAX);
    let scroll = state
        .detail
        .as_ref()
        .map_or(0, |d| d.scroll)
        .min(max_scroll);
    frame.render_widget(paragraph.scroll((scroll, 0)), inner);
    max_scroll
}

/// Keys of a property list's `extra` rows that the General section shows already.
const SHOWN_ABOVE: [&str; 5] = ["id", "name", "status", "power_state", "task_state"];

fn instance_sections(out: &mut Lines, d: &InstanceDetail, layout: InstanceDetailLayout) {
    let lang = out.lang;
    if layout == InstanceDetailLayout::Properties {
        // Everything the backend's own `show` gives, then its console.
        for (k, v) in d
            .extra
            .iter()
            .filter(|(k, _)| !SHOWN_ABOVE.contains(&k.as_str()))
        {
            out.kv(k, v.clone());
        }
        if let Some(cmd) = &d.console_command {
            out.kv(Msg::ConsoleLog.text(lang), cmd.clone());
        }
        return;
    }
    out.kv(
        Msg::ColAutostart.text(lang),
        d.autostart.map_or("—", |a| i18n::yes_no(a, lang)),
    );
    out.kv(
        Msg::DetailPersistent.text(lang),
        d.persistent.map_or("—", |a| i18n::yes_no(a, lang)),
    );
    for (k, v) in &d.extra {
        out.kv(k, v.clone());
    }
    out.section(Msg::DetailOs);
    out.kv("type / arch", format!("{} / {}", d.os.os_type, d.os.arch));
    out.kv("machine", d.os.machine.clone());

    out.section(Msg::DetailDisks);
    let rows: Vec<Vec<String>> = d
        .disks
        .iter()
        .map(|disk| {
            vec![
                disk.target.clone(),
                dash(disk.bus.as_ref()),
                disk.device.clone(),
                dash(disk.path.as_ref()),
                format::size(disk.capacity),
                format::size(disk.allocation),
            ]
        })
        .collect();
    out.grid(
        &[
            Msg::ColTarget,
            Msg::ColBus,
            Msg::ColSource,
            Msg::ColPath,
            Msg::ColCapacity,
            Msg::ColAllocation,
        ],
        &rows,
    );

    out.section(Msg::DetailNics);
    let rows: Vec<Vec<String>> = d
        .nics
        .iter()
        .map(|n| {
            vec![
                n.mac.clone(),
                n.source.clone(),
                dash(n.model.as_ref()),
                if n.ips.is_empty() {
                    "—".into()
                } else {
                    n.ips.join(", ")
                },
            ]
        })
        .collect();
    out.grid(
        &[
            Msg::ColMac,
            Msg::ColSource,
            Msg::ColModel,
            Msg::ColIpAddresses,
        ],
        &rows,
    );

    out.section(Msg::DetailGraphics);
    if d.graphics.is_empty() {
        out.kv("—", "");
    }
    for g in &d.graphics {
        out.kv(
            &g.kind,
            g.uri
                .clone()
                .unwrap_or_else(|| Msg::ConsoleNotRunning.text(lang).into()),
        );
    }
    out.section(Msg::DetailSerial);
    if d.serials.is_empty() {
        out.kv("—", "");
    }
    for s in &d.serials {
        out.kv("serial", s.clone());
    }
    if let Some(cmd) = &d.console_command {
        out.kv(Msg::ConsoleSerial.text(lang), cmd.clone());
    }
    out.lines.push(Line::default());
    out.lines.push(Line::from(Span::styled(
        format!("  x: {}", Msg::KeyToggleXml.text(lang)),
        out.theme.muted(),
    )));
}

fn network_sections(out: &mut Lines, n: &Network) {
    let lang = out.lang;
    out.section(Msg::DetailGeneral);
    out.kv(Msg::ColName.text(lang), n.name.clone());
    out.kv(Msg::ColActive.text(lang), i18n::yes_no(n.active, lang));
    out.kv(
        Msg::ColAutostart.text(lang),
        n.autostart.map_or("—", |a| i18n::yes_no(a, lang)),
    );
    out.kv(
        Msg::ColForward.text(lang),
        n.forward
            .clone()
            .unwrap_or_else(|| Msg::Isolated.text(lang).into()),
    );
    out.kv(Msg::ColBridge.text(lang), dash(n.bridge.as_ref()));
    out.kv(Msg::ColAddresses.text(lang), n.cidrs.join(", "));
    out.kv(Msg::ColDhcpRange.text(lang), n.dhcp_ranges.join(", "));
    out.section(Msg::ColLeases);
    match &n.leases {
        Availability::Known(leases) => {
            let rows: Vec<Vec<String>> = leases
                .iter()
                .map(|l| {
                    vec![
                        l.mac.clone(),
                        l.ip.clone(),
                        dash(l.hostname.as_ref()),
                        format::epoch(l.expiry).unwrap_or_else(|| Msg::Never.text(lang).into()),
                    ]
                })
                .collect();
            out.grid(
                &[Msg::ColMac, Msg::ColIp, Msg::ColHostname, Msg::ColExpiry],
                &rows,
            );
        }
        Availability::Unavailable(reason) => {
            out.note(Msg::LeasesUnavailable.fill(lang, &[("reason", reason)]));
        }
    }
    out.section(Msg::DetailStaticHosts);
    let rows: Vec<Vec<String>> = n
        .static_hosts
        .iter()
        .map(|h| vec![dash(h.mac.as_ref()), h.ip.clone(), dash(h.name.as_ref())])
        .collect();
    out.grid(&[Msg::ColMac, Msg::ColIp, Msg::ColHostname], &rows);
}
