//! The `yun` binary: parse the command line, connect, then run the console or print a list.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches};

use yun::app::run::{self, Exit};
use yun::app::state::{AppState, Level};
use yun::backend::Backend;
use yun::backend::libvirt::LibvirtBackend;
use yun::cli::{Cli, Command};
use yun::config::{Config, Paths};
use yun::i18n::Msg;
use yun::stderr::StderrRedirect;
use yun::theme::Theme;
use yun::{launch, list, logging, terminal};

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let paths = Paths::resolve();
    quiet_libvirt(&paths);
    let command = Cli::command().after_help(format!(
        "Files:\n  config  {}\n  themes  {}\n  logs    {}",
        paths.config_dir.join("config.toml").display(),
        paths.themes_dir().display(),
        paths.state_dir.join("yun.log").display()
    ));
    let cli = match Cli::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let _log_guard = logging::init(&paths.state_dir);
    if color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .install()
        .is_err()
    {
        eprintln!("yun: could not install the error reporter");
    }
    terminal::install_panic_hook();

    let (config, config_error) = Config::load(&paths.config_dir);
    if let Some(e) = &config_error {
        tracing::warn!("{e}");
    }
    let lang = launch::lang(&cli, &config);
    let uri = match launch::uri(&cli, &paths.state_dir) {
        Ok(uri) => uri,
        Err(e) => {
            eprintln!(
                "yun: cannot write the demo host file in {}: {e}",
                paths.state_dir.display()
            );
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(%uri, readonly = cli.readonly, "connecting");
    let libvirt_log = paths.state_dir.join("libvirt.log");
    let quiet = StderrRedirect::to_file(&libvirt_log);
    let connected = LibvirtBackend::connect(launch::libvirt_options(uri.clone(), &cli, &config));
    drop(quiet);
    let backend = match connected {
        Ok(b) => Arc::new(b),
        Err(e) => {
            eprintln!("{}", launch::connect_failure(&uri, &e.to_string()));
            return ExitCode::FAILURE;
        }
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("yun: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };

    if let Some(Command::List { what, output }) = cli.command {
        let listing = runtime.block_on(backend.list(what));
        return match listing.map(|l| list::render(&l, output, lang)) {
            Ok(Ok(text)) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Ok(Err(e)) => {
                eprintln!("yun: {e}");
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("yun: cannot list {}: {e}", what.command_name());
                ExitCode::FAILURE
            }
        };
    }

    let theme_name = cli.theme.clone().unwrap_or_else(|| config.theme.clone());
    let (theme, theme_error) = match Theme::load(&theme_name, Some(&paths.themes_dir())) {
        Ok(t) => (t, None),
        Err(e) => (Theme::default_theme(), Some(e.to_string())),
    };
    let mut state = AppState::new(
        lang,
        backend.capabilities(),
        uri,
        std::time::Duration::from_secs(config.settle_timeout_secs),
    );
    let mut monitor_config = config.clone();
    if let Some(secs) = cli.interval {
        monitor_config.monitor_interval_secs = secs;
    }
    state.monitor = yun::monitor::Monitor::new(
        monitor_config.monitor_interval(),
        monitor_config.monitor_window(),
        std::time::Instant::now(),
    );
    if let Some(e) = config_error.or(theme_error) {
        state.set_status(
            Level::Error,
            Msg::StatusConfigError.fill(lang, &[("error", &e)]),
        );
    }
    let refresh = launch::refresh(&cli, &config);
    // While the console is on screen nothing may write to the terminal behind its back.
    let quiet = StderrRedirect::to_file(&libvirt_log);
    let result = runtime.block_on(run::run(
        Arc::clone(&backend),
        state,
        theme,
        refresh,
        started,
    ));
    terminal::restore();
    drop(quiet);
    // Background tasks may be blocked in libvirt calls; do not wait for them.
    runtime.shutdown_background();
    match result {
        Ok(Exit::Quit) => ExitCode::SUCCESS,
        Ok(Exit::Signal(name)) => {
            tracing::info!("exiting on {name}");
            ExitCode::from(if name == "SIGINT" { 130 } else { 143 })
        }
        Ok(Exit::TerminalGone) => {
            tracing::info!("terminal gone; exiting");
            ExitCode::from(129)
        }
        Err(e) => {
            eprintln!("yun: {e:?}");
            ExitCode::FAILURE
        }
    }
}

/// libvirt logs library warnings to stderr, which would scribble over the console. Send them to
/// a file in the state directory instead (unless the user chose an output).
#[allow(unsafe_code)]
fn quiet_libvirt(paths: &Paths) {
    if std::env::var_os("LIBVIRT_LOG_OUTPUTS").is_some() {
        return;
    }
    if std::fs::create_dir_all(&paths.state_dir).is_err() {
        return;
    }
    let value = format!("3:file:{}", paths.state_dir.join("libvirt.log").display());
    // SAFETY: called first thing in `main`, before any thread (runtime, libvirt, logging) exists,
    // so nothing can read the environment concurrently.
    unsafe { std::env::set_var("LIBVIRT_LOG_OUTPUTS", value) };
}
