//! Command-line arguments. The connection and display flags are global: they may stand before
//! or after the subcommand (`yun --demo list instances` = `yun list instances --demo`).

use std::io::Write;

use clap::error::ErrorKind;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::model::ResourceKind;

#[derive(Parser, Debug)]
#[command(
    name = "yun",
    version,
    about = "A terminal cloud console for libvirt hosts (云)"
)]
pub struct Cli {
    /// libvirt URI to connect to (e.g. qemu:///system, qemu+ssh://host/system).
    #[arg(
        short = 'c',
        long = "connect",
        env = "LIBVIRT_DEFAULT_URI",
        value_name = "URI",
        global = true
    )]
    pub connect: Option<String>,

    /// Open the bundled demo host (libvirt's built-in test driver; no hypervisor needed).
    #[arg(long, conflicts_with_all = ["connect", "cloud"], global = true)]
    pub demo: bool,

    /// An OpenStack cloud from clouds.yaml (without it, plain OS_* variables name the cloud
    /// when OS_AUTH_URL is set).
    #[arg(
        long,
        env = "OS_CLOUD",
        value_name = "NAME",
        conflicts_with = "connect",
        global = true
    )]
    pub cloud: Option<String>,

    /// Cloud: do not reuse or store Keystone tokens across runs.
    #[arg(long, global = true)]
    pub no_token_cache: bool,

    /// Cloud admins: list the instances of every project.
    #[arg(long, global = true)]
    pub all_projects: bool,

    /// Open the connection read-only and refuse every change.
    #[arg(short = 'r', long, global = true)]
    pub readonly: bool,

    /// Colour theme: default, light, high-contrast, or a file in <config dir>/themes/.
    #[arg(long, value_name = "NAME", global = true)]
    pub theme: Option<String>,

    /// Interface language (default: from LANG).
    #[arg(long, value_enum, global = true)]
    pub lang: Option<LangArg>,

    /// Seconds between refreshes of the visible table (0.5 to 3600).
    #[arg(long, value_name = "SECS", value_parser = parse_refresh, global = true)]
    pub refresh: Option<f64>,

    /// Seconds between monitor samples (0.2 to 3600).
    #[arg(long, value_name = "SECS", value_parser = parse_interval, global = true)]
    pub interval: Option<f64>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print a table without starting the console (for scripts).
    List {
        /// instances (servers), flavors, images, volumes, networks; on a cloud also
        /// security-groups, floating-ips, ports.
        #[arg(value_parser = parse_kind)]
        what: ResourceKind,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value = "table")]
        output: OutputFormat,
    },
    /// Print the audit log: every change yun made, newest first.
    Audit {
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value = "table")]
        output: OutputFormat,
        /// Print the successful changes as the commands they stand for, oldest first: a
        /// script to repeat them elsewhere.
        #[arg(long, conflicts_with = "output")]
        as_script: bool,
    },
    /// Print the completion script for a shell.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff; `yun man | man -l -` shows it).
    Man,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    En,
    Zh,
}

impl Cli {
    /// Parses `args` with `command` (the derived command, perhaps with more help text).
    ///
    /// clap checks conflicts within the command where each flag was given, so `yun --demo list
    /// instances -c URI` would slip through its check; the merged matches are checked again
    /// here. A value from the environment counts, as it does in clap's own check.
    pub fn parse_with<I, T>(mut command: clap::Command, args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = command.try_get_matches_from_mut(args)?;
        if let Some(message) = global_conflict(&matches) {
            return Err(command.error(ErrorKind::ArgumentConflict, message));
        }
        Self::from_arg_matches(&matches)
    }
}

/// The first pair of mutually exclusive connection flags both present, as clap words it.
fn global_conflict(matches: &ArgMatches) -> Option<String> {
    let given = |id: &str| matches.value_source(id).is_some();
    let pairs = [
        ("demo", "--demo", "connect", "--connect <URI>"),
        ("demo", "--demo", "cloud", "--cloud <NAME>"),
        ("cloud", "--cloud <NAME>", "connect", "--connect <URI>"),
    ];
    pairs.into_iter().find_map(|(a, a_shown, b, b_shown)| {
        let a_given = if a == "demo" {
            matches.get_flag("demo")
        } else {
            given(a)
        };
        (a_given && given(b))
            .then(|| format!("the argument '{a_shown}' cannot be used with '{b_shown}'"))
    })
}

/// The completion script for `shell`, for the command line as defined here.
pub fn write_completions(shell: clap_complete::Shell, out: &mut dyn Write) -> std::io::Result<()> {
    let mut command = Cli::command();
    let name = command.get_name().to_string();
    // Generated into memory first: the generator panics on a write error (a closed pipe).
    let mut text = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut text);
    out.write_all(&text)
}

/// The man page (roff), with a section listing every subcommand.
pub fn write_man_page(out: &mut dyn Write) -> std::io::Result<()> {
    clap_mangen::Man::new(Cli::command()).render(out)
}

/// The range `--refresh` accepts, also the range `refresh_secs` may have in config.toml.
pub const REFRESH_RANGE: (f64, f64) = (0.5, 3600.0);
/// The range `--interval` accepts, also the range of `monitor_interval_secs`.
pub const INTERVAL_RANGE: (f64, f64) = (0.2, 3600.0);

fn parse_refresh(s: &str) -> Result<f64, String> {
    parse_seconds(s, REFRESH_RANGE)
}

fn parse_interval(s: &str) -> Result<f64, String> {
    parse_seconds(s, INTERVAL_RANGE)
}

/// A finite number of seconds within `(min, max)`: NaN, infinities and huge values would
/// otherwise reach `Duration::from_secs_f64`, which panics on them.
fn parse_seconds(s: &str, (min, max): (f64, f64)) -> Result<f64, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if secs.is_finite() && (min..=max).contains(&secs) {
        Ok(secs)
    } else {
        Err(format!("`{s}` is out of range: use {min} to {max} seconds"))
    }
}

fn parse_kind(s: &str) -> Result<ResourceKind, String> {
    ResourceKind::from_command_name(s)
        .filter(|k| *k != ResourceKind::Overview)
        .ok_or_else(|| {
            format!("unknown table `{s}`: use instances, flavors, images, volumes or networks")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::parse_with(Cli::command(), args.iter().copied())
    }

    #[test]
    fn global_flags_after_the_subcommand_mean_the_same_as_before_it() {
        let before = parse(&["yun", "--demo", "-r", "--lang", "zh", "list", "images"]).unwrap();
        let after = parse(&["yun", "list", "images", "--demo", "-r", "--lang", "zh"]).unwrap();
        for cli in [before, after] {
            assert!(cli.demo && cli.readonly);
            assert_eq!(cli.lang, Some(LangArg::Zh));
            assert!(matches!(
                cli.command,
                Some(Command::List {
                    what: ResourceKind::Images,
                    ..
                })
            ));
        }
    }

    #[test]
    fn conflicts_are_found_wherever_the_flags_stand() {
        for args in [
            &["yun", "--demo", "-c", "test:///default", "list", "images"][..],
            &["yun", "--demo", "list", "images", "-c", "test:///default"],
            &["yun", "list", "images", "-c", "test:///default", "--demo"],
            &["yun", "--cloud", "x", "list", "images", "--demo"],
            &[
                "yun",
                "-c",
                "qemu:///system",
                "list",
                "images",
                "--cloud",
                "x",
            ],
        ] {
            let err = parse(args)
                .err()
                .unwrap_or_else(|| panic!("{args:?} parsed"));
            assert_eq!(err.kind(), ErrorKind::ArgumentConflict, "{args:?}");
            assert!(err.to_string().contains("cannot be used with"), "{err}");
        }
    }
}
