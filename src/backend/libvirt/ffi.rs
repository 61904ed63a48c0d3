//! The only place yun calls libvirt's C API directly, for what the `virt` 0.5.0 crate lacks or
//! gets wrong: DHCP leases, domain and storage pool events, bulk domain stats (the crate leaks the
//! records), block info (the crate ignores the error), the domain state (likewise) and closing a
//! connection without the crate's panicking `Drop`.
//!
//! Every function here takes safe `virt` handles, borrows their raw pointer only for the length
//! of the call, and frees everything libvirt allocates before returning.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::mpsc::UnboundedSender;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::Error as VirtError;
use virt::network::Network;
use virt::sys;

/// Copy a C string libvirt owns into Rust; `None` for NULL. The caller keeps ownership.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for the duration of the call.
unsafe fn borrowed_string(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        // SAFETY: non-NULL and NUL-terminated per this function's contract.
        Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }
}

/// One DHCP lease as libvirt's network driver (dnsmasq) reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawLease {
    pub iface: String,
    pub expiry: i64,
    pub mac: String,
    pub ip: String,
    pub prefix: u32,
    pub hostname: Option<String>,
}

/// `virNetworkGetDHCPLeases` for every MAC of `net`.
pub fn network_dhcp_leases(net: &Network) -> Result<Vec<RawLease>, VirtError> {
    let mut leases: *mut sys::virNetworkDHCPLeasePtr = ptr::null_mut();
    // SAFETY: `net` keeps its pointer valid for this call; a NULL mac asks for all leases;
    // `leases` is a valid out-pointer that libvirt fills with an array it allocates.
    let count = unsafe { sys::virNetworkGetDHCPLeases(net.as_ptr(), ptr::null(), &mut leases, 0) };
    if count < 0 {
        return Err(VirtError::last_error());
    }
    let mut out = Vec::with_capacity(count as usize);
    if leases.is_null() {
        return Ok(out);
    }
    for i in 0..count as usize {
        // SAFETY: libvirt returned `count` entries in the array.
        let lease = unsafe { *leases.add(i) };
        if lease.is_null() {
            continue;
        }
        // SAFETY: `lease` is a valid lease struct; its strings are NULL or NUL-terminated and
        // stay valid until the lease is freed just below.
        unsafe {
            let l = &*lease;
            out.push(RawLease {
                iface: borrowed_string(l.iface).unwrap_or_default(),
                expiry: l.expirytime,
                mac: borrowed_string(l.mac).unwrap_or_default(),
                ip: borrowed_string(l.ipaddr).unwrap_or_default(),
                prefix: l.prefix,
                hostname: borrowed_string(l.hostname),
            });
            // Frees the struct and all its strings; nothing above keeps a pointer into it.
            sys::virNetworkDHCPLeaseFree(lease);
        }
    }
    // SAFETY: the array itself was allocated by libvirt with malloc and is freed once; its
    // entries were all freed above.
    unsafe { libc::free(leases.cast::<c_void>()) };
    Ok(out)
}

/// `virDomainGetState` as raw numbers (`VIR_DOMAIN_*` state, state-specific reason). The crate's
/// `Domain::state` discards the error and would report garbage.
pub fn domain_state(dom: &Domain) -> Result<(u32, i32), VirtError> {
    let mut state: c_int = -1;
    let mut reason: c_int = -1;
    // SAFETY: `dom` keeps its pointer valid; both out-pointers point to live locals.
    let rc = unsafe { sys::virDomainGetState(dom.as_ptr(), &mut state, &mut reason, 0) };
    if rc < 0 {
        return Err(VirtError::last_error());
    }
    Ok((u32::try_from(state).unwrap_or(u32::MAX), reason))
}

/// Read one of the node statistics calls (`virNodeGetCPUStats`, `virNodeGetMemoryStats`):
/// both fill caller-owned arrays of `{field: [c_char; 80], value: u64}`, first asked for the
/// field count with a NULL array. Yields `(field, value)` pairs.
macro_rules! node_params {
    ($conn:expr, $call:path, $all:expr, $ty:ident) => {{
        let mut count: c_int = 0;
        // SAFETY: a NULL params array with `count` = 0 asks libvirt for the number of fields.
        let rc = unsafe { $call($conn.as_ptr(), $all, ptr::null_mut(), &mut count, 0) };
        if rc < 0 {
            Err(VirtError::last_error())
        } else {
            let len = usize::try_from(count).unwrap_or(0);
            let mut params = vec![
                sys::$ty {
                    field: [0; 80],
                    value: 0,
                };
                len
            ];
            // SAFETY: `params` holds `count` caller-owned entries that libvirt fills in; libvirt
            // allocates nothing here, so nothing needs freeing.
            let rc = if len == 0 {
                0
            } else {
                unsafe { $call($conn.as_ptr(), $all, params.as_mut_ptr(), &mut count, 0) }
            };
            if rc < 0 {
                Err(VirtError::last_error())
            } else {
                let filled = usize::try_from(count).unwrap_or(0).min(len);
                Ok(params[..filled]
                    .iter()
                    .map(|p| {
                        // SAFETY: libvirt writes a NUL-terminated name into the 80-byte field;
                        // the array was zeroed, so it is terminated in any case.
                        let name = unsafe { borrowed_string(p.field.as_ptr()) }.unwrap_or_default();
                        (name, p.value)
                    })
                    .collect::<Vec<(String, u64)>>())
            }
        }
    }};
}

/// Host memory figures in bytes from `virNodeGetMemoryStats` for all cells (`total`, `free`,
/// `buffers`, `cached`, as the driver reports them). The crate has no wrapper. Prefer it to
/// `virNodeGetInfo`'s memory, which on some hosts counts only boot-time NUMA memory.
pub fn node_memory_stats(conn: &Connect) -> Result<Vec<(String, u64)>, VirtError> {
    let kib: Vec<(String, u64)> = node_params!(
        conn,
        sys::virNodeGetMemoryStats,
        sys::VIR_NODE_MEMORY_STATS_ALL_CELLS,
        _virNodeMemoryStats
    )?;
    Ok(kib
        .into_iter()
        .map(|(name, v)| (name, v.saturating_mul(1024)))
        .collect())
}

/// Cumulative host CPU times in nanoseconds from `virNodeGetCPUStats` over all CPUs
/// (`kernel`, `user`, `idle`, `iowait`, … as the driver reports them).
pub fn node_cpu_stats(conn: &Connect) -> Result<Vec<(String, u64)>, VirtError> {
    node_params!(
        conn,
        sys::virNodeGetCPUStats,
        sys::VIR_NODE_CPU_STATS_ALL_CPUS,
        _virNodeCPUStats
    )
}

/// Capacity, allocation and physical size of one disk (`virDomainGetBlockInfo`), or libvirt's
/// error. The crate's `Domain::block_info` returns uninitialised data when the call fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    pub capacity: u64,
    pub allocation: u64,
    pub physical: u64,
}

/// Fails with libvirt's message (or a note when `disk` cannot be passed to C at all).
pub fn block_info(dom: &Domain, disk: &str) -> Result<BlockInfo, String> {
    let disk = CString::new(disk).map_err(|_| format!("invalid disk name {disk:?}"))?;
    let mut info = sys::virDomainBlockInfo {
        capacity: 0,
        allocation: 0,
        physical: 0,
    };
    // SAFETY: `dom` keeps its pointer valid, `disk` is NUL-terminated and outlives the call,
    // `info` is a live struct libvirt only writes to.
    let rc = unsafe { sys::virDomainGetBlockInfo(dom.as_ptr(), disk.as_ptr(), &mut info, 0) };
    if rc < 0 {
        return Err(VirtError::last_error().message().to_string());
    }
    Ok(BlockInfo {
        capacity: info.capacity,
        allocation: info.allocation,
        physical: info.physical,
    })
}

/// The UUID string of a raw domain pointer.
///
/// # Safety
/// `dom` is a valid domain pointer for the duration of the call.
unsafe fn raw_domain_uuid(dom: sys::virDomainPtr) -> Option<String> {
    let mut buf = [0u8; 36];
    // SAFETY: `dom` is valid per this function's contract.
    if unsafe { raw_domain_uuid_fast(dom, &mut buf) } {
        std::str::from_utf8(&buf).ok().map(str::to_string)
    } else {
        None
    }
}

/// Close a connection explicitly. The crate's `Drop` panics when `virConnectClose` fails (e.g.
/// on a dead remote), which would take the connection thread down; here the failure is returned.
pub fn close_connection(conn: Connect) -> Result<(), VirtError> {
    // SAFETY: we take over the one reference `conn` owns: `forget` stops its Drop from closing it
    // a second time, and the pointer is closed exactly once below.
    let raw = unsafe { conn.as_ptr() };
    std::mem::forget(conn);
    // SAFETY: `raw` is a connection reference we own (see above).
    let rc = unsafe { sys::virConnectClose(raw) };
    if rc < 0 {
        return Err(VirtError::last_error());
    }
    Ok(())
}

/// The address of a connection object, which tells two connections apart.
#[cfg(test)]
pub fn connection_address(conn: &Connect) -> usize {
    // SAFETY: only the pointer's value is read, never dereferenced.
    unsafe { conn.as_ptr() as usize }
}

/// Install libvirt's default event loop (once per process) and start the thread that runs it.
/// Must happen before a connection is opened for events and keepalive to work on it. Returns
/// libvirt's reason if it could not be installed.
pub fn ensure_event_loop() -> Result<(), String> {
    static EVENT_LOOP: OnceLock<Result<(), String>> = OnceLock::new();
    EVENT_LOOP
        .get_or_init(|| {
            // SAFETY: no arguments; libvirt documents it as callable once before opening
            // connections, which the OnceLock guarantees.
            let rc = unsafe { sys::virEventRegisterDefaultImpl() };
            if rc < 0 {
                return Err(VirtError::last_error().message().to_string());
            }
            std::thread::Builder::new()
                .name("libvirt-events".into())
                .spawn(|| {
                    loop {
                        // SAFETY: the default impl is registered above; this thread is the
                        // only one running the loop. It blocks until an event or timer fires.
                        let rc = unsafe { sys::virEventRunDefaultImpl() };
                        if rc < 0 {
                            // Avoid a busy loop if the event loop keeps failing.
                            std::thread::sleep(std::time::Duration::from_millis(200));
                        }
                    }
                })
                .map(|_| ())
                .map_err(|e| format!("cannot start the libvirt event thread: {e}"))
        })
        .clone()
}

/// The callback registrations of [`subscribe`]; pass it to [`unsubscribe`].
#[derive(Debug)]
pub struct Subscription {
    domain_ids: Vec<c_int>,
    pool_ids: Vec<c_int>,
}

/// What the event registrations of one connection report to. `domain_changed` runs before the
/// UUID is forwarded, so a listing the forwarded UUID leads to finds the domain marked;
/// `storage_changed` runs on storage pool events. Nothing is reported once `muted` is set (an
/// abandoned connection's registrations cannot be removed: that is an RPC to a daemon that
/// does not answer).
pub struct EventSink {
    pub sender: UnboundedSender<String>,
    pub muted: Arc<AtomicBool>,
    pub domain_changed: Box<dyn Fn(&str) + Send + Sync>,
    pub storage_changed: Box<dyn Fn() + Send + Sync>,
}

/// Report a domain event of `dom` to the sink behind `opaque`.
///
/// # Safety
/// `opaque` is NULL or a `Box<Arc<EventSink>>` leaked at registration, alive until
/// [`free_sink`] runs; `dom` is NULL or valid for the call.
unsafe fn forward_domain(dom: sys::virDomainPtr, opaque: *mut c_void) {
    if opaque.is_null() || dom.is_null() {
        return;
    }
    // SAFETY: see the function contract; libvirt frees the box only after the last callback.
    let sink = unsafe { &**opaque.cast::<Arc<EventSink>>() };
    if sink.muted.load(Ordering::Relaxed) {
        return;
    }
    // SAFETY: `dom` is valid during the callback.
    if let Some(uuid) = unsafe { raw_domain_uuid(dom) } {
        (sink.domain_changed)(&uuid);
        // A closed receiver means the backend is gone; nothing to tell then.
        let _ = sink.sender.send(uuid);
    }
}

/// Lifecycle: defined, undefined, started, stopped, suspended, resumed, …
///
/// # Safety
/// Called by libvirt's event loop with the `opaque` of [`subscribe`] (see [`forward_domain`]).
unsafe extern "C" fn on_lifecycle(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    _event: c_int,
    _detail: c_int,
    opaque: *mut c_void,
) -> c_int {
    // SAFETY: libvirt's arguments, as `forward_domain` requires.
    unsafe { forward_domain(dom, opaque) };
    0
}

/// Device added, removed, or its removal failed: the device's alias.
///
/// # Safety
/// As [`on_lifecycle`].
unsafe extern "C" fn on_device(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    _alias: *const c_char,
    opaque: *mut c_void,
) {
    // SAFETY: libvirt's arguments, as `forward_domain` requires.
    unsafe { forward_domain(dom, opaque) };
}

/// Metadata (title, description, an element of a namespace) changed.
///
/// # Safety
/// As [`on_lifecycle`].
unsafe extern "C" fn on_metadata(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    _kind: c_int,
    _nsuri: *const c_char,
    opaque: *mut c_void,
) {
    // SAFETY: libvirt's arguments, as `forward_domain` requires.
    unsafe { forward_domain(dom, opaque) };
}

/// Tunables (vCPU pinning, scheduler, block I/O limits) changed.
///
/// # Safety
/// As [`on_lifecycle`].
unsafe extern "C" fn on_tunable(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    _params: sys::virTypedParameterPtr,
    _nparams: c_int,
    opaque: *mut c_void,
) {
    // SAFETY: libvirt's arguments, as `forward_domain` requires.
    unsafe { forward_domain(dom, opaque) };
}

/// The balloon's size (the guest's current memory) changed.
///
/// # Safety
/// As [`on_lifecycle`].
unsafe extern "C" fn on_balloon(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    _actual: std::ffi::c_ulonglong,
    opaque: *mut c_void,
) {
    // SAFETY: libvirt's arguments, as `forward_domain` requires.
    unsafe { forward_domain(dom, opaque) };
}

/// A disk's medium changed (its source path is in the XML).
///
/// # Safety
/// As [`on_lifecycle`].
unsafe extern "C" fn on_disk_change(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    _old_source: *const c_char,
    _new_source: *const c_char,
    _alias: *const c_char,
    _reason: c_int,
    opaque: *mut c_void,
) {
    // SAFETY: libvirt's arguments, as `forward_domain` requires.
    unsafe { forward_domain(dom, opaque) };
}

/// A storage pool was defined, started, stopped, deleted, … or refreshed.
///
/// # Safety
/// `opaque` as in [`forward_domain`].
unsafe extern "C" fn on_pool(
    _conn: sys::virConnectPtr,
    _pool: sys::virStoragePoolPtr,
    opaque: *mut c_void,
) {
    if opaque.is_null() {
        return;
    }
    // SAFETY: see `forward_domain`.
    let sink = unsafe { &**opaque.cast::<Arc<EventSink>>() };
    if !sink.muted.load(Ordering::Relaxed) {
        (sink.storage_changed)();
    }
}

/// The pool lifecycle callback has two more arguments, which [`on_pool`] does not read.
///
/// # Safety
/// As [`on_pool`].
unsafe extern "C" fn on_pool_lifecycle(
    conn: sys::virConnectPtr,
    pool: sys::virStoragePoolPtr,
    _event: c_int,
    _detail: c_int,
    opaque: *mut c_void,
) {
    // SAFETY: libvirt's arguments.
    unsafe { on_pool(conn, pool, opaque) };
}

/// libvirt's `freecb`: drops one registration's reference to the sink once it is deregistered.
///
/// # Safety
/// `opaque` is the pointer produced by `Box::into_raw` in [`subscribe`], passed once.
unsafe extern "C" fn free_sink(opaque: *mut c_void) {
    if !opaque.is_null() {
        // SAFETY: see the function contract; this reclaims the box exactly once.
        drop(unsafe { Box::from_raw(opaque.cast::<Arc<EventSink>>()) });
    }
}

type DomainCallback = unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, *mut c_void);
type PoolCallback = unsafe extern "C" fn(sys::virConnectPtr, sys::virStoragePoolPtr, *mut c_void);

/// The domain events that can change what a listing shows of a domain, with their callbacks
/// as libvirt's generic pointer type. libvirt's C API takes every event callback through it
/// and calls it with the signature of the event id; this is what the VIR_DOMAIN_EVENT_CALLBACK
/// macro does in C. All are `extern "C"` fn pointers of equal size.
fn domain_callbacks() -> [(u32, DomainCallback); 7] {
    type Lifecycle = unsafe extern "C" fn(
        sys::virConnectPtr,
        sys::virDomainPtr,
        c_int,
        c_int,
        *mut c_void,
    ) -> c_int;
    type Device =
        unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, *const c_char, *mut c_void);
    type Metadata = unsafe extern "C" fn(
        sys::virConnectPtr,
        sys::virDomainPtr,
        c_int,
        *const c_char,
        *mut c_void,
    );
    type Tunable = unsafe extern "C" fn(
        sys::virConnectPtr,
        sys::virDomainPtr,
        sys::virTypedParameterPtr,
        c_int,
        *mut c_void,
    );
    type Balloon = unsafe extern "C" fn(
        sys::virConnectPtr,
        sys::virDomainPtr,
        std::ffi::c_ulonglong,
        *mut c_void,
    );
    type DiskChange = unsafe extern "C" fn(
        sys::virConnectPtr,
        sys::virDomainPtr,
        *const c_char,
        *const c_char,
        *const c_char,
        c_int,
        *mut c_void,
    );
    // SAFETY (all transmutes): fn pointer to fn pointer of the same size; libvirt calls each
    // with the signature of its event id (see above).
    unsafe {
        [
            (
                sys::VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                std::mem::transmute::<Lifecycle, DomainCallback>(on_lifecycle as Lifecycle),
            ),
            (
                sys::VIR_DOMAIN_EVENT_ID_DEVICE_ADDED,
                std::mem::transmute::<Device, DomainCallback>(on_device as Device),
            ),
            (
                sys::VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
                std::mem::transmute::<Device, DomainCallback>(on_device as Device),
            ),
            (
                sys::VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                std::mem::transmute::<Metadata, DomainCallback>(on_metadata as Metadata),
            ),
            (
                sys::VIR_DOMAIN_EVENT_ID_TUNABLE,
                std::mem::transmute::<Tunable, DomainCallback>(on_tunable as Tunable),
            ),
            (
                sys::VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE,
                std::mem::transmute::<Balloon, DomainCallback>(on_balloon as Balloon),
            ),
            (
                sys::VIR_DOMAIN_EVENT_ID_DISK_CHANGE,
                std::mem::transmute::<DiskChange, DomainCallback>(on_disk_change as DiskChange),
            ),
        ]
    }
}

fn pool_callbacks() -> [(u32, PoolCallback); 2] {
    type Lifecycle =
        unsafe extern "C" fn(sys::virConnectPtr, sys::virStoragePoolPtr, c_int, c_int, *mut c_void);
    [
        (
            sys::VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
            // SAFETY: as in `domain_callbacks`.
            unsafe {
                std::mem::transmute::<Lifecycle, PoolCallback>(on_pool_lifecycle as Lifecycle)
            },
        ),
        (
            sys::VIR_STORAGE_POOL_EVENT_ID_REFRESH,
            on_pool as PoolCallback,
        ),
    ]
}

/// Register for every domain event that changes what a listing shows (lifecycle, devices,
/// metadata, tunables, balloon, disk media) and for storage pool events, on all domains and
/// pools of `conn`. Fails only when the lifecycle registration fails; a driver that lacks the
/// other events (older daemons) gets what it has, and the names of the rest come back.
pub fn subscribe(
    conn: &Connect,
    sink: EventSink,
) -> Result<(Subscription, Vec<String>), VirtError> {
    let sink = Arc::new(sink);
    let mut subscription = Subscription {
        domain_ids: Vec::new(),
        pool_ids: Vec::new(),
    };
    let mut missing = Vec::new();
    for (event, callback) in domain_callbacks() {
        let opaque = Box::into_raw(Box::new(Arc::clone(&sink))).cast::<c_void>();
        // SAFETY: `conn` keeps its pointer valid; a NULL domain means all domains; `opaque`
        // stays alive until libvirt calls `free_sink` with it.
        let id = unsafe {
            sys::virConnectDomainEventRegisterAny(
                conn.as_ptr(),
                ptr::null_mut(),
                event as c_int,
                Some(callback),
                opaque,
                Some(free_sink),
            )
        };
        if id < 0 {
            let err = VirtError::last_error();
            // SAFETY: registration failed, so libvirt did not take ownership of `opaque`.
            unsafe { free_sink(opaque) };
            if event == sys::VIR_DOMAIN_EVENT_ID_LIFECYCLE {
                let _ = unsubscribe(conn, subscription);
                return Err(err);
            }
            missing.push(format!("domain event {event}: {}", err.message()));
        } else {
            subscription.domain_ids.push(id);
        }
    }
    for (event, callback) in pool_callbacks() {
        let opaque = Box::into_raw(Box::new(Arc::clone(&sink))).cast::<c_void>();
        // SAFETY: as above, for storage pools.
        let id = unsafe {
            sys::virConnectStoragePoolEventRegisterAny(
                conn.as_ptr(),
                ptr::null_mut(),
                event as c_int,
                Some(callback),
                opaque,
                Some(free_sink),
            )
        };
        if id < 0 {
            let err = VirtError::last_error();
            // SAFETY: registration failed, so libvirt did not take ownership of `opaque`.
            unsafe { free_sink(opaque) };
            missing.push(format!("storage pool event {event}: {}", err.message()));
        } else {
            subscription.pool_ids.push(id);
        }
    }
    Ok((subscription, missing))
}

/// Deregister every callback of a subscription (libvirt then frees the sink); the first
/// failure is returned after all were tried.
pub fn unsubscribe(conn: &Connect, subscription: Subscription) -> Result<(), VirtError> {
    let mut first_error = None;
    for id in subscription.domain_ids {
        // SAFETY: `conn` keeps its pointer valid; the id came from a registration on it.
        if unsafe { sys::virConnectDomainEventDeregisterAny(conn.as_ptr(), id) } < 0 {
            first_error.get_or_insert_with(VirtError::last_error);
        }
    }
    for id in subscription.pool_ids {
        // SAFETY: as above, for a storage pool registration.
        if unsafe { sys::virConnectStoragePoolEventDeregisterAny(conn.as_ptr(), id) } < 0 {
            first_error.get_or_insert_with(VirtError::last_error);
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// One typed value of a domain statistics record, owned.
#[derive(Clone, Debug, PartialEq)]
pub enum StatValue {
    Int(i64),
    UInt(u64),
    Double(f64),
    Bool(bool),
    Text(String),
}

/// The statistics of one domain, owned: `(key, value)` pairs such as `state.state` or
/// `cpu.time`. The monitor's tick does not build these (see [`DomainStatsList::read`]).
#[derive(Clone, Debug, PartialEq)]
pub struct DomainStats {
    pub uuid: String,
    pub values: Vec<(String, StatValue)>,
}

/// One typed value of a statistics record, borrowed from libvirt's memory for the length of a
/// visit: reading a record allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StatRef<'a> {
    Int(i64),
    UInt(u64),
    Double(f64),
    Bool(bool),
    /// The bytes of a string value (libvirt's strings are UTF-8 but not checked here).
    Text(&'a [u8]),
}

impl StatRef<'_> {
    /// The value as an unsigned counter, where it can be one.
    pub fn as_u64(self) -> Option<u64> {
        match self {
            Self::UInt(u) => Some(u),
            Self::Int(i) => u64::try_from(i).ok(),
            Self::Double(d) if d >= 0.0 => Some(d as u64),
            _ => None,
        }
    }

    pub fn to_owned_value(self) -> StatValue {
        match self {
            Self::Int(i) => StatValue::Int(i),
            Self::UInt(u) => StatValue::UInt(u),
            Self::Double(d) => StatValue::Double(d),
            Self::Bool(b) => StatValue::Bool(b),
            Self::Text(t) => StatValue::Text(String::from_utf8_lossy(t).into_owned()),
        }
    }
}

/// A statistics key as libvirt stores it: NUL-terminated inside the parameter's fixed
/// 80-byte field. Matching compares against NUL-terminated patterns (`b"cpu.time\0"`), which
/// are exact and need no `strlen`: at a thousand domains a tick reads ninety thousand keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key<'a>(&'a [u8]);

impl<'a> Key<'a> {
    /// A key from bytes that contain a NUL (the key ends there); `None` without one.
    pub fn new(bytes_with_nul: &'a [u8]) -> Option<Self> {
        bytes_with_nul.contains(&0).then_some(Self(bytes_with_nul))
    }

    /// Whether the key is exactly `pattern`, which must end with its NUL.
    pub fn is(self, pattern: &[u8]) -> bool {
        self.0.starts_with(pattern)
    }

    /// The rest of the key after `prefix` (given without a NUL).
    pub fn strip_prefix(self, prefix: &[u8]) -> Option<Self> {
        self.0.strip_prefix(prefix).map(Self)
    }

    /// `"12.rest"` → `(12, "rest")`: a device or vCPU index and the field after it. Indices
    /// come from the daemon; more than four digits are refused rather than allocated for.
    pub fn indexed(self) -> Option<(usize, Self)> {
        let mut index = 0usize;
        for (n, &b) in self.0.iter().enumerate().take(5) {
            match b {
                b'0'..=b'9' => index = index * 10 + usize::from(b - b'0'),
                b'.' if n > 0 => return self.0.get(n + 1..).map(|rest| (index, Self(rest))),
                _ => return None,
            }
        }
        None
    }

    /// The key's bytes, without the NUL.
    pub fn to_bytes(self) -> &'a [u8] {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        &self.0[..end]
    }
}

/// The typed parameters of one record as `(key, value)` pairs; see [`Params::new`].
#[derive(Clone)]
pub struct Params<'a> {
    params: std::slice::Iter<'a, sys::virTypedParameter>,
}

impl<'a> Params<'a> {
    /// # Safety
    /// Every parameter's `field` is NUL-terminated, its `type_` names the union member that
    /// holds its value, and a string value is NULL or a NUL-terminated string that outlives
    /// `'a` — which is what libvirt hands out, and what a caller building its own parameters
    /// (a benchmark) must uphold.
    pub unsafe fn new(params: &'a [sys::virTypedParameter]) -> Self {
        Self {
            params: params.iter(),
        }
    }
}

impl<'a> Iterator for Params<'a> {
    type Item = (Key<'a>, StatRef<'a>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        for param in self.params.by_ref() {
            // `field` is a fixed array of C chars; viewed as bytes, NUL-terminated inside it
            // (`Params::new`'s contract), which is all `Key` needs.
            let field: &[c_char; 80] = &param.field;
            // SAFETY: c_char and u8 have the same size and alignment; 80 bytes, borrowed for 'a.
            let bytes = unsafe { std::slice::from_raw_parts(field.as_ptr().cast::<u8>(), 80) };
            let key = Key(bytes);
            // SAFETY: the union member read is the one `type_` says was written; a string is
            // NULL or NUL-terminated and lives for `'a` (the contract of `Params::new`).
            let value = unsafe {
                match param.type_ as u32 {
                    sys::VIR_TYPED_PARAM_INT => StatRef::Int(i64::from(param.value.i)),
                    sys::VIR_TYPED_PARAM_UINT => StatRef::UInt(u64::from(param.value.ui)),
                    sys::VIR_TYPED_PARAM_LLONG => StatRef::Int(param.value.l),
                    sys::VIR_TYPED_PARAM_ULLONG => StatRef::UInt(param.value.ul),
                    sys::VIR_TYPED_PARAM_DOUBLE => StatRef::Double(param.value.d),
                    sys::VIR_TYPED_PARAM_BOOLEAN => StatRef::Bool(param.value.b != 0),
                    sys::VIR_TYPED_PARAM_STRING if !param.value.s.is_null() => {
                        StatRef::Text(CStr::from_ptr(param.value.s).to_bytes())
                    }
                    _ => continue,
                }
            };
            return Some((key, value));
        }
        None
    }
}

/// Lower-case hexadecimal UUID text of a domain (8-4-4-4-12), formatted here: libvirt's own
/// `virDomainGetUUIDString` goes through `snprintf` and costs about a microsecond a domain,
/// which at a thousand domains is a millisecond of every monitor tick.
///
/// # Safety
/// `dom` is a valid domain pointer for the duration of the call.
unsafe fn raw_domain_uuid_fast(dom: sys::virDomainPtr, out: &mut [u8; 36]) -> bool {
    let mut raw = [0u8; sys::VIR_UUID_BUFLEN as usize];
    // SAFETY: `dom` is valid per the contract; the buffer has VIR_UUID_BUFLEN bytes.
    if unsafe { sys::virDomainGetUUID(dom, raw.as_mut_ptr()) } < 0 {
        return false;
    }
    format_uuid(&raw, out);
    true
}

/// Format 16 raw bytes as a UUID string into `out`.
fn format_uuid(raw: &[u8; 16], out: &mut [u8; 36]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut o = 0;
    for (i, b) in raw.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out[o] = b'-';
            o += 1;
        }
        out[o] = HEX[usize::from(b >> 4)];
        out[o + 1] = HEX[usize::from(b & 0x0f)];
        o += 2;
    }
}

/// The records of one `virConnectGetAllDomainStats` call, still in libvirt's memory. Read them
/// with [`DomainStatsList::read`]; dropping the list frees every record, its domain reference
/// and parameters with `virDomainStatsRecordListFree` (the crate's version leaks them).
///
/// Freeing costs libvirt more than the call itself (every domain handle formats its UUID
/// twice for debug messages on the way out), so the monitor's tick drops the list only after
/// it has replied (see `Session::drop_after_reply`).
pub struct DomainStatsList {
    records: *mut sys::virDomainStatsRecordPtr,
    count: usize,
}

impl DomainStatsList {
    /// `stats` is a `VIR_DOMAIN_STATS_*` mask (0 = all groups), `flags` the
    /// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_*` filter.
    pub fn fetch(conn: &Connect, stats: u32, flags: u32) -> Result<Self, VirtError> {
        let mut records: *mut sys::virDomainStatsRecordPtr = ptr::null_mut();
        // SAFETY: `conn` keeps its pointer valid; `records` is a valid out-pointer for the
        // NULL-terminated array libvirt allocates.
        let count =
            unsafe { sys::virConnectGetAllDomainStats(conn.as_ptr(), stats, &mut records, flags) };
        if count < 0 {
            return Err(VirtError::last_error());
        }
        Ok(Self {
            records,
            count: if records.is_null() { 0 } else { count as usize },
        })
    }

    /// Call `read(uuid, params)` for each record and collect what it returns. The results
    /// cannot borrow from the records: `T` is chosen outside the parameters' lifetime.
    pub fn read<T>(&self, mut read: impl for<'r> FnMut(&str, Params<'r>) -> T) -> Vec<T> {
        let mut out = Vec::with_capacity(self.count);
        let mut uuid = [0u8; 36];
        for i in 0..self.count {
            // SAFETY: the array holds `count` record pointers (then a NULL terminator).
            let record = unsafe { *self.records.add(i) };
            if record.is_null() {
                break;
            }
            // SAFETY: `record` and everything it points to stay valid until `self` is dropped,
            // which cannot happen during this borrow; `params` holds `nparams` entries.
            unsafe {
                let r = &*record;
                let id = if raw_domain_uuid_fast(r.dom, &mut uuid) {
                    std::str::from_utf8(&uuid).unwrap_or_default()
                } else {
                    ""
                };
                let slice = if r.params.is_null() || r.nparams <= 0 {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(r.params, r.nparams as usize)
                };
                out.push(read(id, Params::new(slice)));
            }
        }
        out
    }
}

impl Drop for DomainStatsList {
    fn drop(&mut self) {
        if !self.records.is_null() {
            // SAFETY: frees every record, its domain reference and parameters, and the array,
            // exactly once; nothing borrowed from them outlives `self` (see `read`).
            unsafe { sys::virDomainStatsRecordListFree(self.records) };
        }
    }
}

/// [`DomainStatsList`] into owned records, for callers that keep them.
pub fn all_domain_stats(
    conn: &Connect,
    stats: u32,
    flags: u32,
) -> Result<Vec<DomainStats>, VirtError> {
    let list = DomainStatsList::fetch(conn, stats, flags)?;
    Ok(list.read(|uuid, params| DomainStats {
        uuid: uuid.to_string(),
        values: params
            .map(|(k, v)| {
                let key = String::from_utf8_lossy(k.to_bytes()).into_owned();
                (key, v.to_owned_value())
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_exactly_without_their_length() {
        let key = Key::new(b"block.12.rd.bytes\0garbage after the end").unwrap();
        let rest = key.strip_prefix(b"block.").unwrap();
        let (index, field) = rest.indexed().unwrap();
        assert_eq!(index, 12);
        assert!(field.is(b"rd.bytes\0"));
        assert!(!field.is(b"rd\0"), "a prefix of the key is not the key");
        assert!(!field.is(b"rd.bytes.x\0"));
        assert_eq!(key.to_bytes(), b"block.12.rd.bytes");
        assert_eq!(Key::new(b"no terminator"), None);
        assert_eq!(
            Key::new(b"x.99999.y\0")
                .unwrap()
                .strip_prefix(b"x.")
                .unwrap()
                .indexed(),
            None
        );
        assert_eq!(Key::new(b".y\0").unwrap().indexed(), None);
        assert_eq!(
            Key::new(b"3\0").unwrap().indexed(),
            None,
            "no field after the index"
        );
    }

    #[test]
    fn uuids_are_formatted_like_libvirt() {
        let raw: [u8; 16] = [
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ];
        let mut out = [0u8; 36];
        format_uuid(&raw, &mut out);
        assert_eq!(&out, b"00112233-4455-6677-8899-aabbccddeeff");
    }
}
