//! Start-up: which URI to open, the bundled demo host, and turning the CLI + config into the
//! options the backend and the app need.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::backend::libvirt::LibvirtOptions;
use crate::cli::{Cli, LangArg};
use crate::config::Config;
use crate::i18n::Lang;

/// The demo host description, embedded so an installed binary can show it anywhere.
pub const DEMO_HOST_XML: &str = include_str!("../demo/demo-host.xml");

pub const DEFAULT_URI: &str = "qemu:///system";

/// Write the demo host file into `dir` (only when its content changed) and return the
/// `test:///` URI that opens it. libvirt's test driver needs an absolute path.
pub fn demo_uri(dir: &Path) -> std::io::Result<String> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("demo-host.xml");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(DEMO_HOST_XML) {
        std::fs::write(&path, DEMO_HOST_XML)?;
    }
    let abs: PathBuf = std::fs::canonicalize(&path)?;
    Ok(format!("test://{}", abs.display()))
}

/// `-c`, else `LIBVIRT_DEFAULT_URI` (clap reads it into `connect`), else `qemu:///system`.
pub fn uri(cli: &Cli, state_dir: &Path) -> std::io::Result<String> {
    if cli.demo {
        return demo_uri(state_dir);
    }
    Ok(cli
        .connect
        .clone()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_URI.to_string()))
}

pub fn lang(cli: &Cli, config: &Config) -> Lang {
    match cli.lang {
        Some(LangArg::En) => Lang::En,
        Some(LangArg::Zh) => Lang::Zh,
        None => Lang::parse(&config.lang).unwrap_or_else(Lang::from_env),
    }
}

pub fn refresh(cli: &Cli, config: &Config) -> Duration {
    let mut config = config.clone();
    if let Some(secs) = cli.refresh {
        config.refresh_secs = secs;
    }
    config.refresh()
}

pub fn libvirt_options(uri: String, cli: &Cli, config: &Config) -> LibvirtOptions {
    LibvirtOptions {
        uri,
        readonly: cli.readonly,
        flavors: config.flavors(),
        image_pools: config.image_pools.clone(),
    }
}

/// The one line printed when the first connection fails.
pub fn connect_failure(uri: &str, reason: &str) -> String {
    let hint = if uri.starts_with("qemu:///") {
        "is libvirtd running and may you use it? Try `yun --demo` for the bundled demo host, or `-c URI`"
    } else {
        "check the URI, or try `yun --demo` for the bundled demo host"
    };
    format!("yun: cannot connect to {uri}: {reason} ({hint})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn demo_uri_is_absolute_and_the_file_is_the_bundled_one() {
        let dir = tempfile::tempdir().unwrap();
        let uri = demo_uri(dir.path()).unwrap();
        let path = uri.strip_prefix("test://").unwrap();
        assert!(path.starts_with('/'));
        assert_eq!(std::fs::read_to_string(path).unwrap(), DEMO_HOST_XML);
    }

    #[test]
    fn uri_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let cli = Cli::parse_from(["yun", "-c", "test:///default"]);
        assert_eq!(uri(&cli, dir.path()).unwrap(), "test:///default");
        let cli = Cli::parse_from(["yun", "--demo"]);
        assert!(uri(&cli, dir.path()).unwrap().starts_with("test:///"));
    }

    #[test]
    fn failure_line_names_uri_reason_and_hint() {
        let line = connect_failure("qemu:///system", "Failed to connect socket");
        assert!(line.contains("qemu:///system"));
        assert!(line.contains("Failed to connect socket"));
        assert!(line.contains("--demo"));
        assert!(!line.contains('\n'));
    }
}
