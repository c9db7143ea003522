//! The GC watch (`gc_watch.cc`, compiled by `build.rs` when V8's headers are
//! found): V8's GC callbacks writing the heap feed inside each GC, so no
//! JavaScript runs per GC. Started and stopped on the JS thread that owns the
//! isolate; napi-free (the wake-up is the caller's closure).

use super::feed::{cell, Feed};
use std::ffi::c_void;
use std::sync::Arc;

/// Cell indexes handed to the C++ side (`LgGcCells`), so the layout stays here.
#[repr(C)]
struct Cells {
    gc_writes: u32,
    gc_ring: u32,
    gc_len: u32,
    major_gcs: u32,
    last_major_ms: u32,
    postgc_seq: u32,
    postgc_t: u32,
    postgc_used: u32,
    postgc_external: u32,
    postgc_old: u32,
    near_limit_bytes: u32,
}

type Wake = Box<dyn Fn(f64)>;

#[cfg(gc_watch)]
extern "C" {
    fn lg_gc_watch_start(
        cells: *mut f64,
        at: *const Cells,
        wake: Option<unsafe extern "C" fn(*mut c_void, f64)>,
        wake_data: *mut c_void,
    ) -> *mut c_void;
    fn lg_gc_watch_stop(watch: *mut c_void);
    fn lg_gc_watch_v8_major() -> u32;
    fn lg_gc_watch_v8_minor() -> u32;
}

/// The V8 version (major, minor) the callbacks were compiled against; `None`
/// when the addon was built without them.
pub fn built_for() -> Option<(u32, u32)> {
    #[cfg(gc_watch)]
    {
        // SAFETY: plain functions returning constants.
        Some(unsafe { (lg_gc_watch_v8_major(), lg_gc_watch_v8_minor()) })
    }
    #[cfg(not(gc_watch))]
    None
}

/// Why the watch cannot run under V8 `running` ("11.3.244.8-node.38"), or
/// `None` when it can: V8 fills statistics structs sized by the headers the
/// addon was compiled with, so major.minor must be the same.
pub fn unavailable(running: &str) -> Option<String> {
    let Some((major, minor)) = built_for() else {
        return Some("the addon was built without V8's headers".into());
    };
    let mut parts = running.split('.');
    let same = parts.next() == Some(major.to_string().as_str())
        && parts.next() == Some(minor.to_string().as_str());
    (!same).then(|| {
        format!("the addon's GC watch was built for V8 {major}.{minor}, this is V8 {running}")
    })
}

/// A running watch. Dropping it removes the callbacks: it must be dropped on
/// the thread that started it while that thread's isolate lives (it is not
/// `Send`).
pub struct GcWatch {
    raw: *mut c_void,
    /// Keeps the cells the callbacks write alive as long as they are registered.
    _feed: Arc<Feed>,
    /// The wake-up the callbacks call; freed after they are removed.
    wake: *mut Wake,
}

#[cfg_attr(not(gc_watch), allow(dead_code))]
unsafe extern "C" fn call_wake(data: *mut c_void, old_bytes: f64) {
    // SAFETY: `data` is the `GcWatch::wake` box, freed only after the
    // callbacks that pass it were removed.
    let wake = unsafe { &*(data as *const Wake) };
    // Inside a GC: a panic must not unwind into V8.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wake(old_bytes)));
}

impl GcWatch {
    /// Starts watching the current thread's GCs, writing `feed`. `wake(old)`
    /// runs inside a major GC that left the old generation at or past the
    /// `NEAR_LIMIT_BYTES` cell: it must not touch the V8 heap or block.
    pub fn start(feed: Arc<Feed>, running_v8: &str, wake: Wake) -> Result<GcWatch, String> {
        if let Some(why) = unavailable(running_v8) {
            return Err(why);
        }
        let at = Cells {
            gc_writes: cell::GC_WRITES as u32,
            gc_ring: cell::GC_RING as u32,
            gc_len: cell::GC_LEN as u32,
            major_gcs: cell::MAJOR_GCS as u32,
            last_major_ms: cell::LAST_MAJOR_MS as u32,
            postgc_seq: cell::POSTGC_SEQ as u32,
            postgc_t: cell::POSTGC_T as u32,
            postgc_used: cell::POSTGC_USED as u32,
            postgc_external: cell::POSTGC_EXTERNAL as u32,
            postgc_old: cell::POSTGC_OLD as u32,
            near_limit_bytes: cell::NEAR_LIMIT_BYTES as u32,
        };
        let wake = Box::into_raw(Box::new(wake));
        #[cfg(gc_watch)]
        // SAFETY: the cells outlive the watch (`_feed`), `at` is read during
        // the call only, `wake` lives until `drop` removed the callbacks.
        let raw =
            unsafe { lg_gc_watch_start(feed.as_ptr().cast(), &at, Some(call_wake), wake.cast()) };
        #[cfg(not(gc_watch))]
        let raw: *mut c_void = {
            let _ = at;
            std::ptr::null_mut()
        };
        if raw.is_null() {
            // SAFETY: not handed to any callback.
            drop(unsafe { Box::from_raw(wake) });
            return Err("this thread has no V8 isolate".into());
        }
        Ok(GcWatch {
            raw,
            _feed: feed,
            wake,
        })
    }
}

impl Drop for GcWatch {
    fn drop(&mut self) {
        #[cfg(gc_watch)]
        // SAFETY: started by `start` on this thread (the type is not `Send`),
        // removed once.
        unsafe {
            lg_gc_watch_stop(self.raw)
        };
        // SAFETY: the callbacks that used it are gone.
        drop(unsafe { Box::from_raw(self.wake) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_different_v8_is_refused_with_both_versions() {
        match built_for() {
            Some((major, minor)) => {
                assert_eq!(unavailable(&format!("{major}.{minor}.1.2-node.3")), None);
                let other = format!("{}.{minor}.1", major + 1);
                let why = unavailable(&other).unwrap();
                assert!(
                    why.contains(&format!("{major}.{minor}")) && why.contains(&other),
                    "{why}"
                );
                // A prefix is not the same version.
                assert!(unavailable(&format!("{major}{minor}.1")).is_some());
            }
            None => assert!(unavailable("11.3.244").is_some()),
        }
    }
}
