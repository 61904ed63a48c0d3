//! The `:` command line: the words it understands and their completion.

use crate::model::ResourceKind;

/// Words `:` understands, for completion and for help.
pub fn command_words() -> Vec<&'static str> {
    let mut words: Vec<&'static str> = ResourceKind::ALL.iter().map(|k| k.command_name()).collect();
    words.extend([
        "quit",
        "help",
        "refresh",
        "sort",
        "start",
        "shutdown",
        "force-off",
        "reboot",
        "reset",
        "pause",
        "resume",
        "suspend",
        "restore",
        "delete",
        "autostart",
        "console",
        "edit",
    ]);
    words
}

/// Candidates for what has been typed after `:`.
pub fn completions(typed: &str) -> Vec<&'static str> {
    let typed = typed.trim_start().to_lowercase();
    command_words()
        .into_iter()
        .filter(|w| w.starts_with(&typed))
        .collect()
}
