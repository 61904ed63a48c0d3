//! The keymap: every binding with its description and context. Key handling, the `?` help and
//! the key hints are all generated from this one table, so they cannot drift apart.
//! `--readonly` drops every binding marked `mutates` when the keymap is built, and a binding
//! that needs something the backend does not offer (an action, sub-views) is dropped too.
//!
//! `[keys]` in config.toml rebinds a binding by its id on top of these defaults
//! (`Keymap::with_user_keys`, in user_keys.rs).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::action::{Action, LineAction, ModalAction, PromptKind};
use crate::backend::{Capabilities, InstanceAction};
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
    /// Any dialog.
    Modal,
    /// The `?` help.
    Help,
    /// A confirmation dialog.
    Confirm,
    /// The console view of an instance.
    Console,
    /// The dialog after a redefinition the backend refused.
    EditFailed,
    /// A list to pick from (the flavors of a resize).
    Picker,
    /// A form.
    Form,
    /// A form field that chooses: select, multi-select, toggle, the unit of a number.
    FormChoice,
    /// The filter line.
    Filter,
    /// The `:` line.
    CommandLine,
}

impl Context {
    /// Every context, in the order help lists them.
    pub const ALL: [Context; 14] = [
        Self::Global,
        Self::Table,
        Self::Detail,
        Self::Instances,
        Self::Filter,
        Self::CommandLine,
        Self::Modal,
        Self::Help,
        Self::Confirm,
        Self::Console,
        Self::EditFailed,
        Self::Picker,
        Self::Form,
        Self::FormChoice,
    ];

    pub fn title(self) -> Msg {
        match self {
            Self::Global => Msg::HelpContextGlobal,
            Self::Table => Msg::HelpContextTable,
            Self::Instances => Msg::HelpContextInstances,
            Self::Detail => Msg::HelpContextDetail,
            Self::Modal => Msg::HelpContextModal,
            Self::Help => Msg::HelpContextHelp,
            Self::Confirm => Msg::HelpContextConfirm,
            Self::Console => Msg::HelpContextConsole,
            Self::EditFailed => Msg::HelpContextEditFailed,
            Self::Picker => Msg::HelpContextPicker,
            Self::Form => Msg::HelpContextForm,
            Self::FormChoice => Msg::HelpContextFormChoice,
            Self::Filter => Msg::HelpContextFilter,
            Self::CommandLine => Msg::HelpContextCommandLine,
        }
    }

    /// Whether keys no binding takes are typed into a text field here.
    pub fn takes_text(self) -> bool {
        matches!(self, Self::Form | Self::Filter | Self::CommandLine)
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

#[derive(Clone, Debug)]
pub struct Binding {
    /// Stable name of the binding (`instance.delete`), for `[keys]` in config.toml.
    pub id: &'static str,
    pub keys: Vec<Key>,
    pub action: Action,
    pub desc: Msg,
    pub context: Context,
    /// Changes what the backend manages; removed in `--readonly`.
    pub mutates: bool,
    /// Shown in the one-line key hints at the bottom.
    pub hint: bool,
    /// What the backend must offer for the binding to be kept.
    pub needs: Option<Needs>,
}

/// A capability a binding depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// The instance action with this id (`lock`, `resize`, …).
    Action(&'static str),
    /// Some tab has sub-views to cycle through.
    SubViews,
    /// A browser console URL (whose token can be revealed).
    ConsoleUrl,
}

impl Needs {
    pub(super) fn offered_by(self, caps: &Capabilities) -> bool {
        match self {
            Self::Action(id) => caps.offers_action(id),
            Self::SubViews => caps.kinds.iter().any(|k| !k.sub_views.is_empty()),
            Self::ConsoleUrl => caps.console_url,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

impl Keymap {
    /// The bindings for what the backend offers.
    pub fn new(caps: &Capabilities) -> Self {
        Self::build(caps.readonly, |needs| needs.offered_by(caps))
    }

    /// The bindings kept by `readonly` and by what `offered` says the backend has.
    pub fn build(readonly: bool, offered: impl Fn(Needs) -> bool) -> Self {
        Self::from_bindings(default_bindings(), readonly, offered)
    }

    /// `bindings` without those `--readonly` and the backend drop.
    pub(super) fn from_bindings(
        mut bindings: Vec<Binding>,
        readonly: bool,
        offered: impl Fn(Needs) -> bool,
    ) -> Self {
        bindings.retain(|b| !(readonly && b.mutates) && b.needs.is_none_or(&offered));
        Self { bindings }
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

fn bind(id: &'static str, keys: &[Key], action: Action, desc: Msg, context: Context) -> Binding {
    Binding {
        id,
        keys: keys.to_vec(),
        action,
        desc,
        context,
        mutates: false,
        hint: false,
        needs: None,
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

    fn needs(mut self, needs: Needs) -> Self {
        self.needs = Some(needs);
        self
    }
}

pub(super) fn default_bindings() -> Vec<Binding> {
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
        .needs(Needs::SubViews),
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
            Context::Console,
        )
        .needs(Needs::ConsoleUrl),
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
        .needs(Needs::Action("metadata")),
        bind(
            "instance.resize",
            &[k('U')],
            Action::Resize,
            Msg::ActResize,
            Instances,
        )
        .mutating()
        .needs(Needs::Action("resize")),
        bind(
            "instance.lock",
            &[k('L')],
            Action::ToggleLock,
            Msg::KeyLock,
            Instances,
        )
        .mutating()
        .needs(Needs::Action("lock")),
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
    .into_iter()
    .chain(dialog_bindings())
    .collect()
}

/// Keys of the dialogs, the form and the filter and `:` lines. Keys none of them takes are
/// typed into the text field with the focus.
fn dialog_bindings() -> Vec<Binding> {
    use Context::{
        CommandLine, Confirm, Console, EditFailed, Filter, Form, FormChoice, Help, Modal, Picker,
    };
    use KeyCode as K;
    use ModalAction as M;
    let k = Key::ch;
    let p = Key::plain;
    let modal = Action::Modal;
    vec![
        bind(
            "modal.cancel",
            &[p(K::Esc)],
            modal(M::Cancel),
            Msg::KeyCancel,
            Modal,
        ),
        bind(
            "modal.interrupt",
            &[Key::ctrl('c')],
            Action::Quit,
            Msg::KeyQuit,
            Modal,
        ),
        bind(
            "help.down",
            &[k('j'), p(K::Down)],
            modal(M::Down),
            Msg::KeyDown,
            Help,
        ),
        bind(
            "help.up",
            &[k('k'), p(K::Up)],
            modal(M::Up),
            Msg::KeyUp,
            Help,
        ),
        bind(
            "help.close",
            &[k('q'), k('?'), p(K::Enter)],
            modal(M::Cancel),
            Msg::KeyClose,
            Help,
        ),
        bind(
            "confirm.yes",
            &[k('y'), k('Y'), p(K::Enter)],
            modal(M::Submit),
            Msg::KeyConfirm,
            Confirm,
        ),
        bind(
            "confirm.no",
            &[k('n'), k('N'), k('q')],
            modal(M::Cancel),
            Msg::KeyCancel,
            Confirm,
        ),
        bind(
            "confirm.volumes",
            &[k('v'), k('V')],
            modal(M::Toggle),
            Msg::KeyDeleteVolumes,
            Confirm,
        ),
        bind(
            "console.attach",
            &[p(K::Enter)],
            modal(M::Submit),
            Msg::KeyAttachSerial,
            Console,
        ),
        bind(
            "console.close",
            &[k('q'), k('c')],
            modal(M::Cancel),
            Msg::KeyClose,
            Console,
        ),
        bind(
            "edit_failed.edit",
            &[k('e'), p(K::Enter)],
            modal(M::Submit),
            Msg::KeyEditAgain,
            EditFailed,
        ),
        bind(
            "edit_failed.discard",
            &[k('q')],
            modal(M::Cancel),
            Msg::KeyDiscard,
            EditFailed,
        ),
        bind(
            "picker.down",
            &[k('j'), p(K::Down)],
            modal(M::Down),
            Msg::KeyDown,
            Picker,
        ),
        bind(
            "picker.up",
            &[k('k'), p(K::Up)],
            modal(M::Up),
            Msg::KeyUp,
            Picker,
        ),
        bind(
            "picker.choose",
            &[p(K::Enter)],
            modal(M::Submit),
            Msg::KeyChoose,
            Picker,
        ),
        bind(
            "picker.close",
            &[k('q')],
            modal(M::Cancel),
            Msg::KeyCancel,
            Picker,
        ),
        bind(
            "form.next",
            &[p(K::Tab)],
            modal(M::Next),
            Msg::KeyFormNext,
            Form,
        ),
        bind(
            "form.prev",
            &[p(K::BackTab)],
            modal(M::Prev),
            Msg::KeyFormPrev,
            Form,
        ),
        bind(
            "form.submit",
            &[p(K::Enter)],
            modal(M::Submit),
            Msg::KeyFormSubmit,
            Form,
        ),
        bind(
            "form.choice_down",
            &[p(K::Down)],
            modal(M::Down),
            Msg::KeyFormChoiceDown,
            FormChoice,
        ),
        bind(
            "form.choice_up",
            &[p(K::Up)],
            modal(M::Up),
            Msg::KeyFormChoiceUp,
            FormChoice,
        ),
        bind(
            "form.toggle",
            &[p(K::Char(' '))],
            modal(M::Toggle),
            Msg::KeyFormToggle,
            FormChoice,
        ),
        bind(
            "filter.done",
            &[p(K::Enter)],
            Action::Line(LineAction::Submit),
            Msg::KeyFilterDone,
            Filter,
        ),
        bind(
            "filter.clear",
            &[p(K::Esc)],
            Action::Line(LineAction::Cancel),
            Msg::KeyFilterClear,
            Filter,
        ),
        bind(
            "filter.down",
            &[p(K::Down)],
            Action::Down,
            Msg::KeyDown,
            Filter,
        ),
        bind("filter.up", &[p(K::Up)], Action::Up, Msg::KeyUp, Filter),
        bind(
            "line.complete",
            &[p(K::Tab)],
            Action::Line(LineAction::Complete),
            Msg::KeyComplete,
            CommandLine,
        ),
        bind(
            "line.run",
            &[p(K::Enter)],
            Action::Line(LineAction::Submit),
            Msg::KeyRunCommand,
            CommandLine,
        ),
        bind(
            "line.cancel",
            &[p(K::Esc)],
            Action::Line(LineAction::Cancel),
            Msg::KeyCancel,
            CommandLine,
        ),
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
        let map = Keymap::build(false, |_| true);
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
        let full = Keymap::build(false, |_| true);
        let ro = Keymap::build(true, |_| true);
        assert!(full.bindings.iter().any(|b| b.mutates));
        assert!(ro.bindings.iter().all(|b| !b.mutates));
        let ctx = [Context::Instances, Context::Table, Context::Global];
        assert_eq!(full.lookup(&key('p'), &ctx), Some(&Action::PauseOrResume));
        assert_eq!(ro.lookup(&key('p'), &ctx), None);
        assert_eq!(ro.lookup(&key('q'), &ctx), Some(&Action::Quit));
    }

    #[test]
    fn shifted_letters_match_with_or_without_the_shift_flag() {
        let map = Keymap::build(false, |_| true);
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
