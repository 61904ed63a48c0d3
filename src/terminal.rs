//! The terminal: raw mode and the alternate screen on the way in, and a restore that runs on
//! every way out (normal exit, error, panic, signal).

use std::io::{self, Stdout, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Whether the terminal is in yun's mode, so restore is done once and only when needed.
static ACTIVE: AtomicBool = AtomicBool::new(false);

pub fn enter() -> io::Result<Tui> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut stdout = io::stdout();
    execute!(
        stdout,
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        cursor::Hide,
        // Cleared here rather than with `Terminal::clear`, which asks the terminal where the
        // cursor is and fails after two seconds without an answer: coming back from a command
        // that ended at once (an attach that failed), that answer was lost.
        Clear(ClearType::All)
    )?;
    Terminal::new(CrosstermBackend::new(stdout))
}

/// Put the terminal back as it was. Safe to call more than once and from the panic hook;
/// errors are ignored because the terminal may already be gone (SSH hangup).
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut stdout = io::stdout();
    let _ = execute!(
        stdout,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = stdout.flush();
}

/// The panic hook. On the UI thread or a runtime worker a panic ends yun: the real stderr and
/// the terminal are put back, the report (message, place, backtrace) goes to `log` through
/// tracing, and one line on stderr says where it is. A panic on a libvirt connection thread
/// is only logged: the thread catches it around each call (`catch_unwind`) and goes on.
pub fn install_panic_hook(log: PathBuf) {
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_string());
        let place = info.location().map_or_else(
            || "an unknown place".to_string(),
            |l| format!("{}:{}:{}", l.file(), l.line(), l.column()),
        );
        let current = std::thread::current();
        let thread = current.name().unwrap_or("unnamed").to_string();
        let backtrace = std::backtrace::Backtrace::force_capture();
        let logged = crate::logging::active();
        tracing::error!(
            "panic on thread `{thread}` at {place}: {message}\nbacktrace:\n{backtrace}"
        );
        if thread.starts_with("libvirt") {
            return;
        }
        crate::stderr::put_back_for_exit();
        restore();
        crate::logging::flush_for_exit();
        let line = format!("yun: internal error at {place}: {message}");
        let mut stderr = io::stderr();
        if logged {
            let _ = writeln!(
                stderr,
                "{}; the report is in {}",
                crate::format::escape_controls(&line),
                log.display()
            );
        } else {
            let _ = writeln!(
                stderr,
                "{}\n{backtrace}",
                crate::format::escape_controls(&line)
            );
        }
        std::process::exit(101);
    }));
}

/// Restores the terminal when dropped, so an early `?` return cannot leave it raw.
pub struct RestoreGuard;

impl Drop for RestoreGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Reading a password on the controlling terminal with echo off. A signal at the prompt (Ctrl-C
/// above all) must not leave echo off: the terminal's settings are saved first and every
/// signal that would end yun puts them back before it exits with 128 + the signal's number.
#[allow(unsafe_code)]
mod password {
    use std::fs::{File, OpenOptions};
    use std::io::{self, Read, Write};
    use std::os::fd::AsRawFd;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicI32, Ordering};

    /// The signals whose default action ends the process.
    const SIGNALS: [libc::c_int; 7] = [
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGABRT,
    ];

    /// The terminal's descriptor and settings while a prompt is up, for the signal handler.
    static TTY_FD: AtomicI32 = AtomicI32::new(-1);
    static SAVED: OnceLock<libc::termios> = OnceLock::new();

    extern "C" fn restore_and_exit(signal: libc::c_int) {
        let fd = TTY_FD.load(Ordering::SeqCst);
        // SAFETY: only async-signal-safe calls (tcsetattr, write, _exit) on a descriptor that
        // stays open while the handler is installed, with settings saved before it was.
        unsafe {
            if fd >= 0
                && let Some(saved) = SAVED.get()
            {
                libc::tcsetattr(fd, libc::TCSANOW, saved);
                libc::write(fd, b"\n".as_ptr().cast(), 1);
            }
            libc::_exit(128 + signal);
        }
    }

    /// Puts the terminal and the signal dispositions back when dropped.
    struct Prompt {
        tty: File,
        saved: libc::termios,
        previous: Vec<(libc::c_int, libc::sigaction)>,
    }

    impl Drop for Prompt {
        fn drop(&mut self) {
            // SAFETY: the descriptor is open (owned by `self.tty`); the settings and actions
            // were read from the system by `read`.
            unsafe {
                libc::tcsetattr(self.tty.as_raw_fd(), libc::TCSANOW, &self.saved);
                for (signal, action) in &self.previous {
                    libc::sigaction(*signal, action, std::ptr::null_mut());
                }
            }
            TTY_FD.store(-1, Ordering::SeqCst);
        }
    }

    pub fn read(prompt: &str) -> io::Result<String> {
        let tty = OpenOptions::new().read(true).write(true).open("/dev/tty")?;
        let fd = tty.as_raw_fd();
        // SAFETY: a zeroed termios is a valid value to be overwritten by tcgetattr.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `fd` is open; `saved` is a valid termios to write into.
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // One prompt per process: the settings are those of the same terminal.
        let _ = SAVED.set(saved);
        TTY_FD.store(fd, Ordering::SeqCst);
        let mut guard = Prompt {
            tty,
            saved,
            previous: Vec::new(),
        };
        for signal in SIGNALS {
            // SAFETY: the action is fully initialised (zeroed, then handler and empty mask);
            // the handler only makes async-signal-safe calls.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = restore_and_exit as extern "C" fn(libc::c_int) as usize;
                libc::sigemptyset(&mut action.sa_mask);
                let mut previous: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, &action, &mut previous) == 0 {
                    guard.previous.push((signal, previous));
                }
            }
        }
        let mut quiet = saved;
        quiet.c_lflag &= !(libc::ECHO | libc::ECHOE | libc::ECHOK);
        quiet.c_lflag |= libc::ECHONL;
        // SAFETY: `fd` is open and `quiet` a valid termios derived from the saved one.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) } != 0 {
            return Err(io::Error::last_os_error());
        }
        guard.tty.write_all(prompt.as_bytes())?;
        guard.tty.flush()?;
        // Byte by byte into one buffer: no reader keeps a second copy of the password.
        let mut bytes = Vec::with_capacity(64);
        let mut byte = [0u8; 1];
        while (&guard.tty).read(&mut byte)? == 1 && byte[0] != b'\n' {
            bytes.push(byte[0]);
        }
        drop(guard);
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        String::from_utf8(bytes)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the password is not UTF-8"))
    }
}

/// Ask for a password on the terminal, never echoed; the terminal is restored even when a
/// signal (Ctrl-C) ends yun at the prompt.
pub fn read_password(prompt: &str) -> io::Result<String> {
    password::read(prompt)
}
