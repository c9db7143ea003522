//! The heap feed: a block of `f64` cells in Rust-owned memory that JavaScript
//! writes with plain stores (through a `Float64Array` view) and the sampler
//! thread reads with relaxed loads, so V8 figures reach the thread without a
//! call into Rust per GC or per heartbeat. `lib/sampler/heap-feed.js` mirrors `CELL`.
//!
//! Multi-cell records (a heap sample, a post-GC sample) are published by
//! bumping their sequence cell last; the reader re-reads the sequence and
//! retries on a change, so it never mixes two records. Rings (event-loop lag,
//! GC pauses) carry a write counter; the reader remembers how far it read and
//! counts what it missed. The thread writes only the request cells
//! (`WANT_GC`, `WANT_BUFFERS`). Never touches napi.

use std::sync::atomic::{AtomicU64, Ordering};

/// Cell indexes. Must agree with `lib/sampler/heap-feed.js` (tested from JS).
pub mod cell {
    /// Heap sample: bumped after the fields below are written.
    pub const SAMPLE_SEQ: usize = 0;
    /// Epoch milliseconds of the heap sample.
    pub const SAMPLE_T: usize = 1;
    pub const HEAP_USED: usize = 2;
    pub const HEAP_TOTAL: usize = 3;
    /// `process.memoryUsage().external` (includes array buffers).
    pub const EXTERNAL: usize = 4;
    pub const ARRAY_BUFFERS: usize = 5;
    /// RSS as JS measured it (used only where `/proc` is absent).
    pub const RSS: usize = 6;
    /// Post-GC sample: bumped after the fields below are written.
    pub const POSTGC_SEQ: usize = 7;
    pub const POSTGC_T: usize = 8;
    pub const POSTGC_USED: usize = 9;
    pub const POSTGC_EXTERNAL: usize = 10;
    /// Forced GCs (by leakguard) ever; a natural GC right after one may
    /// overwrite the post-GC record, so the count is kept apart.
    pub const POSTGC_FORCED: usize = 11;
    /// Milliseconds the last forced GC (or profile read) took.
    pub const FORCED_GC_MS: usize = 12;
    /// Epoch milliseconds of the last heartbeat run on the JS thread.
    pub const HEARTBEAT_T: usize = 13;
    /// Thread → JS: a forced-GC request counter.
    pub const WANT_GC: usize = 14;
    /// JS → thread: the last request counter served.
    pub const GC_SERVED: usize = 15;
    /// JS → thread: 1 while the sampling heap profiler runs.
    pub const PROFILING: usize = 16;
    /// Event-loop lag ring: write counter, then `LAG_LEN` cells (milliseconds).
    pub const LAG_WRITES: usize = 17;
    pub const LAG_RING: usize = 18;
    pub const LAG_LEN: usize = 32;
    /// GC pause ring: write counter, then `GC_LEN` cells (milliseconds).
    pub const GC_WRITES: usize = LAG_RING + LAG_LEN;
    pub const GC_RING: usize = GC_WRITES + 1;
    pub const GC_LEN: usize = 128;
    /// Major GCs seen (by the GC watch, or the JS observer), ever.
    pub const MAJOR_GCS: usize = GC_RING + GC_LEN;
    /// Heap used minus the young generation (new space and new large
    /// objects): what survived scavenges. Part of the heap sample.
    pub const OLD_USED: usize = MAJOR_GCS + 1;
    /// The same after a major GC. Part of the post-GC sample. Excluding the
    /// young generation keeps post-GC points honest when the sample is taken
    /// a moment after the GC (by the JS observer, or after a forced GC), when
    /// it already holds new garbage.
    pub const POSTGC_OLD: usize = OLD_USED + 1;
    /// Milliseconds the JS thread has spent in leakguard's heartbeat, the
    /// GC observer (when the GC watch is not used) and forced GCs, ever
    /// (leakguard's own cost on that thread; the GC watch's stores inside a GC
    /// are not timed).
    pub const JS_BUSY_MS: usize = POSTGC_OLD + 1;
    /// Milliseconds spent in forced GCs (and profile reads), ever.
    pub const FORCED_GC_TOTAL_MS: usize = JS_BUSY_MS + 1;
    /// `v8.getHeapStatistics().heap_size_limit`, written once at start.
    pub const HEAP_LIMIT: usize = FORCED_GC_TOTAL_MS + 1;
    /// Milliseconds the last major GC took (the GC watch writes it).
    pub const LAST_MAJOR_MS: usize = HEAP_LIMIT + 1;
    /// JS → GC watch: old-generation bytes past which a major GC wakes the JS
    /// thread for the near-heap-limit verdict (infinity once it was given).
    pub const NEAR_LIMIT_BYTES: usize = LAST_MAJOR_MS + 1;
    /// Thread → JS: 1 while external or native (RSS) growth is suspected or
    /// leaking, when Buffer allocations are worth sampling by call site
    /// (`lib/sampler/buffer-sites.js`), else 0.
    pub const WANT_BUFFERS: usize = NEAR_LIMIT_BYTES + 1;
    pub const LEN: usize = WANT_BUFFERS + 1;
}

/// The shared block.
pub struct Feed {
    cells: Box<[AtomicU64]>,
}

impl Default for Feed {
    fn default() -> Self {
        Self::new()
    }
}

impl Feed {
    pub fn new() -> Self {
        Feed {
            cells: (0..cell::LEN)
                .map(|_| AtomicU64::new(0f64.to_bits()))
                .collect(),
        }
    }

    pub fn as_ptr(&self) -> *mut u8 {
        self.cells.as_ptr() as *mut u8
    }

    pub fn byte_len(&self) -> usize {
        self.cells.len() * 8
    }

    pub fn get(&self, i: usize) -> f64 {
        f64::from_bits(self.cells[i].load(Ordering::Relaxed))
    }

    pub fn set(&self, i: usize, v: f64) {
        self.cells[i].store(v.to_bits(), Ordering::Relaxed);
    }

    /// Reads cells `fields` of the record published by `seq`, retrying while a
    /// writer is mid-record; `None` when nothing new since `last_seq`.
    fn record<const N: usize>(
        &self,
        seq: usize,
        fields: [usize; N],
        last_seq: f64,
    ) -> Option<(f64, [f64; N])> {
        for _ in 0..4 {
            let s = self.get(seq);
            if s == last_seq {
                return None;
            }
            std::sync::atomic::fence(Ordering::Acquire);
            let values = fields.map(|i| self.get(i));
            std::sync::atomic::fence(Ordering::Acquire);
            if self.get(seq) == s {
                return Some((s, values));
            }
        }
        None
    }
}

/// A heap sample from JS.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HeapSample {
    pub t: f64,
    pub used: f64,
    pub total: f64,
    pub external: f64,
    pub array_buffers: f64,
    pub rss: f64,
    /// Heap used outside the young generation.
    pub old_used: f64,
}

/// A post-GC sample from JS.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PostGc {
    pub t: f64,
    pub used: f64,
    /// Heap used outside the young generation.
    pub old_used: f64,
    pub external: f64,
    /// Forced GCs ever (see `cell::POSTGC_FORCED`).
    pub forced_total: f64,
}

/// Everything new in the feed since the last read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeedInput {
    pub sample: Option<HeapSample>,
    pub post_gc: Option<PostGc>,
    pub lags_ms: Vec<f64>,
    pub gc_pauses_ms: Vec<f64>,
    /// Ring entries overwritten before they were read.
    pub dropped: u64,
    pub heartbeat_t: f64,
    pub major_gcs: f64,
    pub forced_gc_ms: f64,
    pub forced_gc_total_ms: f64,
    pub heap_limit: f64,
    pub js_busy_ms: f64,
    /// Whether the sampling heap profiler runs (a profile read can name sites).
    pub profiling: bool,
}

/// Remembers how far the thread has read.
#[derive(Default)]
pub struct FeedReader {
    sample_seq: f64,
    postgc_seq: f64,
    lag_read: f64,
    gc_read: f64,
}

impl FeedReader {
    pub fn read(&mut self, feed: &Feed) -> FeedInput {
        use cell::*;
        let mut input = FeedInput::default();
        if let Some((s, v)) = feed.record(
            SAMPLE_SEQ,
            [
                SAMPLE_T,
                HEAP_USED,
                HEAP_TOTAL,
                EXTERNAL,
                ARRAY_BUFFERS,
                RSS,
                OLD_USED,
            ],
            self.sample_seq,
        ) {
            self.sample_seq = s;
            input.sample = Some(HeapSample {
                t: v[0],
                used: v[1],
                total: v[2],
                external: v[3],
                array_buffers: v[4],
                rss: v[5],
                old_used: v[6],
            });
        }
        if let Some((s, v)) = feed.record(
            POSTGC_SEQ,
            [
                POSTGC_T,
                POSTGC_USED,
                POSTGC_EXTERNAL,
                POSTGC_FORCED,
                POSTGC_OLD,
            ],
            self.postgc_seq,
        ) {
            self.postgc_seq = s;
            input.post_gc = Some(PostGc {
                t: v[0],
                used: v[1],
                external: v[2],
                forced_total: v[3],
                old_used: v[4],
            });
        }
        let (lags, d1) = drain(feed, LAG_WRITES, LAG_RING, LAG_LEN, &mut self.lag_read);
        let (pauses, d2) = drain(feed, GC_WRITES, GC_RING, GC_LEN, &mut self.gc_read);
        input.lags_ms = lags;
        input.gc_pauses_ms = pauses;
        input.dropped = d1 + d2;
        input.heartbeat_t = feed.get(HEARTBEAT_T);
        input.major_gcs = feed.get(MAJOR_GCS);
        input.forced_gc_ms = feed.get(FORCED_GC_MS);
        input.js_busy_ms = feed.get(JS_BUSY_MS);
        input.forced_gc_total_ms = feed.get(FORCED_GC_TOTAL_MS);
        input.heap_limit = feed.get(HEAP_LIMIT);
        input.profiling = feed.get(PROFILING) == 1.0;
        input
    }
}

fn drain(feed: &Feed, writes: usize, ring: usize, len: usize, read: &mut f64) -> (Vec<f64>, u64) {
    let w = feed.get(writes);
    if !(w.is_finite() && w >= *read) {
        *read = if w.is_finite() { w } else { *read };
        return (Vec::new(), 0);
    }
    let pending = (w - *read) as u64;
    let dropped = pending.saturating_sub(len as u64);
    let from = w as u64 - pending.min(len as u64);
    let out = (from..w as u64)
        .map(|i| feed.get(ring + (i % len as u64) as usize))
        .collect();
    *read = w;
    (out, dropped)
}

impl crate::stats::SharedCells for Feed {
    fn cells_ptr(&self) -> *mut u8 {
        self.as_ptr()
    }
    fn cells_byte_len(&self) -> usize {
        self.byte_len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_read_once_and_rings_drain_with_drops_counted() {
        let feed = Feed::new();
        let mut r = FeedReader::default();
        assert_eq!(r.read(&feed).sample, None);
        feed.set(cell::SAMPLE_T, 1000.0);
        feed.set(cell::HEAP_USED, 5e6);
        feed.set(cell::SAMPLE_SEQ, 1.0);
        let got = r.read(&feed);
        assert_eq!(got.sample.unwrap().used, 5e6);
        assert_eq!(r.read(&feed).sample, None, "read once");
        for i in 0..40 {
            feed.set(cell::LAG_RING + i % cell::LAG_LEN, i as f64);
            feed.set(cell::LAG_WRITES, (i + 1) as f64);
        }
        let got = r.read(&feed);
        assert_eq!(got.lags_ms.len(), cell::LAG_LEN);
        assert_eq!(got.lags_ms[0], 8.0);
        assert_eq!(got.dropped, 8);
        feed.set(cell::GC_RING, 3.5);
        feed.set(cell::GC_WRITES, 1.0);
        assert_eq!(r.read(&feed).gc_pauses_ms, vec![3.5]);
        assert!(r.read(&feed).gc_pauses_ms.is_empty());
    }
}
