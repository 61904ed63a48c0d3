//! Checks a form runs on what the user typed before anything is sent: pure functions of the
//! state, so the reason shows next to the field and the same check guards the request.

use crate::app::state::AppState;
use crate::backend::create::{volume_fits as fits_in_pool, volume_name_valid};
use crate::backend::{CreateSpec, VolumeSpec};
use crate::model::Pool;

/// Whether a volume of `bytes` fits in `pool`'s free space (as the last pool listing gave it).
pub fn volume_fits(pool: &Pool, bytes: u64) -> Result<(), String> {
    fits_in_pool(pool, bytes)
}

/// The pool named `name` in the last listing.
pub fn pool<'a>(state: &'a AppState, name: &str) -> Option<&'a Pool> {
    state.data.pools.iter().find(|p| p.name == name)
}

/// Why a new volume cannot be created as specified, from what the app knows: the name, the
/// pool, the free space, a volume of that name in the pool already.
pub fn volume(state: &AppState, spec: &VolumeSpec) -> Result<(), String> {
    volume_name_valid(&spec.name)?;
    let pool = pool(state, &spec.pool).ok_or_else(|| format!("no pool {}", spec.pool))?;
    if state
        .data
        .volumes
        .iter()
        .any(|v| v.name == spec.name && v.pool.as_deref() == Some(spec.pool.as_str()))
    {
        return Err(format!(
            "pool {} has a volume named {} already",
            spec.pool, spec.name
        ));
    }
    volume_fits(pool, spec.capacity_bytes)
}

pub fn create_spec(state: &AppState, spec: &CreateSpec) -> Result<(), String> {
    match spec {
        CreateSpec::Volume(v) => volume(state, v),
    }
}

/// The id a create's task waits under until the backend names what it made.
pub fn pending_id(spec: &CreateSpec) -> String {
    match spec {
        CreateSpec::Volume(v) => format!("{}/{}", v.pool, v.name),
    }
}
