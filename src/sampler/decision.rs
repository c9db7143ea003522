//! The decision: `SamplerCore` reads each tick's observation (the feed, RSS,
//! the registry rows), keeps the verdicts and histograms, and says whether the
//! process leaks, what to ask of the JavaScript side (a forced GC) and when a
//! report is due. Driven by `observe` with an explicit clock, so tests feed it
//! synthetic observations. The algorithm is described in `mod.rs`. Never
//! touches napi.

use super::buffers::BufferSite;
use super::feed::{self, FeedInput};
use super::histogram::RollingHistogram;
use super::ranking::{self, Allocation, RowTracker, Suspect};
use super::verdict::{self, Point, Tuning, Verdict};
use crate::stats::RowSnapshot;
use serde_json::{json, Value};
use std::collections::VecDeque;

/// Settings, all resolved (the table of defaults is `lib/sampler/settings.js`;
/// they arrive as `binding::SamplerSettings`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Sampling period in milliseconds.
    pub interval_ms: f64,
    /// Short horizon in milliseconds.
    pub window_ms: f64,
    /// Long horizon = `window_ms * long_factor`.
    pub long_factor: f64,
    /// Longest warm-up, in milliseconds: growth from start that stops
    /// within it is never a leak. It ends earlier, once the heap stopped
    /// rising for half a window (start-up no longer dominates); growth that
    /// never stopped is judged from half a window before its end.
    pub warmup_ms: f64,
    /// Minimum heap/external growth over a horizon, in bytes.
    pub min_growth_bytes: f64,
    /// Minimum growth of native memory (RSS not explained by the V8 heap or
    /// external memory) over a horizon, in bytes.
    pub min_rss_growth_bytes: f64,
    /// Minimum growth of a call site's live count over a horizon, in items.
    pub min_site_growth: f64,
    /// Minimum gap between forced GCs, in milliseconds.
    pub min_gc_gap_ms: f64,
    /// Whether the allocation profiler may be asked for.
    pub allocations: bool,
    /// Longest wait for suspects before the first leak report is delivered
    /// without any, in milliseconds.
    pub suspect_wait_ms: f64,
    /// A timer/listener/unbounded-cache row rising this fast (items/s) ...
    pub registry_min_rate: f64,
    /// ... with this many live items is a leak verdict by itself.
    pub registry_min_live: f64,
    /// No forced GC expected to pause longer than this, in milliseconds.
    pub max_forced_gc_pause_ms: f64,
    /// Forced GCs take at most this share of wall time, in percent.
    pub forced_gc_percent: f64,
}

/// Full-GC time assumed per MiB of used heap before one has been measured
/// (a profile read through `node:inspector` measured 1.3–1.6 ms/MiB).
const GC_MS_PER_MIB: f64 = 1.5;
/// Heap growth per second (bytes) from which a forced GC may pause
/// `URGENT_PAUSE_FACTOR` times longer than `max_forced_gc_pause_ms`.
const URGENT_SLOPE: f64 = 4.0 * 1024.0 * 1024.0;
const URGENT_PAUSE_FACTOR: f64 = 4.0;

/// Bytes per entry a filling cache without size accounting may explain.
const FILLING_ENTRY_BYTES: f64 = 16.0 * 1024.0;

/// The middle horizon, in windows: 0.25 MB/s rises by 3 MiB (the floor
/// test's `0.75 * min_growth` at the default 4 MiB) in 3/4 of three 8 s
/// windows, not in 3/4 of two.
const MID_FACTOR: f64 = 3.0;

/// Entries kept by `history()` (ten minutes at the default 1 s period).
const HISTORY_LEN: usize = 600;
/// The heap growing more than this many times what the registry evidence's
/// rows can hold is held by something else (`heap_outgrows_evidence`): the
/// per-item byte figures are estimates, hence the margin.
const HOLDER_FACTOR: f64 = 4.0;

impl Settings {
    /// Fixed settings for the Rust tests. The defaults users get are set in
    /// one place, `lib/sampler/settings.js`; these are test data.
    #[cfg(test)]
    pub fn for_tests(interval_ms: f64) -> Self {
        Settings {
            interval_ms,
            window_ms: 8000.0,
            long_factor: 8.0,
            warmup_ms: 8000.0,
            min_growth_bytes: 4.0 * 1024.0 * 1024.0,
            min_rss_growth_bytes: 16.0 * 1024.0 * 1024.0,
            min_site_growth: 20.0,
            min_gc_gap_ms: 1000.0,
            allocations: true,
            suspect_wait_ms: 2000.0,
            registry_min_rate: 100.0,
            registry_min_live: 1000.0,
            max_forced_gc_pause_ms: 500.0,
            forced_gc_percent: 1.0,
        }
    }

    /// The verdict of the heap and of external memory: growth that started
    /// with the process is judged from half a window before the warm-up's
    /// end (growth that stops within `warmup_ms` is still never a leak), and
    /// a middle horizon of `MID_FACTOR` windows catches slow leaks long
    /// before the long horizon is covered.
    fn heap_verdict(&self) -> Verdict {
        Verdict::new(self.tuning(self.min_growth_bytes, true))
            .judge_start_up_after(self.warmup_ms - self.window_ms / 2.0)
            .with_mid_horizon(MID_FACTOR)
    }

    fn tuning(&self, min_growth: f64, confirm: bool) -> Tuning {
        Tuning {
            window_ms: self.window_ms,
            long_factor: self.long_factor,
            min_growth,
            warmup_ms: self.warmup_ms,
            confirm,
        }
    }
}

/// One entry of the timeline (`history()` in JS).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistoryEntry {
    pub t: f64,
    pub heap_used: f64,
    pub rss: f64,
    pub external: f64,
    pub baseline: f64,
    pub leaking: bool,
    pub lag_p99_ms: f64,
}

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Latest {
    pub(super) sample: feed::HeapSample,
    pub(super) rss: f64,
    pub(super) baseline: Option<f64>,
    pub(super) heartbeat_t: f64,
    pub(super) major_gcs: f64,
    pub(super) forced_gc_ms: f64,
    pub(super) forced_gc_total_ms: f64,
    pub(super) heap_limit: f64,
    pub(super) js_busy_ms: f64,
    pub(super) profiling: bool,
}

/// The near-heap-limit verdict: JS saw used heap past a high share of
/// `heap_size_limit` and still rising (see `near_heap_limit`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct NearLimit {
    pub(super) t: f64,
    pub(super) used: f64,
    pub(super) limit: f64,
}

/// What one tick reads: the feed, RSS, and the registry rows.
pub struct Observation {
    pub now: f64,
    pub feed: FeedInput,
    /// RSS read by the thread (`None` where `/proc` is absent).
    pub rss: Option<f64>,
    pub rows: Vec<RowSnapshot>,
}

/// Requests the core makes of the JS side after a tick.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Requests {
    pub force_gc: bool,
}

/// The sampler's state and decisions; driven by `observe` with an explicit
/// clock, so tests feed it synthetic observations.
pub struct SamplerCore {
    pub(super) settings: Settings,
    pub(super) started_at: Option<f64>,
    pub(super) heap: Verdict,
    pub(super) external: Verdict,
    /// RSS not explained by the V8 heap or external memory: native leaks.
    pub(super) native: Verdict,
    /// RSS itself, for its slope in reports.
    pub(super) rss: verdict::Series,
    pub(super) lag: RollingHistogram,
    pub(super) gc: RollingHistogram,
    pub(super) gc_count: u64,
    pub(super) rows: RowTracker,
    pub(super) allocations: Vec<Allocation>,
    /// Sampled Buffer allocation sites (`buffers`), pushed while off-heap growth is suspected.
    pub(super) buffer_sites: Vec<BufferSite>,
    pub(super) latest: Latest,
    pub(super) samples: u64,
    pub(super) dropped: u64,
    pub(super) forced_gcs: u64,
    pub(super) last_gc_request: f64,
    pub(super) since: Option<f64>,
    pub(super) notified: Option<String>,
    /// A profile read is wanted: the first report of a leak is held (at most
    /// `suspect_wait_ms`) until a suspect is known, and a heap leak wants a
    /// profile read since its suspicion opened (`profile_due`).
    pub(super) want_attribution: bool,
    /// `now` of the tick before the last allocation list arrived (profile read).
    pub(super) allocations_at: Option<f64>,
    /// When the adaptive warm-up ended.
    pub(super) warmup_ended: Option<f64>,
    pub(super) near_limit: Option<NearLimit>,
    /// RSS near the container's memory limit (see `near_memory_limit`).
    pub(super) near_memory_limit: Option<NearLimit>,
    /// The container's memory limit (memory cgroup), when there is one.
    pub(super) memory_limit: Option<f64>,
    /// Registry rows that are a verdict by themselves (this tick).
    pub(super) evidence: Vec<Suspect>,
    /// Since this leak began, the heap once grew far faster than the
    /// registry evidence's rows can hold (`heap_outgrows_evidence`).
    pub(super) heap_outgrew: bool,
    /// Bounded caches filling (this tick), and whether they explain the heap's growth.
    pub(super) filling: Vec<ranking::Filling>,
    pub(super) explained_by_caches: bool,
    /// Forced GCs the budget refused.
    pub(super) forced_gcs_refused: u64,
    /// Heap used at the last forced GC, to scale its duration to today's heap.
    pub(super) used_at_forced: f64,
    pub(super) history: VecDeque<HistoryEntry>,
    pub(super) now: f64,
    /// Milliseconds the sampler thread spent in its ticks, ever (wall time
    /// inside the tick: an upper bound on its CPU time).
    pub(super) thread_busy_ms: f64,
}

impl SamplerCore {
    pub fn new(settings: Settings) -> Self {
        SamplerCore {
            settings,
            started_at: None,
            heap: settings.heap_verdict(),
            external: settings.heap_verdict(),
            // RSS moves with allocator and runtime effects a heap figure does
            // not have: native memory is judged on the long horizon only.
            native: Verdict::new(Tuning {
                window_ms: settings.window_ms * settings.long_factor,
                long_factor: 1.0,
                warmup_ms: settings
                    .warmup_ms
                    .max(settings.window_ms * settings.long_factor),
                ..settings.tuning(settings.min_rss_growth_bytes, true)
            }),
            rss: verdict::Series::new(),
            lag: RollingHistogram::new(settings.window_ms),
            gc: RollingHistogram::new(settings.window_ms),
            gc_count: 0,
            rows: RowTracker::new(Tuning {
                warmup_ms: 0.0,
                ..settings.tuning(settings.min_site_growth, false)
            }),
            allocations: Vec::new(),
            buffer_sites: Vec::new(),
            latest: Latest::default(),
            samples: 0,
            dropped: 0,
            forced_gcs: 0,
            last_gc_request: f64::NEG_INFINITY,
            since: None,
            notified: None,
            want_attribution: false,
            heap_outgrew: false,
            allocations_at: None,
            warmup_ended: None,
            near_limit: None,
            near_memory_limit: None,
            memory_limit: None,
            evidence: Vec::new(),
            filling: Vec::new(),
            explained_by_caches: false,
            forced_gcs_refused: 0,
            used_at_forced: 0.0,
            history: VecDeque::new(),
            now: 0.0,
            thread_busy_ms: 0.0,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Folds in one tick and returns what the JS side should do.
    pub fn observe(&mut self, obs: Observation) -> Requests {
        let now = obs.now;
        self.now = now;
        self.started_at.get_or_insert(now);
        let f = obs.feed;
        self.lag.tick(now);
        self.gc.tick(now);
        for &l in &f.lags_ms {
            self.lag.record_ms(l);
        }
        for &p in &f.gc_pauses_ms {
            self.gc.record_ms(p);
        }
        self.gc_count += f.gc_pauses_ms.len() as u64;
        self.dropped += f.dropped;
        self.latest.heartbeat_t = f.heartbeat_t;
        self.latest.major_gcs = f.major_gcs;
        if f.forced_gc_ms != self.latest.forced_gc_ms {
            self.used_at_forced = self.latest.sample.used;
        }
        self.latest.forced_gc_ms = f.forced_gc_ms;
        self.latest.forced_gc_total_ms = f.forced_gc_total_ms;
        self.latest.heap_limit = f.heap_limit;
        self.latest.js_busy_ms = f.js_busy_ms;
        self.latest.profiling = f.profiling;

        if let Some(s) = f.sample {
            self.samples += 1;
            self.latest.sample = s;
            // All of the heap used: old-generation bytes alone rise in steps,
            // one per scavenge that promotes, and a service allocating little
            // garbage scavenges less often than once per segment. A segment's
            // floor is its lowest sample (just after a scavenge when there is
            // garbage), so young garbage does not raise it.
            self.heap.push(Point {
                t: s.t,
                v: s.used,
                post_gc: false,
            });
            self.external.push(Point {
                t: s.t,
                v: s.external,
                post_gc: false,
            });
        }
        let rss = obs
            .rss
            .or((self.latest.sample.rss > 0.0).then_some(self.latest.sample.rss));
        if let Some(p) = f.post_gc {
            self.forced_gcs = self.forced_gcs.max(p.forced_total as u64);
            let baseline = surviving(p.old_used, p.used);
            self.latest.baseline = Some(baseline);
            self.heap.push(Point {
                t: p.t,
                v: baseline,
                post_gc: true,
            });
            self.external.push(Point {
                t: p.t,
                v: p.external,
                post_gc: true,
            });
        }
        if let Some(r) = rss {
            self.latest.rss = r;
            let keep = self.settings.window_ms * 1.25;
            self.rss.push(
                Point {
                    t: now,
                    v: r,
                    post_gc: false,
                },
                keep,
            );
            // A growing V8 heap (committed pages) or external memory raises
            // RSS too; only what neither explains is counted here.
            let s = self.latest.sample;
            if s.total > 0.0 {
                self.native.push(Point {
                    t: now,
                    v: r - s.total - s.external,
                    post_gc: f.post_gc.is_some(),
                });
            }
        }
        self.end_warmup(now);
        self.heap.evaluate(now);
        self.external.evaluate(now);
        self.native.evaluate(now);
        self.rows.observe(now, &obs.rows);
        self.evidence = self.rows.evidence(
            self.settings.registry_min_rate,
            self.settings.registry_min_live,
        );
        self.filling = self.rows.filling(now);
        self.explained_by_caches = self.caches_explain_heap_growth();

        let leaking = self.leaking();
        if leaking {
            self.since.get_or_insert(now);
            // Latched for the episode: a heap floor that wavers around the
            // margin must not reorder the suspects (and send a report) each time.
            self.heap_outgrew = self.heap_outgrew || self.heap_outgrows_evidence();
        } else {
            self.since = None;
            self.notified = None;
            self.heap_outgrew = false;
        }
        self.record_history(now, leaking);
        self.requests(now)
    }

    /// The warm-up ends once the heap stopped rising for half a window (its
    /// floor over the last quarter window no more than `min_growth / 16`
    /// above the quarter before): start-up no longer dominates. It lasts at
    /// most `warmup_ms` (a leak from the first second keeps it that long,
    /// and is then judged from half a window before its end: `heap_verdict`).
    fn end_warmup(&mut self, now: f64) {
        if self.warmup_ended.is_some() {
            return;
        }
        let started = self.started_at.unwrap_or(now);
        let seg = self.settings.window_ms / 4.0;
        let ended = if now - started >= self.settings.warmup_ms {
            true
        } else if now - started >= 2.0 * seg {
            let s = &self.heap.series;
            match (
                s.floor_between(now - 2.0 * seg, now - seg),
                s.floor_between(now - seg, now),
            ) {
                (Some(a), Some(b)) => b - a < self.settings.min_growth_bytes / 16.0,
                _ => false,
            }
        } else {
            false
        };
        if ended {
            self.warmup_ended = Some(now);
            self.heap.end_warmup(now);
            self.external.end_warmup(now);
        }
    }

    /// Growth of the heap that bounded leakguard caches still filling can
    /// explain: the heap's slope is no more than their entries per second
    /// times a plausible entry size (their own accounting, else
    /// `FILLING_ENTRY_BYTES`), and filling them to their bounds at the bytes
    /// per entry actually seen fits in half the heap still free. A bound so
    /// large that reaching it would exhaust the heap explains nothing.
    fn caches_explain_heap_growth(&self) -> bool {
        if self.filling.is_empty() || !self.heap.leaking() {
            return false;
        }
        let slope = self
            .heap
            .growth()
            .map_or_else(
                || {
                    self.heap
                        .series
                        .floor_slope(self.now, self.settings.window_ms)
                },
                |g| g.slope_per_sec,
            )
            .max(0.0);
        let entries: f64 = self.filling.iter().map(|f| f.growth).sum();
        let plausible: f64 = self
            .filling
            .iter()
            .map(|f| f.growth * f.bytes_per_entry.map_or(FILLING_ENTRY_BYTES, |b| 2.0 * b))
            .sum();
        if entries <= 0.0 || slope > plausible {
            return false;
        }
        let per_entry = slope / entries;
        let headroom: f64 = self
            .filling
            .iter()
            .map(|f| (f.max - f.size).max(0.0) * per_entry)
            .sum();
        let limit = self.latest.heap_limit;
        let free = if limit > 0.0 {
            (limit - self.latest.sample.used).max(0.0)
        } else {
            f64::INFINITY
        };
        headroom <= 0.5 * free
    }

    /// The forced-GC budget: at most `forced_gc_percent` of the wall time
    /// since start (plus one pause, so that the first can happen), and no
    /// single forced GC expected to pause longer than `max_forced_gc_pause_ms`
    /// (four times that while the heap grows by 4 MiB/s or more)
    /// (the last one's duration scaled to today's heap, or `GC_MS_PER_MIB`
    /// before one has been measured). Natural major GCs cost nothing here.
    fn forced_gc_allowed(&self, now: f64) -> bool {
        self.forced_gc_affordable(now) && now - self.last_gc_request >= self.settings.min_gc_gap_ms
    }

    /// `forced_gc_allowed` without the least gap: the pause and the share of
    /// wall time.
    fn forced_gc_affordable(&self, now: f64) -> bool {
        let s = &self.settings;
        let used = self.latest.sample.used.max(1.0);
        let expected = if self.latest.forced_gc_ms > 0.0 && self.used_at_forced > 0.0 {
            self.latest.forced_gc_ms * used / self.used_at_forced
        } else {
            used / (1024.0 * 1024.0) * GC_MS_PER_MIB
        };
        // A fast leak earns a longer pause: a process gaining URGENT_SLOPE or
        // more per second is minutes from its heap limit, and one long GC
        // that confirms and names the leak is cheaper than dying of it
        // unreported. The share of wall time still bounds the total.
        let urgent = self
            .heap
            .growth()
            .is_some_and(|g| g.slope_per_sec >= URGENT_SLOPE);
        let cap = if urgent {
            s.max_forced_gc_pause_ms * URGENT_PAUSE_FACTOR
        } else {
            s.max_forced_gc_pause_ms
        };
        let elapsed = now - self.started_at.unwrap_or(now);
        let budget = s.forced_gc_percent / 100.0 * elapsed + cap;
        expected <= cap && self.latest.forced_gc_total_ms + expected <= budget
    }

    fn requests(&mut self, now: f64) -> Requests {
        let wants = self.heap.wants_gc()
            || self.external.wants_gc()
            || self.native.wants_gc()
            || (self.want_attribution && self.settings.allocations);
        let force_gc = wants && self.forced_gc_allowed(now);
        if force_gc {
            self.last_gc_request = now;
        } else if wants && now - self.last_gc_request >= self.settings.min_gc_gap_ms {
            self.forced_gcs_refused += 1;
        }
        Requests { force_gc }
    }

    fn record_history(&mut self, now: f64, leaking: bool) {
        let entry = HistoryEntry {
            t: now,
            heap_used: self.latest.sample.used,
            rss: self.latest.rss,
            external: self.latest.sample.external,
            baseline: self.baseline(),
            leaking,
            lag_p99_ms: self.lag.summary(0.0).p99_ms,
        };
        if self.history.len() >= HISTORY_LEN {
            self.history.pop_front();
        }
        self.history.push_back(entry);
    }

    /// Replaces the allocation suspects (pushed after each profile read).
    pub fn set_allocations(&mut self, allocations: Vec<Allocation>) {
        self.allocations = allocations;
        self.allocations_at = Some(self.now);
    }

    /// Replaces the sampled Buffer allocation sites (pushed by the JS side while armed).
    pub fn set_buffer_sites(&mut self, sites: Vec<BufferSite>) {
        self.buffer_sites = sites;
    }

    /// Whether Buffer allocations are worth sampling by call site: external
    /// or native memory is suspected of growing, leaks, or RSS neared the
    /// container's limit (the JS side reads it in the feed's `WANT_BUFFERS`).
    pub fn buffers_wanted(&self) -> bool {
        self.settings.allocations
            && (self.external.suspected()
                || self.native.suspected()
                || self.near_memory_limit.is_some())
    }

    /// The heap leaks, the profiler runs, and no profile has been read since
    /// the suspicion the verdict confirmed opened: the allocation suspects
    /// are from an older read (or there are none), which may miss the
    /// function that allocates what leaks. A confirming forced GC is such a
    /// read (it is made after the suspicion opened); a confirming natural
    /// major GC is not, and the rows already known (listeners spread one per
    /// request, say) would then be all that reports name.
    fn profile_due(&self) -> bool {
        if !(self.settings.allocations
            && self.latest.profiling
            && self.heap.leaking()
            && !self.explained_by_caches)
        {
            return false;
        }
        match (self.heap.opened(), self.allocations_at) {
            (Some(opened), Some(read)) => read < opened,
            (_, None) => true,
            (None, Some(_)) => false,
        }
    }

    /// Leaking: a series confirmed growing (the heap's only when bounded
    /// caches filling do not explain it), registry evidence, or the heap near
    /// its limit.
    pub fn leaking(&self) -> bool {
        (self.heap.leaking() && !self.explained_by_caches)
            || self.external.leaking()
            || self.native.leaking()
            || !self.evidence.is_empty()
            || self.near_limit.is_some()
            || self.near_memory_limit.is_some()
    }

    /// JS saw used heap past a high share of its limit and rising: leaking now,
    /// and the report to hand to `onLeak` at once (it is also marked as
    /// notified, so the thread does not deliver it a second time).
    pub fn near_heap_limit(&mut self, now: f64, used: f64, limit: f64) -> String {
        self.now = self.now.max(now);
        self.near_limit = Some(NearLimit {
            t: now,
            used,
            limit,
        });
        self.since.get_or_insert(now);
        let suspects = self.suspects();
        self.notified = Some(self.notification_key(&suspects));
        self.want_attribution = false;
        self.report_with(now, suspects).to_json()
    }

    /// JS saw RSS past a high share of the container's memory limit and
    /// rising (the kernel kills the process there): as `near_heap_limit`.
    pub fn near_memory_limit(&mut self, now: f64, rss: f64, limit: f64) -> String {
        self.now = self.now.max(now);
        self.near_memory_limit = Some(NearLimit {
            t: now,
            used: rss,
            limit,
        });
        self.since.get_or_insert(now);
        let suspects = self.suspects();
        self.notified = Some(self.notification_key(&suspects));
        self.want_attribution = false;
        self.report_with(now, suspects).to_json()
    }

    /// The container's memory limit shown in reports.
    pub fn set_memory_limit(&mut self, limit: Option<f64>) {
        self.memory_limit = limit;
    }

    /// The post-GC heap baseline: the last post-GC size, else the recent floor.
    pub(super) fn baseline(&self) -> f64 {
        self.latest.baseline.unwrap_or_else(|| {
            self.heap
                .series
                .floor_since(self.now - self.settings.window_ms / 4.0)
                .unwrap_or(self.latest.sample.used)
        })
    }

    /// Milliseconds the event loop has been stalled beyond one interval (0 if not).
    pub(super) fn stall_ms(&self) -> f64 {
        if self.latest.heartbeat_t <= 0.0 {
            return 0.0;
        }
        (self.now - self.latest.heartbeat_t - self.settings.interval_ms).max(0.0)
    }

    /// Registry evidence decided while the heap grows more than
    /// `HOLDER_FACTOR` times what those rows can hold (their items times
    /// their bytes per item), by at least `minGrowthBytes` over a window:
    /// something else holds most of the memory.
    fn heap_outgrows_evidence(&self) -> bool {
        if self.evidence.is_empty() {
            return false;
        }
        // From the floors of the first and last quarter of the window,
        // warm-up or not (registry evidence does not wait for it).
        let w = self.settings.window_ms;
        let floor = |from: f64| {
            self.heap
                .series
                .floor_between(self.now - from, self.now - from + w / 4.0)
        };
        let (Some(first), Some(last)) = (floor(w), floor(w / 4.0)) else {
            return false;
        };
        let rise = last - first;
        let rate = rise / (0.75 * w / 1000.0);
        let held: f64 = self.evidence.iter().map(ranking::row_bytes_per_sec).sum();
        rise >= 0.75 * self.settings.min_growth_bytes && rate > HOLDER_FACTOR * held
    }

    /// The first report of a registry verdict waits for a profile read made
    /// since the verdict when the heap outgrows the rows (so that it names
    /// what holds the memory), while the forced-GC budget can afford one.
    fn wait_for_holder(&self) -> bool {
        self.settings.allocations
            && self.latest.profiling
            && self.heap_outgrew
            && self
                .allocations_at
                .is_none_or(|read| read < self.since.unwrap_or(self.now))
            && self.forced_gc_affordable(self.now)
    }

    /// The first report of a leak of external or native memory alone waits
    /// for a sampled Buffer site (armed at the suspicion, it names the line
    /// a few heartbeats later): a heap profile's suspects cannot hold what
    /// grows outside the heap.
    fn wait_for_buffers(&self, suspects: &[Suspect]) -> bool {
        self.buffers_wanted()
            && (self.external.leaking() || self.native.leaking())
            && !self.heap.leaking()
            && self.evidence.is_empty()
            && !suspects.iter().any(|s| s.kind == "buffer")
    }

    pub fn suspects(&self) -> Vec<Suspect> {
        let mut rows = self.rows.suspects();
        // Buffer sites are line-exact but judged by the JS side's floors:
        // listed only while leaking, as function-level guesses are.
        if self.leaking() {
            rows.extend(self.buffer_sites.iter().filter_map(BufferSite::suspect));
        }
        let mut ranked = ranking::rank(rows, &self.allocations);
        // Registry evidence alone decided, and its rows can hold the heap's
        // growth: they come first.
        if !self.evidence.is_empty()
            && !self.heap.leaking()
            && !self.external.leaking()
            && !self.native.leaking()
            && !self.heap_outgrew
        {
            let is_evidence = |s: &Suspect| {
                self.evidence
                    .iter()
                    .any(|e| e.kind == s.kind && e.site == s.site && e.detail == s.detail)
            };
            ranked.sort_by_key(|s| !is_evidence(s));
        }
        ranked
    }

    /// What is leaking: the series whose verdict is leaking, `registry` for
    /// registry evidence, `heapLimit` near the heap limit.
    pub(super) fn growing(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = [
            ("heap", &self.heap),
            ("external", &self.external),
            ("rss", &self.native),
        ]
        .into_iter()
        .filter(|(n, v)| v.leaking() && !(*n == "heap" && self.explained_by_caches))
        .map(|(n, _)| n)
        .collect();
        if !self.evidence.is_empty() {
            out.push("registry");
        }
        if self.near_limit.is_some() {
            out.push("heapLimit");
        }
        if self.near_memory_limit.is_some() {
            out.push("memoryLimit");
        }
        out
    }

    fn notification_key(&self, suspects: &[Suspect]) -> String {
        let top = suspects
            .first()
            .map(|s| {
                let site = s
                    .site
                    .as_ref()
                    .map(|x| format!("{}:{}", x.file, x.line))
                    .unwrap_or_default();
                format!("{}@{site}", s.kind)
            })
            .unwrap_or_default();
        format!("{:?}|{top}", self.growing())
    }

    /// Why no suspect could be named, for a report delivered without one.
    pub(super) fn no_suspect_reason(&self) -> String {
        let mut why = format!(
            "no suspect could be named within {} ms of the verdict: ",
            self.settings.suspect_wait_ms
        );
        if self.external.leaking() || self.native.leaking() {
            why.push_str("the growth is outside the V8 heap, which the sampling heap profiler does not see, and no sampled Buffer allocation site grew (native memory is not sampled by call site, nor are ArrayBuffers and typed arrays made with `new` unless `arrayBufferSites` is on)");
        } else if !self.settings.allocations {
            why.push_str("allocation sampling is off (allocations: false)");
        } else if self.forced_gcs_refused > 0 && self.allocations.is_empty() {
            why.push_str("the forced-GC budget refused the profile read");
        } else {
            why.push_str("no allocation site, timer, listener or cache grew");
        }
        why
    }

    /// When the verdict turns leaking, or while leaking the growing series or
    /// the top suspect change: the report to hand to `onLeak`.
    ///
    /// The first report of a leak waits for a suspect, and for a heap leak
    /// also for a profile read since its suspicion opened (`profile_due`; a
    /// read is requested meanwhile), for at most `suspect_wait_ms` after the
    /// verdict; past that it is delivered with what is known (with `note`
    /// saying why no suspect was named, if none was).
    pub fn take_notification(&mut self, generated_at: f64) -> Option<String> {
        if !self.leaking() {
            self.want_attribution = false;
            return None;
        }
        let suspects = self.suspects();
        let profile_due = self.profile_due();
        // Rows already named wait for the read only if the budget can afford it.
        let wait_for_read = (profile_due && self.forced_gc_affordable(self.now))
            || (self.notified.is_none()
                && (self.wait_for_holder() || self.wait_for_buffers(&suspects)));
        if self.notified.is_none() && (suspects.is_empty() || wait_for_read) {
            let waited = self.now - self.since.unwrap_or(self.now);
            if waited < self.settings.suspect_wait_ms {
                self.want_attribution = true;
                return None;
            }
        }
        // A report that went without the read (the budget refused it, or
        // the read was slow) is followed by one naming the allocating
        // function once a read is allowed.
        self.want_attribution = profile_due;
        let key = self.notification_key(&suspects);
        if self.notified.as_deref() == Some(key.as_str()) {
            return None;
        }
        self.notified = Some(key);
        Some(self.report_with(generated_at, suspects).to_json())
    }

    /// Adds the time one tick of the thread took.
    pub fn add_thread_busy(&mut self, ms: f64) {
        self.thread_busy_ms += ms;
    }

    /// The timeline, oldest first, as JSON.
    pub fn history_json(&self) -> Value {
        Value::Array(
            self.history
                .iter()
                .map(|h| {
                    json!({
                        "t": h.t,
                        "heapUsedBytes": h.heap_used,
                        "rssBytes": h.rss,
                        "externalBytes": h.external,
                        "baselineBytes": h.baseline,
                        "leaking": h.leaking,
                        "lagP99Ms": h.lag_p99_ms,
                    })
                })
                .collect(),
        )
    }
}

/// The heap figure the verdict reads: used bytes outside the young generation
/// when JS could measure it, else all used bytes.
fn surviving(old_used: f64, used: f64) -> f64 {
    if old_used > 0.0 {
        old_used
    } else {
        used
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Kind, RowMeta, Site};
    use std::sync::Arc;

    const MB: f64 = 1024.0 * 1024.0;

    fn obs(now: f64, used: f64, post_gc: Option<f64>, rows: Vec<RowSnapshot>) -> Observation {
        Observation {
            now,
            feed: FeedInput {
                sample: Some(feed::HeapSample {
                    t: now,
                    used,
                    total: used * 1.5,
                    external: 1e6,
                    array_buffers: 1e5,
                    rss: 0.0,
                    old_used: 0.0,
                }),
                post_gc: post_gc.map(|u| feed::PostGc {
                    t: now,
                    used: u,
                    old_used: 0.0,
                    external: 1e6,
                    forced_total: 1.0,
                }),
                lags_ms: vec![1.0, 2.0],
                gc_pauses_ms: vec![0.5],
                heartbeat_t: now,
                ..FeedInput::default()
            },
            rss: Some(100.0 * MB),
            rows,
        }
    }

    /// A site in the app's own code (not under node_modules).
    fn app_site(file: &str, line: u32, column: u32, function: &str) -> Site {
        Site {
            file: file.into(),
            line,
            column,
            function_name: Some(function.into()),
            node_modules: false,
        }
    }

    /// A site row of `kind` at `file:line:column` in `function`, with its cells.
    fn site_row(
        id: u32,
        kind: Kind,
        at: (&str, u32, u32, &str),
        detail: &str,
        cells: [f64; 8],
    ) -> RowSnapshot {
        let (file, line, column, function) = at;
        let site = app_site(file, line, column, function);
        RowSnapshot {
            id,
            generation: 1,
            meta: Arc::new(RowMeta {
                kind,
                name: None,
                site: Some(site.clone()),
                stack: vec![site],
                max: None,
                max_size: None,
                detail: Some(detail.into()),
            }),
            cells,
        }
    }

    fn timer_row(adds: f64) -> RowSnapshot {
        let mut cells = [0.0; 8];
        cells[0] = adds;
        site_row(
            0,
            Kind::Timer,
            ("/srv/tenants.js", 4, 3, "addTenant"),
            "interval",
            cells,
        )
    }

    /// Drives the core as the thread would, serving forced-GC requests.
    #[test]
    fn a_leak_turns_the_report_leaking_notifies_once_and_names_the_timer() {
        let mut core = SamplerCore::new(Settings::for_tests(250.0));
        // Flat through the 8 s warm-up, then 2 MiB/s (and a growing timer site).
        let live = |t: f64| 30.0 * MB + 2.0 * MB * ((t - 8000.0) / 1000.0).max(0.0);
        let mut notes = Vec::new();
        let mut gc_next = false;
        let mut t = 1_000_000.0;
        let t0 = t;
        while t < t0 + 25_000.0 {
            let post = gc_next.then(|| live(t - t0));
            let req = core.observe(obs(
                t,
                live(t - t0) + 3.0 * MB,
                post,
                vec![timer_row((t - t0) / 40.0)],
            ));
            gc_next = req.force_gc;
            if let Some(n) = core.take_notification(t) {
                notes.push(n);
            }
            t += 250.0;
        }
        assert!(core.leaking());
        assert_eq!(notes.len(), 1, "one notification while nothing changes");
        let report: Value = serde_json::from_str(&notes[0]).unwrap();
        assert_eq!(report["leaking"], true);
        assert!(report["since"].as_f64().unwrap() <= t0 + 8000.0 + 10_000.0);
        assert_eq!(report["suspects"][0]["kind"], "timer");
        assert_eq!(report["suspects"][0]["site"]["line"], 4);
        assert_eq!(report["heap"]["growing"][0], "heap");
        // The first report's window may still hold flat points from before
        // the leak began; a window later the slope is the leak's rate.
        let slope = report["heap"]["slopeBytesPerSec"].as_f64().unwrap();
        assert!(slope > 1.0 * MB && slope < 2.5 * MB, "{slope}");
        let slope = core.heap.growth().unwrap().slope_per_sec;
        assert!((slope - 2.0 * MB).abs() < 0.5 * MB, "{slope}");
        assert!(report["eventLoopLag"]["p99Ms"].as_f64().unwrap() >= 1.9);
        assert!(report["gcPause"]["count"].as_u64().unwrap() > 0);
        let h = core.history_json();
        assert_eq!(h.as_array().unwrap().len(), 100);
        assert_eq!(h[99]["leaking"], true);
    }

    #[test]
    fn a_constant_heap_is_quiet_and_a_stalled_loop_shows_in_the_lag() {
        let mut core = SamplerCore::new(Settings::for_tests(250.0));
        let mut t = 0.0;
        while t < 20_000.0 {
            let req = core.observe(obs(t, 50.0 * MB, None, vec![]));
            assert!(!req.force_gc);
            assert!(core.take_notification(t).is_none());
            t += 250.0;
        }
        assert!(!core.leaking());
        // No heartbeat for 3 s: the stall is measured by the thread itself.
        let mut o = obs(t + 3000.0, 50.0 * MB, None, vec![]);
        o.feed.sample = None;
        o.feed.heartbeat_t = t;
        core.observe(o);
        let r = serde_json::to_value(core.report(t)).unwrap();
        assert!(r["eventLoopLag"]["maxMs"].as_f64().unwrap() >= 2700.0);
        assert_eq!(r["suspects"].as_array().unwrap().len(), 0);
    }

    fn cache_row(size: f64, max: Option<f64>) -> RowSnapshot {
        let site = Site {
            file: "/srv/catalogue.js".into(),
            line: 9,
            column: 1,
            function_name: None,
            node_modules: false,
        };
        let mut cells = [0.0; 8];
        cells[crate::stats::layout::cache::SIZE] = size;
        RowSnapshot {
            id: 1,
            generation: 1,
            meta: Arc::new(RowMeta {
                kind: Kind::Cache,
                name: Some("catalogue".into()),
                site: Some(site.clone()),
                stack: vec![site],
                max,
                max_size: None,
                detail: Some("LruCache".into()),
            }),
            cells,
        }
    }

    /// Drives `core` for `ms` at 250 ms ticks, serving forced GCs; returns the notifications.
    fn drive(
        core: &mut SamplerCore,
        ms: f64,
        heap: impl Fn(f64) -> f64,
        rows: impl Fn(f64) -> Vec<RowSnapshot>,
    ) -> Vec<Value> {
        let mut notes = Vec::new();
        let mut gc_next = false;
        let mut t = 0.0;
        while t < ms {
            let post = gc_next.then(|| heap(t));
            let mut o = obs(1e6 + t, heap(t) + 3.0 * MB, post, rows(t));
            o.feed.forced_gc_ms = 5.0;
            o.feed.heap_limit = 4096.0 * MB;
            gc_next = core.observe(o).force_gc;
            if let Some(n) = core.take_notification(1e6 + t) {
                notes.push(serde_json::from_str(&n).unwrap());
            }
            t += 250.0;
        }
        notes
    }

    #[test]
    fn registry_growth_alone_is_a_verdict_with_its_row_first() {
        let mut core = SamplerCore::new(Settings::for_tests(250.0));
        // Flat heap; 500 intervals per second, never cleared.
        let notes = drive(
            &mut core,
            20_000.0,
            |_| 30.0 * MB,
            |t| vec![timer_row(t / 2.0)],
        );
        assert!(core.leaking());
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0]["heap"]["growing"][0], "registry");
        assert_eq!(notes[0]["suspects"][0]["kind"], "timer");
        // 20 per second is a suspect, not a verdict.
        let mut quiet = SamplerCore::new(Settings::for_tests(250.0));
        let notes = drive(
            &mut quiet,
            20_000.0,
            |_| 30.0 * MB,
            |t| vec![timer_row(t / 50.0)],
        );
        assert!(notes.is_empty() && !quiet.leaking());
    }

    #[test]
    fn a_bounded_cache_filling_explains_heap_growth_and_a_huge_bound_does_not() {
        // 1 500 entries/s of ~2 KiB: 3 MiB/s of heap, below a 60 000 bound.
        let heap = |t: f64| 30.0 * MB + 3.0 * MB * (t / 1000.0);
        let mut core = SamplerCore::new(Settings::for_tests(250.0));
        let notes = drive(&mut core, 20_000.0, heap, |t| {
            vec![cache_row(1.5 * t, Some(60_000.0))]
        });
        assert!(notes.is_empty(), "{notes:?}");
        assert!(!core.leaking());
        let r = serde_json::to_value(core.report(0.0)).unwrap();
        assert_eq!(r["explainedByCaches"], true);
        assert_eq!(r["filling"][0]["name"], "catalogue");
        assert!(r["filling"][0]["description"]
            .as_str()
            .unwrap()
            .contains("% of max"));
        // A bound of 10^9 entries at 2 KiB each would need ~2 TB: not an explanation.
        let mut huge = SamplerCore::new(Settings::for_tests(250.0));
        let notes = drive(&mut huge, 20_000.0, heap, |t| {
            vec![cache_row(1.5 * t, Some(1e9))]
        });
        assert!(huge.leaking());
        assert!(notes[0]["filling"][0]["name"] == "catalogue");
    }

    #[test]
    fn the_warm_up_ends_when_the_heap_stops_rising_and_the_first_report_waits_for_suspects() {
        let mut s = Settings::for_tests(250.0);
        s.warmup_ms = 30_000.0;
        let mut core = SamplerCore::new(s);
        // Start-up growth for 2 s, flat, then a 2 MiB/s leak from 8 s.
        let heap = |t: f64| {
            20.0 * MB
                + 5.0 * MB * (t / 2000.0).min(1.0)
                + 2.0 * MB * ((t - 8000.0) / 1000.0).max(0.0)
        };
        let mut gc_next = false;
        let mut t = 0.0;
        let mut first: Option<(f64, Value)> = None;
        let mut held = false;
        while t < 30_000.0 {
            let post = gc_next.then(|| heap(t));
            let mut o = obs(t, heap(t) + 3.0 * MB, post, vec![]);
            o.feed.forced_gc_ms = 5.0;
            let req = core.observe(o);
            gc_next = req.force_gc;
            if core.leaking() && first.is_none() {
                held = true;
                // The profile read the hold asked for names the allocating function.
                core.set_allocations(vec![Allocation {
                    site: app_site("/srv/a.js", 3, 1, "keep"),
                    stack: vec![],
                    bytes: 8.0 * MB,
                    growth: 2.0 * MB,
                    count: 16.0,
                }]);
            }
            if let Some(n) = core.take_notification(t) {
                first.get_or_insert((t, serde_json::from_str(&n).unwrap()));
            }
            t += 250.0;
        }
        let ended = serde_json::to_value(core.report(0.0)).unwrap()["sampler"]["warmupEndedAt"]
            .as_f64()
            .unwrap();
        assert!(ended < 8000.0, "warm-up ended at {ended}");
        let (at, report) = first.expect("reported");
        assert!(held);
        assert!(at - 8000.0 <= 10_000.0, "reported {at}");
        assert_eq!(report["suspects"][0]["kind"], "allocation");
    }

    /// A listener row spread one per emitter (a listener per request, each
    /// request its own emitter), rising: a row suspect, not evidence.
    fn per_request_listener_row(live: f64) -> RowSnapshot {
        let mut cells = [0.0; 8];
        cells[crate::stats::layout::site::ADDS] = live;
        cells[crate::stats::layout::site::EMITTERS] = live;
        site_row(
            2,
            Kind::Listener,
            ("/srv/hooks.js", 27, 7, "Server.handler"),
            "data",
            cells,
        )
    }

    #[test]
    fn a_heap_leak_confirmed_by_natural_gcs_is_named_by_a_profile_read() {
        // A 2 MiB/s leak from 8 s with a major GC at every tick, so no
        // confirmation needs a forced GC, and a per-request listener row
        // rising alongside. Returns the first notification and how many
        // profile reads (forced GCs, served as reads) were made.
        let run = |profiling: bool| {
            let mut core = SamplerCore::new(Settings::for_tests(250.0));
            let live = |t: f64| 30.0 * MB + 2.0 * MB * ((t - 8000.0) / 1000.0).max(0.0);
            let (mut t, mut reads, mut first) = (0.0, 0, None);
            let mut read_next = false;
            while t < 30_000.0 && first.is_none() {
                if read_next {
                    // The profile read the request made: the allocating function grew.
                    reads += 1;
                    core.set_allocations(vec![Allocation {
                        site: app_site("/srv/hooks.js", 14, 1, "registerWebhook"),
                        stack: vec![],
                        bytes: 8.0 * MB,
                        growth: 2.0 * MB,
                        count: 16.0,
                    }]);
                }
                let mut o = obs(
                    1e6 + t,
                    live(t) + 3.0 * MB,
                    Some(live(t)),
                    vec![per_request_listener_row(200.0 + t / 20.0)],
                );
                o.feed.forced_gc_ms = 5.0;
                o.feed.heap_limit = 4096.0 * MB;
                o.feed.profiling = profiling;
                read_next = core.observe(o).force_gc && profiling;
                if let Some(n) = core.take_notification(1e6 + t) {
                    first = Some(serde_json::from_str::<Value>(&n).unwrap());
                }
                t += 250.0;
            }
            (first.expect("reported"), reads)
        };
        let (report, reads) = run(true);
        assert_eq!(reads, 1, "one read, asked for by the verdict");
        assert_eq!(report["heap"]["growing"][0], "heap");
        assert_eq!(report["suspects"][0]["kind"], "allocation", "{report}");
        assert_eq!(
            report["suspects"][0]["site"]["functionName"],
            "registerWebhook"
        );
        // Without a running profiler there is nothing to wait for: the row at once.
        let (report, reads) = run(false);
        assert_eq!(reads, 0);
        assert_eq!(report["suspects"][0]["kind"], "listener");
        assert_eq!(report["suspects"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn a_registry_verdict_waits_for_what_holds_a_heap_growing_faster_than_its_row() {
        // One handler: a Map gaining 1.5 MiB/s from the start, and a bus
        // listener on every tenth call (150/s, ~150 kB/s at ITEM_BYTES each).
        // The listener row is a verdict long before the heap's warm-up ends.
        let run = |heap_rate: f64| {
            let mut core = SamplerCore::new(Settings::for_tests(250.0));
            let live = |t: f64| 30.0 * MB + heap_rate * t / 1000.0;
            let (mut t, mut reads, mut first) = (0.0, 0, None);
            let mut read_next = false;
            while t < 30_000.0 && first.is_none() {
                if read_next {
                    reads += 1;
                    core.set_allocations(vec![Allocation {
                        site: app_site("/srv/app.js", 20, 1, "handleRequest"),
                        stack: vec![],
                        bytes: heap_rate * t / 1000.0,
                        growth: heap_rate,
                        count: 16.0,
                    }]);
                }
                let mut cells = [0.0; 8];
                cells[0] = 150.0 * t / 1000.0;
                cells[crate::stats::layout::site::EMITTERS] = 1.0;
                let row = site_row(
                    0,
                    Kind::Listener,
                    ("/srv/app.js", 24, 7, "handleRequest"),
                    "logout",
                    cells,
                );
                let mut o = obs(1e6 + t, live(t) + 3.0 * MB, None, vec![row]);
                o.feed.forced_gc_ms = 5.0;
                o.feed.heap_limit = 4096.0 * MB;
                o.feed.profiling = true;
                read_next = core.observe(o).force_gc;
                if let Some(n) = core.take_notification(1e6 + t) {
                    first = Some(serde_json::from_str::<Value>(&n).unwrap());
                }
                t += 250.0;
            }
            (first.expect("reported"), reads)
        };
        let (report, reads) = run(1.5 * MB);
        assert!(reads >= 1, "the held report asked for a read");
        assert!(report["heap"]["growing"]
            .as_array()
            .unwrap()
            .contains(&Value::from("registry")));
        assert_eq!(report["suspects"][0]["kind"], "allocation", "{report}");
        assert_eq!(report["suspects"][1]["kind"], "listener");
        // The listener holds its listeners, not the Map's entries.
        let count = report["suspects"][1]["count"].as_f64().unwrap();
        assert_eq!(
            report["suspects"][1]["bytes"].as_f64().unwrap(),
            count * 1024.0
        );
        // A heap that the row can explain: its report goes at once, row first.
        let (report, reads) = run(0.0);
        assert_eq!(reads, 0);
        assert_eq!(report["suspects"][0]["kind"], "listener");
    }

    #[test]
    fn a_report_without_suspects_comes_after_the_wait_and_says_why() {
        let mut core = SamplerCore::new(Settings::for_tests(250.0));
        let heap = |t: f64| 20.0 * MB + 2.0 * MB * ((t - 6000.0) / 1000.0).max(0.0);
        let notes = drive(&mut core, 25_000.0, heap, |_| vec![]);
        assert_eq!(notes.len(), 1);
        let since = notes[0]["since"].as_f64().unwrap();
        let at = notes[0]["generatedAt"].as_f64().unwrap();
        assert!(at - since >= 2000.0);
        assert!(notes[0]["note"].as_str().unwrap().contains("no suspect"));
    }

    #[test]
    fn near_the_heap_limit_the_report_is_immediate_and_not_repeated() {
        let mut core = SamplerCore::new(Settings::for_tests(250.0));
        drive(&mut core, 2000.0, |_| 30.0 * MB, |_| vec![]);
        let r: Value =
            serde_json::from_str(&core.near_heap_limit(1e6 + 2000.0, 60.0 * MB, 64.0 * MB))
                .unwrap();
        assert_eq!(r["leaking"], true);
        assert_eq!(r["nearHeapLimit"]["limitBytes"], 64.0 * MB);
        assert!(r["heap"]["growing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "heapLimit"));
        assert!(
            core.take_notification(1e6 + 2100.0).is_none(),
            "already delivered"
        );
    }

    #[test]
    fn near_the_containers_limit_the_report_is_immediate_and_shows_the_limit() {
        let mut core = SamplerCore::new(Settings::for_tests(250.0));
        core.set_memory_limit(Some(200.0 * MB));
        drive(&mut core, 2000.0, |_| 30.0 * MB, |_| vec![]);
        let r: Value =
            serde_json::from_str(&core.near_memory_limit(1e6 + 2000.0, 150.0 * MB, 200.0 * MB))
                .unwrap();
        assert_eq!(r["leaking"], true);
        assert_eq!(r["nearMemoryLimit"]["rssBytes"], 150.0 * MB);
        assert_eq!(r["nearMemoryLimit"]["limitBytes"], 200.0 * MB);
        assert_eq!(r["nearHeapLimit"], Value::Null);
        assert_eq!(r["heap"]["memoryLimitBytes"], 200.0 * MB);
        assert!(r["heap"]["growing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "memoryLimit"));
        assert!(
            core.take_notification(1e6 + 2100.0).is_none(),
            "already delivered"
        );
    }

    #[test]
    fn forced_gcs_stay_within_their_budget() {
        let mut core = SamplerCore::new(Settings::for_tests(250.0));
        core.observe(obs(0.0, 100.0 * MB, None, vec![]));
        // 100 MiB at 1.5 ms/MiB = 150 ms expected: within a 500 ms pause.
        assert!(core.forced_gc_allowed(2000.0));
        // A 2 GiB heap is expected to pause ~3 s: refused.
        core.observe(obs(250.0, 2048.0 * MB, None, vec![]));
        assert!(!core.forced_gc_allowed(2000.0));
        // 1% of 100 s is 1 s (+ one 500 ms pause): 1.4 s already spent, 150 ms more is too much.
        core.observe(obs(99_750.0, 100.0 * MB, None, vec![]));
        let mut o = obs(100_000.0, 100.0 * MB, None, vec![]);
        o.feed.forced_gc_ms = 150.0;
        o.feed.forced_gc_total_ms = 1400.0;
        core.observe(o);
        assert!(!core.forced_gc_allowed(100_000.0));
    }

    #[test]
    fn a_fast_leak_may_force_a_longer_gc() {
        // No forced GC measured yet, so 1.5 ms per MiB is expected: a heap of
        // 600 MiB or more is past the 500 ms cap. Returns whether any tick
        // asked for a forced GC.
        let forced = |slope_mib_per_sec: f64| {
            let mut core = SamplerCore::new(Settings::for_tests(250.0));
            let mut t = 0.0;
            let mut any = false;
            while t <= 40_000.0 {
                let used = 600.0 * MB + slope_mib_per_sec * MB * t / 1000.0;
                let mut o = obs(1e6 + t, used, None, vec![]);
                o.feed.heap_limit = 8192.0 * MB;
                any |= core.observe(o).force_gc;
                t += 250.0;
            }
            any
        };
        // Gaining 5 MiB/s: within four times the cap.
        assert!(forced(5.0));
        // Gaining 1 MiB/s (a suspicion all the same): the cap holds.
        assert!(!forced(1.0));
    }
}
