//! The `yun` binary: parse the command line, connect (libvirt or an OpenStack cloud), then run
//! the console or print a list.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::CommandFactory;

use yun::app::keymap::Keymap;
use yun::app::run::{self, Exit};
use yun::app::state::{AppState, Level};
use yun::backend::Backend;
use yun::backend::libvirt::LibvirtBackend;
use yun::backend::openstack::{self, OpenStackBackend, OpenStackOptions};
use yun::cli::{self, Cli, Command};
use yun::config::{Config, Paths};
use yun::i18n::{Lang, Msg};
use yun::stderr::StderrRedirect;
use yun::theme::Theme;
use yun::{list, logging, startup, terminal};

fn main() -> ExitCode {
    let started = Instant::now();
    let paths = Paths::resolve();
    let mut command = Cli::command();
    if let Ok(paths) = &paths {
        command = command.after_help(format!(
            "Files:\n  config  {}\n  themes  {}\n  logs    {}",
            paths.config_dir.join("config.toml").display(),
            paths.themes_dir().display(),
            paths.state_dir.join("yun.log").display()
        ));
    }
    let cli = match Cli::parse_with(command, std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // Completions and the man page describe the command line only: no files, no connection.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            return print_stdout(|out| cli::write_completions(*shell, out));
        }
        Some(Command::Man) => return print_stdout(cli::write_man_page),
        _ => {}
    }
    let paths = match paths {
        Ok(paths) => paths,
        Err(line) => {
            eprintln!("{line}");
            return ExitCode::FAILURE;
        }
    };
    quiet_libvirt(&paths);
    let _log_guard = logging::init(&paths.state_dir);
    if color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .install()
        .is_err()
    {
        eprintln!("yun: could not install the error reporter");
    }
    terminal::install_panic_hook(logging::log_file(&paths.state_dir));

    if let Some(Command::Audit { output, as_script }) = &cli.command {
        return print_audit(&paths, *output, *as_script);
    }
    let (config, config_error) = Config::load(&paths.config_dir);
    if let Some(e) = &config_error {
        tracing::warn!("{e}");
    }
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
    let ctx = Context {
        cli,
        config,
        config_error,
        paths,
        started,
    };

    let env: HashMap<String, String> = std::env::vars().collect();
    let wants_cloud = ctx.cli.cloud.is_some()
        || (!ctx.cli.demo && ctx.cli.connect.is_none() && env.contains_key("OS_AUTH_URL"));
    let code = if wants_cloud {
        match connect_cloud(&ctx, env, &runtime) {
            Ok(backend) => run_with(&ctx, &runtime, Arc::new(backend)),
            Err(line) => {
                print_error(&line);
                ExitCode::FAILURE
            }
        }
    } else {
        match connect_libvirt(&ctx) {
            Ok(backend) => run_with(&ctx, &runtime, Arc::new(backend)),
            Err(line) => {
                print_error(&line);
                ExitCode::FAILURE
            }
        }
    };
    // Background tasks may be blocked in backend calls; do not wait for them.
    runtime.shutdown_background();
    code
}

struct Context {
    cli: Cli,
    config: Config,
    config_error: Option<String>,
    paths: Paths,
    started: Instant,
}

impl Context {
    fn lang(&self) -> Lang {
        startup::lang(&self.cli, &self.config)
    }

    fn libvirt_log(&self) -> std::path::PathBuf {
        self.paths.state_dir.join("libvirt.log")
    }
}

fn connect_libvirt(ctx: &Context) -> Result<LibvirtBackend, String> {
    let uri = startup::uri(&ctx.cli, &ctx.paths.state_dir).map_err(|e| {
        format!(
            "yun: cannot write the demo host file in {}: {e}",
            ctx.paths.state_dir.display()
        )
    })?;
    tracing::info!(%uri, readonly = ctx.cli.readonly, "connecting");
    let quiet = StderrRedirect::to_file(&ctx.libvirt_log());
    let connected =
        LibvirtBackend::connect(startup::libvirt_options(uri.clone(), &ctx.cli, &ctx.config));
    drop(quiet);
    connected.map_err(|e| startup::connect_failure(&uri, &e.to_string()))
}

fn connect_cloud(
    ctx: &Context,
    env: HashMap<String, String>,
    runtime: &tokio::runtime::Runtime,
) -> Result<OpenStackBackend, String> {
    let discovery = openstack::Discovery::standard(env);
    let label = ctx
        .cli
        .cloud
        .clone()
        .unwrap_or_else(|| "OS_* environment".into());
    let mut config = openstack::clouds::load(ctx.cli.cloud.as_deref(), &discovery)
        .map_err(|e| format!("yun: cloud {label}: {e}"))?;
    let cache_dir = openstack::default_cache_dir().ok_or_else(|| {
        "yun: no home directory is known, so yun cannot tell where to cache Keystone tokens; \
         set HOME or XDG_CACHE_HOME"
            .to_string()
    })?;
    if openstack::needs_password(&config) {
        // Asked on the terminal, never echoed, before the console takes the screen.
        let prompt = format!("Password for {label}: ");
        let password = terminal::read_password(&prompt)
            .map_err(|e| format!("yun: cloud {label}: cannot read the password: {e}"))?;
        openstack::set_password(&mut config, openstack::Secret::new(password));
    }
    let mut opts = OpenStackOptions::new(config, cache_dir);
    opts.readonly = ctx.cli.readonly;
    opts.no_token_cache = ctx.cli.no_token_cache;
    opts.all_projects = ctx.cli.all_projects;
    tracing::info!(cloud = %label, readonly = ctx.cli.readonly, "connecting");
    runtime
        .block_on(OpenStackBackend::connect(opts))
        .map_err(|e| format!("yun: cannot connect to cloud {label}: {e}"))
}

fn run_with<B: Backend>(
    ctx: &Context,
    runtime: &tokio::runtime::Runtime,
    backend: Arc<B>,
) -> ExitCode {
    let lang = ctx.lang();
    let caps = backend.capabilities();
    if let Some(Command::List { what, output }) = &ctx.cli.command {
        let listing = runtime.block_on(backend.list(*what));
        return match listing.map(|l| list::render(&l, *output, lang, &caps)) {
            Ok(Ok(text)) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Ok(Err(e)) => {
                print_error(&format!("yun: {e}"));
                ExitCode::FAILURE
            }
            Err(e) => {
                print_error(&format!("yun: cannot list {}: {e}", what.command_name()));
                ExitCode::FAILURE
            }
        };
    }

    let theme_name = ctx
        .cli
        .theme
        .clone()
        .unwrap_or_else(|| ctx.config.theme.clone());
    let (theme, theme_error) = match Theme::load(&theme_name, Some(&ctx.paths.themes_dir())) {
        Ok(t) => (t, None),
        Err(e) => (Theme::default_theme(), Some(e.to_string())),
    };
    let host = runtime.block_on(backend.host_info()).ok();
    let target = host.as_ref().map_or_else(String::new, |h| h.target.clone());
    let mut state = AppState::new(
        lang,
        backend.capabilities(),
        target,
        ctx.config.settle_timeout(),
    );
    state.host = host;
    let mut monitor_config = ctx.config.clone();
    if let Some(secs) = ctx.cli.interval {
        monitor_config.monitor_interval_secs = secs;
    }
    state.monitor = yun::monitor::Monitor::new(
        monitor_config.monitor_interval(),
        monitor_config.monitor_window(),
        Instant::now(),
    );
    let (keymap, key_problems) = Keymap::with_user_keys(&state.caps, &ctx.config.keys);
    state.keymap = keymap;
    for problem in &key_problems {
        tracing::warn!("{problem}");
    }
    let problems: Vec<String> = ctx
        .config_error
        .iter()
        .chain(theme_error.iter())
        .chain(key_problems.iter())
        .cloned()
        .collect();
    if !problems.is_empty() {
        state.set_status(
            Level::Error,
            Msg::StatusConfigError.fill(lang, &[("error", &problems.join("; "))]),
        );
    }
    let refresh = startup::refresh(&ctx.cli, &ctx.config);
    // While the console is on screen nothing may write to the terminal behind its back.
    let quiet = StderrRedirect::to_file(&ctx.libvirt_log());
    let result = runtime.block_on(run::run(
        backend,
        state,
        theme,
        refresh,
        ctx.started,
        yun::audit::AuditLog::in_dir(&ctx.paths.state_dir, ctx.config.audit.required),
    ));
    terminal::restore();
    drop(quiet);
    match result {
        Ok(Exit::Quit) => ExitCode::SUCCESS,
        Ok(Exit::Signal(stop)) => {
            tracing::info!("exiting on {}", stop.name);
            ExitCode::from(stop.exit_code())
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

/// `yun audit`: the log needs no connection, only the state directory.
fn print_audit(paths: &Paths, output: yun::cli::OutputFormat, as_script: bool) -> ExitCode {
    let path = paths.state_dir.join(yun::audit::FILE_NAME);
    match yun::audit::read(&path) {
        Ok((records, unreadable)) => {
            if as_script {
                print!("{}", yun::audit::as_script(&records));
            } else {
                print!("{}", yun::audit::render(&records, output));
            }
            if unreadable > 0 {
                print_error(&format!(
                    "yun: {unreadable} line(s) of {} could not be read and were left out",
                    path.display()
                ));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            print_error(&format!("yun: cannot read {}: {e}", path.display()));
            ExitCode::FAILURE
        }
    }
}

/// Writes generated text to stdout; a closed pipe (`yun man | head`) is not an error worth a
/// panic, but it is a failure.
fn print_stdout(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match write(&mut out).and_then(|()| std::io::Write::flush(&mut out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("yun: cannot write to stdout: {e}");
            ExitCode::FAILURE
        }
    }
}

/// An error line on stderr: it may carry text from a cloud or a domain (a name, a fault
/// message), so its controls are escaped visibly before it reaches the terminal.
fn print_error(line: &str) {
    eprintln!("{}", yun::format::escape_controls(line));
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
    let log = paths.state_dir.join("libvirt.log");
    // Created here so it is private (0600) before libvirt or a redirect of fd 2 appends to it.
    if logging::open_private(&log).is_err() {
        return;
    }
    let value = format!("3:file:{}", log.display());
    // SAFETY: called first thing in `main`, before any thread (runtime, libvirt, logging) exists,
    // so nothing can read the environment concurrently.
    unsafe { std::env::set_var("LIBVIRT_LOG_OUTPUTS", value) };
}
