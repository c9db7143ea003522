//! napi surface of the sampler: the only file of `sampler/` that imports napi.
//! Called at start/stop, on `report()`, and after a rare profile read; never
//! per GC or per heartbeat (those go through the shared feed; the GC watch's
//! near-limit wake-up is a thread-safe function call, not a call from JS).

use super::buffers::BufferSite;
use super::gc_watch::GcWatch;
use super::ranking::Allocation;
use super::{epoch_ms, feed::Feed, HeapSampler, Notify, Settings};
use crate::stats::binding::{guard, NativeRegistry, SharedView};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi_derive::napi;
use std::sync::Arc;
use std::time::Duration;

/// The sampler's settings, resolved: the rows of `lib/sampler/settings.js`
/// marked `native`, under the same names. Each field's unit, range, default
/// and meaning are that row's; what the core makes of it is on `Settings`.
#[napi(object)]
pub struct SamplerSettings {
    pub interval_ms: f64,
    pub window_ms: f64,
    pub long_window_factor: f64,
    pub warmup_ms: f64,
    pub min_growth_bytes: f64,
    pub min_rss_growth_bytes: f64,
    pub min_site_growth: f64,
    pub min_gc_gap_ms: f64,
    pub allocations: bool,
    pub suspect_wait_ms: f64,
    pub registry_min_rate: f64,
    pub registry_min_live: f64,
    pub max_forced_gc_pause_ms: f64,
    pub forced_gc_percent: f64,
}

impl From<SamplerSettings> for Settings {
    fn from(s: SamplerSettings) -> Self {
        Settings {
            interval_ms: s.interval_ms,
            window_ms: s.window_ms,
            long_factor: s.long_window_factor,
            warmup_ms: s.warmup_ms,
            min_growth_bytes: s.min_growth_bytes,
            min_rss_growth_bytes: s.min_rss_growth_bytes,
            min_site_growth: s.min_site_growth,
            min_gc_gap_ms: s.min_gc_gap_ms,
            allocations: s.allocations,
            suspect_wait_ms: s.suspect_wait_ms,
            registry_min_rate: s.registry_min_rate,
            registry_min_live: s.registry_min_live,
            max_forced_gc_pause_ms: s.max_forced_gc_pause_ms,
            forced_gc_percent: s.forced_gc_percent,
        }
    }
}

fn to_napi(e: crate::errors::CoreError) -> Error {
    Error::new(Status::GenericFailure, e.to_string())
}

/// The running sampler of one JavaScript environment.
#[napi]
pub struct NativeHeapSampler {
    inner: Arc<HeapSampler>,
    /// The env cleanup hook's data (a boxed `Arc` on the sampler), owned here
    /// until `shutdown` removes the hook and frees it.
    hook: Option<*mut Arc<HeapSampler>>,
    /// V8's GC callbacks writing the feed, while watched (`watchGc`).
    gc_watch: Option<GcWatch>,
}

/// A worker's environment torn down without `stop()`: end the thread. Node
/// calls this at most once, and never after `napi_remove_env_cleanup_hook`.
unsafe extern "C" fn on_env_teardown(data: *mut std::ffi::c_void) {
    // SAFETY: `data` is the `Box<Arc<HeapSampler>>` leaked in `new`, not yet
    // reclaimed (`shutdown` removes the hook before reclaiming it).
    let sampler = unsafe { Box::from_raw(data as *mut Arc<HeapSampler>) };
    let _ = crate::errors::catch_panic("sampler teardown", || {
        sampler.shutdown(Duration::from_secs(1))
    });
}

#[napi]
impl NativeHeapSampler {
    /// Spawns the `leakguard-sampler` thread. `onReport(json)` is called on the
    /// JS thread (weakly: it never keeps the process alive) when the verdict
    /// changes materially.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        registry: &NativeRegistry,
        settings: SamplerSettings,
        on_report: Function<String, ()>,
    ) -> Result<Self> {
        guard(&env, "new NativeHeapSampler", || {
            Self::create(env, registry, settings, on_report)
        })
    }

    fn create(
        env: Env,
        registry: &NativeRegistry,
        settings: SamplerSettings,
        on_report: Function<String, ()>,
    ) -> Result<Self> {
        let tsfn = on_report
            .build_threadsafe_function::<String>()
            .weak::<true>()
            .callee_handled::<false>()
            .build()?;
        let notify: Notify = Box::new(move |json| {
            let _ = tsfn.call(json, ThreadsafeFunctionCallMode::NonBlocking);
        });
        let inner = Arc::new(
            HeapSampler::start(settings.into(), registry.inner.clone(), notify).map_err(to_napi)?,
        );
        // A worker's environment torn down without stop(): end the thread.
        // Raw calls, because napi's `remove_env_cleanup_hook` never frees the
        // data it boxed: an `Arc` on the whole sampler (its histograms are
        // ~750 KiB) leaked on every start()/stop() cycle.
        let data = Box::into_raw(Box::new(inner.clone()));
        // SAFETY: a valid env on the JS thread; `data` stays valid until the
        // hook runs or `shutdown` removes it.
        let status = unsafe {
            napi::sys::napi_add_env_cleanup_hook(env.raw(), Some(on_env_teardown), data.cast())
        };
        if status != napi::sys::Status::napi_ok {
            // SAFETY: not registered, so still ours.
            drop(unsafe { Box::from_raw(data) });
            inner.shutdown(Duration::from_secs(1));
            return Err(Error::new(
                Status::GenericFailure,
                "leakguard: cannot register the sampler's cleanup hook",
            ));
        }
        Ok(NativeHeapSampler {
            inner,
            hook: Some(data),
            gc_watch: None,
        })
    }

    /// The shared feed as a `Float64Array` (no copy); see `lib/sampler/heap-feed.js`.
    #[napi(ts_return_type = "Float64Array")]
    pub fn feed(&self, env: Env) -> Result<SharedView<Feed>> {
        guard(&env, "NativeHeapSampler.feed", || {
            Ok(SharedView(self.inner.shared.feed.clone()))
        })
    }

    /// Starts V8's GC callbacks writing the feed (pauses, major GCs, post-GC
    /// samples) inside each GC, on this thread, through the GC watch built
    /// for the running V8 (read from V8 itself). `onNearLimit(oldBytes)` is
    /// called soon after (on this thread, weakly: it never keeps the process
    /// alive) when a major GC leaves the old generation at or past the
    /// feed's `NEAR_LIMIT_BYTES`. With `onLimitReport`, V8's near-heap-limit
    /// callback is registered too: when V8 is about to fail, the near-limit
    /// report is made and written to `reportFile` from native code, V8's
    /// limit is raised once by `raiseBytes`, and `onLimitReport(json)` gets
    /// the report as soon as the JS thread runs. Returns null when watching,
    /// else why it cannot (then JS watches GCs itself).
    #[napi]
    pub fn watch_gc(
        &mut self,
        env: Env,
        on_near_limit: Function<f64, ()>,
        on_limit_report: Option<Function<String, ()>>,
        report_file: Option<String>,
        raise_bytes: Option<f64>,
    ) -> Result<Option<String>> {
        guard(&env, "NativeHeapSampler.watchGc", || {
            self.start_gc_watch(on_near_limit, on_limit_report, report_file, raise_bytes)
        })
    }

    fn start_gc_watch(
        &mut self,
        on_near_limit: Function<f64, ()>,
        on_limit_report: Option<Function<String, ()>>,
        report_file: Option<String>,
        raise_bytes: Option<f64>,
    ) -> Result<Option<String>> {
        self.gc_watch = None;
        // No thread-safe function (a loop handle) for a watch that cannot run.
        if let Some(why) = super::gc_watch::unavailable() {
            return Ok(Some(why));
        }
        let tsfn = on_near_limit
            .build_threadsafe_function::<f64>()
            .weak::<true>()
            .callee_handled::<false>()
            .build()?;
        // Inside a GC: a non-blocking queue push and a loop wake-up, nothing
        // that touches V8.
        let wake = Box::new(move |old: f64| {
            let _ = tsfn.call(old, ThreadsafeFunctionCallMode::NonBlocking);
        });
        let near_limit: Option<super::gc_watch::NearLimit> = match on_limit_report {
            Some(f) => {
                let report = f
                    .build_threadsafe_function::<String>()
                    .weak::<true>()
                    .callee_handled::<false>()
                    .build()?;
                let inner = self.inner.clone();
                // Inside V8's near-heap-limit callback: the report from the
                // core (Rust memory only), the file written here because the
                // JS thread may never run again, then a queue push.
                Some(Box::new(move |old: f64, limit: f64| {
                    let json = inner
                        .shared
                        .core
                        .lock()
                        .near_heap_limit(epoch_ms(), old, limit);
                    if let Some(file) = &report_file {
                        write_report_file(file, &json);
                    }
                    let _ = report.call(json, ThreadsafeFunctionCallMode::NonBlocking);
                }))
            }
            None => None,
        };
        match GcWatch::start(
            self.inner.shared.feed.clone(),
            wake,
            near_limit,
            raise_bytes.unwrap_or(0.0).max(0.0),
        ) {
            Ok(w) => {
                self.gc_watch = Some(w);
                Ok(None)
            }
            Err(why) => Ok(Some(why)),
        }
    }

    /// Whether V8's near-heap-limit callback is registered now (it removes
    /// itself once it has run; none without the GC watch).
    #[napi]
    pub fn near_heap_limit_armed(&self, env: Env) -> Result<bool> {
        guard(&env, "NativeHeapSampler.nearHeapLimitArmed", || {
            Ok(self.gc_watch.as_ref().is_some_and(GcWatch::limit_armed))
        })
    }

    /// Near the container's memory limit (JS checks RSS against it): turns
    /// the verdict leaking now and returns the report for `onLeak`.
    #[napi]
    pub fn near_memory_limit_json(
        &self,
        env: Env,
        rss_bytes: f64,
        limit_bytes: f64,
    ) -> Result<String> {
        guard(&env, "NativeHeapSampler.nearMemoryLimitJson", || {
            Ok(self
                .inner
                .shared
                .core
                .lock()
                .near_memory_limit(epoch_ms(), rss_bytes, limit_bytes))
        })
    }

    /// The container's memory limit shown in reports (`heap.memoryLimitBytes`).
    #[napi]
    pub fn set_memory_limit(&self, env: Env, limit_bytes: Option<f64>) -> Result<()> {
        guard(&env, "NativeHeapSampler.setMemoryLimit", || {
            self.inner.shared.core.lock().set_memory_limit(limit_bytes);
            Ok(())
        })
    }

    /// Removes the GC callbacks (idempotent).
    #[napi]
    pub fn unwatch_gc(&mut self, env: Env) -> Result<()> {
        guard(&env, "NativeHeapSampler.unwatchGc", || {
            self.gc_watch = None;
            Ok(())
        })
    }

    /// The current report as JSON.
    #[napi]
    pub fn report_json(&self, env: Env) -> Result<String> {
        guard(&env, "NativeHeapSampler.reportJson", || {
            Ok(self.inner.shared.core.lock().report(epoch_ms()).to_json())
        })
    }

    /// The timeline as JSON.
    #[napi]
    pub fn history_json(&self, env: Env) -> Result<String> {
        guard(&env, "NativeHeapSampler.historyJson", || {
            Ok(self.inner.shared.core.lock().history_json().to_string())
        })
    }

    /// Near the heap limit (JS polls it): turns the verdict leaking now and
    /// returns the report for `onLeak`, synchronously, before V8 aborts.
    #[napi]
    pub fn near_heap_limit_json(
        &self,
        env: Env,
        used_bytes: f64,
        limit_bytes: f64,
    ) -> Result<String> {
        guard(&env, "NativeHeapSampler.nearHeapLimitJson", || {
            Ok(self
                .inner
                .shared
                .core
                .lock()
                .near_heap_limit(epoch_ms(), used_bytes, limit_bytes))
        })
    }

    /// Replaces the allocation suspects (JSON array from the profiler).
    #[napi]
    pub fn set_allocations_json(&self, env: Env, json: String) -> Result<()> {
        guard(&env, "NativeHeapSampler.setAllocationsJson", || {
            let list: Vec<Allocation> = serde_json::from_str(&json).map_err(|e| {
                Error::new(
                    Status::InvalidArg,
                    format!("leakguard: bad allocation list: {e}"),
                )
            })?;
            self.inner.shared.core.lock().set_allocations(list);
            Ok(())
        })
    }

    /// Replaces the sampled Buffer allocation sites (JSON array from
    /// `lib/sampler/buffer-sites.js`): live bytes and growth per call site.
    #[napi]
    pub fn set_buffer_sites_json(&self, env: Env, json: String) -> Result<()> {
        guard(&env, "NativeHeapSampler.setBufferSitesJson", || {
            let list: Vec<BufferSite> = serde_json::from_str(&json).map_err(|e| {
                Error::new(
                    Status::InvalidArg,
                    format!("leakguard: bad buffer site list: {e}"),
                )
            })?;
            self.inner.shared.core.lock().set_buffer_sites(list);
            Ok(())
        })
    }

    /// Runs one tick now; false when the thread did not answer within `timeoutMs`.
    #[napi]
    pub fn flush(&self, env: Env, timeout_ms: u32) -> Result<bool> {
        guard(&env, "NativeHeapSampler.flush", || {
            Ok(self
                .inner
                .flush(Duration::from_millis(u64::from(timeout_ms))))
        })
    }

    /// Stops the thread (idempotent, waits at most `timeoutMs`); false when it
    /// had to be detached.
    #[napi]
    pub fn shutdown(&mut self, env: Env, timeout_ms: u32) -> Result<bool> {
        guard(&env, "NativeHeapSampler.shutdown", || {
            self.stop_thread(env, timeout_ms)
        })
    }

    fn stop_thread(&mut self, env: Env, timeout_ms: u32) -> Result<bool> {
        self.gc_watch = None;
        let ok = self
            .inner
            .shutdown(Duration::from_millis(u64::from(timeout_ms)));
        if let Some(data) = self.hook.take() {
            // SAFETY: registered in `new` with this data and not yet run (a
            // run hook means the env is gone and no JS can call us).
            let status = unsafe {
                napi::sys::napi_remove_env_cleanup_hook(
                    env.raw(),
                    Some(on_env_teardown),
                    data.cast(),
                )
            };
            if status == napi::sys::Status::napi_ok {
                // SAFETY: the hook is gone, so nobody else reclaims `data`.
                drop(unsafe { Box::from_raw(data) });
            }
        }
        Ok(ok)
    }

    #[napi(getter)]
    pub fn running(&self, env: Env) -> Result<bool> {
        guard(&env, "NativeHeapSampler.running", || {
            Ok(self.inner.running())
        })
    }
}

/// The report before any `start()` as JSON: `Report::default()`, the same
/// struct and serializer as a live report, at `generated_at` (epoch ms).
#[napi]
pub fn empty_report_json(env: Env, generated_at: f64) -> Result<String> {
    guard(&env, "emptyReportJson", || {
        Ok(super::report::Report {
            generated_at,
            ..Default::default()
        }
        .to_json())
    })
}

/// Writes a report as the JS side does (`JSON.stringify(report, null, 2)`
/// and a newline) and by the same rules as `lib/internal/write-file.js`: a
/// temporary file beside the target with a random name, created exclusively
/// and without following a symbolic link, then renamed over the target. An
/// unwritable path is ignored here (JS warns about it: this runs inside V8's
/// near-heap-limit callback, where nothing may call into JavaScript).
fn write_report_file(file: &str, json: &str) {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    let text = serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| json.to_owned());
    let target = std::path::Path::new(file);
    let (Some(name), dir) = (target.file_name(), target.parent()) else {
        return;
    };
    let dir = dir
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    for _ in 0..4 {
        // RandomState is seeded from the OS's randomness once per process
        // and varies per instance: a name nobody can predict.
        let mut h = RandomState::new().build_hasher();
        h.write_u128(epoch_ms().to_bits() as u128);
        let tmp = dir.join(format!(
            ".{}.{:016x}.tmp",
            name.to_string_lossy(),
            h.finish()
        ));
        let opened = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(0o666)
            .open(&tmp);
        let mut f = match opened {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => return,
        };
        let written = f
            .write_all(format!("{text}\n").as_bytes())
            .and_then(|()| f.sync_data());
        drop(f);
        if written
            .and_then(|()| std::fs::rename(&tmp, target))
            .is_err()
        {
            let _ = std::fs::remove_file(&tmp);
        }
        return;
    }
}

/// The memory limit of the process's memory cgroup (v2 `memory.max`, v1
/// `memory.limit_in_bytes`, the smallest along its path), in bytes; null
/// when there is none.
#[napi]
pub fn cgroup_memory_limit(env: Env) -> Result<Option<f64>> {
    guard(&env, "cgroupMemoryLimit", || {
        Ok(super::rss::cgroup_memory_limit())
    })
}

/// The running V8's version as V8 itself states it (`v8::V8::GetVersion()`).
#[napi]
pub fn running_v8_version(env: Env) -> Result<Option<String>> {
    guard(&env, "runningV8Version", || {
        Ok(super::gc_watch::running_v8())
    })
}

/// The feed's cell layout as JSON (`{ "SAMPLE_SEQ": 0, ... }`), so JS can check it agrees.
#[napi]
pub fn heap_feed_layout_json(env: Env) -> Result<String> {
    guard(&env, "heapFeedLayoutJson", || Ok(heap_feed_layout()))
}

fn heap_feed_layout() -> String {
    use super::feed::cell::*;
    serde_json::json!({
        "SAMPLE_SEQ": SAMPLE_SEQ, "SAMPLE_T": SAMPLE_T, "HEAP_USED": HEAP_USED,
        "HEAP_TOTAL": HEAP_TOTAL, "EXTERNAL": EXTERNAL, "ARRAY_BUFFERS": ARRAY_BUFFERS,
        "RSS": RSS, "POSTGC_SEQ": POSTGC_SEQ, "POSTGC_T": POSTGC_T,
        "POSTGC_USED": POSTGC_USED, "POSTGC_EXTERNAL": POSTGC_EXTERNAL,
        "POSTGC_FORCED": POSTGC_FORCED, "FORCED_GC_MS": FORCED_GC_MS,
        "HEARTBEAT_T": HEARTBEAT_T, "WANT_GC": WANT_GC, "GC_SERVED": GC_SERVED,
        "PROFILING": PROFILING,
        "LAG_WRITES": LAG_WRITES, "LAG_RING": LAG_RING, "LAG_LEN": LAG_LEN,
        "GC_WRITES": GC_WRITES, "GC_RING": GC_RING, "GC_LEN": GC_LEN,
        "MAJOR_GCS": MAJOR_GCS, "OLD_USED": OLD_USED, "POSTGC_OLD": POSTGC_OLD, "JS_BUSY_MS": JS_BUSY_MS,
        "FORCED_GC_TOTAL_MS": FORCED_GC_TOTAL_MS, "HEAP_LIMIT": HEAP_LIMIT,
        "LAST_MAJOR_MS": LAST_MAJOR_MS, "NEAR_LIMIT_BYTES": NEAR_LIMIT_BYTES, "WANT_BUFFERS": WANT_BUFFERS, "LEN": LEN,
    })
    .to_string()
}
