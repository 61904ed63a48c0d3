//! C libraries under libvirt (libxml2 above all) write warnings straight to file descriptor 2,
//! which would scribble over the console or add noise to a one-line error. While yun holds the
//! screen, or while it opens the connection, fd 2 points at a log file instead; dropping the
//! guard puts the original stderr back.
#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};

/// The saved real stderr while a redirect is in place (-1 otherwise), for the panic hook: the
/// one line it prints must reach the user, not the log file.
static SAVED: AtomicI32 = AtomicI32::new(-1);

/// Point fd 2 back at the real stderr, for the last moments of the process (the panic hook).
/// The saved descriptor stays open: the guard, if it ever drops, still owns it.
pub fn put_back_for_exit() {
    let saved = SAVED.swap(-1, Ordering::SeqCst);
    if saved >= 0 {
        // SAFETY: `saved` is the guard's open duplicate of the real stderr; dup2 onto fd 2 has
        // no memory-safety preconditions.
        unsafe { libc::dup2(saved, 2) };
    }
}

pub struct StderrRedirect {
    saved: RawFd,
}

impl StderrRedirect {
    /// Send fd 2 to `log` (appending). `None` when that is not possible; stderr is then left as
    /// it was.
    pub fn to_file(log: &Path) -> Option<Self> {
        let file = crate::logging::open_private(log).ok()?;
        // SAFETY: dup on the process's own fd 2 has no memory-safety preconditions; a negative
        // result is handled.
        let saved = unsafe { libc::dup(2) };
        if saved < 0 {
            return None;
        }
        // SAFETY: both descriptors are open (the file is alive for this call); dup2 atomically
        // replaces fd 2. The file's own descriptor is closed when `file` drops, fd 2 stays.
        if unsafe { libc::dup2(file.as_raw_fd(), 2) } < 0 {
            // SAFETY: `saved` came from dup above and is closed exactly once.
            unsafe { libc::close(saved) };
            return None;
        }
        SAVED.store(saved, Ordering::SeqCst);
        Some(Self { saved })
    }
}

impl Drop for StderrRedirect {
    fn drop(&mut self) {
        SAVED.store(-1, Ordering::SeqCst);
        // SAFETY: `saved` is the descriptor dup'ed in `to_file`, still open and owned by this
        // guard; it is restored onto fd 2 and then closed exactly once.
        unsafe {
            libc::dup2(self.saved, 2);
            libc::close(self.saved);
        }
    }
}
