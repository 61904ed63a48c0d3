//! libvirt errors → [`BackendError`], keeping libvirt's own message.

use virt::error::Error as VirtError;
use virt::sys;

use crate::backend::BackendError;

/// Raw `(code, domain)` of a libvirt error.
fn raw(e: &VirtError) -> (u32, u32) {
    (e.code().to_raw(), e.domain().to_raw())
}

/// Whether the error means the connection itself is gone (daemon died, socket closed).
pub fn is_connection_lost(e: &VirtError) -> bool {
    let (code, domain) = raw(e);
    matches!(code, sys::VIR_ERR_NO_CONNECT | sys::VIR_ERR_INVALID_CONN)
        || (domain == sys::VIR_FROM_RPC
            && matches!(
                code,
                sys::VIR_ERR_SYSTEM_ERROR | sys::VIR_ERR_RPC | sys::VIR_ERR_INTERNAL_ERROR
            ))
}

/// Whether the driver does not implement a call or flag (so a fallback without it may work).
/// Unknown flags are reported as an invalid argument `unsupported flags (0x…)`.
pub fn is_unsupported(e: &VirtError) -> bool {
    let (code, _) = raw(e);
    matches!(
        code,
        sys::VIR_ERR_NO_SUPPORT | sys::VIR_ERR_ARGUMENT_UNSUPPORTED
    ) || (code == sys::VIR_ERR_INVALID_ARG && e.message().contains("unsupported flags"))
}

/// Map a libvirt error, keeping its message (e.g. `Requested operation is not valid: domain is
/// not running`).
pub fn from_virt(e: VirtError) -> BackendError {
    let message = e.message().to_string();
    if is_connection_lost(&e) {
        return BackendError::Connection(message);
    }
    match raw(&e).0 {
        sys::VIR_ERR_NO_DOMAIN
        | sys::VIR_ERR_NO_NETWORK
        | sys::VIR_ERR_NO_STORAGE_POOL
        | sys::VIR_ERR_NO_STORAGE_VOL => BackendError::NotFound(message),
        sys::VIR_ERR_NO_SUPPORT => BackendError::Unsupported(message),
        sys::VIR_ERR_OPERATION_INVALID => BackendError::Conflict(message),
        _ => BackendError::Api(message),
    }
}
