//! yun: a terminal cloud console for a libvirt host or an OpenStack cloud.

/// mimalloc rather than the system allocator, for the binary and everything built on this
/// crate alike: a monitor tick at a thousand domains makes thousands of small allocations and
/// frees, where glibc's malloc took about twice as long (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod app;
pub mod backend;
pub mod cli;
pub mod config;
pub mod format;
pub mod i18n;
pub mod launch;
pub mod list;
pub mod logging;
pub mod model;
pub mod monitor;
pub mod stderr;
pub mod terminal;
pub mod theme;
pub mod ui;
