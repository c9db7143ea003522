//! HeapSampler: the thread that decides "leaking or not" and names suspects.
//!
//! ```text
//!   JS thread                                 leakguard-sampler thread
//!   ─────────                                 ────────────────────────
//!   heartbeat (unref'd, every intervalMs) ──▶ Feed (shared f64 cells) ──┐
//!   'gc' observer: pauses, post-GC sizes  ──▶   (plain stores, no call) │ every intervalMs
//!   timers/listeners/caches ──▶ Registry rows ──────────────────────────┤ (recv_timeout)
//!   profile read (on request) ─ napi call ──▶ allocations ─────────────┤
//!   Buffer sites (while off-heap growth is suspected) ─ napi call ──────┤
//!                                              /proc/self/statm (RSS) ──┘
//!                                                    │
//!                              Verdicts (heap, external, RSS) + RowTracker
//!                                    + histograms → report (JSON)
//!   onLeak ◀── weak ThreadsafeFunction ◀── on a material change
//!   forced GC / profile read ◀── request cells in the Feed (read by the heartbeat)
//!   near the heap limit: JS ─ napi call (`near_heap_limit`) ─▶ report, at once
//! ```
//!
//! One thread per process serves every environment (main thread, workers)
//! that runs a sampler, each at its own interval: it starts with the first
//! sampler and ends with the last. The loop waits on `recv_timeout` until the
//! next member is due, which is both its clock and its control channel
//! (`Add`, `Flush`, `Remove`, the last two with a reply). Leaving is
//! idempotent and bounded (a thread that does not answer in time is
//! detached, never waited on forever). A failure to spawn is an error. Figures are read from
//! shared memory, so the thread keeps sampling RSS and the registry, and keeps
//! measuring the stall, while the event loop is blocked.
//!
//! Algorithm (see `verdict` for the details and the reasons):
//! - series: heap used (JS samples; post-GC points count the old generation
//!   only), external memory, and native memory (RSS minus the V8 heap's
//!   committed size minus external memory; long horizon only);
//! - each horizon (`windowMs`, and `longFactor` windows for slow leaks) is cut
//!   in 4 segments; growth = every segment's minimum above the previous one by
//!   `minGrowth/16`, and the last above the first by `0.75 * minGrowth`;
//! - heap and external memory also have a middle horizon of 3 windows (slow
//!   leaks within half a minute at 250 ms);
//! - confirmed by a fresh post-GC point standing above an older point (post-GC
//!   if possible) at half the minimum rate and by `minGrowth/8`; a missing
//!   fresh point is obtained by a forced GC (a profile read on the JS side)
//!   within the budget (`forced_gc_allowed`: a share of wall time, a longest
//!   expected pause, a least gap);
//! - points before the warm-up's end are never judged; it ends once the
//!   heap stopped rising for half a window, at most `warmupMs` after start;
//!   growth that never stopped (a leak from start) is judged from half a
//!   window before that end, so start-up growth that stops within
//!   `warmupMs` is never a leak; a leaking series stays leaking while the
//!   later half of either horizon is above the earlier half;
//! - registry rows rising fast with many live items are evidence by
//!   themselves; heap growth that bounded caches still filling explain is
//!   not a leak; near the heap limit JS makes the verdict itself;
//! - `leaking` = any of these; suspects come from `ranking`. The first
//!   report waits (at most `suspect_wait_ms`) for a suspect, and for a heap
//!   leak for a profile read made since its suspicion opened (a natural
//!   major GC may have confirmed it without one).
//!
//! Never: call into JS from the thread (only the weak thread-safe function
//! does), block the JS thread for more than a lock held during one tick, or
//! outlive its environment (an env cleanup hook shuts it down).
//!
//! Files: `decision.rs` (`SamplerCore`: the verdict, suspects, requests and
//! when to report), `report.rs` (`Report`, what it says), `hub.rs` (the
//! thread and `HeapSampler`), `feed.rs`, `histogram.rs`, `verdict.rs`,
//! `ranking.rs`, `rss.rs`, `gc_watch.rs`. None touches napi but `binding.rs`.
pub mod binding;
pub mod buffers;
pub mod decision;
pub mod feed;
pub mod gc_watch;
pub mod histogram;
pub mod hub;
pub mod ranking;
pub mod report;
pub mod rss;
pub mod verdict;

pub use decision::{HistoryEntry, Observation, Requests, SamplerCore, Settings};
pub use hub::{epoch_ms, HeapSampler, Notify, Shared};
