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
//!   `REPORT_STEP` bytes whenever this environment calls into the store, and
//!   withdrawn when its last handle on the store goes.
//! - Every store callback opens the same way ([`enter`]: arguments, open
//!   handle, store) and every keyed one goes through [`Call::keyed`] (scratch,
//!   key, clock, dispose sink), so those steps are written once.
//! - A handle with `dispose` collects the entries its calls remove into the
//!   thread's sink; the callback then raises the flag word at the end of the
//!   scratch Buffer, and JS fetches them with `drain()` (no JS value is made
//!   for a removed entry unless someone will receive it).

use super::{
    encode_number, encode_string, entry_size, key_tag, open, process_figures, value_kind, Key,
    Sink, Store, ENTRY_OVERHEAD,
};
use crate::errors::{catch_panic, CoreError, ErrorCode};
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

/// Flag in set's `kind` argument: a per-entry ttl follows.
const WITH_TTL: u32 = 8;

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
    /// The JS `Buffer` small byte values are copied into (kept alive by a
    /// reference), less its last 8 bytes: the flag word.
    js_ptr: *mut u8,
    js_len: usize,
    /// The flag word: non-zero while removed entries wait in `SINK` for `drain()`.
    flag: *mut u32,
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
        flag: ptr::null_mut(),
    }) };
    /// Entries removed by the last call of a handle with `dispose`, for `drain()`.
    static SINK: RefCell<Sink> = RefCell::new(Sink::off());
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
    /// The cache has a dispose: its calls collect what they remove.
    collect: bool,
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
    // Inside a GC: a panic must not unwind into V8.
    let _ = catch_panic("OffHeapCache finalizer", || {
        drop(unsafe { Box::from_raw(data as *mut Handle) })
    });
}

unsafe extern "C" fn on_env_teardown(_arg: *mut c_void) {
    let _ = catch_panic("OffHeapCache teardown", || {
        let _ = TEARING_DOWN.try_with(|t| t.set(true));
        let _ = SCRATCH_REF.try_with(|r| r.set((0, ptr::null_mut())));
        let _ = SCRATCH.try_with(|s| {
            let mut s = s.borrow_mut();
            s.js_ptr = ptr::null_mut();
            s.js_len = 0;
            s.flag = ptr::null_mut();
        });
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

/// The opening steps of every store callback: `N` arguments, the first being
/// an open handle, and its store.
struct Call<'a, const N: usize> {
    env: sys::napi_env,
    argv: [sys::napi_value; N],
    h: &'a Handle,
    store: &'a Arc<Store>,
}

/// Reads the arguments and the handle; `None` when it is closed (an error is
/// then pending in JS).
#[inline(always)]
unsafe fn enter<'a, const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> Option<Call<'a, N>> {
    let argv = unsafe { args::<N>(env, info) };
    let h = unsafe { handle(env, argv[0]) }?;
    let (store, _) = h.open.as_ref()?;
    Some(Call {
        env,
        argv,
        h,
        store,
    })
}

impl<const N: usize> Call<'_, N> {
    /// The clock reading in argument `i`.
    #[inline(always)]
    unsafe fn now(&self, i: usize) -> f64 {
        unsafe { read_now(self.env, self.argv[i], self.store) }
    }

    /// Runs `f` with this call's sink (collecting when the handle has a
    /// dispose), then publishes the figures (after a call that may change
    /// them: `writes`, or any call while entries can expire) and raises the
    /// drain flag.
    #[inline(always)]
    fn with_sink<R>(&self, writes: bool, f: impl FnOnce(&mut Sink) -> R) -> R {
        if !self.h.collect {
            // Nothing to collect: a sink that drops, no thread-local.
            let r = f(&mut Sink::off());
            if writes || self.store.expires() {
                self.h.publish();
            }
            return r;
        }
        let r = SINK.with(|sink| {
            let mut sink = sink.borrow_mut();
            sink.on = true;
            sink.gone.clear();
            let r = f(&mut sink);
            (r, !sink.gone.is_empty())
        });
        if writes || self.store.expires() {
            self.h.publish();
        }
        if r.1 {
            SCRATCH.with(|s| {
                let s = s.borrow();
                if !s.flag.is_null() {
                    // SAFETY: the flag word of the scratch Buffer, alive by reference.
                    unsafe { ptr::write_unaligned(s.flag, 1) };
                }
            });
        }
        r.0
    }

    /// Runs `f` with the scratch, the key in argument `key`, the clock reading
    /// in argument `now` and this call's sink; `None` when the key is not a
    /// string or a number.
    #[inline(always)]
    unsafe fn keyed<R>(
        &self,
        key: usize,
        now: usize,
        writes: bool,
        f: impl FnOnce(&mut Scratch, Key, f64, &mut Sink) -> R,
    ) -> Option<R> {
        self.with_sink(writes, |sink| {
            SCRATCH.with(|s| {
                let mut s = s.borrow_mut();
                let s = &mut *s;
                let tag = unsafe { read_key(self.env, self.argv[key], s) }?;
                let now = unsafe { self.now(now) };
                let k = std::mem::take(&mut s.key);
                let r = f(s, Key { tag, bytes: &k }, now, sink);
                s.key = k;
                Some(r)
            })
        })
    }

    /// Runs `f` (no key) with the clock reading in argument `now` (0 when
    /// none) and this call's sink.
    #[inline(always)]
    unsafe fn unkeyed<R>(&self, now: Option<usize>, f: impl FnOnce(f64, &mut Sink) -> R) -> R {
        let now = now.map_or(0.0, |i| unsafe { self.now(i) });
        self.with_sink(true, |sink| f(now, sink))
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
/// clock; never read while no entry of the store can expire.
unsafe fn read_now(env: sys::napi_env, v: sys::napi_value, store: &Store) -> f64 {
    if !store.expires() {
        return 0.0;
    }
    unsafe { read_clock(env, v) }
}

/// `now` from JS (an injected clock's non-negative reading), else the store clock.
unsafe fn read_clock(env: sys::napi_env, v: sys::napi_value) -> f64 {
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

/// The JS string of a Latin-1 or UTF-16 value.
unsafe fn string_value(env: sys::napi_env, kind: u8, bytes: &[u8]) -> sys::napi_value {
    let mut v = ptr::null_mut();
    if kind == value_kind::LATIN1 {
        unsafe {
            sys::napi_create_string_latin1(
                env,
                bytes.as_ptr() as *const _,
                bytes.len() as isize,
                &mut v,
            )
        };
    } else {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_ne_bytes([c[0], c[1]]))
            .collect();
        unsafe { sys::napi_create_string_utf16(env, units.as_ptr(), units.len() as isize, &mut v) };
    }
    v
}

/// get / peek: a string value comes back as a string; a byte value as a number
/// `len * 2 + (1 if Uint8Array)`, its bytes in the scratch Buffer (or, when
/// longer than the scratch, held for `take`); a miss as undefined.
unsafe fn lookup(env: sys::napi_env, info: sys::napi_callback_info, peek: bool) -> sys::napi_value {
    let Some(c) = (unsafe { enter::<3>(env, info) }) else {
        return ptr::null_mut();
    };
    let found = unsafe {
        c.keyed(1, 2, false, |s, key, now, sink| {
            let mut out = std::mem::take(&mut s.out);
            let kind = c.store.get(key, now, peek, &mut out, sink);
            (kind, out)
        })
    };
    let Some((kind, bytes)) = found else {
        return unsafe { undefined(env) };
    };
    let result = match kind {
        None => unsafe { undefined(env) },
        Some(k @ (value_kind::LATIN1 | value_kind::UTF16)) => unsafe {
            string_value(env, k, &bytes)
        },
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

unsafe fn cb_get(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe { lookup(env, info, false) }
}

unsafe fn cb_peek(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe { lookup(env, info, true) }
}

/// take(dest): copies the bytes of the last byte value looked up into `dest`.
unsafe fn cb_take(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
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

unsafe fn cb_has(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let Some(c) = (unsafe { enter::<3>(env, info) }) else {
        return ptr::null_mut();
    };
    let found = unsafe { c.keyed(1, 2, false, |_, key, now, sink| c.store.has(key, now, sink)) };
    unsafe { boolean(env, found == Some(true)) }
}

unsafe fn cb_delete(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let Some(c) = (unsafe { enter::<3>(env, info) }) else {
        return ptr::null_mut();
    };
    let found = unsafe {
        c.keyed(1, 2, true, |_, key, now, sink| {
            c.store.delete(key, now, sink)
        })
    };
    unsafe { boolean(env, found == Some(true)) }
}

/// set(h, key, value, kind, now, ttl?): kind 0 = string, 2 = Buffer, 3 =
/// Uint8Array (the caller has checked the types), plus `WITH_TTL` when `ttl`
/// (ms, 0 = no expiry) is given; without it the store's default applies.
/// Returns the entries evicted.
unsafe fn cb_set(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let Some(c) = (unsafe { enter::<6>(env, info) }) else {
        return ptr::null_mut();
    };
    let [_, _, value, kind, _, ttl] = c.argv;
    let mut k = 0u32;
    unsafe { sys::napi_get_value_uint32(env, kind, &mut k) };
    let mut ttl_ms = f64::NAN;
    let ttl = if k & WITH_TTL != 0
        && unsafe { sys::napi_get_value_double(env, ttl, &mut ttl_ms) } == sys::Status::napi_ok
        && ttl_ms >= 0.0
    {
        Some(ttl_ms)
    } else {
        None
    };
    let k = k & !WITH_TTL;
    let invalid_value = || {
        CoreError::new(
            ErrorCode::InvalidValue,
            "a value must be a string, a Buffer or a Uint8Array",
        )
    };
    // An entry given its own ttl needs the clock even while nothing else expires.
    let clock = ttl
        .filter(|&t| t > 0.0)
        .map(|_| unsafe { read_clock(env, c.argv[4]) });
    let result = unsafe {
        c.keyed(1, 4, true, |s, key, now, sink| {
            let now = clock.unwrap_or(now);
            if k == 0 {
                let Some(n) = read_units(env, value, &mut s.units) else {
                    return Err(invalid_value());
                };
                let vk = if encode_string(&s.units[..n], &mut s.out) == key_tag::LATIN1 {
                    value_kind::LATIN1
                } else {
                    value_kind::UTF16
                };
                c.store.set(key, vk, &s.out, now, ttl, sink)
            } else {
                let (mut data, mut len, mut t) = (ptr::null_mut(), 0usize, 0);
                let ok = sys::napi_get_typedarray_info(
                    env,
                    value,
                    &mut t,
                    &mut len,
                    &mut data,
                    ptr::null_mut(),
                    ptr::null_mut(),
                );
                if ok != sys::Status::napi_ok || t != sys::TypedarrayType::uint8_array {
                    return Err(invalid_value());
                }
                let bytes: &[u8] = if len == 0 || data.is_null() {
                    &[]
                } else {
                    // SAFETY: the typed array's own memory, `len` bytes, alive for this call.
                    std::slice::from_raw_parts(data as *const u8, len)
                };
                let vk = if k == 2 {
                    value_kind::BUFFER
                } else {
                    value_kind::UINT8ARRAY
                };
                c.store.set(key, vk, bytes, now, ttl, sink)
            }
        })
    };
    SCRATCH.with(|s| s.borrow_mut().trim());
    match result {
        Some(Ok(evicted)) => unsafe { number(env, evicted as f64) },
        Some(Err(e)) => unsafe { throw_core(env, e) },
        None => unsafe {
            throw_core(
                env,
                CoreError::new(
                    ErrorCode::InvalidValue,
                    "a key must be a string or a number",
                ),
            )
        },
    }
}

unsafe fn cb_clear(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let Some(c) = (unsafe { enter::<1>(env, info) }) else {
        return ptr::null_mut();
    };
    unsafe { c.unkeyed(None, |_, sink| c.store.clear(sink)) };
    unsafe { undefined(env) }
}

/// size(h, now): purges expired entries, then counts.
unsafe fn cb_size(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let Some(c) = (unsafe { enter::<2>(env, info) }) else {
        return ptr::null_mut();
    };
    let n = unsafe {
        c.unkeyed(Some(1), |now, sink| {
            c.store.purge_stale(now, sink);
            c.store.figures().entries
        })
    };
    unsafe { number(env, n as f64) }
}

/// purge(h, now): removes expired entries; returns how many.
unsafe fn cb_purge(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let Some(c) = (unsafe { enter::<2>(env, info) }) else {
        return ptr::null_mut();
    };
    let n = unsafe { c.unkeyed(Some(1), |now, sink| c.store.purge_stale(now, sink)) };
    unsafe { number(env, n as f64) }
}

/// nextExpiry(h, now): ms until the store's next expiry (0: one is due; Infinity: none).
unsafe fn cb_next_expiry(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let Some(c) = (unsafe { enter::<2>(env, info) }) else {
        return ptr::null_mut();
    };
    let ms = unsafe { c.unkeyed(Some(1), |now, _| c.store.next_expiry(now)) };
    unsafe { number(env, ms) }
}

/// keys(h, now): live keys, least recently used first.
unsafe fn cb_keys(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let Some(c) = (unsafe { enter::<2>(env, info) }) else {
        return ptr::null_mut();
    };
    let keys = unsafe { c.unkeyed(Some(1), |now, sink| c.store.keys(now, sink)) };
    let mut arr = ptr::null_mut();
    unsafe { sys::napi_create_array_with_length(env, keys.len(), &mut arr) };
    for (i, (tag, bytes)) in keys.iter().enumerate() {
        let v = unsafe { key_value(env, *tag, bytes) };
        unsafe { sys::napi_set_element(env, arr, i as u32, v) };
    }
    arr
}

/// figures(h): [entries, bytes, evictions, expirations], also written to the stats row.
unsafe fn cb_figures(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let Some(c) = (unsafe { enter::<1>(env, info) }) else {
        return ptr::null_mut();
    };
    c.h.publish();
    let f = c.store.figures();
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

/// drain(): the entries the last collecting call removed, as a flat array
/// [key, value, reason, ...] (a byte value as a new Buffer or Uint8Array, as
/// stored), and lowers the flag word.
unsafe fn cb_drain(env: sys::napi_env, _info: sys::napi_callback_info) -> sys::napi_value {
    let gone = SINK.with(|s| std::mem::take(&mut s.borrow_mut().gone));
    SCRATCH.with(|s| {
        let s = s.borrow();
        if !s.flag.is_null() {
            // SAFETY: the flag word of the scratch Buffer, alive by reference.
            unsafe { ptr::write_unaligned(s.flag, 0) };
        }
    });
    let mut arr = ptr::null_mut();
    unsafe { sys::napi_create_array_with_length(env, gone.len() * 3, &mut arr) };
    for (i, g) in gone.iter().enumerate() {
        let key = unsafe { key_value(env, g.key_tag, g.key()) };
        let value = unsafe { bytes_value(env, g.value_kind, g.value()) };
        let reason = unsafe { number(env, g.reason as f64) };
        for (j, v) in [key, value, reason].into_iter().enumerate() {
            unsafe { sys::napi_set_element(env, arr, (i * 3 + j) as u32, v) };
        }
    }
    arr
}

/// A value as the type it was stored as: a string, or a new Buffer / Uint8Array.
unsafe fn bytes_value(env: sys::napi_env, kind: u8, bytes: &[u8]) -> sys::napi_value {
    if kind == value_kind::LATIN1 || kind == value_kind::UTF16 {
        return unsafe { string_value(env, kind, bytes) };
    }
    let mut data = ptr::null_mut();
    let mut v = ptr::null_mut();
    if kind == value_kind::BUFFER {
        unsafe {
            sys::napi_create_buffer_copy(
                env,
                bytes.len(),
                bytes.as_ptr() as *const c_void,
                &mut data,
                &mut v,
            )
        };
        return v;
    }
    let mut ab = ptr::null_mut();
    unsafe { sys::napi_create_arraybuffer(env, bytes.len(), &mut data, &mut ab) };
    if !data.is_null() && !bytes.is_empty() {
        // SAFETY: the new ArrayBuffer's memory, `bytes.len()` bytes.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), data as *mut u8, bytes.len()) };
    }
    unsafe {
        sys::napi_create_typedarray(
            env,
            sys::TypedarrayType::uint8_array,
            bytes.len(),
            ab,
            0,
            &mut v,
        )
    };
    v
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
unsafe fn cb_close(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
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
unsafe fn cb_usage(env: sys::napi_env, _info: sys::napi_callback_info) -> sys::napi_value {
    let (stores, entries, bytes) = process_figures();
    unsafe { numbers(env, &[stores as f64, entries as f64, bytes as f64]) }
}

/// v8External(): V8's count of externally allocated memory of this environment
/// (what `napi_adjust_external_memory` moves; on Node 20 it is not part of
/// `process.memoryUsage().external`, which counts ArrayBuffer stores only).
unsafe fn cb_v8_external(env: sys::napi_env, _info: sys::napi_callback_info) -> sys::napi_value {
    let mut total = 0i64;
    unsafe { sys::napi_adjust_external_memory(env, 0, &mut total) };
    unsafe { number(env, total as f64) }
}

/// entrySize(keyBytes, valueBytes): what an entry costs.
unsafe fn cb_entry_size(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let [a, b] = unsafe { args::<2>(env, info) };
    let (mut k, mut v) = (0u32, 0u32);
    unsafe {
        sys::napi_get_value_uint32(env, a, &mut k);
        sys::napi_get_value_uint32(env, b, &mut v);
    }
    unsafe { number(env, entry_size(k as usize, v as usize) as f64) }
}

/// open(name | undefined, maxSize, ttl, cells | undefined, collect): a handle
/// on the store; `collect` true when the cache has a dispose.
unsafe fn cb_open(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let [name, max_size, ttl, cells, collect] = unsafe { args::<5>(env, info) };
    let mut collect_flag = false;
    unsafe { sys::napi_get_value_bool(env, collect, &mut collect_flag) };
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
        collect: collect_flag,
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

/// The callback `$cb` (a plain Rust function, so that a panic in it can
/// unwind to here) behind the `extern "C"` wrapper Node calls, which turns a
/// Rust panic into a JS Error with code ERR_LEAKGUARD_NATIVE: a panic
/// unwinding out of an `extern "C"` function would abort the process.
/// `catch_unwind` does no work unless a panic unwinds (table-based unwinding).
macro_rules! guarded {
    ($cb:ident) => {{
        unsafe extern "C" fn wrapper(
            env: sys::napi_env,
            info: sys::napi_callback_info,
        ) -> sys::napi_value {
            match catch_panic(concat!("OffHeapCache ", stringify!($cb)), || unsafe {
                $cb(env, info)
            }) {
                Ok(v) => v,
                Err(e) => unsafe { throw_core(env, e) },
            }
        }
        wrapper as Callback
    }};
}

/// Debug builds only, never installed by a release build: panics, for the
/// test that a panic in a raw callback reaches JavaScript as
/// ERR_LEAKGUARD_NATIVE (__test__/native-panic.test.js).
#[cfg(debug_assertions)]
unsafe fn cb_debug_panic(_env: sys::napi_env, _info: sys::napi_callback_info) -> sys::napi_value {
    panic!("debugPanic in a raw callback")
}

/// Installs the off-heap functions on `target`, and as `target.scratch` the
/// Buffer they copy small byte values into: `scratch` on the first call in an
/// environment, the same Buffer on any later call (a module loaded twice).
#[napi(
    js_name = "offheapBind",
    ts_args_type = "target: object, scratch: Buffer"
)]
pub fn offheap_bind(env: Env, target: Object, scratch: Object) -> Result<()> {
    crate::stats::binding::guard(&env, "offheapBind", || bind(env, target, scratch))
}

fn bind(env: Env, target: Object, scratch: Object) -> Result<()> {
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
            // The last 8 bytes hold the flag word (4-byte aligned: JS views it
            // as a Uint32Array); values are copied into the rest.
            let flag_at = len.saturating_sub(8);
            s.js_len = flag_at;
            s.flag = if len >= 8 && (data as usize + flag_at).is_multiple_of(4) {
                // SAFETY: within the Buffer's `len` bytes.
                unsafe { (data as *mut u8).add(flag_at) as *mut u32 }
            } else {
                ptr::null_mut()
            };
        });
        check_status!(unsafe {
            sys::napi_add_env_cleanup_hook(raw_env, Some(on_env_teardown), raw_env as *mut c_void)
        })?;
    }
    check_status!(unsafe {
        sys::napi_set_named_property(raw_env, target, c"scratch".as_ptr(), scratch)
    })?;
    #[allow(unused_mut)]
    let mut functions: Vec<(&str, Callback)> = vec![
        ("open", guarded!(cb_open)),
        ("get", guarded!(cb_get)),
        ("peek", guarded!(cb_peek)),
        ("take", guarded!(cb_take)),
        ("has", guarded!(cb_has)),
        ("set", guarded!(cb_set)),
        ("delete", guarded!(cb_delete)),
        ("clear", guarded!(cb_clear)),
        ("size", guarded!(cb_size)),
        ("purge", guarded!(cb_purge)),
        ("keys", guarded!(cb_keys)),
        ("figures", guarded!(cb_figures)),
        ("nextExpiry", guarded!(cb_next_expiry)),
        ("drain", guarded!(cb_drain)),
        ("close", guarded!(cb_close)),
        ("usage", guarded!(cb_usage)),
        ("entrySize", guarded!(cb_entry_size)),
        ("v8External", guarded!(cb_v8_external)),
    ];
    #[cfg(debug_assertions)]
    functions.push(("debugPanic", guarded!(cb_debug_panic)));
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
