//! What the user sees: every tab at 80×24 and 160×48, the detail views, the confirm dialog,
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! help, an active filter and the too-small screen, in each built-in theme and both languages.
//! Each snapshot holds the screen text and, per line, the colour runs, so a theme regression
//! shows up as well as a layout one.

mod common;

use common::Demo;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use yun::app::action::Action;
use yun::app::state::AppState;
use yun::app::update;
use yun::backend::{Backend, InstanceAction};
use yun::i18n::Lang;
use yun::model::ResourceKind;
use yun::theme::{self, Theme};

fn color(c: Color) -> String {
    match c {
        Color::Reset => "-".into(),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => format!("i{i}"),
        other => format!("{other:?}"),
    }
}

/// Screen text, then one line per screen row listing its style runs `start-end fg/bg[+mods]`.
fn screen(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut text = String::new();
    let mut styles = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut runs: Vec<(u16, u16, String)> = Vec::new();
        let mut skip = 0;
        for x in 0..area.width {
            let cell = &buffer[(x, y)];
            if skip > 0 {
                skip -= 1;
            } else {
                line.push_str(cell.symbol());
                skip = unicode_width::UnicodeWidthStr::width(cell.symbol()).saturating_sub(1);
            }
            let mut style = format!("{}/{}", color(cell.fg), color(cell.bg));
            if cell.modifier.contains(Modifier::BOLD) {
                style.push_str("+b");
            }
            match runs.last_mut() {
                Some((_, end, s)) if *s == style => *end = x,
                _ => runs.push((x, x, style)),
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
        let runs: Vec<String> = runs
            .iter()
            .map(|(a, b, s)| format!("{a}-{b} {s}"))
            .collect();
        styles.push_str(&format!("{y:2}: {}\n", runs.join(" | ")));
    }
    format!("{text}\n{styles}")
}

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

fn select(state: &mut AppState, name: &str) {
    let id = state
        .data
        .instances
        .iter()
        .find(|i| i.name == name)
        .unwrap()
        .id
        .clone();
    update::on_action(state, Action::GoTab(ResourceKind::Instances));
    state
        .tables
        .get_mut(&ResourceKind::Instances)
        .unwrap()
        .select_id(&id);
}

/// Every case, for one theme and language.
fn cases(demo: &Demo, theme: &Theme, lang: Lang) {
    let prefix = format!("{}_{}", theme.name, lang_name(lang));
    let snap = |name: &str, content: String| {
        insta::assert_snapshot!(format!("{prefix}_{name}"), content);
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
    update::on_key(&mut state, key('v'));
    snap("confirm_delete_100x30", render(&mut state, theme, 100, 30));

    let mut state = demo.state(lang);
    update::on_action(&mut state, Action::ToggleHelp);
    snap("help_100x40", render(&mut state, theme, 100, 40));

    let mut state = demo.state(lang);
    update::on_action(&mut state, Action::StartFilter);
    for c in "web".chars() {
        update::on_key(&mut state, key(c));
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
fn every_view_in_every_theme_and_language() {
    let demo = Demo::open(false);
    for (name, _) in theme::BUILTIN {
        let theme = Theme::load(name, None).unwrap();
        for lang in [Lang::En, Lang::Zh] {
            cases(&demo, &theme, lang);
        }
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
