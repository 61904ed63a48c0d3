//! What the listings keep of one connection between calls: each domain's parsed XML, the sizes
//! of its disks outside any pool and the addresses its own lookups found, and the storage pools
//! with their volumes. A domain's entry is read again only when an event or one of yun's own
//! mutations names it (see [`super::shared::Changes`]), and, as a slow safety net for changes
//! no event reports, when it is older than [`RECHECK_AFTER`] — a few domains a second at most,
//! never all at once.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::facts::{NicAddress, Storage};
use super::xml::DomainXml;

/// Kept XML older than this is read again by the safety net.
pub const RECHECK_AFTER: Duration = Duration::from_secs(600);
/// The safety net's pace: domains re-read per second between listings…
const RECHECK_PER_SECOND: f64 = 2.0;
/// … and at most this many in one listing.
const RECHECK_SLICE: usize = 16;
/// How many listings ask a running domain's own address lookup (lease, agent, ARP) again
/// while some NIC has no address yet, after its XML was read (a start, a hot-plugged NIC).
pub const LOOKUP_TRIES: u8 = 5;

/// What is kept of one domain.
pub struct Known {
    pub xml: Arc<DomainXml>,
    read_at: Instant,
    /// Capacity of each disk outside every pool, by target, asked once per XML read.
    pub outside_pool: HashMap<String, u64>,
    /// What the domain's own address lookups found, with libvirt's reason when they failed.
    pub lookup: Option<(Vec<NicAddress>, Option<String>)>,
    pub lookup_tries: u8,
}

impl Known {
    pub fn new(xml: DomainXml, now: Instant) -> Self {
        Self {
            xml: Arc::new(xml),
            read_at: now,
            outside_pool: HashMap::new(),
            lookup: None,
            lookup_tries: LOOKUP_TRIES,
        }
    }
}

#[derive(Default)]
pub struct InventoryCache {
    pub domains: HashMap<String, Known>,
    pub storage: Option<Rc<Storage>>,
    /// When the safety net last took a slice.
    last_recheck: Option<Instant>,
}

impl InventoryCache {
    /// The domains the safety net re-reads in a listing at `now`, and take the slice.
    pub fn recheck_slice(&mut self, now: Instant) -> Vec<String> {
        let last = *self.last_recheck.get_or_insert(now);
        let budget = slice_budget(now.saturating_duration_since(last));
        if budget == 0 {
            return Vec::new();
        }
        let due = due_for_recheck(
            self.domains.iter().map(|(id, k)| (id.as_str(), k.read_at)),
            now,
            budget,
        );
        if !due.is_empty() {
            self.last_recheck = Some(now);
        }
        due
    }
}

/// How many domains the safety net may re-read after `since` without one.
fn slice_budget(since: Duration) -> usize {
    let paced = (since.as_secs_f64() * RECHECK_PER_SECOND).floor();
    if paced >= RECHECK_SLICE as f64 {
        RECHECK_SLICE
    } else {
        paced as usize
    }
}

/// The entries read longer than [`RECHECK_AFTER`] before `now`, oldest first, at most `budget`.
fn due_for_recheck<'a>(
    entries: impl Iterator<Item = (&'a str, Instant)>,
    now: Instant,
    budget: usize,
) -> Vec<String> {
    let mut old: Vec<(Instant, &str)> = entries
        .filter(|(_, read_at)| now.saturating_duration_since(*read_at) >= RECHECK_AFTER)
        .map(|(id, read_at)| (read_at, id))
        .collect();
    old.sort_unstable();
    old.into_iter()
        .take(budget)
        .map(|(_, id)| id.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_safety_net_takes_a_few_domains_a_second_and_never_all_at_once() {
        assert_eq!(slice_budget(Duration::from_millis(400)), 0);
        assert_eq!(slice_budget(Duration::from_secs(1)), 2);
        assert_eq!(slice_budget(Duration::from_secs(5)), 10);
        assert_eq!(slice_budget(Duration::from_secs(3600)), RECHECK_SLICE);
    }

    #[test]
    fn only_entries_past_their_age_are_due_oldest_first() {
        let now = Instant::now() + RECHECK_AFTER * 3;
        let ages = [
            ("fresh", now - Duration::from_secs(5)),
            ("old", now - RECHECK_AFTER - Duration::from_secs(1)),
            ("oldest", now - RECHECK_AFTER * 2),
            ("older", now - RECHECK_AFTER - Duration::from_secs(60)),
        ];
        let due = due_for_recheck(ages.iter().copied(), now, 2);
        assert_eq!(due, vec!["oldest".to_string(), "older".to_string()]);
        let all = due_for_recheck(ages.iter().copied(), now, 10);
        assert_eq!(all.len(), 3, "the fresh entry is not due: {all:?}");
    }

    #[test]
    fn a_listing_right_after_the_first_rereads_nothing() {
        let mut cache = InventoryCache::default();
        let start = Instant::now();
        cache
            .domains
            .insert("a".into(), Known::new(DomainXml::default(), start));
        assert!(cache.recheck_slice(start).is_empty());
        // Seconds later nothing is old enough yet.
        assert!(
            cache
                .recheck_slice(start + Duration::from_secs(30))
                .is_empty()
        );
        // Past its age it is due, once.
        let later = start + RECHECK_AFTER + Duration::from_secs(30);
        assert_eq!(cache.recheck_slice(later), vec!["a".to_string()]);
        assert!(
            cache.recheck_slice(later).is_empty(),
            "the slice was just taken"
        );
    }
}
