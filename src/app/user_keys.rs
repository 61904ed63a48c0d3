//! `[keys]` in config.toml on top of the default keymap: the key syntax, and how the user's
//! entries are applied. An entry that cannot apply (unknown id, a key that does not parse, a
//! key another binding of the same context has) is reported with its file, line and key, and
//! its binding keeps its default keys; the other entries still apply.

use crossterm::event::{KeyCode, KeyModifiers};

use crate::app::keymap::{Binding, Key, Keymap, Needs, default_bindings};
use crate::backend::Capabilities;
use crate::config::KeyOverride;

impl Key {
    /// A key as written in `[keys]`: one character (`j`, `G`, `?`), a named key (`enter`,
    /// `esc`, `tab`, `backtab`, `up`, `pagedown`, `delete`, `f1`…`f12`, `space`, …), either
    /// after any of the modifiers `ctrl-`, `alt-` and `shift-`. Names are case-insensitive;
    /// `shift-` with a letter is the capital letter, and with `tab` it is `backtab`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rest = text.trim();
        let mut mods = KeyModifiers::NONE;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (modifier, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            // `ctrl--` is Ctrl with the minus key: a modifier needs a key after it.
            if rest.len() == len {
                break;
            }
            mods |= modifier;
            rest = &rest[len..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return Err(format!("`{text}` names no key")),
            (Some(c), None) => KeyCode::Char(c),
            _ => named_key(&rest.to_ascii_lowercase())
                .ok_or_else(|| format!("`{text}` is not a key ({KEY_SYNTAX})"))?,
        };
        Self::normalized(code, mods).ok_or_else(|| {
            format!(
                "`{text}`: shift- goes with a letter or a named key; write the character itself"
            )
        })
    }

    /// The key as terminals report it: shifted letters are capitals (the SHIFT flag is not
    /// compared for characters), Shift-Tab is BackTab.
    fn normalized(code: KeyCode, mods: KeyModifiers) -> Option<Self> {
        if !mods.contains(KeyModifiers::SHIFT) {
            return Some(Self { code, mods });
        }
        let rest = mods - KeyModifiers::SHIFT;
        match code {
            KeyCode::Char(c) if c.is_alphabetic() => Some(Self {
                code: KeyCode::Char(c.to_uppercase().next().unwrap_or(c)),
                mods: rest,
            }),
            KeyCode::Char(_) => None,
            KeyCode::Tab | KeyCode::BackTab => Some(Self {
                code: KeyCode::BackTab,
                mods: rest,
            }),
            code => Some(Self { code, mods }),
        }
    }
}

/// The syntax `Key::parse` accepts, for its error messages.
const KEY_SYNTAX: &str = "use one character, or enter, esc, tab, backtab, space, up, down, \
                          left, right, home, end, pageup, pagedown, insert, delete, backspace, \
                          f1 to f12, after ctrl-, alt- or shift- if needed";

fn named_key(name: &str) -> Option<KeyCode> {
    let code = match name {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        "insert" | "ins" => KeyCode::Insert,
        "delete" | "del" => KeyCode::Delete,
        "backspace" => KeyCode::Backspace,
        _ => {
            let n: u8 = name.strip_prefix('f')?.parse().ok()?;
            return (1..=12).contains(&n).then_some(KeyCode::F(n));
        }
    };
    Some(code)
}

impl Keymap {
    /// The defaults with the user's `[keys]` entries applied, and one message per entry that
    /// could not apply (unknown id, a key that does not parse, a key already bound in the same
    /// context). The entries are checked against every binding, before `--readonly` and the
    /// backend drop any, so a config file means the same everywhere; `--readonly` then drops
    /// the mutating bindings whatever keys they have.
    pub fn with_user_keys(caps: &Capabilities, user: &[KeyOverride]) -> (Self, Vec<String>) {
        Self::with_user_keys_where(caps.readonly, |needs| needs.offered_by(caps), user)
    }

    /// [`Keymap::with_user_keys`] with `offered` saying what the backend has.
    pub fn with_user_keys_where(
        readonly: bool,
        offered: impl Fn(Needs) -> bool,
        user: &[KeyOverride],
    ) -> (Self, Vec<String>) {
        let mut bindings = default_bindings();
        let problems = apply_user_keys(&mut bindings, user);
        (Self::from_bindings(bindings, readonly, offered), problems)
    }
}

/// Puts the user's keys on their bindings; a binding whose entry cannot apply keeps its
/// default keys. A conflict reverts the entry at fault: the user's when the other binding has
/// its default keys, the later one in the file when both were rebound (so two bindings can
/// swap keys).
fn apply_user_keys(bindings: &mut [Binding], user: &[KeyOverride]) -> Vec<String> {
    let defaults: Vec<Vec<Key>> = bindings.iter().map(|b| b.keys.clone()).collect();
    // For each binding, the index of the entry that rebound it.
    let mut set_by: Vec<Option<usize>> = vec![None; bindings.len()];
    let mut problems = Vec::new();
    for (n, entry) in user.iter().enumerate() {
        let Some(i) = bindings.iter().position(|b| b.id == entry.id) else {
            problems.push(format!(
                "{}, key `{}`: no binding has this id (config.default.toml lists them)",
                entry.at, entry.id
            ));
            continue;
        };
        let keys = match parse_keys(entry.keys.as_deref()) {
            Ok(keys) => keys,
            Err(why) => {
                problems.push(format!(
                    "{}, key `{}`: {why}; keeping {}",
                    entry.at,
                    entry.id,
                    Keymap::keys_label(&bindings[i])
                ));
                continue;
            }
        };
        bindings[i].keys = keys;
        set_by[i] = Some(n);
    }
    while let Some((a, b, key)) = first_conflict(bindings) {
        let at_fault = match (set_by[a], set_by[b]) {
            (Some(x), Some(y)) if x < y => b,
            (Some(_), _) => a,
            (None, Some(_)) => b,
            // The defaults have no conflict (a test checks); nothing to revert.
            (None, None) => break,
        };
        let other = if at_fault == a { b } else { a };
        let entry = set_by[at_fault].and_then(|n| user.get(n));
        bindings[at_fault].keys = defaults[at_fault].clone();
        set_by[at_fault] = None;
        if let Some(entry) = entry {
            problems.push(format!(
                "{}, key `{}`: {} is already bound to {} in the same context; keeping {}",
                entry.at,
                entry.id,
                key.label(),
                bindings[other].id,
                Keymap::keys_label(&bindings[at_fault])
            ));
        }
    }
    problems
}

/// The keys of one entry: every one must parse, and there must be at least one.
fn parse_keys(written: Option<&[String]>) -> Result<Vec<Key>, String> {
    let written = written.ok_or("give a key or a list of keys, as strings")?;
    if written.is_empty() {
        return Err("the list of keys is empty".into());
    }
    let mut keys: Vec<Key> = Vec::new();
    for text in written {
        let key = Key::parse(text)?;
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// Two bindings of one context sharing a key, and that key.
fn first_conflict(bindings: &[Binding]) -> Option<(usize, usize, Key)> {
    bindings.iter().enumerate().find_map(|(i, a)| {
        bindings[i + 1..]
            .iter()
            .enumerate()
            .filter(|(_, b)| b.context == a.context)
            .find_map(|(j, b)| {
                a.keys
                    .iter()
                    .find(|k| b.keys.contains(k))
                    .map(|k| (i, i + 1 + j, *k))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::action::Action;
    use crate::app::keymap::Context;
    use crate::backend::InstanceAction;
    use crossterm::event::KeyEvent;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn entry(id: &str, keys: &[&str], line: usize) -> KeyOverride {
        KeyOverride {
            id: id.into(),
            keys: Some(keys.iter().map(|k| (*k).to_string()).collect()),
            at: format!("/c/config.toml line {line}"),
        }
    }

    fn keys_of(map: &Keymap, id: &str) -> String {
        map.bindings
            .iter()
            .find(|b| b.id == id)
            .map(Keymap::keys_label)
            .unwrap_or_default()
    }

    const INSTANCE: [Context; 3] = [Context::Instances, Context::Table, Context::Global];

    #[test]
    fn keys_parse_as_written_in_config() {
        let k = |code, mods| Key { code, mods };
        let cases = [
            ("j", k(KeyCode::Char('j'), KeyModifiers::NONE)),
            ("G", k(KeyCode::Char('G'), KeyModifiers::NONE)),
            ("?", k(KeyCode::Char('?'), KeyModifiers::NONE)),
            ("-", k(KeyCode::Char('-'), KeyModifiers::NONE)),
            ("ctrl-d", k(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            ("Ctrl--", k(KeyCode::Char('-'), KeyModifiers::CONTROL)),
            ("alt-x", k(KeyCode::Char('x'), KeyModifiers::ALT)),
            ("shift-g", k(KeyCode::Char('G'), KeyModifiers::NONE)),
            ("shift-tab", k(KeyCode::BackTab, KeyModifiers::NONE)),
            ("backtab", k(KeyCode::BackTab, KeyModifiers::NONE)),
            ("shift-up", k(KeyCode::Up, KeyModifiers::SHIFT)),
            (
                "ctrl-alt-delete",
                k(KeyCode::Delete, KeyModifiers::CONTROL | KeyModifiers::ALT),
            ),
            ("Enter", k(KeyCode::Enter, KeyModifiers::NONE)),
            ("esc", k(KeyCode::Esc, KeyModifiers::NONE)),
            ("space", k(KeyCode::Char(' '), KeyModifiers::NONE)),
            ("pagedown", k(KeyCode::PageDown, KeyModifiers::NONE)),
            ("backspace", k(KeyCode::Backspace, KeyModifiers::NONE)),
            ("f1", k(KeyCode::F(1), KeyModifiers::NONE)),
            ("F12", k(KeyCode::F(12), KeyModifiers::NONE)),
        ];
        for (text, want) in cases {
            assert_eq!(Key::parse(text), Ok(want), "{text}");
        }
        for bad in [
            "", "ctrl-", "f13", "f0", "jj", "ctrl-foo", "shift-1", "enterr",
        ] {
            assert!(Key::parse(bad).is_err(), "{bad:?} parsed");
        }
        // The labels of help and hints name every modifier.
        assert_eq!(
            Key::parse("ctrl-alt-delete").unwrap().label(),
            "Ctrl-Alt-Delete"
        );
        assert_eq!(Key::parse("shift-up").unwrap().label(), "Shift-↑");
    }

    #[test]
    fn a_user_key_replaces_the_default_and_the_old_key_no_longer_acts() {
        let user = [
            entry("instance.delete", &["X"], 3),
            entry("table.down", &["n", "down"], 4),
        ];
        let (map, problems) = Keymap::with_user_keys_where(false, |_| false, &user);
        assert!(problems.is_empty(), "{problems:?}");
        let delete = Action::Instance(InstanceAction::Delete {
            delete_volumes: false,
        });
        assert_eq!(map.lookup(&key('X'), &INSTANCE), Some(&delete));
        let ctrl_d = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert_eq!(map.lookup(&ctrl_d, &INSTANCE), None);
        let del = KeyEvent::new(KeyCode::Delete, KeyModifiers::NONE);
        assert_eq!(map.lookup(&del, &INSTANCE), None);
        assert_eq!(keys_of(&map, "instance.delete"), "X");
        assert_eq!(keys_of(&map, "table.down"), "n/↓");
        assert_eq!(map.lookup(&key('j'), &INSTANCE), None);
        // Everything not named keeps its keys.
        assert_eq!(keys_of(&map, "table.up"), "k/↑");
    }

    #[test]
    fn readonly_drops_a_rebound_mutating_binding_whatever_its_key() {
        let user = [entry("instance.delete", &["X"], 3)];
        let (map, problems) = Keymap::with_user_keys_where(true, |_| false, &user);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(map.lookup(&key('X'), &INSTANCE), None);
        assert!(map.bindings.iter().all(|b| b.id != "instance.delete"));
    }

    #[test]
    fn unknown_ids_and_bad_keys_are_reported_with_file_line_and_key_and_the_rest_apply() {
        let user = [
            entry("instance.destroy", &["X"], 3),
            entry("instance.delete", &["ctrl-d", "hyper-x"], 4),
            KeyOverride {
                id: "table.up".into(),
                keys: None,
                at: "/c/config.toml line 5".into(),
            },
            entry("table.top", &[], 6),
            entry("table.down", &["n"], 7),
        ];
        let (map, problems) = Keymap::with_user_keys_where(false, |_| false, &user);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(
            problems[0].starts_with("/c/config.toml line 3, key `instance.destroy`: no binding")
        );
        assert!(problems[1].starts_with("/c/config.toml line 4, key `instance.delete`: `hyper-x`"));
        assert!(
            problems[1].ends_with("keeping Ctrl-d/Delete"),
            "{}",
            problems[1]
        );
        assert!(
            problems[2].contains("line 5, key `table.up`: give a key"),
            "{}",
            problems[2]
        );
        assert!(problems[3].contains("line 6, key `table.top`: the list of keys is empty"));
        assert_eq!(keys_of(&map, "instance.delete"), "Ctrl-d/Delete");
        assert_eq!(keys_of(&map, "table.up"), "k/↑");
        assert_eq!(keys_of(&map, "table.top"), "g/Home");
        assert_eq!(keys_of(&map, "table.down"), "n");
    }

    #[test]
    fn a_key_taken_in_the_same_context_is_a_conflict_and_the_binding_keeps_its_default() {
        // `p` is instance.pause's default key, in the same context.
        let user = [
            entry("instance.delete", &["p"], 9),
            entry("table.down", &["n"], 10),
        ];
        let (map, problems) = Keymap::with_user_keys_where(false, |_| false, &user);
        assert_eq!(
            problems,
            vec![
                "/c/config.toml line 9, key `instance.delete`: p is already bound to \
                 instance.pause in the same context; keeping Ctrl-d/Delete"
                    .to_string()
            ]
        );
        assert_eq!(
            map.lookup(&key('p'), &INSTANCE),
            Some(&Action::PauseOrResume)
        );
        assert_eq!(keys_of(&map, "instance.delete"), "Ctrl-d/Delete");
        assert_eq!(keys_of(&map, "table.down"), "n");

        // Two entries on one key: the later one in the file is reverted.
        let user = [
            entry("table.top", &["n"], 3),
            entry("table.down", &["n"], 4),
        ];
        let (map, problems) = Keymap::with_user_keys_where(false, |_| false, &user);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("line 4, key `table.down`: n is already bound to table.top"));
        assert_eq!(keys_of(&map, "table.top"), "n");
        assert_eq!(keys_of(&map, "table.down"), "j/↓");

        // The same key in another context is no conflict (Instances' `r` and Global's Ctrl-r
        // already differ; `x` is detail.document's, in the Detail context).
        let user = [entry("instance.edit", &["x"], 3)];
        let (_, problems) = Keymap::with_user_keys_where(false, |_| false, &user);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn two_bindings_may_swap_keys() {
        let user = [
            entry("instance.pause", &["z"], 3),
            entry("instance.suspend", &["p"], 4),
        ];
        let (map, problems) = Keymap::with_user_keys_where(false, |_| false, &user);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            map.lookup(&key('z'), &INSTANCE),
            Some(&Action::PauseOrResume)
        );
        assert_eq!(
            map.lookup(&key('p'), &INSTANCE),
            Some(&Action::Instance(InstanceAction::Suspend))
        );
    }

    #[test]
    fn reverting_one_conflict_that_uncovers_another_reverts_that_one_too() {
        // Pause onto shutdown's `h` conflicts with a default: pause goes back to `p`, which
        // suspend had taken, so suspend goes back to `z` as well.
        let user = [
            entry("instance.suspend", &["p"], 3),
            entry("instance.pause", &["h"], 4),
        ];
        let (map, problems) = Keymap::with_user_keys_where(false, |_| false, &user);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].contains("key `instance.pause`: h is already bound to instance.shutdown")
        );
        assert!(
            problems[1].contains("key `instance.suspend`: p is already bound to instance.pause")
        );
        assert_eq!(keys_of(&map, "instance.pause"), "p");
        assert_eq!(keys_of(&map, "instance.suspend"), "z");
        assert_eq!(keys_of(&map, "instance.shutdown"), "h");
    }

    /// How a key is written in config.toml (the inverse of `Key::parse`).
    fn config_text(key: &Key) -> String {
        let base = match key.code {
            KeyCode::Char(' ') => "space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::F(n) => format!("f{n}"),
            KeyCode::PageUp => "pageup".into(),
            KeyCode::PageDown => "pagedown".into(),
            KeyCode::BackTab => "backtab".into(),
            other => format!("{other:?}").to_ascii_lowercase(),
        };
        let mut text = String::new();
        for (modifier, name) in [
            (KeyModifiers::CONTROL, "ctrl-"),
            (KeyModifiers::ALT, "alt-"),
            (KeyModifiers::SHIFT, "shift-"),
        ] {
            if key.mods.contains(modifier) {
                text.push_str(name);
            }
        }
        let text = text + &base;
        assert_eq!(
            Key::parse(&text).as_ref(),
            Ok(key),
            "{text} does not parse back"
        );
        text
    }

    /// The `[keys]` section config.default.toml must carry: every binding with its default
    /// keys and what it does, commented out.
    fn default_keys_section() -> String {
        let mut out = String::from("# [keys]\n");
        for b in default_bindings() {
            let keys: Vec<String> = b
                .keys
                .iter()
                .map(|k| format!("\"{}\"", config_text(k).replace('\\', "\\\\")))
                .collect();
            let value = if keys.len() == 1 {
                keys[0].clone()
            } else {
                format!("[{}]", keys.join(", "))
            };
            let line = format!("# {} = {value}", b.id);
            out.push_str(&format!(
                "{line:<48} # {}\n",
                b.desc.text(crate::i18n::Lang::En)
            ));
        }
        out
    }

    #[test]
    fn the_default_config_lists_every_binding_id_with_its_default_keys() {
        let section = default_keys_section();
        assert!(
            crate::config::DEFAULT_CONFIG.contains(&section),
            "config.default.toml must end its [keys] documentation with exactly:\n{section}"
        );
    }

    #[test]
    fn the_uncommented_keys_section_gives_the_default_keymap_with_every_id_once() {
        let start = crate::config::DEFAULT_CONFIG
            .find("# [keys]\n")
            .expect("a [keys] section");
        let uncommented: String = crate::config::DEFAULT_CONFIG[start..]
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| {
                *l == "[keys]" || l.split_once(" = ").is_some_and(|(k, _)| !k.contains(' '))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let config = crate::config::Config::parse(&uncommented, std::path::Path::new("x")).unwrap();
        let mut ids: Vec<&str> = config.keys.iter().map(|k| k.id.as_str()).collect();
        ids.sort_unstable();
        let mut known = Keymap::ids();
        known.sort_unstable();
        assert_eq!(ids, known);
        let (map, problems) = Keymap::with_user_keys_where(false, |_| true, &config.keys);
        assert!(problems.is_empty(), "{problems:?}");
        let defaults = Keymap::build(false, |_| true);
        for (a, b) in map.bindings.iter().zip(&defaults.bindings) {
            assert_eq!((a.id, &a.keys), (b.id, &b.keys));
        }
    }
}
