//! How many libvirt calls of each kind yun made: the cost of a listing is the number of round
//! trips to the daemon, so it is counted where the calls are made, logged per job at debug
//! level, and readable by tests.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Counters per call kind (`xml_desc`, `list_all_domains`, …), shared by every connection of
/// one backend.
#[derive(Debug, Default)]
pub struct CallCounts {
    counts: Mutex<BTreeMap<&'static str, u64>>,
}

impl CallCounts {
    /// One more call of `kind`.
    pub fn add(&self, kind: &'static str) {
        self.add_n(kind, 1);
    }

    pub fn add_n(&self, kind: &'static str, n: u64) {
        if n == 0 {
            return;
        }
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(kind).or_default() += n;
    }

    /// Every count so far.
    pub fn snapshot(&self) -> BTreeMap<&'static str, u64> {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The calls made between two snapshots, as `kind=n` words for a log line.
pub fn difference(
    before: &BTreeMap<&'static str, u64>,
    after: &BTreeMap<&'static str, u64>,
) -> String {
    let words: Vec<String> = after
        .iter()
        .filter_map(|(kind, n)| {
            let made = n - before.get(kind).copied().unwrap_or(0);
            (made > 0).then(|| format!("{kind}={made}"))
        })
        .collect();
    if words.is_empty() {
        "none".into()
    } else {
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_kind_and_differences_name_only_what_was_made() {
        let calls = CallCounts::default();
        calls.add("xml_desc");
        let before = calls.snapshot();
        calls.add("xml_desc");
        calls.add_n("list_all_domains", 5);
        calls.add_n("block_info", 0);
        let after = calls.snapshot();
        assert_eq!(after.get("xml_desc"), Some(&2));
        assert_eq!(after.get("block_info"), None);
        assert_eq!(difference(&before, &after), "list_all_domains=5 xml_desc=1");
        assert_eq!(difference(&after, &after), "none");
    }
}
