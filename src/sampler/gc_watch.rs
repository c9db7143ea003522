//! The GC watch (`gc_watch.cc`): V8's GC callbacks writing the heap feed
//! inside each GC, so no JavaScript runs per GC, and V8's near-heap-limit
//! callback. `build.rs` compiles it once per supported V8 into a shared
//! object beside the addon, `leakguard.gcwatch-v8-<major>.<minor>.node`; this
//! module reads the running V8's version from V8 itself
//! (`v8::V8::GetVersion()`, found among the process's symbols, so a program
//! that redefines `process.versions` changes nothing) and loads the one built
//! for it. No file for that version (an unknown V8, or a runtime that is not
//! V8), or one that does not load: no watch, and JS watches GCs itself.
//! Started and stopped on the JS thread that owns the isolate; napi-free
//! (the wake-ups are the caller's closures).

use super::feed::{cell, Feed};
use once_cell::sync::OnceCell;
use std::ffi::c_void;
use std::path::PathBuf;
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
/// V8 reached the old generation's limit: `(old_bytes, limit_bytes)`.
pub type NearLimit = Box<dyn Fn(f64, f64)>;

type StartFn = unsafe extern "C" fn(
    cells: *mut f64,
    at: *const Cells,
    wake: Option<unsafe extern "C" fn(*mut c_void, f64)>,
    wake_data: *mut c_void,
    near_limit: Option<unsafe extern "C" fn(*mut c_void, f64, f64)>,
    near_limit_data: *mut c_void,
    raise_bytes: f64,
) -> *mut c_void;
type StopFn = unsafe extern "C" fn(watch: *mut c_void);
type ArmedFn = unsafe extern "C" fn(watch: *mut c_void) -> i32;

/// The loaded shim of the running V8 (never unloaded).
struct Shim {
    start: StartFn,
    stop: StopFn,
    armed: ArmedFn,
}

/// The file name of the GC watch built for V8 `major.minor`.
pub fn file_name(major_minor: &str) -> String {
    format!("leakguard.gcwatch-v8-{major_minor}.node")
}

/// "major.minor" of a V8 version string ("13.6.233.17-node.63" gives "13.6").
fn major_minor(version: &str) -> Option<String> {
    let mut parts = version.split('.');
    let major = parts.next()?;
    let minor = parts.next()?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(major) && digits(minor)).then(|| format!("{major}.{minor}"))
}

#[cfg(unix)]
mod sys {
    use std::ffi::{c_void, CStr, CString};
    use std::path::PathBuf;

    /// `v8::V8::GetVersion()` of the running process, through its mangled
    /// name (the same on every V8 and both ABIs leakguard builds for).
    pub fn running_v8() -> Option<String> {
        let name = c"_ZN2v82V810GetVersionEv";
        // SAFETY: dlsym on the global scope with a valid C string.
        let sym = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
        if sym.is_null() {
            return None;
        }
        // SAFETY: V8's `static const char* GetVersion()`, no arguments, a
        // pointer to a static string.
        let get: unsafe extern "C" fn() -> *const libc::c_char =
            unsafe { std::mem::transmute(sym) };
        let text = unsafe { get() };
        if text.is_null() {
            return None;
        }
        // SAFETY: a NUL-terminated static string.
        Some(
            unsafe { CStr::from_ptr(text) }
                .to_string_lossy()
                .into_owned(),
        )
    }

    /// The folder of the addon itself (where the GC watches are placed).
    pub fn own_dir() -> Option<PathBuf> {
        let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
        // SAFETY: any address inside this library; `info` is written by dladdr.
        let found = unsafe { libc::dladdr(own_dir as *const c_void, &mut info) };
        if found == 0 || info.dli_fname.is_null() {
            return None;
        }
        // SAFETY: dladdr's NUL-terminated path.
        let path = unsafe { CStr::from_ptr(info.dli_fname) }
            .to_string_lossy()
            .into_owned();
        std::fs::canonicalize(&path)
            .unwrap_or_else(|_| PathBuf::from(path))
            .parent()
            .map(PathBuf::from)
    }

    /// dlopen (kept open) and the named symbols, or why not.
    pub fn open(path: &std::path::Path, names: &[&CStr]) -> Result<Vec<*mut c_void>, String> {
        use std::os::unix::ffi::OsStrExt;
        let c = CString::new(path.as_os_str().as_bytes()).map_err(|e| e.to_string())?;
        // SAFETY: a valid path; the library runs no initialisers of ours.
        let handle = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if handle.is_null() {
            // SAFETY: dlerror's message, if any, is a valid C string.
            let err = unsafe { libc::dlerror() };
            let why = if err.is_null() {
                "dlopen failed".to_string()
            } else {
                unsafe { CStr::from_ptr(err) }
                    .to_string_lossy()
                    .into_owned()
            };
            return Err(why);
        }
        names
            .iter()
            .map(|n| {
                // SAFETY: a live handle and a valid C string.
                let sym = unsafe { libc::dlsym(handle, n.as_ptr()) };
                if sym.is_null() {
                    Err(format!("{} lacks {}", path.display(), n.to_string_lossy()))
                } else {
                    Ok(sym)
                }
            })
            .collect()
    }
}

#[cfg(not(unix))]
mod sys {
    use std::ffi::{c_void, CStr};
    use std::path::PathBuf;
    pub fn running_v8() -> Option<String> {
        None
    }
    pub fn own_dir() -> Option<PathBuf> {
        None
    }
    pub fn open(_: &std::path::Path, _: &[&CStr]) -> Result<Vec<*mut c_void>, String> {
        Err("not on this platform".into())
    }
}

/// The running V8's version as V8 states it, `None` outside V8 (or where it
/// cannot be asked).
pub fn running_v8() -> Option<String> {
    sys::running_v8()
}

/// The GC watches present beside the addon, as "major.minor", sorted.
fn present(dir: &std::path::Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let v = name
                .strip_prefix("leakguard.gcwatch-v8-")?
                .strip_suffix(".node")?;
            major_minor(v).filter(|mm| mm == v)
        })
        .collect();
    out.sort();
    out
}

static SHIM: OnceCell<Result<Shim, String>> = OnceCell::new();

fn shim() -> Result<&'static Shim, String> {
    SHIM.get_or_init(|| load(sys::own_dir(), running_v8()))
        .as_ref()
        .map_err(Clone::clone)
}

fn load(dir: Option<PathBuf>, running: Option<String>) -> Result<Shim, String> {
    let Some(running) = running else {
        return Err(
            "V8 does not state its version in this process (v8::V8::GetVersion not found)".into(),
        );
    };
    let Some(mm) = major_minor(&running) else {
        return Err(format!("V8 states an unknown version ({running})"));
    };
    let Some(dir) = dir else {
        return Err("the addon's folder is unknown, so no GC watch can be loaded".into());
    };
    let path = dir.join(file_name(&mm));
    if !path.is_file() {
        let have = present(&dir);
        let built = if have.is_empty() {
            "none (built without V8's headers)".to_string()
        } else {
            have.iter()
                .map(|v| format!("V8 {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(format!(
            "the addon has no GC watch for V8 {running} (it has: {built})"
        ));
    }
    let syms = sys::open(
        &path,
        &[
            c"lg_gc_watch_start",
            c"lg_gc_watch_stop",
            c"lg_gc_watch_limit_armed",
        ],
    )
    .map_err(|e| format!("the GC watch for V8 {mm} did not load: {e}"))?;
    // SAFETY: the symbols of gc_watch.cc with these signatures.
    unsafe {
        Ok(Shim {
            start: std::mem::transmute::<*mut c_void, StartFn>(syms[0]),
            stop: std::mem::transmute::<*mut c_void, StopFn>(syms[1]),
            armed: std::mem::transmute::<*mut c_void, ArmedFn>(syms[2]),
        })
    }
}

/// Why the watch cannot run in this process, or `None` when it can.
pub fn unavailable() -> Option<String> {
    shim().err()
}

/// A running watch. Dropping it removes the callbacks: it must be dropped on
/// the thread that started it while that thread's isolate lives (it is not
/// `Send`).
pub struct GcWatch {
    raw: *mut c_void,
    stop: StopFn,
    armed: ArmedFn,
    /// Keeps the cells the callbacks write alive as long as they are registered.
    _feed: Arc<Feed>,
    /// The wake-ups the callbacks call; freed after they are removed.
    wake: *mut Wake,
    near_limit: *mut NearLimit,
}

unsafe extern "C" fn call_wake(data: *mut c_void, old_bytes: f64) {
    // SAFETY: `data` is the `GcWatch::wake` box, freed only after the
    // callbacks that pass it were removed.
    let wake = unsafe { &*(data as *const Wake) };
    // Inside a GC: a panic must not unwind into V8.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wake(old_bytes)));
}

unsafe extern "C" fn call_near_limit(data: *mut c_void, old_bytes: f64, limit_bytes: f64) {
    // SAFETY: `data` is the `GcWatch::near_limit` box, freed only after the
    // callback that passes it was removed.
    let f = unsafe { &*(data as *const NearLimit) };
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(old_bytes, limit_bytes)));
}

impl GcWatch {
    /// Starts watching the current thread's GCs, writing `feed`. `wake(old)`
    /// runs inside a major GC that left the old generation at or past the
    /// `NEAR_LIMIT_BYTES` cell: it must not touch the V8 heap or block.
    /// `near_limit(old, limit)`, when given, runs inside V8's near-heap-limit
    /// callback (once, unless the alarm already fired), after which V8's
    /// limit is raised by `raise_bytes`; the same rules apply.
    pub fn start(
        feed: Arc<Feed>,
        wake: Wake,
        near_limit: Option<NearLimit>,
        raise_bytes: f64,
    ) -> Result<GcWatch, String> {
        let shim = shim()?;
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
        let with_limit = near_limit.is_some();
        let near_limit = near_limit.map_or(std::ptr::null_mut(), |f| Box::into_raw(Box::new(f)));
        // SAFETY: the cells outlive the watch (`_feed`), `at` is read during
        // the call only, the boxes live until `drop` removed the callbacks.
        let raw = unsafe {
            (shim.start)(
                feed.as_ptr().cast(),
                &at,
                Some(call_wake),
                wake.cast(),
                with_limit
                    .then_some(call_near_limit as unsafe extern "C" fn(*mut c_void, f64, f64)),
                near_limit.cast(),
                raise_bytes,
            )
        };
        if raw.is_null() {
            // SAFETY: not handed to any callback.
            drop(unsafe { Box::from_raw(wake) });
            if !near_limit.is_null() {
                drop(unsafe { Box::from_raw(near_limit) });
            }
            return Err(
                "the GC watch did not start (no V8 isolate on this thread, or another V8)".into(),
            );
        }
        Ok(GcWatch {
            raw,
            stop: shim.stop,
            armed: shim.armed,
            _feed: feed,
            wake,
            near_limit,
        })
    }

    /// Whether V8's near-heap-limit callback is registered (it removes
    /// itself once it has run).
    pub fn limit_armed(&self) -> bool {
        // SAFETY: a live watch.
        unsafe { (self.armed)(self.raw) != 0 }
    }
}

impl Drop for GcWatch {
    fn drop(&mut self) {
        // SAFETY: started by `start` on this thread (the type is not `Send`),
        // removed once.
        unsafe { (self.stop)(self.raw) };
        // SAFETY: the callbacks that used them are gone.
        drop(unsafe { Box::from_raw(self.wake) });
        if !self.near_limit.is_null() {
            drop(unsafe { Box::from_raw(self.near_limit) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_minor_takes_the_first_two_numbers() {
        assert_eq!(major_minor("13.6.233.17-node.63").as_deref(), Some("13.6"));
        assert_eq!(major_minor("11.3").as_deref(), Some("11.3"));
        assert_eq!(major_minor("13").as_deref(), None);
        assert_eq!(major_minor("x.6.1").as_deref(), None);
        assert_eq!(file_name("14.6"), "leakguard.gcwatch-v8-14.6.node");
    }

    #[test]
    fn no_watch_for_an_unknown_v8_or_outside_v8() {
        let dir = std::env::temp_dir().join(format!("lg-gcwatch-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(file_name("11.3")), b"").unwrap();
        let why = load(Some(dir.clone()), Some("99.1.2".into()))
            .err()
            .unwrap();
        assert!(
            why.contains("V8 99.1.2") && why.contains("V8 11.3"),
            "{why}"
        );
        assert!(load(Some(dir.clone()), None)
            .err()
            .unwrap()
            .contains("GetVersion"));
        // A file that is not a loadable library is refused, not used.
        let why = load(Some(dir.clone()), Some("11.3.244".into()))
            .err()
            .unwrap();
        assert!(why.contains("did not load"), "{why}");
        std::fs::remove_dir_all(&dir).unwrap();
        // Outside Node (cargo test) V8 states no version.
        assert_eq!(running_v8(), None);
    }
}
