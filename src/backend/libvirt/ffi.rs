//! The only place yun calls libvirt's C API directly, for what the `virt` 0.5.0 crate lacks or
//! gets wrong: DHCP leases, domain lifecycle events, bulk domain stats (the crate leaks the
//! records), block info (the crate ignores the error), the domain state (likewise) and closing a
//! connection without the crate's panicking `Drop`.
//!
//! Every function here takes safe `virt` handles, borrows their raw pointer only for the length
//! of the call, and frees everything libvirt allocates before returning.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::ptr;
use std::sync::OnceLock;

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
    let mut buf = [0 as c_char; sys::VIR_UUID_STRING_BUFLEN as usize];
    // SAFETY: `dom` is valid per the contract; the buffer has VIR_UUID_STRING_BUFLEN bytes as
    // the API requires and libvirt NUL-terminates it.
    let rc = unsafe { sys::virDomainGetUUIDString(dom, buf.as_mut_ptr()) };
    if rc < 0 {
        return None;
    }
    // SAFETY: on success the buffer holds a NUL-terminated string.
    unsafe { borrowed_string(buf.as_ptr()) }
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

/// The callback registration of [`subscribe_lifecycle`]; pass it to [`unsubscribe`].
#[derive(Debug)]
pub struct Subscription {
    callback_id: c_int,
}

/// Called by libvirt's event loop for every lifecycle event; forwards the domain's UUID.
///
/// # Safety
/// libvirt passes the `opaque` registered in [`subscribe_lifecycle`] (a boxed sender, alive until
/// [`free_sender`] runs) and a domain pointer valid for the call.
unsafe extern "C" fn on_lifecycle(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    _event: c_int,
    _detail: c_int,
    opaque: *mut c_void,
) -> c_int {
    if opaque.is_null() || dom.is_null() {
        return 0;
    }
    // SAFETY: `opaque` is the `Box<UnboundedSender<String>>` leaked at registration; libvirt
    // frees it (via `free_sender`) only after the last callback.
    let sender = unsafe { &*opaque.cast::<UnboundedSender<String>>() };
    // SAFETY: `dom` is valid during the callback.
    if let Some(uuid) = unsafe { raw_domain_uuid(dom) } {
        // A closed receiver means the backend is gone; nothing to tell then.
        let _ = sender.send(uuid);
    }
    0
}

/// libvirt's `freecb`: drops the boxed sender once the callback is deregistered.
///
/// # Safety
/// `opaque` is the pointer produced by `Box::into_raw` in [`subscribe_lifecycle`], passed once.
unsafe extern "C" fn free_sender(opaque: *mut c_void) {
    if !opaque.is_null() {
        // SAFETY: see the function contract; this reclaims the box exactly once.
        drop(unsafe { Box::from_raw(opaque.cast::<UnboundedSender<String>>()) });
    }
}

type LifecycleCallback =
    unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, c_int, c_int, *mut c_void) -> c_int;
type GenericCallback = unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, *mut c_void);

/// Register for lifecycle events of every domain on `conn`; each event sends the domain's UUID.
pub fn subscribe_lifecycle(
    conn: &Connect,
    sender: UnboundedSender<String>,
) -> Result<Subscription, VirtError> {
    let opaque = Box::into_raw(Box::new(sender)).cast::<c_void>();
    // SAFETY: libvirt's C API takes every event callback through the generic pointer type and
    // calls it with the signature of the event id (here the lifecycle one); this is what the
    // VIR_DOMAIN_EVENT_CALLBACK macro does in C. Both are `extern "C"` fn pointers of equal size.
    let generic = unsafe {
        std::mem::transmute::<LifecycleCallback, GenericCallback>(on_lifecycle as LifecycleCallback)
    };
    // SAFETY: `conn` keeps its pointer valid; a NULL domain means all domains; `opaque` stays
    // alive until libvirt calls `free_sender` with it.
    let id = unsafe {
        sys::virConnectDomainEventRegisterAny(
            conn.as_ptr(),
            ptr::null_mut(),
            sys::VIR_DOMAIN_EVENT_ID_LIFECYCLE as c_int,
            Some(generic),
            opaque,
            Some(free_sender),
        )
    };
    if id < 0 {
        let err = VirtError::last_error();
        // SAFETY: registration failed, so libvirt did not take ownership of `opaque`.
        unsafe { free_sender(opaque) };
        return Err(err);
    }
    Ok(Subscription { callback_id: id })
}

/// Deregister a lifecycle subscription (libvirt then frees its sender).
pub fn unsubscribe(conn: &Connect, subscription: Subscription) -> Result<(), VirtError> {
    // SAFETY: `conn` keeps its pointer valid; the id came from a registration on it.
    let rc =
        unsafe { sys::virConnectDomainEventDeregisterAny(conn.as_ptr(), subscription.callback_id) };
    if rc < 0 {
        return Err(VirtError::last_error());
    }
    Ok(())
}

/// One typed value of a domain statistics record.
#[derive(Clone, Debug, PartialEq)]
pub enum StatValue {
    Int(i64),
    UInt(u64),
    Double(f64),
    Bool(bool),
    Text(String),
}

/// The statistics of one domain: `(key, value)` pairs such as `state.state` or `cpu.time`.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainStats {
    pub uuid: String,
    pub values: Vec<(String, StatValue)>,
}

/// Read one typed parameter.
///
/// # Safety
/// `param` points to a valid typed parameter whose string (if any) is NUL-terminated.
unsafe fn typed_param(param: &sys::virTypedParameter) -> Option<(String, StatValue)> {
    // SAFETY: `field` is a NUL-terminated array inside the struct.
    let key = unsafe { borrowed_string(param.field.as_ptr())? };
    // SAFETY: the union member read is the one `type_` says libvirt wrote.
    let value = unsafe {
        match param.type_ as u32 {
            sys::VIR_TYPED_PARAM_INT => StatValue::Int(i64::from(param.value.i)),
            sys::VIR_TYPED_PARAM_UINT => StatValue::UInt(u64::from(param.value.ui)),
            sys::VIR_TYPED_PARAM_LLONG => StatValue::Int(param.value.l),
            sys::VIR_TYPED_PARAM_ULLONG => StatValue::UInt(param.value.ul),
            sys::VIR_TYPED_PARAM_DOUBLE => StatValue::Double(param.value.d),
            sys::VIR_TYPED_PARAM_BOOLEAN => StatValue::Bool(param.value.b != 0),
            sys::VIR_TYPED_PARAM_STRING => StatValue::Text(borrowed_string(param.value.s)?),
            _ => return None,
        }
    };
    Some((key, value))
}

/// `virConnectGetAllDomainStats`: `stats` is a `VIR_DOMAIN_STATS_*` mask (0 = all groups),
/// `flags` the `VIR_CONNECT_GET_ALL_DOMAINS_STATS_*` filter. Unlike the crate's version this
/// reads the records and frees them with `virDomainStatsRecordListFree`.
pub fn all_domain_stats(
    conn: &Connect,
    stats: u32,
    flags: u32,
) -> Result<Vec<DomainStats>, VirtError> {
    let mut records: *mut sys::virDomainStatsRecordPtr = ptr::null_mut();
    // SAFETY: `conn` keeps its pointer valid; `records` is a valid out-pointer for the
    // NULL-terminated array libvirt allocates.
    let count =
        unsafe { sys::virConnectGetAllDomainStats(conn.as_ptr(), stats, &mut records, flags) };
    if count < 0 {
        return Err(VirtError::last_error());
    }
    let mut out = Vec::with_capacity(count as usize);
    if records.is_null() {
        return Ok(out);
    }
    for i in 0..count as usize {
        // SAFETY: the array holds `count` record pointers (then a NULL terminator).
        let record = unsafe { *records.add(i) };
        if record.is_null() {
            break;
        }
        // SAFETY: `record` is valid until the list is freed below; `params` holds `nparams`
        // entries; nothing read here keeps a pointer into libvirt's memory.
        unsafe {
            let r = &*record;
            let uuid = raw_domain_uuid(r.dom).unwrap_or_default();
            let mut values = Vec::with_capacity(r.nparams.max(0) as usize);
            if !r.params.is_null() {
                for j in 0..r.nparams.max(0) as usize {
                    if let Some(kv) = typed_param(&*r.params.add(j)) {
                        values.push(kv);
                    }
                }
            }
            out.push(DomainStats { uuid, values });
        }
    }
    // SAFETY: frees every record, its domain reference and parameters, and the array, once.
    unsafe { sys::virDomainStatsRecordListFree(records) };
    Ok(out)
}
