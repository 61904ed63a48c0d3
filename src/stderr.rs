//! C libraries under libvirt (libxml2 above all) write warnings straight to file descriptor 2,
//! which would scribble over the console or add noise to a one-line error. While yun holds the
//! screen, or while it opens the connection, fd 2 points at a log file instead; dropping the
//! guard puts the original stderr back.
#![allow(unsafe_code)]

use std::fs::OpenOptions;
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;

pub struct StderrRedirect {
    saved: RawFd,
}

impl StderrRedirect {
    /// Send fd 2 to `log` (appending). `None` when that is not possible; stderr is then left as
    /// it was.
    pub fn to_file(log: &Path) -> Option<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .ok()?;
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
        Some(Self { saved })
    }
}

impl Drop for StderrRedirect {
    fn drop(&mut self) {
        // SAFETY: `saved` is the descriptor dup'ed in `to_file`, still open and owned by this
        // guard; it is restored onto fd 2 and then closed exactly once.
        unsafe {
            libc::dup2(self.saved, 2);
            libc::close(self.saved);
        }
    }
}
