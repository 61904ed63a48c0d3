//! The plain facts the inventory reads and the cache keeps between listings: storage pools
//! with their volumes, and the addresses found for NICs. Kept apart from the code that reads
//! them (inventory.rs), which needs a connection, so the cache a connection holds does not
//! depend on it.

use std::collections::HashMap;

use crate::model::{Address, Pool};

/// One storage volume.
#[derive(Clone, Debug)]
pub struct VolumeFacts {
    pub pool: String,
    pub name: String,
    pub key: String,
    pub path: Option<String>,
    pub capacity: u64,
    pub allocation: u64,
    pub format: Option<String>,
    pub backing: Option<String>,
}

/// One pool with its volumes (none when the pool is inactive).
pub struct PoolFacts {
    pub pool: Pool,
    pub volumes: Vec<VolumeFacts>,
}

/// Every pool and volume, indexed by path and by (pool, name).
pub struct Storage {
    pub pools: Vec<PoolFacts>,
    pub(super) by_path: HashMap<String, (usize, usize)>,
    pub(super) by_name: HashMap<(String, String), (usize, usize)>,
}

/// An address found for one NIC, by the NIC's MAC.
#[derive(Clone, Debug)]
pub struct NicAddress {
    pub mac: String,
    pub address: Address,
}
