//! The application: state, the actions that change it and the event loop that drives it.

pub mod action;
pub mod columns;
pub mod commands;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod metadata;
pub mod modal;
pub mod run;
pub mod state;
pub mod table;
pub mod update;
pub mod user_keys;
pub mod validate;
