//! yun: a terminal cloud console for a libvirt host or an OpenStack cloud.

pub mod backend;
pub mod model;
