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

    /// Seconds between refreshes of the visible table.
    #[arg(long, value_name = "SECS")]
    pub refresh: Option<f64>,

    /// Seconds between monitor samples.
    #[arg(long, value_name = "SECS")]
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

fn parse_kind(s: &str) -> Result<ResourceKind, String> {
    ResourceKind::from_command_name(s)
        .filter(|k| *k != ResourceKind::Overview)
        .ok_or_else(|| {
            format!("unknown table `{s}`: use instances, flavors, images, volumes or networks")
        })
}
