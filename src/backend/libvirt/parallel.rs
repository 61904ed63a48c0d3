//! Calls of one job spread over a few threads of the same connection. A remote connection
//! carries several calls at once (libvirtd serves up to five calls of one client at a time by
//! default), so the first listing of 2,000 domains reads their XML in a fraction of the wall
//! time one call after another takes. The in-process test driver runs every call under one
//! lock of its own, so it gets one thread.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::thread::shares_one_connection;

/// Threads per job: within libvirtd's default of five calls in flight per client.
const REMOTE_THREADS: usize = 4;
/// Fewer items than this are not worth a thread.
const MIN_ITEMS_PER_THREAD: usize = 8;

/// How many threads a job on `uri` spreads its calls over.
pub fn threads_for(uri: &str) -> usize {
    if shares_one_connection(uri) {
        1
    } else {
        REMOTE_THREADS
    }
}

/// `items.iter().map(call)`, over up to `threads` threads, results in the order of `items`.
/// A panic in `call` is raised again here, for the job's own guard to catch.
pub fn map<T: Sync, R: Send>(items: &[T], threads: usize, call: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads.min(items.len() / MIN_ITEMS_PER_THREAD);
    if threads <= 1 {
        return items.iter().map(call).collect();
    }
    let next = AtomicUsize::new(0);
    let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let running: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            return done;
                        };
                        done.push((i, call(item)));
                    }
                })
            })
            .collect();
        for thread in running {
            match thread.join() {
                Ok(done) => {
                    for (i, r) in done {
                        out[i] = Some(r);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    out.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items_on_any_number_of_threads() {
        let items: Vec<u32> = (0..100).collect();
        for threads in [1, 2, 4, 16] {
            let doubled = map(&items, threads, |i| i * 2);
            assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
        assert!(map(&Vec::<u32>::new(), 4, |i| *i).is_empty());
    }

    #[test]
    fn only_remote_connections_get_threads() {
        assert_eq!(threads_for("test:///default"), 1);
        assert_eq!(threads_for("qemu:///system"), REMOTE_THREADS);
    }
}
