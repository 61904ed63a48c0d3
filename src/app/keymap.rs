//! The keymap: every binding with its description and context. Key handling, the `?` help and
//! the key hints are all generated from this one table, so they cannot drift apart.
//! `--readonly` drops every binding marked `mutates` when the keymap is built.
//!
//! `[keys]` in config.toml rebinds a binding by its id on top of these defaults
//! (`Keymap::with_user_keys`); an entry that cannot apply is reported and its binding keeps
//! its default keys, the other entries still apply.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::action::Action;
use crate::app::state::PromptKind;
use crate::backend::InstanceAction;
use crate::config::KeyOverride;
use crate::i18n::Msg;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Anywhere without a popup or text input.
    Global,
    /// Any table or detail view.
    Table,
    /// The Instances tab and an instance's detail.
    Instances,
    /// A detail view.
    Detail,
}

impl Context {
    pub fn title(self) -> Msg {
        match self {
            Self::Global => Msg::HelpContextGlobal,
            Self::Table => Msg::HelpContextTable,
            Self::Instances => Msg::HelpContextInstances,
            Self::Detail => Msg::HelpContextDetail,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    const fn plain(code: KeyCode) -> Self {
        Self {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    const fn ch(c: char) -> Self {
        Self::plain(KeyCode::Char(c))
    }

    const fn ctrl(c: char) -> Self {
        Self {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    fn matches(&self, event: &KeyEvent) -> bool {
        if self.code != event.code {
            return false;
        }
        // Shifted characters arrive with SHIFT set on some terminals and without it on others;
        // the character itself already says which key it was.
        let mods = if matches!(event.code, KeyCode::Char(_) | KeyCode::BackTab) {
            event.modifiers - KeyModifiers::SHIFT
        } else {
            event.modifiers
        };
        mods == self.mods
    }

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

    /// How the key is written in help and hints: `j`, `Ctrl-d`, `PgDn`.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        let mut label = String::new();
        for (modifier, name) in [
            (KeyModifiers::CONTROL, "Ctrl-"),
            (KeyModifiers::ALT, "Alt-"),
            (KeyModifiers::SHIFT, "Shift-"),
        ] {
            if self.mods.contains(modifier) {
                label.push_str(name);
            }
        }
        label + &base
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

#[derive(Clone, Debug)]
pub struct Binding {
    /// Stable name of the binding (`instance.delete`), for `[keys]` in config.toml.
    pub id: &'static str,
    pub keys: Vec<Key>,
    pub action: Action,
    pub desc: Msg,
    pub context: Context,
    /// Changes the hypervisor or cloud; removed in `--readonly`.
    pub mutates: bool,
    /// Shown in the one-line key hints at the bottom.
    pub hint: bool,
    /// Only meaningful on a cloud (dropped on a libvirt host).
    pub cloud_only: bool,
}

#[derive(Clone, Debug)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

impl Keymap {
    pub fn new(readonly: bool, cloud: bool) -> Self {
        Self::with_user_keys(readonly, cloud, &[]).0
    }

    /// The defaults with the user's `[keys]` entries applied, and one message per entry that
    /// could not apply (unknown id, a key that does not parse, a key already bound in the same
    /// context). The entries are checked against every binding, before `--readonly` and the
    /// backend drop any, so a config file means the same everywhere; `--readonly` then drops
    /// the mutating bindings whatever keys they have.
    pub fn with_user_keys(
        readonly: bool,
        cloud: bool,
        user: &[KeyOverride],
    ) -> (Self, Vec<String>) {
        let mut bindings = default_bindings();
        let problems = apply_user_keys(&mut bindings, user);
        bindings.retain(|b| !(readonly && b.mutates) && (cloud || !b.cloud_only));
        (Self { bindings }, problems)
    }

    /// Every binding id, in the order of the help.
    pub fn ids() -> Vec<&'static str> {
        default_bindings().iter().map(|b| b.id).collect()
    }

    /// The action bound to `event` in any of the active `contexts`, most specific first.
    pub fn lookup(&self, event: &KeyEvent, contexts: &[Context]) -> Option<&Action> {
        contexts.iter().find_map(|ctx| {
            self.bindings
                .iter()
                .find(|b| b.context == *ctx && b.keys.iter().any(|k| k.matches(event)))
                .map(|b| &b.action)
        })
    }

    pub fn in_context(&self, context: Context) -> impl Iterator<Item = &Binding> {
        self.bindings.iter().filter(move |b| b.context == context)
    }

    /// Keys label of a binding: `j/↓`.
    pub fn keys_label(binding: &Binding) -> String {
        binding
            .keys
            .iter()
            .map(Key::label)
            .collect::<Vec<_>>()
            .join("/")
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

fn bind(id: &'static str, keys: &[Key], action: Action, desc: Msg, context: Context) -> Binding {
    Binding {
        id,
        keys: keys.to_vec(),
        action,
        desc,
        context,
        mutates: false,
        hint: false,
        cloud_only: false,
    }
}

impl Binding {
    fn mutating(mut self) -> Self {
        self.mutates = true;
        self
    }

    fn hinted(mut self) -> Self {
        self.hint = true;
        self
    }

    fn cloud(mut self) -> Self {
        self.cloud_only = true;
        self
    }
}

fn default_bindings() -> Vec<Binding> {
    use Context::{Detail, Global, Instances, Table};
    use KeyCode as K;
    let k = Key::ch;
    let p = Key::plain;
    vec![
        bind("app.quit", &[k('q')], Action::Quit, Msg::KeyQuit, Global).hinted(),
        bind(
            "app.interrupt",
            &[Key::ctrl('c')],
            Action::Quit,
            Msg::KeyQuit,
            Global,
        ),
        bind(
            "app.help",
            &[k('?')],
            Action::ToggleHelp,
            Msg::KeyHelp,
            Global,
        )
        .hinted(),
        bind(
            "app.command",
            &[k(':')],
            Action::StartCommand,
            Msg::KeyCommand,
            Global,
        )
        .hinted(),
        bind(
            "tab.next",
            &[p(K::Tab)],
            Action::NextTab,
            Msg::KeyNextTab,
            Global,
        ),
        bind(
            "tab.prev",
            &[p(K::BackTab)],
            Action::PrevTab,
            Msg::KeyPrevTab,
            Global,
        ),
        bind(
            "tab.go",
            &[k('1'), k('2'), k('3'), k('4'), k('5'), k('6')],
            Action::GoTabByKey,
            Msg::KeyGoTab,
            Global,
        ),
        bind(
            "table.refresh",
            &[p(K::F(5)), Key::ctrl('r')],
            Action::Refresh,
            Msg::KeyRefresh,
            Global,
        ),
        bind(
            "table.down",
            &[k('j'), p(K::Down)],
            Action::Down,
            Msg::KeyDown,
            Table,
        ),
        bind(
            "table.up",
            &[k('k'), p(K::Up)],
            Action::Up,
            Msg::KeyUp,
            Table,
        ),
        bind(
            "table.top",
            &[k('g'), p(K::Home)],
            Action::Top,
            Msg::KeyTop,
            Table,
        ),
        bind(
            "table.bottom",
            &[k('G'), p(K::End)],
            Action::Bottom,
            Msg::KeyBottom,
            Table,
        ),
        bind(
            "table.page_up",
            &[p(K::PageUp), Key::ctrl('b')],
            Action::PageUp,
            Msg::KeyPageUp,
            Table,
        ),
        bind(
            "table.page_down",
            &[p(K::PageDown), Key::ctrl('f')],
            Action::PageDown,
            Msg::KeyPageDown,
            Table,
        ),
        bind(
            "table.open",
            &[p(K::Enter)],
            Action::OpenDetail,
            Msg::KeyDetail,
            Table,
        )
        .hinted(),
        bind(
            "table.back",
            &[p(K::Esc)],
            Action::Back,
            Msg::KeyBack,
            Table,
        ),
        bind(
            "table.filter",
            &[k('/')],
            Action::StartFilter,
            Msg::KeyFilter,
            Table,
        )
        .hinted(),
        bind(
            "table.sort",
            &[k('o')],
            Action::SortNext,
            Msg::KeySortNext,
            Table,
        )
        .hinted(),
        bind(
            "table.sort_reverse",
            &[k('O')],
            Action::SortReverse,
            Msg::KeySortReverse,
            Table,
        ),
        bind(
            "detail.document",
            &[k('x')],
            Action::ToggleXml,
            Msg::KeyToggleXml,
            Detail,
        ),
        bind(
            "table.next_view",
            &[k(']')],
            Action::NextView,
            Msg::KeyNextView,
            Table,
        )
        .cloud(),
        bind(
            "instance.console",
            &[k('c')],
            Action::Console,
            Msg::ActConsole,
            Instances,
        )
        .hinted(),
        bind(
            "instance.monitor",
            &[k('m')],
            Action::Monitor,
            Msg::ActMonitor,
            Instances,
        )
        .hinted(),
        bind(
            "instance.reveal_token",
            &[k('t')],
            Action::RevealConsoleToken,
            Msg::KeyRevealToken,
            Instances,
        )
        .cloud(),
        bind(
            "instance.stats_columns",
            &[k('%')],
            Action::ToggleStatsColumns,
            Msg::KeyStatsColumns,
            Instances,
        ),
        bind(
            "instance.start",
            &[k('s')],
            Action::StartOrRestore,
            Msg::KeyStartRestore,
            Instances,
        )
        .mutating()
        .hinted(),
        bind(
            "instance.shutdown",
            &[k('h')],
            Action::Instance(InstanceAction::Shutdown),
            Msg::ActShutdown,
            Instances,
        )
        .mutating()
        .hinted(),
        bind(
            "instance.force_off",
            &[k('H')],
            Action::Instance(InstanceAction::ForceOff),
            Msg::ActForceOff,
            Instances,
        )
        .mutating(),
        bind(
            "instance.reboot",
            &[k('r')],
            Action::Instance(InstanceAction::Reboot),
            Msg::ActReboot,
            Instances,
        )
        .mutating()
        .hinted(),
        bind(
            "instance.reset",
            &[k('R')],
            Action::Instance(InstanceAction::Reset),
            Msg::ActReset,
            Instances,
        )
        .mutating(),
        bind(
            "instance.pause",
            &[k('p')],
            Action::PauseOrResume,
            Msg::KeyPauseResume,
            Instances,
        )
        .mutating()
        .hinted(),
        bind(
            "instance.suspend",
            &[k('z')],
            Action::Instance(InstanceAction::Suspend),
            Msg::KeySuspend,
            Instances,
        )
        .mutating(),
        bind(
            "instance.delete",
            &[Key::ctrl('d'), p(K::Delete)],
            Action::Instance(InstanceAction::Delete {
                delete_volumes: false,
            }),
            Msg::ActDelete,
            Instances,
        )
        .mutating()
        .hinted(),
        bind(
            "instance.autostart",
            &[k('a')],
            Action::ToggleAutostart,
            Msg::KeyAutostart,
            Instances,
        )
        .mutating(),
        bind(
            "instance.snapshot",
            &[k('S')],
            Action::Prompt(PromptKind::Snapshot),
            Msg::ActSnapshot,
            Instances,
        )
        .mutating(),
        bind(
            "instance.rename",
            &[k('N')],
            Action::Prompt(PromptKind::Rename),
            Msg::ActRename,
            Instances,
        )
        .mutating(),
        bind(
            "instance.metadata",
            &[k('M')],
            Action::Prompt(PromptKind::Metadata),
            Msg::ActMetadata,
            Instances,
        )
        .mutating()
        .cloud(),
        bind(
            "instance.resize",
            &[k('U')],
            Action::Resize,
            Msg::ActResize,
            Instances,
        )
        .mutating()
        .cloud(),
        bind(
            "instance.lock",
            &[k('L')],
            Action::ToggleLock,
            Msg::KeyLock,
            Instances,
        )
        .mutating()
        .cloud(),
        bind(
            "instance.edit",
            &[k('e')],
            Action::Edit,
            Msg::ActEdit,
            Instances,
        )
        .mutating()
        .hinted(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        let map = Keymap::new(false, true);
        for (i, a) in map.bindings.iter().enumerate() {
            for b in &map.bindings[i + 1..] {
                if a.context == b.context {
                    for k in &a.keys {
                        assert!(!b.keys.contains(k), "{} bound twice", k.label());
                    }
                }
            }
        }
    }

    #[test]
    fn every_binding_has_its_own_id() {
        let bindings = default_bindings();
        let mut ids: Vec<&str> = bindings.iter().map(|b| b.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "two bindings share an id");
        assert!(bindings.iter().all(|b| b.id.contains('.')));
    }

    #[test]
    fn readonly_removes_every_mutating_binding() {
        let full = Keymap::new(false, true);
        let ro = Keymap::new(true, true);
        assert!(full.bindings.iter().any(|b| b.mutates));
        assert!(ro.bindings.iter().all(|b| !b.mutates));
        let ctx = [Context::Instances, Context::Table, Context::Global];
        assert_eq!(full.lookup(&key('p'), &ctx), Some(&Action::PauseOrResume));
        assert_eq!(ro.lookup(&key('p'), &ctx), None);
        assert_eq!(ro.lookup(&key('q'), &ctx), Some(&Action::Quit));
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
        let (map, problems) = Keymap::with_user_keys(false, false, &user);
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
        let (map, problems) = Keymap::with_user_keys(true, false, &user);
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
        let (map, problems) = Keymap::with_user_keys(false, false, &user);
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
        let (map, problems) = Keymap::with_user_keys(false, false, &user);
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
        let (map, problems) = Keymap::with_user_keys(false, false, &user);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("line 4, key `table.down`: n is already bound to table.top"));
        assert_eq!(keys_of(&map, "table.top"), "n");
        assert_eq!(keys_of(&map, "table.down"), "j/↓");

        // The same key in another context is no conflict (Instances' `r` and Global's Ctrl-r
        // already differ; `x` is detail.document's, in the Detail context).
        let user = [entry("instance.edit", &["x"], 3)];
        let (_, problems) = Keymap::with_user_keys(false, false, &user);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn two_bindings_may_swap_keys() {
        let user = [
            entry("instance.pause", &["z"], 3),
            entry("instance.suspend", &["p"], 4),
        ];
        let (map, problems) = Keymap::with_user_keys(false, false, &user);
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
        let (map, problems) = Keymap::with_user_keys(false, false, &user);
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
        let (map, problems) = Keymap::with_user_keys(false, true, &config.keys);
        assert!(problems.is_empty(), "{problems:?}");
        let defaults = Keymap::new(false, true);
        for (a, b) in map.bindings.iter().zip(&defaults.bindings) {
            assert_eq!((a.id, &a.keys), (b.id, &b.keys));
        }
    }

    #[test]
    fn shifted_letters_match_with_or_without_the_shift_flag() {
        let map = Keymap::new(false, true);
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(
            map.lookup(&shifted, &[Context::Table]),
            Some(&Action::Bottom)
        );
        assert_eq!(
            map.lookup(&key('G'), &[Context::Table]),
            Some(&Action::Bottom)
        );
    }
}
