//! The `?` help lists every key a user can press, under the context where it works, with the
//! keys the keymap really has: on a libvirt host and on a cloud, writable and read-only. The
//! help dialog opens on these lines (its drawing is snapshotted in `render.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Demo;
use yun::app::action::Action;
use yun::app::keymap::{Context, Keymap};
use yun::app::state::AppState;
use yun::app::update;
use yun::i18n::Lang;
use yun::theme::Theme;

/// The help's lines as drawn, as text.
fn help_lines(state: &AppState) -> Vec<String> {
    yun::ui::modal::help::help_lines(state, &Theme::default_theme())
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

fn check(state: &mut AppState) {
    let lang = state.lang;
    update::on_action(state, Action::ToggleHelp);
    assert!(state.modal.is_some());
    let keymap = state.keymap.clone();
    let lines = help_lines(state);
    let heading = |l: &String| !l.is_empty() && !l.starts_with(' ');
    for ctx in Context::ALL {
        let title = ctx.title().text(lang);
        let Some(at) = lines.iter().position(|l| heading(l) && l == title) else {
            assert_eq!(keymap.in_context(ctx).count(), 0, "no heading for {title}");
            continue;
        };
        let section: Vec<&String> = lines[at + 1..].iter().take_while(|l| !heading(l)).collect();
        for b in keymap.in_context(ctx) {
            let keys = Keymap::keys_label(b);
            assert!(
                section
                    .iter()
                    .any(|l| l.trim_start().starts_with(&keys) && l.contains(b.desc.text(lang))),
                "{} ({keys}) missing under {title}:\n{}",
                b.id,
                lines.join("\n")
            );
        }
    }
    assert!(lines.iter().any(|l| l.trim_start().starts_with(":resize")));
}

#[test]
fn every_binding_is_in_help_under_its_context() {
    for readonly in [false, true] {
        let demo = Demo::open(readonly);
        for lang in [Lang::En, Lang::Zh] {
            let mut state = demo.state(lang);
            check(&mut state);
            // A keymap with every binding a backend can offer (sub-views, lock, resize,
            // metadata).
            let mut state = demo.state(lang);
            state.keymap = Keymap::build(readonly, |_| true);
            check(&mut state);
        }
    }
}
