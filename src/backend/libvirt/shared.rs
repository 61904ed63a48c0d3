//! What every connection of one backend shares: the call counters, and the changes that events
//! and yun's own mutations announce to the next listing.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::calls::CallCounts;

#[derive(Debug, Default)]
pub struct Shared {
    pub calls: CallCounts,
    pub changes: Changes,
}

/// Domains whose XML must be read again, and whether the storage pools must be; taken by the
/// next listing. Marked by the main connection's events (before the app hears of them) and by
/// the mutations yun makes itself (whose events may arrive after the listing that follows).
#[derive(Debug, Default)]
pub struct Changes {
    domains: Mutex<HashSet<String>>,
    storage: AtomicBool,
    /// Whether the current main connection receives domain events; without them no cached XML
    /// can be trusted.
    events: AtomicBool,
}

impl Changes {
    pub fn domain(&self, id: &str) {
        self.lock().insert(id.to_string());
    }

    pub fn storage(&self) {
        self.storage.store(true, Ordering::SeqCst);
    }

    /// The domains marked since the last call.
    pub fn take_domains(&self) -> HashSet<String> {
        std::mem::take(&mut *self.lock())
    }

    /// Whether the storage was marked since the last call.
    pub fn take_storage(&self) -> bool {
        self.storage.swap(false, Ordering::SeqCst)
    }

    pub fn set_events(&self, live: bool) {
        self.events.store(live, Ordering::SeqCst);
    }

    pub fn events(&self) -> bool {
        self.events.load(Ordering::SeqCst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.domains.lock().unwrap_or_else(|e| e.into_inner())
    }
}
