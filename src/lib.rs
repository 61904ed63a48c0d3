//! yun: a terminal cloud console for a libvirt host or an OpenStack cloud.

pub mod app;
pub mod backend;
pub mod config;
pub mod format;
pub mod i18n;
pub mod model;
pub mod theme;
pub mod ui;
