//! What the user sees: every tab at 80×24 and 160×48, the detail views, the confirm dialog,
//! help, an active filter and the too-small screen, in the default theme and both languages;
//! every other built-in theme on two screens, since its colours are all that differs.
//! Each snapshot holds the screen text and, per line, the colour runs, so a theme regression
//! shows up as well as a layout one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod screen;

use screen::screen;

use common::{Demo, select};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use yun::app::action::Action;
use yun::app::state::AppState;
use yun::app::update;
use yun::backend::{Backend, InstanceAction};
use yun::i18n::Lang;
use yun::model::ResourceKind;
use yun::theme::{self, Theme};

fn render(state: &mut AppState, theme: &Theme, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            yun::ui::draw(f, state, theme);
        })
        .unwrap();
    screen(terminal.backend().buffer())
}

fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Zh => "zh",
    }
}

/// The screens each theme besides the default is snapshotted on: a table with rows in every
/// state colour, the selection and the key hints, and a dialog over it.
const THEME_SCREENS: [&str; 2] = ["instances_160x48", "confirm_delete_100x30"];

/// Every case for one theme and language, or those named in `only`.
fn cases(demo: &Demo, theme: &Theme, lang: Lang, only: Option<&[&str]>) {
    let prefix = format!("{}_{}", theme.name, lang_name(lang));
    let snap = |name: &str, content: String| {
        if only.is_none_or(|names| names.contains(&name)) {
            insta::assert_snapshot!(format!("{prefix}_{name}"), content);
        }
    };

    for kind in ResourceKind::ALL {
        for (w, h) in [(80, 24), (160, 48)] {
            let mut state = demo.state(lang);
            update::on_action(&mut state, Action::GoTab(kind));
            snap(
                &format!("{}_{w}x{h}", kind.command_name()),
                render(&mut state, theme, w, h),
            );
        }
    }

    // Instance detail, with the detail fetched from libvirt.
    let mut state = demo.state(lang);
    select(&mut state, "数据库-主");
    update::on_action(&mut state, Action::OpenDetail);
    let id = state.detail.as_ref().unwrap().id.clone();
    let mut detail = demo
        .runtime
        .block_on(demo.backend.instance_detail(&id))
        .unwrap();
    // The demo file lives in a temporary directory; show the stable label instead.
    detail.console_command = detail
        .console_command
        .map(|c| c.replace(&demo.uri, common::DEMO_LABEL));
    state.instance_detail = Some((id, Ok(detail)));
    snap("instance_detail_120x40", render(&mut state, theme, 120, 40));

    // Network detail: leases are not available from the test driver, and the screen says so.
    let mut state = demo.state(lang);
    update::on_action(&mut state, Action::GoTab(ResourceKind::Networks));
    let t = state.tables.get_mut(&ResourceKind::Networks).unwrap();
    let id = state
        .data
        .networks
        .iter()
        .find(|n| n.name == "tenant-lan")
        .unwrap()
        .id
        .clone();
    t.select_id(&id);
    update::on_action(&mut state, Action::OpenDetail);
    snap("network_detail_120x40", render(&mut state, theme, 120, 40));

    // Confirm dialog for a delete, with the volume toggle switched on.
    let mut state = demo.state(lang);
    select(&mut state, "web-01");
    update::on_action(
        &mut state,
        Action::Instance(InstanceAction::Delete {
            delete_volumes: false,
        }),
    );
    yun::app::input::on_key(&mut state, key('v'));
    snap("confirm_delete_100x30", render(&mut state, theme, 100, 30));

    let mut state = demo.state(lang);
    update::on_action(&mut state, Action::ToggleHelp);
    snap("help_100x40", render(&mut state, theme, 100, 40));

    let mut state = demo.state(lang);
    update::on_action(&mut state, Action::StartFilter);
    for c in "web".chars() {
        yun::app::input::on_key(&mut state, key(c));
    }
    snap("filter_web_100x24", render(&mut state, theme, 100, 24));

    let mut state = demo.state(lang);
    snap("too_small_60x20", render(&mut state, theme, 60, 20));
}

fn key(c: char) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    )
}

#[test]
fn every_view_in_the_default_theme_and_both_languages() {
    let demo = Demo::open(false);
    let theme = Theme::default_theme();
    for lang in [Lang::En, Lang::Zh] {
        cases(&demo, &theme, lang, None);
    }
}

#[test]
fn every_other_theme_on_a_table_and_a_dialog() {
    let demo = Demo::open(false);
    let default = Theme::default_theme().name;
    let others: Vec<&str> = theme::BUILTIN
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| *name != default.as_str())
        .collect();
    assert!(!others.is_empty(), "built-in themes besides the default");
    for name in others {
        let theme = Theme::load(name, None).unwrap();
        cases(&demo, &theme, Lang::En, Some(&THEME_SCREENS));
    }
}

#[test]
fn readonly_header_and_hints_have_no_mutating_keys() {
    let demo = Demo::open(true);
    let mut state = demo.state(Lang::En);
    let out = render(&mut state, &Theme::default_theme(), 160, 30);
    assert!(out.contains("READ-ONLY"), "{out}");
    assert!(!out.contains("start / restore"), "{out}");
    assert!(!out.contains("<p>"), "{out}");
}

#[test]
fn cjk_names_keep_columns_aligned() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    let out = render(&mut state, &Theme::default_theme(), 160, 30);
    let line = |name: &str| out.lines().find(|l| l.contains(name)).unwrap().to_string();
    let col = |l: &str| unicode_width::UnicodeWidthStr::width(&l[..l.find("m1.").unwrap()]);
    assert_eq!(col(&line("数据库-主")), col(&line("web-01")));
}

/// A deterministic series of samples for one instance: a steady 40 % CPU, a guest using 1 GiB,
/// 1 MiB/s of disk reads and 10 KiB/s of network traffic, then a restart (counters reset).
fn feed_monitor(state: &mut AppState, id: &str, with_memory: bool) {
    use std::time::{Duration, Instant};
    use yun::model::{
        DiskCounters, HostCounters, InstanceCounters, MemoryCounters, NicCounters, StatsSample,
    };
    let t0 = Instant::now();
    state.monitor = yun::monitor::Monitor::new(Duration::from_secs(1), Duration::from_secs(60), t0);
    for i in 0..40u64 {
        let k = if i < 30 { i } else { i - 30 };
        let counters = InstanceCounters {
            id: id.to_string(),
            vcpus: 2,
            cpu_time_ns: Some(k * 800_000_000),
            vcpu_time_ns: vec![k * 500_000_000, k * 300_000_000],
            memory: Some(MemoryCounters {
                allocated: 2 << 30,
                rss: Some(1536 << 20),
                guest_available: with_memory.then_some(2 << 30),
                guest_unused: with_memory.then_some(768 << 20),
                guest_disk_caches: with_memory.then_some(256 << 20),
            }),
            disks: vec![DiskCounters {
                name: "vda".into(),
                read_bytes: k << 20,
                write_bytes: k << 18,
                read_reqs: k * 256,
                write_reqs: k * 64,
            }],
            nics: vec![NicCounters {
                name: "tap-web01".into(),
                rx_bytes: k * 10_240,
                tx_bytes: k * 5_120,
                rx_packets: k * 10,
                tx_packets: k * 5,
                ..NicCounters::default()
            }],
            missing: if with_memory {
                Vec::new()
            } else {
                vec![(
                    "memory".into(),
                    "no balloon device: the guest cannot report its memory".into(),
                )]
            },
        };
        let sample = StatsSample {
            instances: vec![counters],
            host: HostCounters {
                cpus: 16,
                cpu_busy_ns: Some(i * 4_000_000_000),
                cpu_total_ns: Some(i * 16_000_000_000),
                memory_total: 64 << 30,
                memory_free: Some(40 << 30),
                missing: Vec::new(),
            },
            basis: "libvirt bulk statistics (one call per tick)".into(),
        };
        state.monitor.ingest(t0 + Duration::from_secs(i), sample);
    }
}

#[test]
fn monitor_pane_with_data_missing_data_and_narrow() {
    let demo = Demo::open(false);
    for lang in [Lang::En, Lang::Zh] {
        let theme = Theme::default_theme();
        let mut state = demo.state(lang);
        let id = state
            .data
            .instances
            .iter()
            .find(|i| i.name == "web-01")
            .unwrap()
            .id
            .clone();
        state
            .tables
            .get_mut(&ResourceKind::Instances)
            .unwrap()
            .select_id(&id);
        update::on_action(&mut state, Action::Monitor);
        feed_monitor(&mut state, &id, true);
        let name = lang_name(lang);
        insta::assert_snapshot!(
            format!("monitor_{name}_140x44"),
            render(&mut state, &theme, 140, 44)
        );
        insta::assert_snapshot!(
            format!("monitor_{name}_80x24"),
            render(&mut state, &theme, 80, 24)
        );
        feed_monitor(&mut state, &id, false);
        insta::assert_snapshot!(
            format!("monitor_no_balloon_{name}_120x40"),
            render(&mut state, &theme, 120, 40)
        );
        // A shut-off instance: the pane says so instead of showing zeros.
        let off = state
            .data
            .instances
            .iter()
            .find(|i| i.name == "build-box")
            .unwrap()
            .id
            .clone();
        state.monitor_view = Some(off);
        insta::assert_snapshot!(
            format!("monitor_not_running_{name}_100x20"),
            render(&mut state, &theme, 100, 24)
        );
        // The Overview's host figures and top list, and the Instances columns.
        state.monitor_view = None;
        update::on_action(&mut state, Action::GoTab(ResourceKind::Overview));
        insta::assert_snapshot!(
            format!("overview_live_{name}_120x40"),
            render(&mut state, &theme, 120, 40)
        );
        update::on_action(&mut state, Action::GoTab(ResourceKind::Instances));
        update::on_action(&mut state, Action::ToggleStatsColumns);
        insta::assert_snapshot!(
            format!("instances_live_{name}_160x30"),
            render(&mut state, &theme, 160, 30)
        );
        // Sorted by the live CPU column, highest first: the header marks it.
        update::run_command(&mut state, "sort cpu");
        update::run_command(&mut state, "sort cpu");
        let screen = render(&mut state, &theme, 160, 30);
        let marker = format!("{}↓", yun::i18n::Msg::MonCpu.text(lang));
        assert!(screen.contains(&marker), "{screen}");
        let rows: Vec<&str> = screen.lines().filter(|l| l.contains("m1.")).collect();
        assert!(
            rows[0].contains("web-01"),
            "the only instance with figures first: {screen}"
        );
        insta::assert_snapshot!(format!("instances_live_sorted_{name}_160x30"), screen);
    }
}

#[test]
fn overview_says_why_the_host_cpu_figure_is_missing() {
    use std::time::{Duration, Instant};
    use yun::model::{HostCounters, StatsSample};
    let demo = Demo::open(false);
    for lang in [Lang::En, Lang::Zh] {
        let mut state = demo.state(lang);
        let t0 = Instant::now();
        state.monitor =
            yun::monitor::Monitor::new(Duration::from_secs(1), Duration::from_secs(60), t0);
        for i in 0..2u32 {
            let sample = StatsSample {
                instances: Vec::new(),
                host: HostCounters {
                    cpus: 16,
                    memory_total: 64 << 30,
                    missing: vec![(
                        "cpu".into(),
                        "libvirt's test driver reports fixed host CPU times".into(),
                    )],
                    ..HostCounters::default()
                },
                basis: "libvirt test driver: its own synthetic per-domain figures".into(),
            };
            state
                .monitor
                .ingest(t0 + Duration::from_secs(u64::from(i)), sample);
        }
        update::on_action(&mut state, Action::GoTab(ResourceKind::Overview));
        let screen = render(&mut state, &Theme::default_theme(), 120, 40);
        let host_box: String = screen.lines().take(14).collect::<Vec<_>>().join("\n");
        assert!(host_box.contains("reports fixed"), "{screen}");
        assert!(
            host_box.contains("virNodeGetMemoryStats"),
            "the free-memory reason is not cut off: {screen}"
        );
        insta::assert_snapshot!(
            format!("overview_host_cpu_missing_{}_120x40", lang_name(lang)),
            screen
        );
    }
}

#[test]
fn every_view_draws_on_a_very_wide_terminal() {
    let demo = Demo::open(false);
    let theme = Theme::default_theme();
    let mut state = demo.state(Lang::En);
    feed_monitor(&mut state, "none", true);
    for kind in ResourceKind::ALL {
        update::on_action(&mut state, Action::GoTab(kind));
        let screen = render(&mut state, &theme, 1600, 30);
        assert!(screen.contains("云 yun"), "{kind:?}");
    }
    update::on_action(&mut state, Action::GoTab(ResourceKind::Instances));
    update::on_action(&mut state, Action::ToggleStatsColumns);
    update::on_action(&mut state, Action::Monitor);
    let screen = render(&mut state, &theme, 1600, 60);
    assert!(screen.contains("Monitor"), "{screen}");
}
