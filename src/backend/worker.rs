//! Runs backend calls in the background.
