//! The threads that own libvirt connections, and the deadlines of their calls.
//!
//! libvirt calls block (RPC to the daemon), so none may run on a tokio worker. Callers send boxed
//! jobs over a channel to a worker thread and await the reply on a oneshot, but never longer
//! than the job's [`Deadline`]: a daemon that is stopped, or a call stuck inside it (a hung QEMU
//! monitor, NFS), must not freeze yun.
//!
//! A worker whose job overruns its deadline is stuck inside libvirt and cannot be helped. The
//! handle ([`ConnectionThread`]) abandons it and swaps in a fresh worker with a fresh connection;
//! the abandoned connection is forgotten, never closed, because closing it (and deregistering its
//! events) is an RPC to the same daemon that is not answering, and the `virt` crate panics when a
//! close fails. When the stuck call returns at last, its worker leaks the connection and exits.
//!
//! A worker also watches its connection: when a call reports a lost connection or `is_alive()`
//! turns false, it reports [`ConnectionState::Reconnecting`] and reopens with exponential
//! backoff. Jobs arriving while a worker is down or reopening fail at once with the reason.

use std::any::Any;
use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc as tokio_mpsc, oneshot};
use virt::connect::Connect;

use super::LibvirtOptions;
use super::cache::InventoryCache;
use super::calls;
use super::error::from_virt;
use super::ffi;
use super::shared::Shared;
use crate::backend::{BackendError, ConnectionState};

/// How long a job may keep its caller waiting once it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    /// The longest wait for one answer from libvirt. A job that makes many calls reports each
    /// answer with [`Session::answered`]; a job that does not, must finish within this.
    pub answer: Duration,
    /// The longest the whole job may take.
    pub total: Duration,
}

impl Deadline {
    /// One call, or a few quick ones.
    pub const CALL: Deadline = Deadline::within(Duration::from_secs(10));
    /// A whole listing: many calls, each answering within 10 s, all within a minute.
    pub const LISTING: Deadline = Deadline {
        answer: Duration::from_secs(10),
        total: Duration::from_secs(60),
    };
    /// The host's facts: the hypervisor version makes a cold daemon probe QEMU's capabilities
    /// first (8 s measured), so one answer may take longer than usual.
    pub const HOST: Deadline = Deadline {
        answer: Duration::from_secs(30),
        total: Duration::from_secs(60),
    };
    /// Mutations that take long on a healthy daemon: a managed save writes the guest's memory
    /// out, a restore reads it back, the first define on a cold daemon probes QEMU.
    pub const LONG: Deadline = Deadline::within(Duration::from_secs(600));

    /// One limit for both the answer and the whole job.
    pub const fn within(limit: Duration) -> Deadline {
        Deadline {
            answer: limit,
            total: limit,
        }
    }
}

/// How long opening a connection may take before it counts as not answering.
pub const OPEN_DEADLINE: Duration = Duration::from_secs(10);
/// The same for libvirt's in-process test driver, which waits on no daemon but parses its
/// host file on every open: a file of 10,000 domains takes 10–25 s on a busy machine.
const TEST_DRIVER_OPEN_DEADLINE: Duration = Duration::from_secs(120);

/// How long opening `uri` may take.
pub fn open_deadline(uri: &str) -> Duration {
    if shares_one_connection(uri) {
        TEST_DRIVER_OPEN_DEADLINE
    } else {
        OPEN_DEADLINE
    }
}

/// `10 s`, or `0.3 s` for the short deadlines of tests.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// The reason given when an open overruns its [`open_deadline`].
fn open_timeout(uri: &str) -> String {
    format!(
        "libvirt did not answer within {} while opening {uri}",
        seconds(open_deadline(uri))
    )
}

/// What a job gets: the open connection, the backend's options, what all connections share
/// and what the listings keep of this connection (a fresh connection starts with nothing kept,
/// which makes its first listing a full resync).
pub struct Session {
    pub conn: Connect,
    pub opts: Arc<LibvirtOptions>,
    pub shared: Arc<Shared>,
    pub cache: RefCell<InventoryCache>,
    /// What jobs asked to keep until their reply is sent (see [`Session::drop_after_reply`]).
    after_reply: RefCell<Vec<Box<dyn Any>>>,
    worker: Arc<Worker>,
}

impl Session {
    /// Keep `value` until the running job's reply has been sent, then drop it on this thread.
    /// For cleanup the caller need not wait for: libvirt takes about 2 ms to free the stats
    /// records of 1,000 domains, which would otherwise delay every monitor tick.
    pub fn drop_after_reply(&self, value: impl Any) {
        self.after_reply.borrow_mut().push(Box::new(value));
    }

    /// Tell the caller's watch that libvirt just answered: a job of many calls is stuck only
    /// when one of them does not answer within [`Deadline::answer`].
    pub fn answered(&self) {
        self.worker.answered();
    }

    /// [`Session::answered`] for the other threads of a job (see [`super::parallel`]).
    pub fn answers(&self) -> Answers {
        Answers(Arc::clone(&self.worker))
    }

    /// Count one libvirt call of `kind` (see [`super::calls`]).
    pub fn count(&self, kind: &'static str) {
        self.shared.calls.add(kind);
    }

    fn drop_deferred(&self) {
        // Taken out first: a Drop that defers again must not find the list borrowed.
        let deferred = std::mem::take(&mut *self.after_reply.borrow_mut());
        drop(deferred);
    }
}

/// Tells a job's watch that libvirt answered, from any thread.
pub struct Answers(Arc<Worker>);

impl Answers {
    pub fn answered(&self) {
        self.0.answered();
    }
}

/// A job's body: runs with the session, or with the reason the connection is down.
type RunJob = Box<dyn FnOnce(Result<&Session, &str>) -> Finished + Send>;

/// A job for a worker thread.
struct Job {
    what: String,
    deadline: Deadline,
    /// Set once the caller stopped waiting: the job must not run any more (a mutation the user
    /// was told had failed must not happen later).
    abandoned_by_caller: Arc<AtomicBool>,
    run: RunJob,
}

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
    (current * 2).clamp(FIRST_BACKOFF, MAX_BACKOFF)
}

/// How often an idle thread checks `is_alive()`.
const HEALTH_INTERVAL: Duration = Duration::from_secs(5);
/// How often a waiting caller looks at its worker.
const WATCH_INTERVAL: Duration = Duration::from_millis(100);
/// Keepalive: probe every 5 s, give up after 3 missed answers (remote connections only).
const KEEPALIVE_INTERVAL: i32 = 5;
const KEEPALIVE_COUNT: u32 = 3;

/// What a worker is doing, as its callers see it.
#[derive(Clone, Debug)]
enum Phase {
    /// Opening a connection. `after` is why the previous one was lost or abandoned (`None` for
    /// a first open, which callers wait for); `attempt` counts the tries since.
    Opening {
        since: Instant,
        attempt: u32,
        after: Option<String>,
    },
    Idle,
    Running {
        started: Instant,
        deadline: Deadline,
        what: String,
    },
    /// Waiting before the next open.
    Down {
        attempt: u32,
        reason: String,
    },
}

/// The part of a worker thread its handle and callers share.
struct Worker {
    uri: String,
    epoch: Instant,
    phase: Mutex<Phase>,
    /// When libvirt last answered the running job, in ms since `epoch`.
    last_answer_ms: AtomicU64,
    /// Jobs answered on the current connection.
    answered_jobs: AtomicU64,
    abandoned: AtomicBool,
    /// The mute switch of the current connection's events.
    events_muted: Mutex<Option<Arc<AtomicBool>>>,
}

/// What a waiting caller should do, from its worker's phase.
enum Verdict {
    Wait,
    Fail(String),
    /// The running job overran its deadline: abandon the worker.
    Stuck(String),
}

impl Worker {
    fn new(uri: &str, first: Phase) -> Arc<Worker> {
        Arc::new(Worker {
            uri: uri.to_string(),
            epoch: Instant::now(),
            phase: Mutex::new(first),
            last_answer_ms: AtomicU64::new(0),
            answered_jobs: AtomicU64::new(0),
            abandoned: AtomicBool::new(false),
            events_muted: Mutex::new(None),
        })
    }

    fn phase(&self) -> MutexGuard<'_, Phase> {
        // A poisoned lock only means a panic elsewhere while holding it; the phase is still
        // a whole value.
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_phase(&self, phase: Phase) {
        *self.phase() = phase;
    }

    fn answered(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_answer_ms.store(ms, Ordering::Relaxed);
    }

    fn is_abandoned(&self) -> bool {
        self.abandoned.load(Ordering::SeqCst)
    }

    fn abandon(&self) {
        self.abandoned.store(true, Ordering::SeqCst);
        if let Some(muted) = &*self.events_muted.lock().unwrap_or_else(|e| e.into_inner()) {
            muted.store(true, Ordering::SeqCst);
        }
    }

    /// Whether the running job overran its deadline, with the reason to give.
    fn overdue(&self, started: Instant, deadline: Deadline, what: &str) -> Option<String> {
        let now = Instant::now();
        let last_answer =
            self.epoch + Duration::from_millis(self.last_answer_ms.load(Ordering::Relaxed));
        if now.duration_since(last_answer.max(started)) > deadline.answer {
            Some(format!(
                "libvirt did not answer within {}: {what}",
                seconds(deadline.answer)
            ))
        } else if now.duration_since(started) > deadline.total {
            Some(format!(
                "libvirt did not finish within {}: {what}",
                seconds(deadline.total)
            ))
        } else {
            None
        }
    }

    fn verdict(&self) -> Verdict {
        let mut phase = self.phase();
        match &mut *phase {
            Phase::Idle => Verdict::Wait,
            Phase::Running {
                started,
                deadline,
                what,
            } => match self.overdue(*started, *deadline, what) {
                Some(reason) => Verdict::Stuck(reason),
                None => Verdict::Wait,
            },
            Phase::Opening {
                after: Some(reason),
                ..
            } => Verdict::Fail(reason.clone()),
            Phase::Opening { since, after, .. } => {
                if since.elapsed() > open_deadline(&self.uri) {
                    // Later callers fail at once instead of waiting out the deadline again.
                    let reason = open_timeout(&self.uri);
                    *after = Some(reason.clone());
                    Verdict::Fail(reason)
                } else {
                    Verdict::Wait
                }
            }
            Phase::Down { reason, .. } => Verdict::Fail(reason.clone()),
        }
    }
}

/// Why a lane's last worker was abandoned.
#[derive(Clone, Debug)]
struct Stuck {
    attempt: u32,
    reason: String,
}

/// The current worker of a lane, with the sending end of its job queue.
struct Current {
    worker: Arc<Worker>,
    jobs: Sender<Job>,
}

struct Lane {
    /// `None` before the first call of a lazily opened lane.
    current: Option<Current>,
    stuck: Option<Stuck>,
    /// How long the last fresh worker waited before opening.
    backoff: Duration,
}

/// Handle to a connection: one worker thread at a time, replaced when it gets stuck. Dropping
/// the handle stops the current worker, which then closes its connection.
pub struct ConnectionThread {
    opts: Arc<LibvirtOptions>,
    shared: Arc<Shared>,
    /// Where domain events go: only the main connection registers for them.
    events: Option<tokio_mpsc::UnboundedSender<String>>,
    name: &'static str,
    lane: Mutex<Lane>,
}

/// An open connection with its event registrations.
struct Link {
    session: Session,
    subscription: Option<ffi::Subscription>,
}

impl Link {
    fn open(
        opts: &Arc<LibvirtOptions>,
        shared: &Arc<Shared>,
        events: Option<&tokio_mpsc::UnboundedSender<String>>,
        worker: &Arc<Worker>,
    ) -> Result<Link, virt::error::Error> {
        let conn = if opts.readonly {
            Connect::open_read_only(Some(&opts.uri))?
        } else {
            Connect::open(Some(&opts.uri))?
        };
        // Only remote drivers have keepalive; local ones (test, qemu:///session without a
        // daemon) refuse it, which is fine.
        let _ = conn.set_keep_alive(KEEPALIVE_INTERVAL, KEEPALIVE_COUNT);
        let muted = Arc::new(AtomicBool::new(worker.is_abandoned()));
        *worker
            .events_muted
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&muted));
        let subscription = events.and_then(|tx| {
            let marks = Arc::clone(shared);
            let pools = Arc::clone(shared);
            let sink = ffi::EventSink {
                sender: tx.clone(),
                muted,
                domain_changed: Box::new(move |id| marks.changes.domain(id)),
                storage_changed: Box::new(move || pools.changes.storage()),
            };
            match ffi::subscribe(&conn, sink) {
                Ok((s, missing)) => {
                    for what in missing {
                        tracing::info!("no {what} on {}", opts.uri);
                    }
                    Some(s)
                }
                Err(e) => {
                    tracing::warn!("no lifecycle events on {}: {}", opts.uri, e.message());
                    None
                }
            }
        });
        if events.is_some() {
            shared.changes.set_events(subscription.is_some());
        }
        Ok(Link {
            session: Session {
                conn,
                opts: Arc::clone(opts),
                shared: Arc::clone(shared),
                cache: RefCell::new(InventoryCache::default()),
                after_reply: RefCell::new(Vec::new()),
                worker: Arc::clone(worker),
            },
            subscription,
        })
    }

    /// Close the connection: only when the daemon answers, i.e. when yun is done with it.
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
            tracing::debug!("deregistering events failed: {}", e.message());
        }
        if let Err(e) = ffi::close_connection(session.conn) {
            tracing::debug!("closing the libvirt connection failed: {}", e.message());
        }
    }

    /// Leave the connection as it is, for good: closing it, deregistering its events, even
    /// freeing what jobs deferred, could mean an RPC to a daemon that does not answer. Its
    /// events are muted first, so it sends nothing any more.
    fn forget(self) {
        if let Some(muted) = &*self
            .session
            .worker
            .events_muted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
        {
            muted.store(true, Ordering::SeqCst);
        }
        std::mem::forget(self);
    }

    fn is_alive(&self) -> bool {
        self.session.conn.is_alive().unwrap_or(false)
    }
}

/// Whether every caller must share one connection: each connection to a `test:///FILE` host
/// is a private copy of it, so changes made on one would be invisible on another (and the
/// in-process driver never blocks anyway).
pub fn shares_one_connection(uri: &str) -> bool {
    uri.starts_with("test:")
}

impl ConnectionThread {
    /// Start the worker and open the connection there. Blocks until the first open has
    /// succeeded or failed, at most its [`open_deadline`]; a failure is returned with libvirt's
    /// message.
    pub fn start(
        opts: Arc<LibvirtOptions>,
        shared: Arc<Shared>,
        events: Option<tokio_mpsc::UnboundedSender<String>>,
        name: &'static str,
    ) -> Result<ConnectionThread, BackendError> {
        let handle = ConnectionThread::lazy(opts, shared, events, name);
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let current = handle.spawn(None, Duration::ZERO, Some(ready_tx))?;
        let failed = |reason: String| {
            BackendError::Api(format!("failed to connect to the hypervisor: {reason}"))
        };
        match ready_rx.recv_timeout(open_deadline(&handle.opts.uri)) {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => return Err(failed(reason)),
            Err(RecvTimeoutError::Timeout) => {
                // The worker stays blocked in libvirt's open; it leaks whatever it gets.
                current.worker.abandon();
                return Err(failed(open_timeout(&handle.opts.uri)));
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(failed("the libvirt thread stopped while connecting".into()));
            }
        }
        handle.lock().current = Some(current);
        Ok(handle)
    }

    /// A handle whose connection opens with its first call.
    pub fn lazy(
        opts: Arc<LibvirtOptions>,
        shared: Arc<Shared>,
        events: Option<tokio_mpsc::UnboundedSender<String>>,
        name: &'static str,
    ) -> ConnectionThread {
        ConnectionThread {
            opts,
            shared,
            events,
            name,
            lane: Mutex::new(Lane {
                current: None,
                stuck: None,
                backoff: Duration::ZERO,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Lane> {
        self.lane.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Start a worker thread; `after` is why it replaces another one, and it waits `backoff`
    /// before it opens (failing jobs with that reason meanwhile).
    fn spawn(
        &self,
        after: Option<String>,
        backoff: Duration,
        ready: Option<Sender<Result<(), String>>>,
    ) -> Result<Current, BackendError> {
        let (job_tx, job_rx) = mpsc::channel::<Job>();
        let worker = Worker::new(
            &self.opts.uri,
            Phase::Opening {
                since: Instant::now(),
                attempt: 0,
                after: after.clone(),
            },
        );
        let ctx = WorkerContext {
            worker: Arc::clone(&worker),
            opts: Arc::clone(&self.opts),
            shared: Arc::clone(&self.shared),
            events: self.events.clone(),
        };
        std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || ctx.run(after, backoff, &job_rx, ready))
            .map_err(|e| BackendError::Api(format!("cannot start the libvirt thread: {e}")))?;
        Ok(Current {
            worker,
            jobs: job_tx,
        })
    }

    /// The current worker, starting the first one of a lazily opened lane.
    fn current(&self, lane: &mut Lane) -> Result<(Arc<Worker>, Sender<Job>), String> {
        if lane.current.is_none() {
            let after = lane.stuck.as_ref().map(|s| s.reason.clone());
            lane.current = Some(
                self.spawn(after, Duration::ZERO, None)
                    .map_err(|e| e.to_string())?,
            );
        }
        match &lane.current {
            Some(c) => Ok((Arc::clone(&c.worker), c.jobs.clone())),
            None => Err("the libvirt thread has stopped".into()),
        }
    }

    /// Give up on `worker` (still stuck in a call) if it is still the lane's current one.
    fn abandon(&self, worker: &Arc<Worker>, reason: &str) {
        let mut lane = self.lock();
        let is_current = lane
            .current
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(&c.worker, worker));
        if !is_current {
            return;
        }
        tracing::warn!(
            "abandoning the libvirt connection to {}: {reason}",
            self.opts.uri
        );
        worker.abandon();
        // Dropping the sender lets the worker exit once its call returns.
        lane.current = None;
        // A connection that answered before gets a fresh one at once; one that got stuck on
        // its first job waits longer each time.
        let answered = worker.answered_jobs.load(Ordering::SeqCst) > 0;
        let attempt = match (&lane.stuck, answered) {
            (Some(s), false) => s.attempt.saturating_add(1),
            _ => 1,
        };
        lane.backoff = if answered {
            Duration::ZERO
        } else {
            next_backoff(lane.backoff)
        };
        lane.stuck = Some(Stuck {
            attempt,
            reason: reason.to_string(),
        });
        // The fresh worker is the only one that opens: the stuck one never opens again.
        match self.spawn(Some(reason.to_string()), lane.backoff, None) {
            Ok(fresh) => lane.current = Some(fresh),
            Err(e) => tracing::warn!("no fresh libvirt connection: {e}"),
        }
    }

    /// Run `f` on the connection with the default [`Deadline::CALL`].
    pub async fn call<R, F>(&self, what: &str, f: F) -> Result<R, BackendError>
    where
        R: Send + 'static,
        F: FnOnce(&Session) -> Result<R, BackendError> + Send + 'static,
    {
        self.call_with(Deadline::CALL, what, f).await
    }

    /// Run `f` on the connection and await its result, at most `deadline` once it runs. `what`
    /// names the job in the error when it does not answer in time.
    pub async fn call_with<R, F>(
        &self,
        deadline: Deadline,
        what: &str,
        f: F,
    ) -> Result<R, BackendError>
    where
        R: Send + 'static,
        F: FnOnce(&Session) -> Result<R, BackendError> + Send + 'static,
    {
        let (worker, jobs) = {
            let mut lane = self.lock();
            self.current(&mut lane).map_err(BackendError::Connection)?
        };
        match worker.verdict() {
            Verdict::Wait => {}
            Verdict::Fail(reason) => return Err(BackendError::Connection(reason)),
            Verdict::Stuck(reason) => {
                self.abandon(&worker, &reason);
                return Err(BackendError::Connection(reason));
            }
        }
        let (reply_tx, mut reply_rx) = oneshot::channel();
        let gave_up = GiveUpOnDrop(Arc::new(AtomicBool::new(false)));
        let run: RunJob = Box::new(move |session: Result<&Session, &str>| {
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
        let job = Job {
            what: what.to_string(),
            deadline,
            abandoned_by_caller: Arc::clone(&gave_up.0),
            run,
        };
        jobs.send(job)
            .map_err(|_| BackendError::Connection("the libvirt thread has stopped".into()))?;
        loop {
            tokio::select! {
                // A reply that is there wins over whatever the worker does next.
                biased;
                reply = &mut reply_rx => {
                    return reply.map_err(|_| {
                        BackendError::Connection("the libvirt thread has stopped".into())
                    })?;
                }
                _ = tokio::time::sleep(WATCH_INTERVAL) => {}
            }
            if worker.is_abandoned() {
                let reason = self.lock().stuck.as_ref().map(|s| s.reason.clone());
                return Err(BackendError::Connection(
                    reason.unwrap_or_else(|| "the libvirt connection was abandoned".into()),
                ));
            }
            match worker.verdict() {
                Verdict::Wait => {}
                Verdict::Fail(reason) => return Err(BackendError::Connection(reason)),
                Verdict::Stuck(reason) => {
                    self.abandon(&worker, &reason);
                    return Err(BackendError::Connection(reason));
                }
            }
        }
    }

    /// The connection's health for the header.
    pub fn state(&self) -> ConnectionState {
        let mut lane = self.lock();
        if lane.current.is_none() && lane.stuck.is_none() {
            // A lazily opened lane nobody has used yet.
            return ConnectionState::Connected;
        }
        let attempt = lane.stuck.as_ref().map_or(1, |s| s.attempt);
        let worker = match self.current(&mut lane) {
            Ok((worker, _)) => worker,
            Err(reason) => return ConnectionState::NotAnswering { attempt, reason },
        };
        let phase = worker.phase().clone();
        match phase {
            Phase::Idle => {
                lane.stuck = None;
                ConnectionState::Connected
            }
            Phase::Running {
                started,
                deadline,
                what,
            } => match worker.overdue(started, deadline, &what) {
                Some(reason) => ConnectionState::NotAnswering { attempt, reason },
                None => {
                    lane.stuck = None;
                    ConnectionState::Connected
                }
            },
            Phase::Opening {
                since,
                attempt: tries,
                after,
            } => {
                if since.elapsed() > open_deadline(&self.opts.uri) {
                    ConnectionState::NotAnswering {
                        attempt,
                        reason: open_timeout(&self.opts.uri),
                    }
                } else if let Some(s) = &lane.stuck {
                    ConnectionState::NotAnswering {
                        attempt,
                        reason: s.reason.clone(),
                    }
                } else if let Some(reason) = after {
                    ConnectionState::Reconnecting {
                        attempt: tries.max(1),
                        reason,
                    }
                } else {
                    ConnectionState::Connected
                }
            }
            Phase::Down {
                attempt: tries,
                reason,
            } => match &lane.stuck {
                Some(s) => ConnectionState::NotAnswering {
                    attempt,
                    reason: s.reason.clone(),
                },
                None => ConnectionState::Reconnecting {
                    attempt: tries,
                    reason,
                },
            },
        }
    }
}

/// Tells the worker the caller stopped waiting, however the call ended (even by being dropped).
struct GiveUpOnDrop(Arc<AtomicBool>);

impl Drop for GiveUpOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Map a virt error and remember it in the result; convenience for jobs.
pub fn lv<T>(r: Result<T, virt::error::Error>) -> Result<T, BackendError> {
    r.map_err(from_virt)
}

/// How a worker stopped serving a connection.
enum Served {
    Lost(String),
    /// The handle is gone or gave up on this worker.
    Exit,
}

/// What a worker thread owns.
struct WorkerContext {
    worker: Arc<Worker>,
    opts: Arc<LibvirtOptions>,
    shared: Arc<Shared>,
    events: Option<tokio_mpsc::UnboundedSender<String>>,
}

impl WorkerContext {
    /// The thread's life: open, serve until the connection is lost, reopen with backoff.
    /// Returns when the handle is gone or has abandoned this worker. A first open that fails
    /// is reported on `ready` and ends the thread.
    fn run(
        self,
        mut after: Option<String>,
        mut backoff: Duration,
        jobs: &Receiver<Job>,
        mut ready: Option<Sender<Result<(), String>>>,
    ) {
        // libvirt must not print to the terminal the TUI is drawing on.
        virt::error::clear_error_callback();
        let events = match ffi::ensure_event_loop() {
            Ok(()) => self.events.clone(),
            Err(reason) => {
                tracing::warn!("libvirt event loop unavailable: {reason}");
                // Dropping the sender tells `next_changes` there are no events.
                None
            }
        };
        let worker = &self.worker;
        let mut attempt = 0u32;
        if let Some(reason) = &after
            && !backoff.is_zero()
        {
            worker.set_phase(Phase::Down {
                attempt: 1,
                reason: reason.clone(),
            });
            if !wait_down(jobs, Instant::now() + backoff, reason) {
                return;
            }
        }
        loop {
            worker.set_phase(Phase::Opening {
                since: Instant::now(),
                attempt,
                after: after.clone(),
            });
            let opened = Link::open(&self.opts, &self.shared, events.as_ref(), worker);
            if worker.is_abandoned() {
                if let Ok(link) = opened {
                    link.forget();
                }
                return;
            }
            let reason = match opened {
                Ok(link) => {
                    if after.is_some() {
                        tracing::info!("libvirt connection to {} restored", self.opts.uri);
                    }
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(Ok(()));
                    }
                    worker.set_phase(Phase::Idle);
                    match self.serve(link, jobs) {
                        Served::Exit => return,
                        Served::Lost(reason) => {
                            if events.is_some() {
                                // Until the next connection subscribes, no kept XML is trusted.
                                self.shared.changes.set_events(false);
                            }
                            attempt = 1;
                            backoff = FIRST_BACKOFF;
                            reason
                        }
                    }
                }
                Err(e) => {
                    let reason = e.message().to_string();
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(Err(reason));
                        return;
                    }
                    attempt = attempt.saturating_add(1);
                    backoff = next_backoff(backoff);
                    reason
                }
            };
            worker.set_phase(Phase::Down {
                attempt,
                reason: reason.clone(),
            });
            if !wait_down(jobs, Instant::now() + backoff, &reason) {
                return;
            }
            after = Some(reason);
        }
    }

    fn serve(&self, link: Link, jobs: &Receiver<Job>) -> Served {
        let worker = &self.worker;
        loop {
            match jobs.recv_timeout(HEALTH_INTERVAL) {
                Ok(job) if job.abandoned_by_caller.load(Ordering::SeqCst) => {}
                Ok(job) => {
                    // The calls each job makes, logged at debug level.
                    let counted = tracing::enabled!(tracing::Level::DEBUG)
                        .then(|| (job.what.clone(), self.shared.calls.snapshot()));
                    worker.set_phase(Phase::Running {
                        started: Instant::now(),
                        deadline: job.deadline,
                        what: job.what,
                    });
                    worker.answered();
                    let finished = (job.run)(Ok(&link.session));
                    if let Some((what, before)) = &counted {
                        // Shared by every connection of the backend: a concurrent job on another
                        // connection adds its calls here too.
                        let made = calls::difference(before, &self.shared.calls.snapshot());
                        tracing::debug!("libvirt calls for {what}: {made}");
                    }
                    if worker.is_abandoned() {
                        // Whatever the reply holds, nobody waits for it any more.
                        drop(finished);
                        link.forget();
                        return Served::Exit;
                    }
                    if let Some(reason) = finished.lost {
                        tracing::warn!("libvirt connection lost: {reason}");
                        worker.set_phase(Phase::Down {
                            attempt: 1,
                            reason: reason.clone(),
                        });
                        (finished.reply)();
                        // A lost connection is not closed: closing may wait on the daemon.
                        link.forget();
                        return Served::Lost(reason);
                    }
                    worker.answered_jobs.fetch_add(1, Ordering::SeqCst);
                    worker.set_phase(Phase::Idle);
                    (finished.reply)();
                    link.session.drop_deferred();
                }
                Err(RecvTimeoutError::Timeout) if !link.is_alive() => {
                    let reason = "the connection is no longer alive".to_string();
                    tracing::warn!("libvirt connection lost: {reason}");
                    link.forget();
                    return Served::Lost(reason);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    if worker.is_abandoned() {
                        link.forget();
                    } else {
                        link.close();
                    }
                    return Served::Exit;
                }
            }
        }
    }
}

/// Fail jobs with `reason` until `until`; false when the handle is gone.
fn wait_down(jobs: &Receiver<Job>, until: Instant, reason: &str) -> bool {
    loop {
        match jobs.recv_timeout(until.saturating_duration_since(Instant::now())) {
            Ok(job) => {
                let finished = (job.run)(Err(reason));
                (finished.reply)();
            }
            Err(RecvTimeoutError::Timeout) => return true,
            Err(RecvTimeoutError::Disconnected) => return false,
        }
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
        ConnectionThread::start(opts, Arc::default(), Some(tx), "libvirt-test").expect("connects")
    }

    #[tokio::test]
    async fn a_lost_connection_fails_jobs_fast_then_reconnects() {
        let thread = start_default();
        let hostname = thread.call("hostname", |s| lv(s.conn.hostname())).await;
        assert!(hostname.is_ok());

        // A call that reports the connection lost takes the link down.
        let lost: Result<(), _> = thread
            .call("losing", |_| {
                Err(BackendError::Connection("socket closed".into()))
            })
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
            .call("during", move |_| {
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
        let after = thread.call("hostname", |s| lv(s.conn.hostname())).await;
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
            .call("deferring", move |s| {
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
        assert!(
            thread
                .call("hostname", |s| lv(s.conn.hostname()))
                .await
                .is_ok()
        );
    }

    /// The address of the job's connection: a forgotten connection is never freed, so a fresh
    /// one cannot have the same.
    fn connection_of(s: &Session) -> usize {
        ffi::connection_address(&s.conn)
    }

    const SHORT: Deadline = Deadline::within(Duration::from_millis(300));

    /// A job that holds the worker for `hold`, as a call stuck inside the daemon does. Sends
    /// its connection's address when it starts and `()` when it returns.
    fn hold_worker(
        hold: Duration,
        conn: std::sync::mpsc::Sender<usize>,
        returned: std::sync::mpsc::Sender<()>,
    ) -> impl FnOnce(&Session) -> Result<(), BackendError> + Send + 'static {
        move |s| {
            let _ = conn.send(connection_of(s));
            std::thread::sleep(hold);
            let _ = returned.send(());
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_call_over_its_deadline_fails_and_the_next_runs_on_a_fresh_connection() {
        let thread = start_default();
        let (conn_tx, conn_rx) = std::sync::mpsc::channel();
        let (returned_tx, returned_rx) = std::sync::mpsc::channel();
        let started = Instant::now();
        let stuck = thread
            .call_with(
                SHORT,
                "holding the worker",
                hold_worker(Duration::from_millis(2500), conn_tx, returned_tx),
            )
            .await;
        let waited = started.elapsed();
        let reason = "libvirt did not answer within 0.3 s: holding the worker".to_string();
        assert_eq!(stuck, Err(BackendError::Connection(reason.clone())));
        assert!(
            waited >= SHORT.answer && waited < SHORT.answer + Duration::from_millis(500),
            "gave up after {waited:?}"
        );
        let old_conn = conn_rx.recv().expect("the job ran");

        // The worker is abandoned; its first job never answered, so the fresh one waits out
        // the first backoff, and calls meanwhile fail at once with the reason.
        assert_eq!(
            thread.state(),
            ConnectionState::NotAnswering {
                attempt: 1,
                reason: reason.clone()
            }
        );
        let asked = Instant::now();
        let meanwhile = thread.call("hostname", |s| lv(s.conn.hostname())).await;
        assert_eq!(meanwhile, Err(BackendError::Connection(reason)));
        assert!(asked.elapsed() < Duration::from_millis(200));

        // After the backoff a fresh worker opens a fresh connection.
        tokio::time::sleep(FIRST_BACKOFF + Duration::from_millis(200)).await;
        let fresh_conn = thread
            .call("connection", |s| Ok(connection_of(s)))
            .await
            .expect("the fresh connection answers");
        assert_ne!(fresh_conn, old_conn);
        assert_eq!(thread.state(), ConnectionState::Connected);

        // The stuck job returns at last: its worker leaves quietly and nothing changes.
        returned_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("the stuck job returns");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(thread.state(), ConnectionState::Connected);
        let again = thread.call("connection", |s| Ok(connection_of(s))).await;
        assert_eq!(again, Ok(fresh_conn));
    }

    #[tokio::test]
    async fn calls_queued_behind_a_stuck_one_fail_with_its_reason_and_never_run() {
        let thread = Arc::new(start_default());
        // The worker has answered before: the fresh one starts at once.
        assert!(
            thread
                .call("hostname", |s| lv(s.conn.hostname()))
                .await
                .is_ok()
        );
        let (conn_tx, _conn_rx) = std::sync::mpsc::channel();
        let (returned_tx, returned_rx) = std::sync::mpsc::channel();
        let stuck = tokio::spawn({
            let thread = Arc::clone(&thread);
            async move {
                thread
                    .call_with(
                        SHORT,
                        "holding the worker",
                        hold_worker(Duration::from_millis(1500), conn_tx, returned_tx),
                    )
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let asked = Instant::now();
        let queued = thread
            .call("queued", move |_| {
                flag.store(true, Ordering::SeqCst);
                Ok(())
            })
            .await;
        // It fails when the stuck one is found out, not after its own 10 s.
        let reason = "libvirt did not answer within 0.3 s: holding the worker".to_string();
        assert_eq!(queued, Err(BackendError::Connection(reason.clone())));
        assert!(
            asked.elapsed() < Duration::from_millis(800),
            "{:?}",
            asked.elapsed()
        );
        assert_eq!(
            stuck.await.expect("joined"),
            Err(BackendError::Connection(reason))
        );
        // A fresh connection took over at once.
        assert!(
            thread
                .call("hostname", |s| lv(s.conn.hostname()))
                .await
                .is_ok()
        );
        returned_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("the stuck job returns");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!ran.load(Ordering::SeqCst), "a job given up on ran later");
        assert_eq!(thread.state(), ConnectionState::Connected);
    }

    #[tokio::test]
    async fn a_long_job_within_its_deadline_shows_as_connected_and_answers() {
        let thread = Arc::new(start_default());
        let long = tokio::spawn({
            let thread = Arc::clone(&thread);
            async move {
                thread
                    .call_with(
                        Deadline::within(Duration::from_secs(5)),
                        "a long mutation",
                        |_| {
                            std::thread::sleep(Duration::from_millis(1200));
                            Ok("saved")
                        },
                    )
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(thread.state(), ConnectionState::Connected);
        assert_eq!(long.await.expect("joined"), Ok("saved"));
    }

    #[tokio::test]
    async fn a_job_of_many_answers_may_take_longer_than_one_answer() {
        let thread = start_default();
        let deadline = Deadline {
            answer: Duration::from_millis(300),
            total: Duration::from_secs(5),
        };
        let listed = thread
            .call_with(deadline, "a listing", |s| {
                for _ in 0..6 {
                    std::thread::sleep(Duration::from_millis(150));
                    s.answered();
                }
                Ok(6)
            })
            .await;
        assert_eq!(listed, Ok(6));
        let whole = Deadline {
            answer: Duration::from_millis(300),
            total: Duration::from_millis(600),
        };
        let too_long = thread
            .call_with(whole, "a listing", |s| {
                for _ in 0..8 {
                    std::thread::sleep(Duration::from_millis(150));
                    s.answered();
                }
                Ok(8)
            })
            .await;
        assert_eq!(
            too_long,
            Err(BackendError::Connection(
                "libvirt did not finish within 0.6 s: a listing".into()
            ))
        );
    }

    #[test]
    fn only_the_in_process_test_driver_gets_long_to_open() {
        assert_eq!(open_deadline("qemu:///system"), OPEN_DEADLINE);
        assert_eq!(
            open_deadline("test+unix:///default?socket=/s"),
            OPEN_DEADLINE
        );
        assert_eq!(
            open_deadline("test:///var/lib/yun/big-host.xml"),
            TEST_DRIVER_OPEN_DEADLINE
        );
    }

    #[test]
    fn only_test_uris_share_one_connection() {
        assert!(shares_one_connection("test:///default"));
        assert!(shares_one_connection("test:///var/lib/yun/demo-host.xml"));
        assert!(!shares_one_connection("qemu:///system"));
        // A test driver behind a daemon is remote: its connections share the daemon's state.
        assert!(!shares_one_connection("test+unix:///default?socket=/tmp/s"));
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
