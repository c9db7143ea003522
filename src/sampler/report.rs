//! The sampler's report: what `report()` and `onLeak` receive, as the Rust
//! side makes it (`Report`, serialized with serde; its shape is `Report` in
//! `lib/sampler/index.d.ts`, described in docs/sampler.md). The fields
//! JavaScript adds (how GCs are watched, leakguard's own allocation, candidate
//! lines, `running`, `caches`) are `lib/sampler/report-fields.js`'s. The empty
//! report (before any `start()`) is `Report::default()`, so it has every field
//! a live one has. `__test__/report-shape.test.js` checks both against the
//! types. Never touches napi.

use super::ranking::{Filling, Suspect};
use super::verdict::Verdict;
use super::SamplerCore;
use crate::stats::Site;
use serde::Serialize;

/// What the sampler reports.
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub leaking: bool,
    /// Epoch ms when the verdict turned leaking.
    pub since: Option<f64>,
    /// On a leaking report without suspects: why none could be named.
    pub note: Option<String>,
    /// Bounded leakguard caches below their bound that grew over the last window.
    pub filling: Vec<FillingCache>,
    /// Those caches explain the heap's growth (which then is no leak).
    pub explained_by_caches: bool,
    pub near_heap_limit: Option<NearHeapLimit>,
    /// RSS passed the alarm level of the container's memory limit while rising.
    pub near_memory_limit: Option<NearMemoryLimit>,
    /// Epoch ms.
    pub generated_at: f64,
    pub heap: HeapReport,
    pub event_loop_lag: EventLoopLag,
    pub gc_pause: GcPause,
    pub suspects: Vec<Suspect>,
    pub sampler: SamplerReport,
}

/// A bounded cache still filling towards its bound.
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FillingCache {
    pub name: Option<String>,
    pub class: Option<String>,
    pub site: Option<Site>,
    pub size: f64,
    pub max: f64,
    /// size / max, in percent.
    pub percent: f64,
    /// Entries per second over the last window.
    pub growth_per_sec: f64,
    pub description: String,
}

impl From<&Filling> for FillingCache {
    fn from(f: &Filling) -> Self {
        FillingCache {
            name: f.name.clone(),
            class: f.class.clone(),
            site: f.site.clone(),
            size: f.size,
            max: f.max,
            percent: f.percent(),
            growth_per_sec: f.growth,
            description: f.description(),
        }
    }
}

/// The old generation passed the alarm level while rising: when, its bytes, its limit.
#[derive(Serialize, Clone, Copy, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NearHeapLimit {
    pub at: f64,
    pub used_bytes: f64,
    pub limit_bytes: f64,
}

/// RSS passed the alarm level of the container's memory limit while rising:
/// when, the RSS, the limit.
#[derive(Serialize, Clone, Copy, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NearMemoryLimit {
    pub at: f64,
    pub rss_bytes: f64,
    pub limit_bytes: f64,
}

#[derive(Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HeapReport {
    pub used_bytes: f64,
    pub total_bytes: f64,
    pub rss_bytes: f64,
    pub external_bytes: f64,
    pub array_buffers_bytes: f64,
    /// Post-GC heap outside the young generation: live memory.
    pub baseline_bytes: f64,
    pub slope_bytes_per_sec: f64,
    pub external_slope_bytes_per_sec: f64,
    pub rss_slope_bytes_per_sec: f64,
    /// RSS minus the V8 heap's committed size minus external memory.
    pub native_slope_bytes_per_sec: f64,
    pub window_ms: f64,
    pub long_window_ms: f64,
    pub samples: u64,
    pub major_gcs: f64,
    pub forced_gcs: u64,
    pub forced_gc_ms: f64,
    pub last_forced_gc_ms: f64,
    pub forced_gcs_refused: u64,
    pub heap_limit_bytes: f64,
    /// The container's memory limit (memory cgroup), when there is one.
    pub memory_limit_bytes: Option<f64>,
    /// What is leaking: `heap`, `external`, `rss`, `registry`, `heapLimit`, `memoryLimit`.
    pub growing: Vec<&'static str>,
}

#[derive(Serialize, Clone, Copy, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EventLoopLag {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Milliseconds the event loop has been stalled beyond one interval.
    pub stalled_ms: f64,
}

#[derive(Serialize, Clone, Copy, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GcPause {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub count: u64,
}

#[derive(Serialize, Clone, Copy, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SamplerReport {
    pub interval_ms: f64,
    /// Epoch ms when the warm-up ended.
    pub warmup_ended_at: Option<f64>,
    pub dropped_feed_entries: u64,
    pub tracked_rows: usize,
    pub started_at: Option<f64>,
    pub overhead: Overhead,
}

/// What leakguard itself costs: the sampler thread's and the JS thread's busy
/// time since start, and both as a share of one core.
#[derive(Serialize, Clone, Copy, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Overhead {
    pub elapsed_ms: f64,
    pub thread_busy_ms: f64,
    pub js_busy_ms: f64,
    pub thread_percent: f64,
    pub js_percent: f64,
}

impl Report {
    /// The report as JSON (what crosses to JavaScript).
    pub fn to_json(&self) -> String {
        // Cannot fail: every map key is a string; non-finite numbers become null.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

impl SamplerCore {
    /// The report at `generated_at` (epoch ms).
    pub fn report(&self, generated_at: f64) -> Report {
        self.report_with(generated_at, self.suspects())
    }

    pub(super) fn report_with(&self, generated_at: f64, mut suspects: Vec<Suspect>) -> Report {
        // Function-level guesses are shown only once memory is known to leak;
        // a call site whose live count keeps growing is a fact worth showing.
        if !self.leaking() {
            suspects.retain(|s| s.precision == "line");
        }
        let s = &self.settings;
        let now = self.now;
        let lag = self.lag.summary(self.stall_ms());
        let gc = self.gc.summary(0.0);
        let slope = |v: &Verdict| {
            v.growth().map_or_else(
                || v.series.floor_slope(now, s.window_ms),
                |g| g.slope_per_sec,
            )
        };
        let leaking = self.leaking();
        Report {
            leaking,
            since: self.since,
            note: (leaking && suspects.is_empty()).then(|| self.no_suspect_reason()),
            filling: self.filling.iter().map(FillingCache::from).collect(),
            explained_by_caches: self.explained_by_caches,
            near_heap_limit: self.near_limit.map(|n| NearHeapLimit {
                at: n.t,
                used_bytes: n.used,
                limit_bytes: n.limit,
            }),
            near_memory_limit: self.near_memory_limit.map(|n| NearMemoryLimit {
                at: n.t,
                rss_bytes: n.used,
                limit_bytes: n.limit,
            }),
            generated_at,
            heap: HeapReport {
                used_bytes: self.latest.sample.used,
                total_bytes: self.latest.sample.total,
                rss_bytes: self.latest.rss,
                external_bytes: self.latest.sample.external,
                array_buffers_bytes: self.latest.sample.array_buffers,
                baseline_bytes: self.baseline(),
                slope_bytes_per_sec: slope(&self.heap),
                external_slope_bytes_per_sec: slope(&self.external),
                rss_slope_bytes_per_sec: self.rss.floor_slope(now, s.window_ms),
                native_slope_bytes_per_sec: slope(&self.native),
                window_ms: s.window_ms,
                long_window_ms: s.window_ms * s.long_factor,
                samples: self.samples,
                major_gcs: self.latest.major_gcs,
                forced_gcs: self.forced_gcs,
                forced_gc_ms: self.latest.forced_gc_total_ms,
                last_forced_gc_ms: self.latest.forced_gc_ms,
                forced_gcs_refused: self.forced_gcs_refused,
                heap_limit_bytes: self.latest.heap_limit,
                memory_limit_bytes: self.memory_limit,
                growing: self.growing(),
            },
            event_loop_lag: EventLoopLag {
                p50_ms: lag.p50_ms,
                p99_ms: lag.p99_ms,
                max_ms: lag.max_ms,
                stalled_ms: self.stall_ms(),
            },
            gc_pause: GcPause {
                p50_ms: gc.p50_ms,
                p99_ms: gc.p99_ms,
                max_ms: gc.max_ms,
                count: self.gc_count,
            },
            suspects,
            sampler: SamplerReport {
                interval_ms: s.interval_ms,
                warmup_ended_at: self.warmup_ended,
                dropped_feed_entries: self.dropped,
                tracked_rows: self.rows.len(),
                started_at: self.started_at,
                overhead: self.overhead(),
            },
        }
    }

    fn overhead(&self) -> Overhead {
        let elapsed = self.started_at.map_or(0.0, |t| (self.now - t).max(0.0));
        let share = |ms: f64| {
            if elapsed > 0.0 {
                ms / elapsed * 100.0
            } else {
                0.0
            }
        };
        Overhead {
            elapsed_ms: elapsed,
            thread_busy_ms: self.thread_busy_ms,
            js_busy_ms: self.latest.js_busy_ms,
            thread_percent: share(self.thread_busy_ms),
            js_percent: share(self.latest.js_busy_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_report_has_every_field_of_a_live_one() {
        fn keys(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
            if let Some(map) = v.as_object() {
                for (k, child) in map {
                    let p = format!("{path}.{k}");
                    out.push(p.clone());
                    keys(child, &p, out);
                }
            }
        }
        let core = SamplerCore::new(super::super::Settings::for_tests(250.0));
        let (mut live, mut empty) = (Vec::new(), Vec::new());
        keys(
            &serde_json::to_value(core.report(1.0)).unwrap(),
            "",
            &mut live,
        );
        keys(
            &serde_json::to_value(Report::default()).unwrap(),
            "",
            &mut empty,
        );
        assert_eq!(live, empty);
        assert!(empty.contains(&".heap.nativeSlopeBytesPerSec".to_string()));
    }
}
