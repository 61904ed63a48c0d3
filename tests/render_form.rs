//! What a form looks like: the snapshot form as `S` opens it, the same form refusing an empty
//! name, and a form with every kind of field, in both languages. The secret typed into it is
//! never on screen.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod screen;

use common::{Demo, select};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use screen::screen;
use yun::app::action::{Action, ModalAction};
use yun::app::input;
use yun::app::modal::Modal;
use yun::app::modal::form::{Choice, Field, Form, FormSpec, Value, not_empty};
use yun::app::state::AppState;
use yun::app::update;
use yun::i18n::{Lang, Msg};
use yun::theme::Theme;

fn draw(state: &AppState) -> ratatui::buffer::Buffer {
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    terminal
        .draw(|f| {
            yun::ui::draw(f, state, &Theme::default_theme());
        })
        .unwrap();
    terminal.backend().buffer().clone()
}

fn press(state: &mut AppState, code: KeyCode) {
    input::on_key(state, KeyEvent::new(code, KeyModifiers::NONE));
}

fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        press(state, KeyCode::Char(c));
    }
}

fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Zh => "zh",
    }
}

#[test]
fn the_snapshot_form_and_its_check() {
    let demo = Demo::open(false);
    for lang in [Lang::En, Lang::Zh] {
        let mut state = demo.state(lang);
        select(&mut state, "web-01");
        press(&mut state, KeyCode::Char('S'));
        assert!(matches!(state.modal, Some(Modal::Form(_))));
        insta::assert_snapshot!(
            format!("form_snapshot_{}", lang_name(lang)),
            screen(&draw(&state))
        );
        for _ in 0.."web-01-snapshot".len() {
            press(&mut state, KeyCode::Backspace);
        }
        press(&mut state, KeyCode::Enter);
        assert!(
            matches!(state.modal, Some(Modal::Form(_))),
            "an empty name is refused"
        );
        insta::assert_snapshot!(
            format!("form_snapshot_empty_{}", lang_name(lang)),
            screen(&draw(&state))
        );
    }
}

/// A form with one field of every kind.
fn every_kind(lang: Lang) -> Form {
    let spec = FormSpec::new(
        "Create volume",
        vec![
            Field::text("name", Msg::ColName, "data-01").validate(not_empty),
            Field::select(
                "pool",
                Msg::ColPool,
                vec![
                    Choice::new("default", "default").note("12 GiB free"),
                    Choice::new("fast", "fast-ssd").note("3 GiB free"),
                ],
            ),
            Field::number("capacity", Msg::ColCapacity, "20", &["GiB", "MiB"]),
            Field::multi_select(
                "tags",
                Msg::ColDescription,
                vec![Choice::new("a", "alpha"), Choice::new("b", "beta")],
            ),
            Field::toggle("sparse", Msg::ColShared, true),
            Field::path("file", Msg::ColPath, "/tmp/seed.iso"),
            Field::secret("password", Msg::ColKeyPair),
        ],
        |_| None,
    )
    .validate_all(|values, _| match values.number("capacity") {
        Some((n, "GiB")) if n > 12.0 && values.choice("pool") == Some("default") => {
            vec![("capacity", "does not fit: 12 GiB free".to_string())]
        }
        _ => Vec::new(),
    })
    .preview(|v| {
        let (amount, unit) = v.number("capacity").unwrap_or((0.0, "?"));
        format!(
            "create {} --pool {} --capacity {amount}{unit} --key {}",
            v.text("name"),
            v.choice("pool").unwrap_or("?"),
            v.text("password")
        )
    });
    Form::open(spec, lang)
}

#[test]
fn every_kind_of_field_with_a_secret_that_is_never_drawn() {
    let demo = Demo::open(false);
    for lang in [Lang::En, Lang::Zh] {
        let mut state = demo.state(lang);
        state.modal = Some(Modal::Form(every_kind(lang)));
        // Down to the secret, checking the capacity on the way (it does not fit the pool).
        for _ in 0..6 {
            press(&mut state, KeyCode::Tab);
        }
        type_text(&mut state, "hunter2");
        let Some(Modal::Form(form)) = &state.modal else {
            panic!("the form closed");
        };
        assert_eq!(
            form.values().get("password"),
            Some(&Value::Secret("hunter2".into()))
        );
        let text = screen(&draw(&state));
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("•••••••"), "{text}");
        assert!(text.contains("does not fit: 12 GiB free"), "{text}");
        insta::assert_snapshot!(format!("form_every_kind_{}", lang_name(lang)), text);
        // Back on the pool, its list is open and typing filters it.
        for _ in 0..5 {
            update::on_action(&mut state, Action::Modal(ModalAction::Prev));
        }
        type_text(&mut state, "fast");
        let text = screen(&draw(&state));
        assert!(text.contains("▸ fast-ssd"), "{text}");
        assert!(!text.contains("▸ default"), "{text}");
        press(&mut state, KeyCode::Esc);
        assert!(state.modal.is_none());
    }
}
