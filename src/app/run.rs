//! The event loop: input, backend results, timers and signals in; one coalesced draw out when
//! something changed. Nothing here blocks on the backend.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{MissedTickBehavior, interval};

use crate::app::action::Effect;
use crate::app::state::AppState;
use crate::app::{input, update};
use crate::backend::worker::{self, ConnectionEvent};
use crate::backend::{Backend, BackendError};
use crate::terminal::{self, Tui};
use crate::theme::Theme;
use crate::ui;

/// Why the loop ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Exit {
    Quit,
    /// A signal asked yun to stop; it exits with 128 + the number, as a shell reports it.
    Signal(Stop),
    /// The terminal went away (SSH hangup, closed pty): nothing to restore.
    TerminalGone,
}

const SPINNER_PERIOD: Duration = Duration::from_millis(100);

/// A signal that ends the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stop {
    pub name: &'static str,
    pub number: i32,
}

impl Stop {
    /// The exit status a shell shows for a process ended by this signal.
    pub fn exit_code(self) -> u8 {
        u8::try_from(128 + self.number).unwrap_or(1)
    }
}

/// The signals that end the console, each with the terminal restored first (without a handler
/// QUIT, USR1, USR2 and ABRT would end yun at once, leaving the terminal raw on the alternate
/// screen). HUP is handled apart: the terminal is gone.
const STOP_SIGNALS: [(&str, i32); 6] = [
    ("SIGTERM", libc::SIGTERM),
    ("SIGINT", libc::SIGINT),
    ("SIGQUIT", libc::SIGQUIT),
    ("SIGUSR1", libc::SIGUSR1),
    ("SIGUSR2", libc::SIGUSR2),
    ("SIGABRT", libc::SIGABRT),
];

/// Resolves with the first of [`STOP_SIGNALS`] to arrive.
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = Stop>> {
    let mut streams = Vec::with_capacity(STOP_SIGNALS.len());
    for (name, number) in STOP_SIGNALS {
        streams.push((Stop { name, number }, signal(SignalKind::from_raw(number))?));
    }
    Ok(async move {
        let waits = streams.iter_mut().map(|(stop, stream)| {
            let stop = *stop;
            Box::pin(async move {
                stream.recv().await;
                stop
            })
        });
        futures::future::select_all(waits).await.0
    })
}

pub async fn run<B: Backend>(
    backend: Arc<B>,
    mut state: AppState,
    theme: Theme,
    refresh: Duration,
    started: std::time::Instant,
    audit: crate::audit::AuditLog,
) -> color_eyre::Result<Exit> {
    let (event_tx, mut backend_events) = mpsc::unbounded_channel();
    let recorder = worker::Recorder::new(audit, state.target.clone());
    let requests = worker::spawn(backend, state.connection_id, event_tx, recorder);

    let stop = stop_signals()?;
    tokio::pin!(stop);
    let mut sighup = signal(SignalKind::hangup())?;

    let mut terminal = terminal::enter()?;
    let _guard = terminal::RestoreGuard;
    let mut input = Some(EventStream::new());

    let mut period = state.poll_interval(refresh);
    let mut refresh_timer = interval(period);
    refresh_timer.set_missed_tick_behavior(MissedTickBehavior::Skip);
    refresh_timer.reset();
    let mut spinner = interval(SPINNER_PERIOD);
    spinner.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut stats_timer = interval(state.monitor.interval);
    stats_timer.set_missed_tick_behavior(MissedTickBehavior::Skip);

    let mut dirty = true;
    // Logged once: the time to the first frame that shows the host and the first table.
    let mut first_full_frame = Some(started);
    let mut pending: Vec<Effect> = update::start(&mut state);

    loop {
        // Effects first: they may suspend the terminal (editor, console).
        for effect in std::mem::take(&mut pending) {
            match effect {
                Effect::Request {
                    connection,
                    request,
                } => {
                    // One connection today; a request for another has nowhere to go.
                    if connection != state.connection_id {
                        tracing::warn!(?connection, "a request for an unknown connection");
                        continue;
                    }
                    if requests.send(request).is_err() {
                        return Ok(Exit::Quit);
                    }
                }
                Effect::Quit => return Ok(Exit::Quit),
                Effect::Edit { id, name, document } => {
                    // The editor owns the terminal meanwhile: stop reading keys.
                    drop(input.take());
                    let (n, d) = (name.clone(), document.clone());
                    let edited = suspended(&mut terminal, move || edit_document(&n, &d)).await?;
                    input = Some(EventStream::new());
                    pending.extend(update::on_edited(&mut state, id, name, &document, edited));
                    dirty = true;
                }
                Effect::RunInteractive(argv) => {
                    drop(input.take());
                    let result = suspended(&mut terminal, move || run_interactive(&argv)).await?;
                    input = Some(EventStream::new());
                    if let Err(e) = result {
                        update::on_interactive_error(&mut state, &e);
                    }
                    dirty = true;
                }
            }
        }
        if !pending.is_empty() {
            continue;
        }
        if state.quit {
            return Ok(Exit::Quit);
        }

        if dirty {
            let mut facts = None;
            terminal.draw(|frame| facts = Some(ui::draw(frame, &state, &theme)))?;
            if let Some(facts) = facts {
                update::on_frame(&mut state, facts);
            }
            dirty = false;
            if let Some(t0) = first_full_frame
                && state.host.is_some()
                && state.current_table().is_none_or(|t| t.loaded)
            {
                tracing::info!(
                    elapsed_ms = t0.elapsed().as_secs_f64() * 1000.0,
                    "first full frame"
                );
                first_full_frame = None;
            }
        }

        let wanted = state.poll_interval(refresh);
        if wanted != period {
            period = wanted;
            refresh_timer = interval(period);
            refresh_timer.set_missed_tick_behavior(MissedTickBehavior::Skip);
            refresh_timer.reset();
        }
        let spinning = !state.tasks.is_empty();
        let sampling = state.wants_stats();

        tokio::select! {
            event = next_input(&mut input) => match event {
                Some(Ok(TermEvent::Key(key))) if key.kind == KeyEventKind::Press => {
                    pending = input::on_key(&mut state, key);
                    dirty = true;
                }
                Some(Ok(TermEvent::Mouse(mouse))) => {
                    pending = input::on_mouse(&mut state, mouse);
                    dirty = true;
                }
                Some(Ok(TermEvent::Resize(..) | TermEvent::FocusGained)) => dirty = true,
                Some(Ok(_)) => {}
                // EOF or an I/O error on the terminal: it is gone (SSH hangup). Do not spin.
                Some(Err(_)) | None => return Ok(Exit::TerminalGone),
            },
            Some(event) = backend_events.recv() => {
                dirty |= apply_backend(&mut state, event, &mut pending);
                // Coalesce: everything already queued is applied before the next draw.
                while let Ok(event) = backend_events.try_recv() {
                    dirty |= apply_backend(&mut state, event, &mut pending);
                }
            }
            _ = refresh_timer.tick() => {
                pending = update::on_refresh_timer(&mut state);
            }
            _ = stats_timer.tick(), if sampling => {
                pending = update::on_stats_timer(&mut state);
            }
            _ = spinner.tick(), if spinning => {
                update::on_spinner_tick(&mut state);
                dirty = true;
            }
            stop = &mut stop => return Ok(Exit::Signal(stop)),
            _ = sighup.recv() => return Ok(Exit::TerminalGone),
        }
    }
}

async fn next_input(input: &mut Option<EventStream>) -> Option<std::io::Result<TermEvent>> {
    match input {
        Some(stream) => stream.next().await,
        None => std::future::pending().await,
    }
}

/// Apply one backend event; returns whether anything on screen may have changed. An event of a
/// connection the state does not show changes nothing.
fn apply_backend(state: &mut AppState, tagged: ConnectionEvent, pending: &mut Vec<Effect>) -> bool {
    if tagged.connection != state.connection_id {
        return false;
    }
    pending.extend(update::on_backend(state, tagged.event));
    state.screen_changed
}

/// Leave the TUI, run `work` on a blocking thread (it owns the terminal meanwhile), come back.
async fn suspended<T: Send + 'static>(
    terminal: &mut Tui,
    work: impl FnOnce() -> T + Send + 'static,
) -> color_eyre::Result<T> {
    terminal::restore();
    let result = tokio::task::spawn_blocking(work).await;
    *terminal = terminal::enter()?;
    Ok(result?)
}

/// `$VISUAL`, else `$EDITOR`, else `vi`: a shell command line, so it may carry arguments
/// (`code --wait`, `emacsclient -t`).
fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string())
}

/// Write `document` to a file in a fresh private directory, open it in the user's editor, read
/// it back. The document may hold secrets (graphics passwords), and yun often runs as root, so
/// the directory is created 0700 under a random name and the file inside it exclusively
/// (`O_EXCL`, never through a symlink); both are removed afterwards.
fn edit_document(name: &str, document: &str) -> Result<String, String> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let dir = tempfile::Builder::new()
        .prefix("yun-edit-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .map_err(|e| format!("{}: {e}", std::env::temp_dir().display()))?;
    let path = dir.path().join(format!("{safe}.xml"));
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(0o600)
            .open(&path)?;
        file.write_all(document.as_bytes())?;
        file.sync_all()
    };
    write().map_err(|e| format!("{}: {e}", path.display()))?;
    let editor = editor_command();
    // The shell splits the user's command line as the user would; the path goes in as `$1`,
    // never through the shell's parser.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status();
    let failed = |error: String| {
        crate::i18n::Msg::StatusNoEditor.fill(
            crate::i18n::Lang::En,
            &[("editor", &editor), ("error", &error)],
        )
    };
    let result = match status {
        Ok(s) if s.success() => {
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
        }
        Ok(s) => Err(failed(s.to_string())),
        Err(e) => Err(failed(e.to_string())),
    };
    if let Err(e) = dir.close() {
        tracing::warn!("could not remove the editor's directory: {e}");
    }
    result
}

fn run_interactive(argv: &[String]) -> Result<(), BackendError> {
    let Some((program, args)) = argv.split_first() else {
        return Ok(());
    };
    match std::process::Command::new(program).args(args).status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(BackendError::Api(format!(
            "{}: {s}",
            crate::backend::actions::shell_join(argv)
        ))),
        Err(e) => Err(BackendError::Api(format!("{program}: {e}"))),
    }
}
