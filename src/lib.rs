//! yun: a terminal cloud console for a libvirt host or an OpenStack cloud.

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
