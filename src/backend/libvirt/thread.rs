//! The one thread that owns the libvirt connection.
//!
//! libvirt calls block (RPC to the daemon), so none may run on a tokio worker. Callers send boxed
//! jobs over a channel and await the reply on a oneshot. The thread also watches the connection:
//! when a call reports a lost connection or `is_alive()` turns false, it reports
//! [`ConnectionState::Reconnecting`] and reopens with exponential backoff, failing jobs fast
//! meanwhile.

use std::any::Any;
use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc as tokio_mpsc, oneshot, watch};
use virt::connect::Connect;

use super::LibvirtOptions;
use super::error::from_virt;
use super::ffi;
use crate::backend::{BackendError, ConnectionState};

/// What a job gets: the open connection and the backend's options.
pub struct Session {
    pub conn: Connect,
    pub opts: Arc<LibvirtOptions>,
    /// What jobs asked to keep until their reply is sent (see [`Session::drop_after_reply`]).
    after_reply: RefCell<Vec<Box<dyn Any>>>,
}

impl Session {
    /// Keep `value` until the running job's reply has been sent, then drop it on this thread.
    /// For cleanup the caller need not wait for: libvirt takes about 2 ms to free the stats
    /// records of 1,000 domains, which would otherwise delay every monitor tick.
    pub fn drop_after_reply(&self, value: impl Any) {
        self.after_reply.borrow_mut().push(Box::new(value));
    }

    fn drop_deferred(&self) {
        // Taken out first: a Drop that defers again must not find the list borrowed.
        let deferred = std::mem::take(&mut *self.after_reply.borrow_mut());
        drop(deferred);
    }
}

/// A job runs with the session, or with the reason the connection is down.
type Job = Box<dyn FnOnce(Result<&Session, &str>) -> Finished + Send>;

/// What a job leaves for the thread: whether its call found the connection lost, and the reply
/// to send once the thread has acted on that (so a caller that got a connection error already
/// sees `Reconnecting`).
struct Finished {
    lost: Option<String>,
    reply: Box<dyn FnOnce() + Send>,
}

const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The wait before the next reconnect attempt: doubling, capped at [`MAX_BACKOFF`].
pub fn next_backoff(current: Duration) -> Duration {
    (current * 2).min(MAX_BACKOFF)
}

/// How often an idle thread checks `is_alive()`.
const HEALTH_INTERVAL: Duration = Duration::from_secs(5);
/// Keepalive: probe every 5 s, give up after 3 missed answers (remote connections only).
const KEEPALIVE_INTERVAL: i32 = 5;
const KEEPALIVE_COUNT: u32 = 3;

/// Handle to the connection thread; dropping it stops the thread and closes the connection.
pub struct ConnectionThread {
    jobs: Sender<Job>,
    state: watch::Receiver<ConnectionState>,
}

/// An open connection with its lifecycle-event registration.
struct Link {
    session: Session,
    subscription: Option<ffi::Subscription>,
}

impl Link {
    fn open(
        opts: &Arc<LibvirtOptions>,
        events: Option<&tokio_mpsc::UnboundedSender<String>>,
    ) -> Result<Link, virt::error::Error> {
        let conn = if opts.readonly {
            Connect::open_read_only(Some(&opts.uri))?
        } else {
            Connect::open(Some(&opts.uri))?
        };
        // Only remote drivers have keepalive; local ones (test, qemu:///session without a
        // daemon) refuse it, which is fine.
        let _ = conn.set_keep_alive(KEEPALIVE_INTERVAL, KEEPALIVE_COUNT);
        let subscription =
            events.and_then(|tx| match ffi::subscribe_lifecycle(&conn, tx.clone()) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!("no lifecycle events on {}: {}", opts.uri, e.message());
                    None
                }
            });
        Ok(Link {
            session: Session {
                conn,
                opts: Arc::clone(opts),
                after_reply: RefCell::new(Vec::new()),
            },
            subscription,
        })
    }

    fn close(self) {
        // What jobs left behind holds references into the connection.
        self.session.drop_deferred();
        let Link {
            session,
            subscription,
        } = self;
        if let Some(sub) = subscription
            && let Err(e) = ffi::unsubscribe(&session.conn, sub)
        {
            tracing::debug!("deregistering lifecycle events failed: {}", e.message());
        }
        if let Err(e) = ffi::close_connection(session.conn) {
            tracing::debug!("closing the libvirt connection failed: {}", e.message());
        }
    }

    fn is_alive(&self) -> bool {
        self.session.conn.is_alive().unwrap_or(false)
    }
}

/// The thread's view of the connection.
enum Health {
    Up(Link),
    Down {
        attempt: u32,
        reason: String,
        next_try: Instant,
        backoff: Duration,
    },
}

impl ConnectionThread {
    /// Start the thread and open the connection there. Blocks until the first open has
    /// succeeded or failed; a failure is returned with libvirt's message.
    pub fn start(
        opts: Arc<LibvirtOptions>,
        events: tokio_mpsc::UnboundedSender<String>,
    ) -> Result<ConnectionThread, BackendError> {
        let (job_tx, job_rx) = mpsc::channel::<Job>();
        let (state_tx, state_rx) = watch::channel(ConnectionState::Connected);
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), BackendError>>();
        std::thread::Builder::new()
            .name("libvirt".into())
            .spawn(move || {
                // libvirt must not print to the terminal the TUI is drawing on.
                virt::error::clear_error_callback();
                let events = match ffi::ensure_event_loop() {
                    Ok(()) => Some(events),
                    Err(reason) => {
                        tracing::warn!("libvirt event loop unavailable: {reason}");
                        // Dropping the sender tells `next_changes` there are no events.
                        None
                    }
                };
                match Link::open(&opts, events.as_ref()) {
                    Ok(link) => {
                        let _ = ready_tx.send(Ok(()));
                        run(Health::Up(link), &opts, events.as_ref(), &job_rx, &state_tx);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(BackendError::Api(format!(
                            "failed to connect to the hypervisor: {}",
                            e.message()
                        ))));
                    }
                }
            })
            .map_err(|e| BackendError::Api(format!("cannot start the libvirt thread: {e}")))?;
        ready_rx.recv().map_err(|_| {
            BackendError::Api("the libvirt thread stopped while connecting".into())
        })??;
        Ok(ConnectionThread {
            jobs: job_tx,
            state: state_rx,
        })
    }

    /// Run `f` on the connection thread and await its result.
    pub async fn call<R, F>(&self, f: F) -> Result<R, BackendError>
    where
        R: Send + 'static,
        F: FnOnce(&Session) -> Result<R, BackendError> + Send + 'static,
    {
        let (reply_tx, reply_rx) = oneshot::channel();
        let job: Job = Box::new(move |session| {
            let result = match session {
                // A panic in a job (e.g. the crate's panicking Drop impls) must not take the
                // connection thread down with it.
                Ok(session) => std::panic::catch_unwind(AssertUnwindSafe(|| f(session)))
                    .unwrap_or_else(|_| {
                        Err(BackendError::Api("internal error in a libvirt call".into()))
                    }),
                Err(reason) => Err(BackendError::Connection(reason.to_string())),
            };
            let lost = match (&result, session) {
                (Err(BackendError::Connection(reason)), Ok(_)) => Some(reason.clone()),
                _ => None,
            };
            Finished {
                lost,
                reply: Box::new(move || {
                    // The caller may have given up waiting; that is fine.
                    let _ = reply_tx.send(result);
                }),
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| BackendError::Connection("the libvirt thread has stopped".into()))?;
        reply_rx
            .await
            .map_err(|_| BackendError::Connection("the libvirt thread has stopped".into()))?
    }

    pub fn state(&self) -> ConnectionState {
        self.state.borrow().clone()
    }
}

/// Map a virt error and remember it in the result; convenience for jobs.
pub fn lv<T>(r: Result<T, virt::error::Error>) -> Result<T, BackendError> {
    r.map_err(from_virt)
}

fn go_down(link: Link, reason: String, state: &watch::Sender<ConnectionState>) -> Health {
    tracing::warn!("libvirt connection lost: {reason}");
    link.close();
    let _ = state.send(ConnectionState::Reconnecting {
        attempt: 1,
        reason: reason.clone(),
    });
    Health::Down {
        attempt: 1,
        reason,
        next_try: Instant::now() + FIRST_BACKOFF,
        backoff: FIRST_BACKOFF,
    }
}

/// The thread's loop; returns when every [`ConnectionThread`] handle is gone.
fn run(
    mut health: Health,
    opts: &Arc<LibvirtOptions>,
    events: Option<&tokio_mpsc::UnboundedSender<String>>,
    jobs: &Receiver<Job>,
    state: &watch::Sender<ConnectionState>,
) {
    loop {
        health = match health {
            Health::Up(link) => match jobs.recv_timeout(HEALTH_INTERVAL) {
                Ok(job) => {
                    let finished = job(Ok(&link.session));
                    match finished.lost {
                        Some(reason) => {
                            let down = go_down(link, reason, state);
                            (finished.reply)();
                            down
                        }
                        None => {
                            (finished.reply)();
                            link.session.drop_deferred();
                            Health::Up(link)
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) if !link.is_alive() => {
                    go_down(link, "the connection is no longer alive".into(), state)
                }
                Err(RecvTimeoutError::Timeout) => Health::Up(link),
                Err(RecvTimeoutError::Disconnected) => {
                    link.close();
                    return;
                }
            },
            Health::Down {
                attempt,
                reason,
                next_try,
                backoff,
            } => match jobs.recv_timeout(next_try.saturating_duration_since(Instant::now())) {
                Ok(job) => {
                    (job(Err(&reason)).reply)();
                    Health::Down {
                        attempt,
                        reason,
                        next_try,
                        backoff,
                    }
                }
                Err(RecvTimeoutError::Timeout) => match Link::open(opts, events) {
                    Ok(link) => {
                        tracing::info!("libvirt connection to {} restored", opts.uri);
                        let _ = state.send(ConnectionState::Connected);
                        Health::Up(link)
                    }
                    Err(e) => {
                        let attempt = attempt.saturating_add(1);
                        let reason = e.message().to_string();
                        let backoff = next_backoff(backoff);
                        let _ = state.send(ConnectionState::Reconnecting {
                            attempt,
                            reason: reason.clone(),
                        });
                        Health::Down {
                            attempt,
                            reason,
                            next_try: Instant::now() + backoff,
                            backoff,
                        }
                    }
                },
                Err(RecvTimeoutError::Disconnected) => return,
            },
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start_default() -> ConnectionThread {
        let opts = Arc::new(LibvirtOptions {
            uri: "test:///default".into(),
            readonly: true,
            flavors: Vec::new(),
            image_pools: Vec::new(),
        });
        let (tx, _rx) = tokio_mpsc::unbounded_channel();
        ConnectionThread::start(opts, tx).expect("connects")
    }

    #[tokio::test]
    async fn a_lost_connection_fails_jobs_fast_then_reconnects() {
        let thread = start_default();
        let hostname = thread.call(|s| lv(s.conn.hostname())).await;
        assert!(hostname.is_ok());

        // A call that reports the connection lost takes the link down.
        let lost: Result<(), _> = thread
            .call(|_| Err(BackendError::Connection("socket closed".into())))
            .await;
        assert_eq!(lost, Err(BackendError::Connection("socket closed".into())));
        assert_eq!(
            thread.state(),
            ConnectionState::Reconnecting {
                attempt: 1,
                reason: "socket closed".into()
            }
        );
        // Meanwhile jobs do not run; they fail with the reason.
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let during = thread
            .call(move |_| {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            })
            .await;
        assert_eq!(
            during,
            Err(BackendError::Connection("socket closed".into()))
        );
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));

        // After the first backoff (1 s) the thread reopens the connection.
        tokio::time::sleep(FIRST_BACKOFF + Duration::from_millis(500)).await;
        let after = thread.call(|s| lv(s.conn.hostname())).await;
        assert!(after.is_ok(), "{after:?}");
        assert_eq!(thread.state(), ConnectionState::Connected);
    }

    /// Signals its drop, and whether the test had already said it got the job's reply.
    struct Deferred {
        replied: std::sync::mpsc::Receiver<()>,
        dropped: std::sync::mpsc::Sender<bool>,
    }

    impl Drop for Deferred {
        fn drop(&mut self) {
            let after = self.replied.recv_timeout(Duration::from_secs(5)).is_ok();
            let _ = self.dropped.send(after);
        }
    }

    #[tokio::test]
    async fn what_a_job_defers_is_dropped_after_its_reply() {
        let thread = start_default();
        let (replied_tx, replied_rx) = std::sync::mpsc::channel();
        let (dropped_tx, dropped_rx) = std::sync::mpsc::channel();
        let deferred = Deferred {
            replied: replied_rx,
            dropped: dropped_tx,
        };
        let reply = thread
            .call(move |s| {
                s.drop_after_reply(deferred);
                Ok("reply")
            })
            .await;
        assert_eq!(reply, Ok("reply"));
        // Had the value been dropped before the reply, it would have waited for this in vain
        // and the reply would have come 5 s late.
        replied_tx.send(()).expect("the value is still alive");
        let after_reply = dropped_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("dropped");
        assert!(after_reply, "dropped before the reply was sent");
        // The next job runs as usual.
        assert!(thread.call(|s| lv(s.conn.hostname())).await.is_ok());
    }

    #[test]
    fn backoff_doubles_from_one_second_up_to_thirty() {
        let mut waits = vec![FIRST_BACKOFF];
        for _ in 0..6 {
            let last = *waits.last().unwrap_or(&FIRST_BACKOFF);
            waits.push(next_backoff(last));
        }
        let secs: Vec<u64> = waits.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 16, 30, 30]);
    }
}
