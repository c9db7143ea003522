//! napi surface of the counter table. Called at registration time only, never
//! per cache/timer/listener operation.

use super::{layout, Registry, RowMeta, SharedCells};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::ptr;
use std::sync::Arc;

/// Throws `e` into JS as an Error whose `code` is `e.code` (napi's own errors
/// carry a napi status as their code), and returns the error a `#[napi]`
/// function hands back so that napi does not throw again.
pub(crate) fn throw_coded(env: sys::napi_env, e: crate::errors::CoreError) -> Error {
    let code = std::ffi::CString::new(e.code.as_str()).unwrap_or_default();
    let msg = std::ffi::CString::new(format!("leakguard: {}", e.message)).unwrap_or_default();
    // SAFETY: a valid env on the JS thread (the entry's own).
    unsafe { sys::napi_throw_error(env, code.as_ptr(), msg.as_ptr()) };
    Error::new(Status::PendingException, e.message)
}

/// The body of a `#[napi]` entry, run so that a Rust panic becomes a JS
/// Error with code ERR_LEAKGUARD_NATIVE instead of aborting the process
/// (`crate::errors::catch_panic`).
pub(crate) fn guard<T>(env: &Env, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    crate::errors::catch_panic(what, f).unwrap_or_else(|e| Err(throw_coded(env.raw(), e)))
}

/// The counter table of one JavaScript environment.
#[napi]
pub struct NativeRegistry {
    pub(crate) inner: Arc<Registry>,
}

impl Default for NativeRegistry {
    fn default() -> Self {
        NativeRegistry {
            inner: Arc::new(Registry::new()),
        }
    }
}

#[napi]
impl NativeRegistry {
    #[napi(constructor)]
    pub fn new(env: Env) -> Result<Self> {
        guard(&env, "new NativeRegistry", || Ok(Self::default()))
    }

    /// Adds a page of rows and returns a `Float64Array` that views it directly
    /// (no copy): JS writes land in Rust-owned memory.
    #[napi(ts_return_type = "Float64Array")]
    pub fn add_page(&self, env: Env) -> Result<SharedView<super::Page>> {
        guard(&env, "NativeRegistry.addPage", || {
            let (_, page) = self.inner.add_page();
            Ok(SharedView(page))
        })
    }

    /// Registers row `id` with its JSON-encoded description; returns its generation.
    #[napi]
    pub fn register(&self, env: Env, id: u32, meta_json: String) -> Result<i64> {
        guard(&env, "NativeRegistry.register", || {
            let meta: RowMeta = serde_json::from_str(&meta_json).map_err(|e| {
                Error::new(
                    Status::InvalidArg,
                    format!("leakguard: bad row description: {e}"),
                )
            })?;
            self.inner
                .register(id, meta)
                .map(|g| g as i64)
                .map_err(|e| Error::new(Status::InvalidArg, e.to_string()))
        })
    }

    /// Releases row `id`; false when it was not registered.
    #[napi]
    pub fn release(&self, env: Env, id: u32) -> Result<bool> {
        guard(&env, "NativeRegistry.release", || {
            Ok(self.inner.release(id))
        })
    }

    /// Registered rows and their cells, as JSON (tests and debugging).
    #[napi]
    pub fn snapshot_json(&self, env: Env) -> Result<String> {
        guard(&env, "NativeRegistry.snapshotJson", || {
            let rows: Vec<serde_json::Value> = self
                .inner
                .snapshot()
                .into_iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "generation": r.generation,
                        "meta": &*r.meta,
                        "cells": r.cells.to_vec(),
                    })
                })
                .collect();
            Ok(serde_json::Value::Array(rows).to_string())
        })
    }
}

/// The cell layout as `{ "cache.HITS": 0, ... }`, so JS can check it agrees.
#[napi]
pub fn stats_layout_json(env: Env) -> Result<String> {
    guard(&env, "statsLayoutJson", || {
        let map: serde_json::Map<String, serde_json::Value> = layout::table()
            .into_iter()
            .map(|(kind, name, cell)| (format!("{kind}.{name}"), cell.into()))
            .collect();
        Ok(serde_json::Value::Object(map).to_string())
    })
}

/// Debug builds only, never in a release build's exports: panics inside a
/// guarded entry, for the test that a Rust panic reaches JavaScript as
/// ERR_LEAKGUARD_NATIVE instead of aborting the process
/// (__test__/native-panic.test.js).
#[cfg(debug_assertions)]
#[napi]
pub fn debug_panic(env: Env, message: String) -> Result<()> {
    guard(&env, "debugPanic", || panic!("{message}"))
}

/// Shared cells handed to JS as a `Float64Array` over an external
/// ArrayBuffer: JS writes land in Rust-owned memory, which the `Arc` held by
/// the ArrayBuffer keeps alive until V8 collects it.
pub struct SharedView<T: SharedCells>(pub Arc<T>);

unsafe extern "C" fn release_shared<T: SharedCells>(
    _env: sys::napi_env,
    _data: *mut std::ffi::c_void,
    hint: *mut std::ffi::c_void,
) {
    // SAFETY: `hint` is the `Box<Arc<T>>` leaked in `to_napi_value`; V8 calls
    // this finalizer exactly once. Inside a GC: a panic must not unwind into V8.
    let _ = crate::errors::catch_panic("release_shared", || {
        drop(unsafe { Box::from_raw(hint as *mut Arc<T>) })
    });
}

impl<T: SharedCells> ToNapiValue for SharedView<T> {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let data = val.0.cells_ptr();
        let len = val.0.cells_byte_len();
        let keep = Box::into_raw(Box::new(val.0)) as *mut std::ffi::c_void;
        let mut buffer = ptr::null_mut();
        // Raw call, status checked: where external buffers are refused (Electron's
        // sandbox) we must fail loudly, never fall back to a copy that JS would
        // write while the sampler reads the original.
        let status = unsafe {
            sys::napi_create_external_arraybuffer(
                env,
                data as *mut std::ffi::c_void,
                len,
                Some(release_shared::<T>),
                keep,
                &mut buffer,
            )
        };
        if status != sys::Status::napi_ok {
            drop(unsafe { Box::from_raw(keep as *mut Arc<T>) });
            return Err(Error::new(
                Status::GenericFailure,
                "leakguard: this runtime refuses external ArrayBuffers; counters cannot be shared with the sampler",
            ));
        }
        let mut array = ptr::null_mut();
        check_status!(
            unsafe {
                sys::napi_create_typedarray(
                    env,
                    sys::TypedarrayType::float64_array,
                    len / 8,
                    buffer,
                    0,
                    &mut array,
                )
            },
            "leakguard: cannot create a Float64Array over shared cells"
        )?;
        Ok(array)
    }
}
