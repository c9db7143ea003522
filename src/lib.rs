//! leakguard's native half.
//!
//! Rust owns what must outlive or run beside the JavaScript thread: the shared
//! counter table the sampler reads without calling into JS, the call-site
//! registry, the sampler thread and its verdict, off-heap storage. Per-operation
//! hot paths (cache get/set, timer create/clear, listener add/remove) live in
//! `lib/*.js` and never cross into Rust.
//!
//! Each concept is a napi-free core module, unit-tested with `cargo test`, with a
//! thin `binding.rs` that alone imports `napi`.
#![deny(clippy::all)]

pub mod errors;
pub mod offheap;
pub mod sampler;
pub mod stats;
