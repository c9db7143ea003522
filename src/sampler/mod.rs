//! HeapSampler: the thread that decides "leaking or not" and names suspects.
//!
//! ```text
//!   JS thread                                 leakguard-sampler thread
//!   ─────────                                 ────────────────────────
//!   heartbeat (unref'd, every intervalMs) ──▶ Feed (shared f64 cells) ──┐
//!   'gc' observer: pauses, post-GC sizes  ──▶   (plain stores, no call) │ every intervalMs
//!   timers/listeners/caches ──▶ Registry rows ──────────────────────────┤ (recv_timeout)
//!   allocation profiler (rare) ─ napi call ──▶ allocations ─────────────┤
//!                                              /proc/self/statm (RSS) ──┘
//!                                                    │
//!                              Verdicts (heap, external, RSS) + RowTracker
//!                                    + histograms → report (JSON)
//!   onLeak ◀── weak ThreadsafeFunction ◀── on a material change
//!   forced GC / profiling ◀── request cells in the Feed (read by the heartbeat)
//! ```
//!
//! The loop waits on `recv_timeout`, which is both its clock and its control
//! channel (`Flush`, `Shutdown`, each with a reply). Shutdown is idempotent
//! and bounded (a thread that does not answer in time is detached, never
//! waited on forever). A failure to spawn is an error. Figures are read from
//! shared memory, so the thread keeps sampling RSS and the registry, and keeps
//! measuring the stall, while the event loop is blocked.
//!
//! Algorithm (see `verdict` for the details and the reasons):
//! - series: heap used outside the young generation (JS samples + post-GC
//!   points), external memory, and native memory (RSS minus the V8 heap's
//!   committed size minus external memory; long horizon only);
//! - each horizon (`windowMs`, and `longFactor` windows for slow leaks) is cut
//!   in 4 segments; growth = every segment's minimum above the previous one by
//!   `minGrowth/16`, and the last above the first by `0.75 * minGrowth`;
//! - confirmed by a fresh post-GC point standing above an older point (post-GC
//!   if possible) at half the minimum rate and by `minGrowth/8`; a missing
//!   fresh point is obtained by a forced GC, requested at most every
//!   `max(minGcGapMs, 100 x last forced GC duration)` (<= 1% of the time);
//! - points from the first `warmupMs` are never judged, so the first verdict
//!   needs a whole window of post-warm-up points (growth that ends within the
//!   warm-up is never a leak); a leaking series stays leaking while the later
//!   half of either horizon is above the earlier half;
//! - `leaking` = any series leaking; suspects come from `ranking`.
//!
//! Never: call into JS from the thread (only the weak thread-safe function
//! does), block the JS thread for more than a lock held during one tick, or
//! outlive its environment (an env cleanup hook shuts it down).
//!
//! This module never touches napi: `binding.rs` does.

pub mod binding;
pub mod feed;
pub mod histogram;
pub mod ranking;
pub mod rss;
pub mod verdict;

use crate::errors::{CoreError, ErrorCode};
use crate::stats::{Registry, RowSnapshot};
use feed::{Feed, FeedInput, FeedReader};
use histogram::{RollingHistogram, Summary};
use parking_lot::Mutex;
use ranking::{Allocation, RowTracker, Suspect};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::mpsc::{self, RecvTimeoutError, Sender, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use verdict::{Point, Tuning, Verdict};

/// Settings, all resolved (defaults applied by `lib/sampler/index.js`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Sampling period in milliseconds.
    pub interval_ms: f64,
    /// Short horizon in milliseconds.
    pub window_ms: f64,
    /// Long horizon = `window_ms * long_factor`.
    pub long_factor: f64,
    /// Samples from this long after start are never judged, in milliseconds.
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
    /// Entries kept by `history()`.
    pub history_len: usize,
}

impl Settings {
    /// Defaults for a given interval (mirrors `lib/sampler/index.js`).
    pub fn for_interval(interval_ms: f64) -> Self {
        let window_ms = (32.0 * interval_ms).max(8000.0);
        Settings {
            interval_ms,
            window_ms,
            long_factor: 8.0,
            warmup_ms: window_ms,
            min_growth_bytes: 4.0 * 1024.0 * 1024.0,
            min_rss_growth_bytes: 16.0 * 1024.0 * 1024.0,
            min_site_growth: 20.0,
            min_gc_gap_ms: (4.0 * interval_ms).max(1000.0),
            allocations: true,
            history_len: 600,
        }
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
struct Latest {
    sample: feed::HeapSample,
    rss: f64,
    baseline: Option<f64>,
    heartbeat_t: f64,
    major_gcs: f64,
    forced_gc_ms: f64,
    js_busy_ms: f64,
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
    pub profile: bool,
}

/// The sampler's state and decisions; driven by `observe` with an explicit
/// clock, so tests feed it synthetic observations.
pub struct SamplerCore {
    settings: Settings,
    started_at: Option<f64>,
    heap: Verdict,
    external: Verdict,
    /// RSS not explained by the V8 heap or external memory: native leaks.
    native: Verdict,
    /// RSS itself, for its slope in reports.
    rss: verdict::Series,
    lag: RollingHistogram,
    gc: RollingHistogram,
    gc_count: u64,
    rows: RowTracker,
    allocations: Vec<Allocation>,
    latest: Latest,
    samples: u64,
    dropped: u64,
    forced_gcs: u64,
    last_gc_request: f64,
    profile_until: f64,
    since: Option<f64>,
    notified: Option<String>,
    history: VecDeque<HistoryEntry>,
    now: f64,
    /// Milliseconds the sampler thread spent in its ticks, ever (wall time
    /// inside the tick: an upper bound on its CPU time).
    thread_busy_ms: f64,
}

impl SamplerCore {
    pub fn new(settings: Settings) -> Self {
        SamplerCore {
            settings,
            started_at: None,
            heap: Verdict::new(settings.tuning(settings.min_growth_bytes, true)),
            external: Verdict::new(settings.tuning(settings.min_growth_bytes, true)),
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
            latest: Latest::default(),
            samples: 0,
            dropped: 0,
            forced_gcs: 0,
            last_gc_request: f64::NEG_INFINITY,
            profile_until: f64::NEG_INFINITY,
            since: None,
            notified: None,
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
        self.latest.forced_gc_ms = f.forced_gc_ms;
        self.latest.js_busy_ms = f.js_busy_ms;

        if let Some(s) = f.sample {
            self.samples += 1;
            self.latest.sample = s;
            self.heap.push(Point {
                t: s.t,
                v: surviving(s.old_used, s.used),
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
        self.heap.evaluate(now);
        self.external.evaluate(now);
        self.native.evaluate(now);
        self.rows.observe(now, &obs.rows);

        let leaking = self.leaking();
        if leaking {
            self.since.get_or_insert(now);
        } else {
            self.since = None;
            self.notified = None;
        }
        self.record_history(now, leaking);
        self.requests(now)
    }

    fn requests(&mut self, now: f64) -> Requests {
        let wants = self.heap.wants_gc() || self.external.wants_gc() || self.native.wants_gc();
        // At most 1% of the time in forced GCs, but never fewer than two per
        // window while a suspicion waits for confirmation: a slow GC (or a
        // profile read, which it is timed with) must not starve the verdict.
        let gap = self
            .settings
            .min_gc_gap_ms
            .max(100.0 * self.latest.forced_gc_ms)
            .min(self.settings.window_ms / 2.0);
        let force_gc = wants && now - self.last_gc_request >= gap;
        if force_gc {
            self.last_gc_request = now;
        }
        let suspected = self.heap.suspected() || self.external.suspected();
        if suspected {
            self.profile_until = now + self.settings.window_ms;
        }
        if !self.settings.allocations {
            return Requests {
                force_gc,
                profile: false,
            };
        }
        let profile = now < self.profile_until;
        if !profile {
            self.allocations.clear();
        }
        Requests { force_gc, profile }
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
        if self.history.len() >= self.settings.history_len.max(1) {
            self.history.pop_front();
        }
        self.history.push_back(entry);
    }

    /// Replaces the allocation suspects (pushed after each profile read).
    pub fn set_allocations(&mut self, allocations: Vec<Allocation>) {
        self.allocations = allocations;
    }

    pub fn leaking(&self) -> bool {
        self.heap.leaking() || self.external.leaking() || self.native.leaking()
    }

    /// The post-GC heap baseline: the last post-GC size, else the recent floor.
    fn baseline(&self) -> f64 {
        self.latest.baseline.unwrap_or_else(|| {
            self.heap
                .series
                .floor_since(self.now - self.settings.window_ms / 4.0)
                .unwrap_or(self.latest.sample.used)
        })
    }

    /// Milliseconds the event loop has been stalled beyond one interval (0 if not).
    fn stall_ms(&self) -> f64 {
        if self.latest.heartbeat_t <= 0.0 {
            return 0.0;
        }
        (self.now - self.latest.heartbeat_t - self.settings.interval_ms).max(0.0)
    }

    pub fn suspects(&self) -> Vec<Suspect> {
        ranking::rank(self.rows.suspects(), &self.allocations)
    }

    /// The series whose verdict is leaking.
    fn growing(&self) -> Vec<&'static str> {
        [
            ("heap", &self.heap),
            ("external", &self.external),
            ("rss", &self.native),
        ]
        .into_iter()
        .filter(|(_, v)| v.leaking())
        .map(|(n, _)| n)
        .collect()
    }

    /// When the verdict turns leaking, or while leaking the growing series or
    /// the top suspect change: the report to hand to `onLeak`.
    pub fn take_notification(&mut self, generated_at: f64) -> Option<String> {
        if !self.leaking() {
            return None;
        }
        let suspects = self.suspects();
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
        let key = format!("{:?}|{top}", self.growing());
        if self.notified.as_deref() == Some(key.as_str()) {
            return None;
        }
        self.notified = Some(key);
        Some(self.report_with(generated_at, suspects).to_string())
    }

    /// The report (the shape of `Report` in lib/sampler/index.d.ts, described in
    /// docs/sampler.md) at `generated_at` (epoch ms).
    pub fn report(&self, generated_at: f64) -> Value {
        self.report_with(generated_at, self.suspects())
    }

    fn report_with(&self, generated_at: f64, mut suspects: Vec<Suspect>) -> Value {
        // Function-level guesses are shown only once memory is known to leak;
        // a call site whose live count keeps growing is a fact worth showing.
        if !self.leaking() {
            suspects.retain(|s| s.precision == "line");
        }
        let s = &self.settings;
        let now = self.now;
        let lag = self.lag.summary(self.stall_ms());
        let gc: Summary = self.gc.summary(0.0);
        let slope = |v: &Verdict| {
            v.growth().map_or_else(
                || v.series.floor_slope(now, s.window_ms),
                |g| g.slope_per_sec,
            )
        };
        json!({
            "leaking": self.leaking(),
            "since": self.since,
            "generatedAt": generated_at,
            "heap": {
                "usedBytes": self.latest.sample.used,
                "totalBytes": self.latest.sample.total,
                "rssBytes": self.latest.rss,
                "externalBytes": self.latest.sample.external,
                "arrayBuffersBytes": self.latest.sample.array_buffers,
                "baselineBytes": self.baseline(),
                "slopeBytesPerSec": slope(&self.heap),
                "externalSlopeBytesPerSec": slope(&self.external),
                "rssSlopeBytesPerSec": self.rss.floor_slope(now, s.window_ms),
                "nativeSlopeBytesPerSec": slope(&self.native),
                "windowMs": s.window_ms,
                "longWindowMs": s.window_ms * s.long_factor,
                "samples": self.samples,
                "majorGcs": self.latest.major_gcs,
                "forcedGcs": self.forced_gcs,
                "growing": self.growing(),
            },
            "eventLoopLag": {
                "p50Ms": lag.p50_ms,
                "p99Ms": lag.p99_ms,
                "maxMs": lag.max_ms,
                "stalledMs": self.stall_ms(),
            },
            "gcPause": {
                "p50Ms": gc.p50_ms,
                "p99Ms": gc.p99_ms,
                "maxMs": gc.max_ms,
                "count": self.gc_count,
            },
            "suspects": suspects,
            "sampler": {
                "intervalMs": s.interval_ms,
                "droppedFeedEntries": self.dropped,
                "trackedRows": self.rows.len(),
                "startedAt": self.started_at,
                "overhead": self.overhead(),
            },
        })
    }

    /// Adds the time one tick of the thread took.
    pub fn add_thread_busy(&mut self, ms: f64) {
        self.thread_busy_ms += ms;
    }

    /// What leakguard itself costs: the sampler thread's and the JS thread's
    /// busy time since start, and both as a share of one core.
    fn overhead(&self) -> Value {
        let elapsed = self.started_at.map_or(0.0, |t| (self.now - t).max(0.0));
        let share = |ms: f64| {
            if elapsed > 0.0 {
                ms / elapsed * 100.0
            } else {
                0.0
            }
        };
        json!({
            "elapsedMs": elapsed,
            "threadBusyMs": self.thread_busy_ms,
            "jsBusyMs": self.latest.js_busy_ms,
            "threadPercent": share(self.thread_busy_ms),
            "jsPercent": share(self.latest.js_busy_ms),
        })
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

/// Epoch milliseconds (the thread's clock; tests use `SamplerCore` directly).
pub fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

enum Control {
    Flush(SyncSender<()>),
    Shutdown(SyncSender<()>),
}

/// Called with a report (JSON) when the verdict changes materially.
pub type Notify = Box<dyn Fn(String) + Send + 'static>;

/// What the thread and the JS-facing handle share.
pub struct Shared {
    pub core: Mutex<SamplerCore>,
    pub feed: Arc<Feed>,
    registry: Arc<Registry>,
}

impl Shared {
    /// One tick: read everything, decide, publish requests.
    fn tick(&self, reader: &mut FeedReader, notify: &Notify) {
        let began = Instant::now();
        let input = reader.read(&self.feed);
        let rss = rss::read();
        self.feed
            .set(feed::cell::NO_PROC, if rss.is_none() { 1.0 } else { 0.0 });
        let rows = self.registry.snapshot();
        let now = epoch_ms();
        let (requests, note) = {
            let mut core = self.core.lock();
            let r = core.observe(Observation {
                now,
                feed: input,
                rss,
                rows,
            });
            let note = core.take_notification(now);
            core.add_thread_busy(began.elapsed().as_secs_f64() * 1000.0);
            (r, note)
        };
        if requests.force_gc
            && self.feed.get(feed::cell::GC_SERVED) >= self.feed.get(feed::cell::WANT_GC)
        {
            self.feed.set(
                feed::cell::WANT_GC,
                self.feed.get(feed::cell::WANT_GC) + 1.0,
            );
        }
        self.feed.set(
            feed::cell::WANT_PROFILE,
            if requests.profile { 1.0 } else { 0.0 },
        );
        if let Some(report) = note {
            notify(report);
        }
    }
}

/// The running sampler: a handle on the `leakguard-sampler` thread.
pub struct HeapSampler {
    pub shared: Arc<Shared>,
    control: Mutex<Option<(Sender<Control>, JoinHandle<()>)>>,
}

impl HeapSampler {
    /// Spawns the thread; an error when the OS refuses one.
    pub fn start(
        settings: Settings,
        registry: Arc<Registry>,
        notify: Notify,
    ) -> Result<Self, CoreError> {
        let shared = Arc::new(Shared {
            core: Mutex::new(SamplerCore::new(settings)),
            feed: Arc::new(Feed::new()),
            registry,
        });
        let (tx, rx) = mpsc::channel::<Control>();
        let thread_shared = shared.clone();
        let period = Duration::from_secs_f64(settings.interval_ms.max(1.0) / 1000.0);
        let handle = std::thread::Builder::new()
            .name("leakguard-sampler".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                let mut reader = FeedReader::default();
                let mut next = Instant::now() + period;
                loop {
                    let wait = next.saturating_duration_since(Instant::now());
                    match rx.recv_timeout(wait) {
                        Err(RecvTimeoutError::Timeout) => {
                            thread_shared.tick(&mut reader, &notify);
                            // Drift-corrected; after a long pause, skip ahead.
                            next += period;
                            let now = Instant::now();
                            if next < now {
                                next = now + period;
                            }
                        }
                        Ok(Control::Flush(reply)) => {
                            thread_shared.tick(&mut reader, &notify);
                            let _ = reply.send(());
                        }
                        Ok(Control::Shutdown(reply)) => {
                            let _ = reply.send(());
                            break;
                        }
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
            })
            .map_err(|e| {
                CoreError::new(
                    ErrorCode::Native,
                    format!("cannot start the leakguard-sampler thread: {e}"),
                )
            })?;
        Ok(HeapSampler {
            shared,
            control: Mutex::new(Some((tx, handle))),
        })
    }

    /// Runs one tick now and waits for it (at most `timeout`); false if the
    /// thread is gone or did not answer in time.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        {
            let control = self.control.lock();
            let Some((tx, _)) = control.as_ref() else {
                return false;
            };
            if tx.send(Control::Flush(reply_tx)).is_err() {
                return false;
            }
        }
        reply_rx.recv_timeout(timeout).is_ok()
    }

    /// Stops the thread: idempotent, waits at most `timeout`, then detaches.
    pub fn shutdown(&self, timeout: Duration) -> bool {
        let Some((tx, handle)) = self.control.lock().take() else {
            return true;
        };
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        if tx.send(Control::Shutdown(reply_tx)).is_err() {
            return handle.join().is_ok();
        }
        if reply_rx.recv_timeout(timeout).is_ok() {
            // It answered and is leaving its loop: joining is immediate.
            handle.join().is_ok()
        } else {
            false // detached: it exits on its own once the tick ends
        }
    }

    pub fn running(&self) -> bool {
        self.control.lock().is_some()
    }
}

impl Drop for HeapSampler {
    fn drop(&mut self) {
        self.shutdown(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Kind, RowMeta, Site};

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

    fn timer_row(adds: f64) -> RowSnapshot {
        let site = Site {
            file: "/srv/tenants.js".into(),
            line: 4,
            column: 3,
            function_name: Some("addTenant".into()),
            node_modules: false,
        };
        let mut cells = [0.0; 8];
        cells[0] = adds;
        RowSnapshot {
            id: 0,
            generation: 1,
            meta: Arc::new(RowMeta {
                kind: Kind::Timer,
                name: None,
                site: Some(site.clone()),
                stack: vec![site],
                max: None,
                max_size: None,
                detail: Some("interval".into()),
            }),
            cells,
        }
    }

    /// Drives the core as the thread would, serving forced-GC requests.
    #[test]
    fn a_leak_turns_the_report_leaking_notifies_once_and_names_the_timer() {
        let mut core = SamplerCore::new(Settings::for_interval(250.0));
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
                vec![timer_row((t - t0) / 10.0)],
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
        let slope = report["heap"]["slopeBytesPerSec"].as_f64().unwrap();
        assert!((slope - 2.0 * MB).abs() < 0.5 * MB, "{slope}");
        assert!(report["eventLoopLag"]["p99Ms"].as_f64().unwrap() >= 1.9);
        assert!(report["gcPause"]["count"].as_u64().unwrap() > 0);
        let h = core.history_json();
        assert_eq!(h.as_array().unwrap().len(), 100);
        assert_eq!(h[99]["leaking"], true);
    }

    #[test]
    fn a_constant_heap_is_quiet_and_a_stalled_loop_shows_in_the_lag() {
        let mut core = SamplerCore::new(Settings::for_interval(250.0));
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
        let r = core.report(t);
        assert!(r["eventLoopLag"]["maxMs"].as_f64().unwrap() >= 2700.0);
        assert_eq!(r["suspects"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn the_thread_ticks_flushes_and_shuts_down_idempotently() {
        let registry = Arc::new(Registry::new());
        let (tx, rx) = mpsc::channel::<String>();
        let tx = Mutex::new(tx);
        let sampler = HeapSampler::start(
            Settings::for_interval(50.0),
            registry,
            Box::new(move |s| {
                let _ = tx.lock().send(s);
            }),
        )
        .unwrap();
        let feed = sampler.shared.feed.clone();
        feed.set(feed::cell::SAMPLE_T, epoch_ms());
        feed.set(feed::cell::HEAP_USED, 12.0 * MB);
        feed.set(feed::cell::SAMPLE_SEQ, 1.0);
        assert!(sampler.flush(Duration::from_secs(5)));
        let r = sampler.shared.core.lock().report(epoch_ms());
        assert_eq!(r["heap"]["usedBytes"], 12.0 * MB);
        if std::path::Path::new("/proc/self/statm").exists() {
            assert!(r["heap"]["rssBytes"].as_f64().unwrap() > 0.0);
        }
        std::thread::sleep(Duration::from_millis(120));
        assert!(
            sampler
                .shared
                .core
                .lock()
                .history_json()
                .as_array()
                .unwrap()
                .len()
                >= 2
        );
        assert!(sampler.shutdown(Duration::from_secs(5)));
        assert!(sampler.shutdown(Duration::from_secs(5)), "idempotent");
        assert!(!sampler.flush(Duration::from_millis(10)));
        assert!(rx.try_recv().is_err(), "nothing to notify");
    }
}
