//! yun: a terminal cloud console for a libvirt host or an OpenStack cloud.

/// mimalloc rather than the system allocator, for the binary and everything built on this
/// crate alike: a monitor tick at a thousand domains makes thousands of small allocations and
/// frees, where glibc's malloc took about twice as long (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod app;
pub mod audit;
pub mod backend;
pub mod civil;
pub mod cli;
pub mod config;
pub mod format;
pub mod i18n;
pub mod list;
pub mod logging;
pub mod model;
pub mod monitor;
pub mod startup;
pub mod stderr;
pub mod terminal;
pub mod theme;
pub mod ui;

/// Entry points for the property tests and fuzz targets: parsers that are private to their
/// modules, reachable here without becoming part of the API.
#[doc(hidden)]
pub mod fuzzing {
    use serde_json::Value;

    /// The lenient row decoder every OpenStack listing goes through: each row on its own, the
    /// rows that do not decode dropped and counted in `skipped`.
    pub fn openstack_rows<T: serde::de::DeserializeOwned>(
        what: &str,
        values: Vec<Value>,
        skipped: &mut usize,
    ) -> Vec<T> {
        crate::backend::openstack::de::rows(what, values, skipped)
    }

    /// How metadata and extra specs are shown: every value as a string, sorted by key.
    pub fn openstack_string_map(value: Option<&Value>) -> Vec<(String, String)> {
        crate::backend::openstack::de::string_map(value)
    }
}
