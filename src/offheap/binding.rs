//! napi surface of the off-heap store: plain Node-API callbacks (no napi-rs
//! classes: a class method costs ~4x a raw call), installed once per
//! environment by `offheapBind(target, scratch)` and called by `lib/offheap/index.js`
//! with the cache's handle (an external) as first argument.
//!
//! Rules kept here:
//! - A handle belongs to one environment (thread); its finalizer only drops an
//!   `Arc` and undoes this environment's external-memory report, and skips even
//!   that once the environment is tearing down (worker termination).
//! - No JS value is created while a shard lock is held: values are copied out
//!   to thread-local memory first.
//! - Each environment reports the bytes of every store it has open once (not
//!   once per handle) with `napi_adjust_external_memory`, refreshed to within
//!   `REPORT_STEP` bytes whenever this environment changes the store or reads
//!   its stats, and withdrawn when its last handle on the store goes.

use super::{
    encode_number, encode_string, entry_size, key_tag, open, process_figures, value_kind, Key,
    Store, ENTRY_OVERHEAD,
};
use crate::errors::{CoreError, ErrorCode};
use crate::stats::layout::cache as cell;
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use once_cell::sync::Lazy;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::{c_void, CString};
use std::ptr;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// External-memory reports are refreshed when they are off by this many bytes.
const REPORT_STEP: i64 = 64 * 1024;

static EPOCH: Lazy<Instant> = Lazy::new(Instant::now);

fn monotonic_ms() -> f64 {
    EPOCH.elapsed().as_secs_f64() * 1000.0
}

/// What this environment has told V8 about one store.
struct EnvReport {
    env: sys::napi_env,
    store_id: u64,
    reported: Cell<i64>,
}

impl EnvReport {
    fn sync(&self, store: &Store) {
        let bytes = store.figures().bytes as i64;
        let delta = bytes - self.reported.get();
        if delta != 0 && (delta.abs() >= REPORT_STEP || bytes == 0) {
            adjust(self.env, delta);
            self.reported.set(bytes);
        }
    }
}

impl Drop for EnvReport {
    fn drop(&mut self) {
        let _ = REPORTS.try_with(|r| r.borrow_mut().remove(&self.store_id));
        let reported = self.reported.get();
        if reported != 0 {
            adjust(self.env, -reported);
        }
    }
}

fn adjust(env: sys::napi_env, delta: i64) {
    if TEARING_DOWN.try_with(|t| t.get()).unwrap_or(true) {
        return;
    }
    let mut total = 0i64;
    // SAFETY: called on the environment's own thread while it is alive.
    unsafe { sys::napi_adjust_external_memory(env, delta, &mut total) };
}

/// Per-thread state: one JavaScript environment per thread.
struct Scratch {
    units: Vec<u16>,
    key: Vec<u8>,
    out: Vec<u8>,
    /// The JS `Buffer` small byte values are copied into (kept alive by a reference).
    js_ptr: *mut u8,
    js_len: usize,
}

/// Scratch vectors grown past this by one big value are given back after use.
const SCRATCH_KEEP: usize = 1 << 20;

impl Scratch {
    fn trim(&mut self) {
        if self.units.capacity() * 2 > SCRATCH_KEEP {
            self.units = Vec::new();
        }
        if self.out.capacity() > SCRATCH_KEEP {
            self.out = Vec::new();
        }
        if self.key.capacity() > SCRATCH_KEEP {
            self.key = Vec::new();
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = const { RefCell::new(Scratch {
        units: Vec::new(),
        key: Vec::new(),
        out: Vec::new(),
        js_ptr: ptr::null_mut(),
        js_len: 0,
    }) };
    static REPORTS: RefCell<HashMap<u64, Weak<EnvReport>>> = RefCell::new(HashMap::new());
    static TEARING_DOWN: Cell<bool> = const { Cell::new(false) };
    /// The environment bound on this thread and its scratch Buffer's reference.
    static SCRATCH_REF: Cell<(usize, sys::napi_ref)> = const { Cell::new((0, ptr::null_mut())) };
}

/// One JS cache object's hold on a store.
struct Handle {
    open: Option<(Arc<Store>, Rc<EnvReport>)>,
    /// The cache's stats row (8 cells of Rust-owned memory), or null.
    cells: *const AtomicU64,
}

impl Handle {
    fn publish(&self) {
        let Some((store, report)) = &self.open else {
            return;
        };
        report.sync(store);
        if self.cells.is_null() {
            return;
        }
        let f = store.figures();
        let put = |i: usize, v: u64| {
            // SAFETY: `cells` points at a live 8-cell row of a stats page; pages
            // are never freed while this environment's table lives.
            unsafe { (*self.cells.add(i)).store((v as f64).to_bits(), Ordering::Relaxed) };
        };
        put(cell::SIZE, f.entries);
        put(cell::CALCULATED_SIZE, f.bytes);
        put(cell::EVICTIONS, f.evictions);
        put(cell::EXPIRATIONS, f.expirations);
    }
}

unsafe extern "C" fn finalize_handle(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Box<Handle>` leaked in `open`; finalized once.
    drop(unsafe { Box::from_raw(data as *mut Handle) });
}

unsafe extern "C" fn on_env_teardown(_arg: *mut c_void) {
    let _ = TEARING_DOWN.try_with(|t| t.set(true));
    let _ = SCRATCH_REF.try_with(|r| r.set((0, ptr::null_mut())));
    let _ = SCRATCH.try_with(|s| {
        let mut s = s.borrow_mut();
        s.js_ptr = ptr::null_mut();
        s.js_len = 0;
    });
}

enum Throw {
    Type,
    Range,
    Plain,
}

unsafe fn throw(env: sys::napi_env, kind: Throw, code: ErrorCode, msg: &str) -> sys::napi_value {
    let code = CString::new(code.as_str()).unwrap_or_default();
    let msg = CString::new(format!("leakguard: {msg}")).unwrap_or_default();
    unsafe {
        match kind {
            Throw::Type => sys::napi_throw_type_error(env, code.as_ptr(), msg.as_ptr()),
            Throw::Range => sys::napi_throw_range_error(env, code.as_ptr(), msg.as_ptr()),
            Throw::Plain => sys::napi_throw_error(env, code.as_ptr(), msg.as_ptr()),
        };
    }
    ptr::null_mut()
}

unsafe fn throw_core(env: sys::napi_env, e: CoreError) -> sys::napi_value {
    let kind = match e.code {
        ErrorCode::InvalidSize | ErrorCode::Unbounded => Throw::Range,
        ErrorCode::InvalidOption | ErrorCode::InvalidValue => Throw::Type,
        _ => Throw::Plain,
    };
    unsafe { throw(env, kind, e.code, &e.message) }
}

unsafe fn args<const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> [sys::napi_value; N] {
    let mut argv = [ptr::null_mut(); N];
    let mut argc = N;
    unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    argv
}

unsafe fn undefined(env: sys::napi_env) -> sys::napi_value {
    let mut v = ptr::null_mut();
    unsafe { sys::napi_get_undefined(env, &mut v) };
    v
}

unsafe fn boolean(env: sys::napi_env, b: bool) -> sys::napi_value {
    let mut v = ptr::null_mut();
    unsafe { sys::napi_get_boolean(env, b, &mut v) };
    v
}

unsafe fn number(env: sys::napi_env, n: f64) -> sys::napi_value {
    let mut v = ptr::null_mut();
    unsafe { sys::napi_create_double(env, n, &mut v) };
    v
}

/// The handle behind `v`, or a thrown error when the cache is closed.
unsafe fn handle<'a>(env: sys::napi_env, v: sys::napi_value) -> Option<&'a Handle> {
    let mut data = ptr::null_mut();
    let status = unsafe { sys::napi_get_value_external(env, v, &mut data) };
    if status == sys::Status::napi_ok && !data.is_null() {
        // SAFETY: every external this module hands out wraps a `Handle`; JS
        // calls are not re-entrant, so no other reference is live.
        let h = unsafe { &*(data as *const Handle) };
        if h.open.is_some() {
            return Some(h);
        }
    }
    unsafe {
        throw(
            env,
            Throw::Plain,
            ErrorCode::Native,
            "this OffHeapCache was closed",
        )
    };
    None
}

fn store_of(h: &Handle) -> &Arc<Store> {
    match &h.open {
        Some((store, _)) => store,
        None => unreachable!("handle() returns open handles only"),
    }
}

/// Reads a JS string's UTF-16 units into `units`.
unsafe fn read_units(
    env: sys::napi_env,
    v: sys::napi_value,
    units: &mut Vec<u16>,
) -> Option<usize> {
    // The buffer only grows: no refill per call.
    if units.len() < 256 {
        units.resize(256, 0);
    }
    let mut copied = 0usize;
    let ok = unsafe {
        sys::napi_get_value_string_utf16(env, v, units.as_mut_ptr(), units.len(), &mut copied)
    };
    if ok != sys::Status::napi_ok {
        return None;
    }
    if copied + 1 >= units.len() {
        let mut len = 0usize;
        unsafe { sys::napi_get_value_string_utf16(env, v, ptr::null_mut(), 0, &mut len) };
        units.resize(len + 1, 0);
        unsafe {
            sys::napi_get_value_string_utf16(env, v, units.as_mut_ptr(), units.len(), &mut copied)
        };
    }
    Some(copied)
}

/// Encodes a string or number key into `s.key`; None for any other type.
unsafe fn read_key(env: sys::napi_env, v: sys::napi_value, s: &mut Scratch) -> Option<u8> {
    // Strings first, without a napi_typeof: reading fails on anything else.
    if let Some(n) = unsafe { read_units(env, v, &mut s.units) } {
        return Some(encode_string(&s.units[..n], &mut s.key));
    }
    let mut n = 0.0;
    if unsafe { sys::napi_get_value_double(env, v, &mut n) } == sys::Status::napi_ok {
        return Some(encode_number(n, &mut s.key));
    }
    None
}

/// `now` from JS: a non-negative number from an injected clock, else the store
/// clock; never read for a store without ttl.
unsafe fn read_now(env: sys::napi_env, v: sys::napi_value, store: &Store) -> f64 {
    if store.config().ttl_ms <= 0.0 {
        return 0.0;
    }
    let mut n = -1.0;
    if v.is_null()
        || unsafe { sys::napi_get_value_double(env, v, &mut n) } != sys::Status::napi_ok
        || n.is_nan()
        || n < 0.0
    {
        return monotonic_ms();
    }
    n
}

unsafe fn key_value(env: sys::napi_env, tag: u8, bytes: &[u8]) -> sys::napi_value {
    let mut v = ptr::null_mut();
    match tag {
        key_tag::NUMBER => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[..8]);
            return unsafe { number(env, f64::from_bits(u64::from_ne_bytes(b))) };
        }
        key_tag::LATIN1 => unsafe {
            sys::napi_create_string_latin1(
                env,
                bytes.as_ptr() as *const _,
                bytes.len() as isize,
                &mut v,
            )
        },
        _ => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_ne_bytes([c[0], c[1]]))
                .collect();
            unsafe {
                sys::napi_create_string_utf16(env, units.as_ptr(), units.len() as isize, &mut v)
            }
        }
    };
    v
}

/// get / peek: a string value comes back as a string; a byte value as a number
/// `len * 2 + (1 if Uint8Array)`, its bytes in the scratch Buffer (or, when
/// longer than the scratch, held for `take`); a miss as undefined.
unsafe fn lookup(env: sys::napi_env, info: sys::napi_callback_info, peek: bool) -> sys::napi_value {
    let [h, key, now] = unsafe { args::<3>(env, info) };
    let Some(h) = (unsafe { handle(env, h) }) else {
        return ptr::null_mut();
    };
    let store = store_of(h);
    let mut out = SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let tag = (unsafe { read_key(env, key, &mut s) })?;
        let now = unsafe { read_now(env, now, store) };
        let mut out = std::mem::take(&mut s.out);
        let kind = store.get(Key { tag, bytes: &s.key }, now, peek, &mut out);
        Some((kind, out))
    });
    let Some((kind, bytes)) = out.take() else {
        return unsafe { undefined(env) };
    };
    let result = match kind {
        None => unsafe { undefined(env) },
        Some(value_kind::LATIN1) => {
            let mut v = ptr::null_mut();
            unsafe {
                sys::napi_create_string_latin1(
                    env,
                    bytes.as_ptr() as *const _,
                    bytes.len() as isize,
                    &mut v,
                )
            };
            v
        }
        Some(value_kind::UTF16) => {
            let mut v = ptr::null_mut();
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_ne_bytes([c[0], c[1]]))
                .collect();
            unsafe {
                sys::napi_create_string_utf16(env, units.as_ptr(), units.len() as isize, &mut v)
            };
            v
        }
        Some(kind) => {
            SCRATCH.with(|s| {
                let s = s.borrow();
                if bytes.len() <= s.js_len {
                    // SAFETY: js_ptr/js_len describe the scratch Buffer, kept alive by a reference.
                    unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), s.js_ptr, bytes.len()) };
                }
            });
            let code = bytes.len() as f64 * 2.0
                + if kind == value_kind::UINT8ARRAY {
                    1.0
                } else {
                    0.0
                };
            unsafe { number(env, code) }
        }
    };
    if store.config().ttl_ms > 0.0 {
        h.publish();
    }
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        s.out = bytes;
        // A big byte value waits in `out` for take(); anything else can go.
        if matches!(kind, Some(value_kind::LATIN1 | value_kind::UTF16) | None) {
            s.trim();
        } else if s.units.capacity() * 2 > SCRATCH_KEEP || s.key.capacity() > SCRATCH_KEEP {
            s.units = Vec::new();
            s.key = Vec::new();
        }
    });
    result
}

unsafe extern "C" fn cb_get(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe { lookup(env, info, false) }
}

unsafe extern "C" fn cb_peek(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe { lookup(env, info, true) }
}

/// take(dest): copies the bytes of the last byte value looked up into `dest`.
unsafe extern "C" fn cb_take(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let [dest] = unsafe { args::<1>(env, info) };
    let (mut data, mut len) = (ptr::null_mut(), 0usize);
    let mut t = 0;
    let ok = unsafe {
        sys::napi_get_typedarray_info(
            env,
            dest,
            &mut t,
            &mut len,
            &mut data,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if ok != sys::Status::napi_ok {
        return unsafe {
            throw(
                env,
                Throw::Type,
                ErrorCode::InvalidValue,
                "take() needs a Uint8Array",
            )
        };
    }
    SCRATCH.with(|s| {
        let s = s.borrow();
        let n = s.out.len().min(len);
        // SAFETY: `data` is the typed array's memory, `len` bytes long (element size 1).
        unsafe { ptr::copy_nonoverlapping(s.out.as_ptr(), data as *mut u8, n) };
    });
    SCRATCH.with(|s| s.borrow_mut().trim());
    unsafe { undefined(env) }
}

unsafe extern "C" fn cb_has(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let [h, key, now] = unsafe { args::<3>(env, info) };
    let Some(h) = (unsafe { handle(env, h) }) else {
        return ptr::null_mut();
    };
    let store = store_of(h);
    let found = SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let tag = unsafe { read_key(env, key, &mut s) }?;
        let now = unsafe { read_now(env, now, store) };
        Some(store.has(Key { tag, bytes: &s.key }, now))
    });
    if store.config().ttl_ms > 0.0 {
        h.publish();
    }
    unsafe { boolean(env, found == Some(true)) }
}

unsafe extern "C" fn cb_delete(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let [h, key, now] = unsafe { args::<3>(env, info) };
    let Some(h) = (unsafe { handle(env, h) }) else {
        return ptr::null_mut();
    };
    let store = store_of(h);
    let found = SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let tag = unsafe { read_key(env, key, &mut s) }?;
        let now = unsafe { read_now(env, now, store) };
        Some(store.delete(Key { tag, bytes: &s.key }, now))
    });
    h.publish();
    unsafe { boolean(env, found == Some(true)) }
}

/// set(h, key, value, kind, now): kind 0 = string, 2 = Buffer, 3 = Uint8Array
/// (the caller has checked the types). Returns the entries evicted.
unsafe extern "C" fn cb_set(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let [h, key, value, kind, now] = unsafe { args::<5>(env, info) };
    let Some(h) = (unsafe { handle(env, h) }) else {
        return ptr::null_mut();
    };
    let store = store_of(h);
    let mut k = 0u32;
    unsafe { sys::napi_get_value_uint32(env, kind, &mut k) };
    let result: std::result::Result<u64, CoreError> = SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let s = &mut *s;
        let Some(tag) = (unsafe { read_key(env, key, s) }) else {
            return Err(CoreError::new(
                ErrorCode::InvalidValue,
                "a key must be a string or a number",
            ));
        };
        let now = unsafe { read_now(env, now, store) };
        let key = Key { tag, bytes: &s.key };
        if k == 0 {
            let Some(n) = (unsafe { read_units(env, value, &mut s.units) }) else {
                return Err(CoreError::new(
                    ErrorCode::InvalidValue,
                    "a value must be a string, a Buffer or a Uint8Array",
                ));
            };
            let vk = encode_string(&s.units[..n], &mut s.out);
            let vk = if vk == key_tag::LATIN1 {
                value_kind::LATIN1
            } else {
                value_kind::UTF16
            };
            store.set(key, vk, &s.out, now)
        } else {
            let (mut data, mut len, mut t) = (ptr::null_mut(), 0usize, 0);
            let ok = unsafe {
                sys::napi_get_typedarray_info(
                    env,
                    value,
                    &mut t,
                    &mut len,
                    &mut data,
                    ptr::null_mut(),
                    ptr::null_mut(),
                )
            };
            if ok != sys::Status::napi_ok || t != sys::TypedarrayType::uint8_array {
                return Err(CoreError::new(
                    ErrorCode::InvalidValue,
                    "a value must be a string, a Buffer or a Uint8Array",
                ));
            }
            let bytes: &[u8] = if len == 0 || data.is_null() {
                &[]
            } else {
                // SAFETY: the typed array's own memory, `len` bytes, alive for this call.
                unsafe { std::slice::from_raw_parts(data as *const u8, len) }
            };
            let vk = if k == 2 {
                value_kind::BUFFER
            } else {
                value_kind::UINT8ARRAY
            };
            store.set(key, vk, bytes, now)
        }
    });
    SCRATCH.with(|s| s.borrow_mut().trim());
    match result {
        Ok(evicted) => {
            h.publish();
            unsafe { number(env, evicted as f64) }
        }
        Err(e) => unsafe { throw_core(env, e) },
    }
}

unsafe extern "C" fn cb_clear(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let [h] = unsafe { args::<1>(env, info) };
    let Some(h) = (unsafe { handle(env, h) }) else {
        return ptr::null_mut();
    };
    store_of(h).clear();
    h.publish();
    unsafe { undefined(env) }
}

/// size(h, now): purges expired entries, then counts.
unsafe extern "C" fn cb_size(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let [h, now] = unsafe { args::<2>(env, info) };
    let Some(h) = (unsafe { handle(env, h) }) else {
        return ptr::null_mut();
    };
    let store = store_of(h);
    store.purge_stale(unsafe { read_now(env, now, store) });
    let n = store.figures().entries;
    h.publish();
    unsafe { number(env, n as f64) }
}

/// purge(h, now): removes expired entries; returns how many.
unsafe extern "C" fn cb_purge(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let [h, now] = unsafe { args::<2>(env, info) };
    let Some(h) = (unsafe { handle(env, h) }) else {
        return ptr::null_mut();
    };
    let store = store_of(h);
    let n = store.purge_stale(unsafe { read_now(env, now, store) });
    h.publish();
    unsafe { number(env, n as f64) }
}

/// keys(h, now): live keys, least recently used first.
unsafe extern "C" fn cb_keys(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let [h, now] = unsafe { args::<2>(env, info) };
    let Some(h) = (unsafe { handle(env, h) }) else {
        return ptr::null_mut();
    };
    let store = store_of(h);
    let keys = store.keys(unsafe { read_now(env, now, store) });
    h.publish();
    let mut arr = ptr::null_mut();
    unsafe { sys::napi_create_array_with_length(env, keys.len(), &mut arr) };
    for (i, (tag, bytes)) in keys.iter().enumerate() {
        let v = unsafe { key_value(env, *tag, bytes) };
        unsafe { sys::napi_set_element(env, arr, i as u32, v) };
    }
    arr
}

/// figures(h): [entries, bytes, evictions, expirations], also written to the stats row.
unsafe extern "C" fn cb_figures(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let [h] = unsafe { args::<1>(env, info) };
    let Some(h) = (unsafe { handle(env, h) }) else {
        return ptr::null_mut();
    };
    h.publish();
    let f = store_of(h).figures();
    unsafe {
        numbers(
            env,
            &[
                f.entries as f64,
                f.bytes as f64,
                f.evictions as f64,
                f.expirations as f64,
            ],
        )
    }
}

unsafe fn numbers(env: sys::napi_env, values: &[f64]) -> sys::napi_value {
    let mut arr = ptr::null_mut();
    unsafe { sys::napi_create_array_with_length(env, values.len(), &mut arr) };
    for (i, &n) in values.iter().enumerate() {
        unsafe { sys::napi_set_element(env, arr, i as u32, number(env, n)) };
    }
    arr
}

/// close(h): lets go of the store now rather than at garbage collection.
unsafe extern "C" fn cb_close(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let [h] = unsafe { args::<1>(env, info) };
    let mut data = ptr::null_mut();
    if unsafe { sys::napi_get_value_external(env, h, &mut data) } == sys::Status::napi_ok
        && !data.is_null()
    {
        // SAFETY: see `handle`.
        let h = unsafe { &mut *(data as *mut Handle) };
        h.open = None;
    }
    unsafe { undefined(env) }
}

/// usage(): [stores, entries, bytes] over every store of the process.
unsafe extern "C" fn cb_usage(
    env: sys::napi_env,
    _info: sys::napi_callback_info,
) -> sys::napi_value {
    let (stores, entries, bytes) = process_figures();
    unsafe { numbers(env, &[stores as f64, entries as f64, bytes as f64]) }
}

/// v8External(): V8's count of externally allocated memory of this environment
/// (what `napi_adjust_external_memory` moves; on Node 20 it is not part of
/// `process.memoryUsage().external`, which counts ArrayBuffer stores only).
unsafe extern "C" fn cb_v8_external(
    env: sys::napi_env,
    _info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut total = 0i64;
    unsafe { sys::napi_adjust_external_memory(env, 0, &mut total) };
    unsafe { number(env, total as f64) }
}

/// entrySize(keyBytes, valueBytes): what an entry costs.
unsafe extern "C" fn cb_entry_size(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let [a, b] = unsafe { args::<2>(env, info) };
    let (mut k, mut v) = (0u32, 0u32);
    unsafe {
        sys::napi_get_value_uint32(env, a, &mut k);
        sys::napi_get_value_uint32(env, b, &mut v);
    }
    unsafe { number(env, entry_size(k as usize, v as usize) as f64) }
}

/// open(name | undefined, maxSize, ttl, cells | undefined): a handle on the store.
unsafe extern "C" fn cb_open(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let [name, max_size, ttl, cells] = unsafe { args::<4>(env, info) };
    let mut t = 0;
    unsafe { sys::napi_typeof(env, name, &mut t) };
    let name = if t == sys::ValueType::napi_string {
        let mut units = Vec::new();
        let Some(n) = (unsafe { read_units(env, name, &mut units) }) else {
            return unsafe {
                throw(
                    env,
                    Throw::Type,
                    ErrorCode::InvalidOption,
                    "option \"name\" must be a string",
                )
            };
        };
        Some(String::from_utf16_lossy(&units[..n]))
    } else {
        None
    };
    let (mut max, mut ttl_ms) = (0.0, 0.0);
    unsafe {
        sys::napi_get_value_double(env, max_size, &mut max);
        sys::napi_get_value_double(env, ttl, &mut ttl_ms);
    }
    let config = super::Config {
        max_size: if max.is_finite() && max > 0.0 {
            max as u64
        } else {
            0
        },
        ttl_ms,
    };
    let store = match open(name.as_deref(), config) {
        Ok(s) => s,
        Err(e) => return unsafe { throw_core(env, e) },
    };
    let mut cells_ptr: *const AtomicU64 = ptr::null();
    let (mut data, mut len, mut ty) = (ptr::null_mut(), 0usize, 0);
    if unsafe {
        sys::napi_get_typedarray_info(
            env,
            cells,
            &mut ty,
            &mut len,
            &mut data,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    } == sys::Status::napi_ok
        && ty == sys::TypedarrayType::float64_array
        && len >= 8
        && (data as usize).is_multiple_of(8)
    {
        cells_ptr = data as *const AtomicU64;
    }
    let report = REPORTS.with(|r| {
        let mut r = r.borrow_mut();
        if let Some(rep) = r.get(&store.id()).and_then(Weak::upgrade) {
            return rep;
        }
        let rep = Rc::new(EnvReport {
            env,
            store_id: store.id(),
            reported: Cell::new(0),
        });
        r.insert(store.id(), Rc::downgrade(&rep));
        rep
    });
    let handle = Box::new(Handle {
        open: Some((store, report)),
        cells: cells_ptr,
    });
    handle.publish();
    let raw = Box::into_raw(handle);
    let mut ext = ptr::null_mut();
    let status = unsafe {
        sys::napi_create_external(
            env,
            raw as *mut c_void,
            Some(finalize_handle),
            ptr::null_mut(),
            &mut ext,
        )
    };
    if status != sys::Status::napi_ok {
        drop(unsafe { Box::from_raw(raw) });
        return unsafe {
            throw(
                env,
                Throw::Plain,
                ErrorCode::Native,
                "cannot create the cache handle",
            )
        };
    }
    ext
}

type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

/// Installs the off-heap functions on `target`, and as `target.scratch` the
/// Buffer they copy small byte values into: `scratch` on the first call in an
/// environment, the same Buffer on any later call (a module loaded twice).
#[napi(
    js_name = "offheapBind",
    ts_args_type = "target: object, scratch: Buffer"
)]
pub fn offheap_bind(env: Env, target: Object, scratch: Object) -> Result<()> {
    let raw_env = env.raw();
    let target = target.raw();
    let mut scratch = scratch.raw();
    TEARING_DOWN.with(|t| t.set(false));
    let bound = SCRATCH_REF.with(|r| r.get());
    if bound.0 == raw_env as usize && !bound.1.is_null() {
        // Bound before in this environment (the module was loaded again): every
        // loaded copy must read the one Buffer the callbacks write into.
        check_status!(unsafe { sys::napi_get_reference_value(raw_env, bound.1, &mut scratch) })?;
    } else {
        let (mut data, mut len, mut ty) = (ptr::null_mut(), 0usize, 0);
        check_status!(
            unsafe {
                sys::napi_get_typedarray_info(
                    raw_env,
                    scratch,
                    &mut ty,
                    &mut len,
                    &mut data,
                    ptr::null_mut(),
                    ptr::null_mut(),
                )
            },
            "leakguard: offheapBind needs a scratch Buffer"
        )?;
        // The scratch Buffer lives as long as this environment.
        let mut reference = ptr::null_mut();
        check_status!(unsafe { sys::napi_create_reference(raw_env, scratch, 1, &mut reference) })?;
        SCRATCH_REF.with(|r| r.set((raw_env as usize, reference)));
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            s.js_ptr = data as *mut u8;
            s.js_len = len;
        });
        check_status!(unsafe {
            sys::napi_add_env_cleanup_hook(raw_env, Some(on_env_teardown), raw_env as *mut c_void)
        })?;
    }
    check_status!(unsafe {
        sys::napi_set_named_property(raw_env, target, c"scratch".as_ptr(), scratch)
    })?;
    let functions: [(&str, Callback); 16] = [
        ("open", cb_open),
        ("get", cb_get),
        ("peek", cb_peek),
        ("take", cb_take),
        ("has", cb_has),
        ("set", cb_set),
        ("delete", cb_delete),
        ("clear", cb_clear),
        ("size", cb_size),
        ("purge", cb_purge),
        ("keys", cb_keys),
        ("figures", cb_figures),
        ("close", cb_close),
        ("usage", cb_usage),
        ("entrySize", cb_entry_size),
        ("v8External", cb_v8_external),
    ];
    for (name, cb) in functions {
        let cname = CString::new(name).map_err(|e| Error::from_reason(e.to_string()))?;
        let mut f = ptr::null_mut();
        check_status!(unsafe {
            sys::napi_create_function(
                raw_env,
                cname.as_ptr(),
                name.len() as isize,
                Some(cb),
                ptr::null_mut(),
                &mut f,
            )
        })?;
        check_status!(unsafe { sys::napi_set_named_property(raw_env, target, cname.as_ptr(), f) })?;
    }
    let overhead = unsafe { number(raw_env, ENTRY_OVERHEAD as f64) };
    check_status!(unsafe {
        sys::napi_set_named_property(raw_env, target, c"entryOverhead".as_ptr(), overhead)
    })?;
    Ok(())
}
