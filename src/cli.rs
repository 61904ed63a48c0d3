//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};

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
        value_name = "URI"
    )]
    pub connect: Option<String>,

    /// Open the bundled demo host (libvirt's built-in test driver; no hypervisor needed).
    #[arg(long, conflicts_with_all = ["connect", "cloud"])]
    pub demo: bool,

    /// An OpenStack cloud from clouds.yaml (without it, plain OS_* variables name the cloud
    /// when OS_AUTH_URL is set).
    #[arg(
        long,
        env = "OS_CLOUD",
        value_name = "NAME",
        conflicts_with = "connect"
    )]
    pub cloud: Option<String>,

    /// Cloud: do not reuse or store Keystone tokens across runs.
    #[arg(long)]
    pub no_token_cache: bool,

    /// Cloud admins: list the instances of every project.
    #[arg(long)]
    pub all_projects: bool,

    /// Open the connection read-only and refuse every change.
    #[arg(short = 'r', long)]
    pub readonly: bool,

    /// Colour theme: default, light, high-contrast, or a file in <config dir>/themes/.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,

    /// Interface language (default: from LANG).
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,

    /// Seconds between refreshes of the visible table (0.5 to 3600).
    #[arg(long, value_name = "SECS", value_parser = parse_refresh)]
    pub refresh: Option<f64>,

    /// Seconds between monitor samples (0.2 to 3600).
    #[arg(long, value_name = "SECS", value_parser = parse_interval)]
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
