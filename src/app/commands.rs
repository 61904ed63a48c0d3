//! The `:` commands: one table of words, aliases, argument kinds and descriptions, with the
//! function that turns each into an Action or an Effect. Parsing, Tab completion (of words and
//! of arguments) and the `?` help all read this table, so no command is accepted that
//! completion and help do not know.

use crate::app::action::{Action, Effect, PromptKind};
use crate::app::columns;
use crate::app::metadata::parse_metadata;
use crate::app::state::AppState;
use crate::backend::{BackendRequest, InstanceAction, ScopeChange};
use crate::i18n::{Lang, Msg, tab_title};
use crate::model::ResourceKind;

/// What a command's argument is, for completion and help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    None,
    /// A column of the table on screen, by its title.
    SortColumn,
    /// A region the session has been in.
    Region,
    /// A project the session has been in.
    Project,
    /// A flavor, by name.
    Flavor,
    /// `on` or `off`.
    OnOff,
    /// Free text (a name, `key=value` pairs).
    Text,
}

impl ArgKind {
    /// How help writes the argument: `<column>`.
    pub fn placeholder(self) -> Option<Msg> {
        match self {
            Self::None => None,
            Self::SortColumn => Some(Msg::ArgColumn),
            Self::Region => Some(Msg::ArgRegion),
            Self::Project => Some(Msg::ArgProject),
            Self::Flavor => Some(Msg::ArgFlavor),
            Self::OnOff => Some(Msg::ArgOnOff),
            Self::Text => Some(Msg::ArgText),
        }
    }
}

/// What running a command asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Action(Action),
    Effect(Effect),
}

/// Why a command's argument cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgError {
    Missing,
    Unknown,
}

type Build = fn(&AppState, &str) -> Result<Outcome, ArgError>;

pub struct Command {
    pub word: &'static str,
    pub aliases: &'static [&'static str],
    pub arg: ArgKind,
    pub desc: Msg,
    /// Acts on the selected instance: the Instances tab is shown first.
    pub on_instance: bool,
    /// The Action or Effect, from the argument (trimmed, possibly empty).
    pub build: Build,
}

fn cmd(word: &'static str, aliases: &'static [&'static str], desc: Msg, build: Build) -> Command {
    Command {
        word,
        aliases,
        arg: ArgKind::None,
        desc,
        on_instance: false,
        build,
    }
}

impl Command {
    fn arg(mut self, arg: ArgKind) -> Self {
        self.arg = arg;
        self
    }

    fn instance(mut self) -> Self {
        self.on_instance = true;
        self
    }

    /// Whether `word` names this command.
    pub fn is_named(&self, word: &str) -> bool {
        self.word == word || self.aliases.contains(&word)
    }
}

fn act(action: Action) -> Result<Outcome, ArgError> {
    Ok(Outcome::Action(action))
}

fn instance(action: InstanceAction) -> Result<Outcome, ArgError> {
    act(Action::Instance(action))
}

fn scope(state: &AppState, change: ScopeChange) -> Result<Outcome, ArgError> {
    Ok(Outcome::Effect(
        state.request(BackendRequest::SwitchScope(change)),
    ))
}

fn required(arg: &str) -> Result<&str, ArgError> {
    if arg.is_empty() {
        Err(ArgError::Missing)
    } else {
        Ok(arg)
    }
}

/// Every `:` command, in the order help lists them.
pub fn commands() -> Vec<Command> {
    use ArgKind as A;
    use InstanceAction as I;
    let tab = |kind: ResourceKind| tab_title(kind);
    vec![
        cmd(
            "overview",
            &["ov", "home"],
            tab(ResourceKind::Overview),
            |_, _| act(Action::GoTab(ResourceKind::Overview)),
        ),
        cmd(
            "instances",
            &["instance", "servers", "server", "vm", "vms", "domains"],
            tab(ResourceKind::Instances),
            |_, _| act(Action::GoTab(ResourceKind::Instances)),
        ),
        cmd(
            "flavors",
            &["flavor"],
            tab(ResourceKind::Flavors),
            |_, _| act(Action::GoTab(ResourceKind::Flavors)),
        ),
        cmd(
            "images",
            &["image", "img"],
            tab(ResourceKind::Images),
            |_, _| act(Action::GoTab(ResourceKind::Images)),
        ),
        cmd(
            "volumes",
            &["volume", "vol", "vols"],
            tab(ResourceKind::Volumes),
            |_, _| act(Action::GoTab(ResourceKind::Volumes)),
        ),
        cmd(
            "networks",
            &["network", "net", "nets"],
            tab(ResourceKind::Networks),
            |_, _| act(Action::GoTab(ResourceKind::Networks)),
        ),
        cmd(
            "security-groups",
            &["security-group", "sg", "secgroups"],
            tab(ResourceKind::SecurityGroups),
            |_, _| act(Action::GoTab(ResourceKind::SecurityGroups)),
        ),
        cmd(
            "floating-ips",
            &["floating-ip", "fip", "fips", "floatingips"],
            tab(ResourceKind::FloatingIps),
            |_, _| act(Action::GoTab(ResourceKind::FloatingIps)),
        ),
        cmd("ports", &["port"], tab(ResourceKind::Ports), |_, _| {
            act(Action::GoTab(ResourceKind::Ports))
        }),
        cmd("quit", &["q", "q!", "exit"], Msg::KeyQuit, |_, _| {
            act(Action::Quit)
        }),
        cmd("help", &["h", "?"], Msg::KeyHelp, |_, _| {
            act(Action::ToggleHelp)
        }),
        cmd("audit", &["log"], Msg::CmdAudit, |_, _| {
            act(Action::OpenAudit)
        }),
        cmd("refresh", &["r", "reload"], Msg::KeyRefresh, |_, _| {
            act(Action::Refresh)
        }),
        cmd("sort", &[], Msg::CmdSort, |state, arg| {
            let wanted = arg.to_lowercase();
            let lang = state.lang;
            match shown_column_titles(state).iter().position(|m| {
                !wanted.is_empty() && m.text(lang).to_lowercase().starts_with(&wanted)
            }) {
                Some(column) => act(Action::SortBy(column)),
                None if wanted.is_empty() => act(Action::SortNext),
                None => Err(ArgError::Unknown),
            }
        })
        .arg(A::SortColumn),
        cmd(
            "create-volume",
            &["new-volume"],
            Msg::CmdCreateVolume,
            |_, _| act(Action::NewVolume),
        ),
        cmd("region", &[], Msg::CmdRegion, |s, arg| {
            scope(s, ScopeChange::Region(required(arg)?.to_string()))
        })
        .arg(A::Region),
        cmd("project", &[], Msg::CmdProject, |s, arg| {
            scope(s, ScopeChange::Project(required(arg)?.to_string()))
        })
        .arg(A::Project),
        cmd(
            "all-projects",
            &[],
            Msg::CmdAllProjects,
            |s, arg| match arg.to_lowercase().as_str() {
                "" | "on" | "yes" | "true" => scope(s, ScopeChange::AllProjects(true)),
                "off" | "no" | "false" => scope(s, ScopeChange::AllProjects(false)),
                _ => Err(ArgError::Unknown),
            },
        )
        .arg(A::OnOff),
        cmd("start", &[], Msg::KeyStartRestore, |_, _| {
            act(Action::StartOrRestore)
        })
        .instance(),
        cmd("restore", &[], Msg::ActRestore, |_, _| instance(I::Restore)).instance(),
        cmd("shutdown", &["stop"], Msg::ActShutdown, |_, _| {
            instance(I::Shutdown)
        })
        .instance(),
        cmd(
            "force-off",
            &["destroy", "poweroff"],
            Msg::ActForceOff,
            |_, _| instance(I::ForceOff),
        )
        .instance(),
        cmd("reboot", &[], Msg::ActReboot, |_, _| instance(I::Reboot)).instance(),
        cmd("reset", &[], Msg::ActReset, |_, _| instance(I::Reset)).instance(),
        cmd("pause", &[], Msg::ActPause, |_, _| instance(I::Pause)).instance(),
        cmd("resume", &["unpause"], Msg::ActResume, |_, _| {
            instance(I::Resume)
        })
        .instance(),
        cmd("suspend", &["managedsave"], Msg::ActSuspend, |_, _| {
            instance(I::Suspend)
        })
        .instance(),
        cmd("delete", &["undefine"], Msg::ActDelete, |_, _| {
            instance(I::Delete {
                delete_volumes: false,
            })
        })
        .instance(),
        cmd("autostart", &[], Msg::KeyAutostart, |_, _| {
            act(Action::ToggleAutostart)
        })
        .instance(),
        cmd("snapshot", &[], Msg::ActSnapshot, |_, arg| match arg {
            "" => act(Action::Prompt(PromptKind::Snapshot)),
            name => instance(I::Snapshot { name: name.into() }),
        })
        .arg(A::Text)
        .instance(),
        cmd("rename", &[], Msg::ActRename, |_, arg| match arg {
            "" => act(Action::Prompt(PromptKind::Rename)),
            name => instance(I::Rename { name: name.into() }),
        })
        .arg(A::Text)
        .instance(),
        cmd(
            "metadata",
            &["meta"],
            Msg::ActMetadata,
            |_, arg| match arg {
                "" => act(Action::Prompt(PromptKind::Metadata)),
                text => match parse_metadata(text) {
                    Ok(items) => instance(I::SetMetadata { items }),
                    Err(_) => Err(ArgError::Unknown),
                },
            },
        )
        .arg(A::Text)
        .instance(),
        cmd("resize", &[], Msg::ActResize, |state, arg| {
            if arg.is_empty() {
                return act(Action::Resize);
            }
            let flavor = state
                .data
                .flavors
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(arg) || f.id == arg)
                .ok_or(ArgError::Unknown)?;
            instance(I::Resize {
                flavor_id: flavor.id.clone(),
                flavor_name: flavor.name.clone(),
            })
        })
        .arg(A::Flavor)
        .instance(),
        cmd("confirm-resize", &[], Msg::ActConfirmResize, |_, _| {
            instance(I::ConfirmResize)
        })
        .instance(),
        cmd("revert-resize", &[], Msg::ActRevertResize, |_, _| {
            instance(I::RevertResize)
        })
        .instance(),
        cmd("lock", &[], Msg::ActLock, |_, _| instance(I::Lock)).instance(),
        cmd("unlock", &[], Msg::ActUnlock, |_, _| instance(I::Unlock)).instance(),
        cmd("monitor", &["top"], Msg::ActMonitor, |_, _| {
            act(Action::Monitor)
        })
        .instance(),
        cmd("console", &[], Msg::ActConsole, |_, _| act(Action::Console)).instance(),
        cmd("edit", &[], Msg::ActEdit, |_, _| act(Action::Edit)).instance(),
    ]
}

/// The command `word` names (a word or an alias, any case).
pub fn find(word: &str) -> Option<Command> {
    let word = word.to_lowercase();
    commands().into_iter().find(|c| c.is_named(&word))
}

/// The titles of the columns on screen: the listing's own, then the live ones when shown.
pub fn shown_column_titles(state: &AppState) -> Vec<Msg> {
    let mut titles = columns::column_titles(state.view_kind(), &state.caps);
    if state.view_kind() == ResourceKind::Instances && state.stats_columns {
        titles.extend(columns::LIVE_TITLES);
    }
    titles
}

/// Values the argument of `kind` can take, as far as the state knows them.
fn argument_values(state: &AppState, kind: ArgKind) -> Vec<String> {
    match kind {
        ArgKind::None | ArgKind::Text => Vec::new(),
        ArgKind::SortColumn => shown_column_titles(state)
            .iter()
            .map(|m| m.text(state.lang).to_lowercase())
            .collect(),
        ArgKind::Region => state.known_regions.clone(),
        ArgKind::Project => state.known_projects.clone(),
        ArgKind::Flavor => state.data.flavors.iter().map(|f| f.name.clone()).collect(),
        ArgKind::OnOff => vec!["on".into(), "off".into()],
    }
}

/// Whole command lines Tab may turn `typed` into: command words while the first word is being
/// typed (a word matches by itself or by an alias), then the values of its argument.
pub fn completions(state: &AppState, typed: &str) -> Vec<String> {
    let typed = typed.trim_start();
    match typed.split_once(' ') {
        None => complete_word(typed)
            .into_iter()
            .map(str::to_string)
            .collect(),
        Some((word, arg)) => {
            let Some(command) = find(word) else {
                return Vec::new();
            };
            let arg = arg.trim_start().to_lowercase();
            argument_values(state, command.arg)
                .into_iter()
                .filter(|v| v.to_lowercase().starts_with(&arg))
                .map(|v| format!("{} {v}", command.word))
                .collect()
        }
    }
}

/// Command words starting with `typed`, or with an alias that does (`vm` → `instances`).
pub fn complete_word(typed: &str) -> Vec<&'static str> {
    let typed = typed.to_lowercase();
    commands()
        .into_iter()
        .filter(|c| c.word.starts_with(&typed) || c.aliases.iter().any(|a| a.starts_with(&typed)))
        .map(|c| c.word)
        .collect()
}

/// The `?` help's lines for the commands: usage (`:sort <column>`) and what it does, with
/// its aliases.
pub fn help_entries(lang: Lang) -> Vec<(String, String)> {
    commands()
        .into_iter()
        .map(|command| {
            let mut usage = format!(":{}", command.word);
            if let Some(arg) = command.arg.placeholder() {
                usage.push(' ');
                usage.push_str(arg.text(lang));
            }
            let mut desc = command.desc.text(lang).to_string();
            if !command.aliases.is_empty() {
                let aliases: Vec<String> =
                    command.aliases.iter().map(|a| format!(":{a}")).collect();
                desc.push_str(&format!("  ({})", aliases.join(" ")));
            }
            (usage, desc)
        })
        .collect()
}

/// The part of a completed line the hint shows: the argument, else the word.
pub fn completion_label(line: &str) -> &str {
    line.split_once(' ').map_or(line, |(_, arg)| arg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_and_alias_is_unique() {
        let mut names: Vec<&str> = commands()
            .iter()
            .flat_map(|c| std::iter::once(c.word).chain(c.aliases.iter().copied()))
            .collect();
        let before = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), before, "a name is used by two commands");
    }

    /// Parsing goes through `find` alone, so a name it accepts is one of the table's; each is
    /// completed and listed in help.
    #[test]
    fn every_accepted_name_is_completed_and_in_help() {
        for lang in [Lang::En, Lang::Zh] {
            let help = help_entries(lang);
            for (command, (usage, desc)) in commands().iter().zip(&help) {
                assert!(usage.starts_with(&format!(":{}", command.word)));
                assert!(!desc.is_empty());
                for alias in command.aliases {
                    assert!(desc.contains(&format!(":{alias}")), "{alias} not in help");
                }
            }
        }
        for command in commands() {
            for name in std::iter::once(command.word).chain(command.aliases.iter().copied()) {
                assert_eq!(find(name).map(|c| c.word), Some(command.word));
                assert_eq!(
                    find(&name.to_uppercase()).map(|c| c.word),
                    Some(command.word)
                );
                assert!(complete_word(name).contains(&command.word), "{name}");
                let partial: String = name.chars().take(2).collect();
                assert!(complete_word(&partial).contains(&command.word), "{partial}");
            }
        }
        assert!(find("frobnicate").is_none());
        assert!(complete_word("frob").is_empty());
    }

    #[test]
    fn every_tab_has_its_command() {
        for kind in ResourceKind::ALL.into_iter().chain([
            ResourceKind::SecurityGroups,
            ResourceKind::FloatingIps,
            ResourceKind::Ports,
        ]) {
            assert!(find(kind.command_name()).is_some(), "{kind:?}");
        }
    }
}
