//! The leak verdict: "is live memory growing, sustained, beyond noise?"
//!
//! A series (heap, external, RSS, or a call site's live count) is a list of
//! timestamped points. Some points are *post-GC* (measured right after a major
//! GC, natural or forced): they are the honest baseline, live memory without
//! garbage. The others are timer-driven samples, which include garbage.
//!
//! ```text
//!   value                                   horizon H (windowMs, or longWindowMs)
//!     │            ╱│      ╱│       ╱│      ├────────┼────────┼────────┼────────┤
//!     │      ╱│  ╱  │    ╱  │     ╱  │ •     seg 0    seg 1    seg 2    seg 3
//!     │ ╱│ ╱  │╱    │  ╱    │ ╱ •    │╱      floor = min of the segment's points
//!     │╱ │╱         │╱      │╱                (the sawtooth's low points)
//!     └───────────────────────────────────────▶ t         • = post-GC point
//! ```
//!
//! The *floor test* on a horizon H passes when, with H/4 segments, each
//! segment's floor (its minimum) is above the previous one by at least
//! `min_growth / 16`, and the last floor is above the first by at least
//! `0.75 * min_growth` (a steady rate r passes when `r * H >= min_growth`).
//! Minima ignore the sawtooth of short-lived garbage; requiring every step to
//! rise rejects a warm-up or a bounded cache that grows and then stops, a single
//! step, and a large constant heap.
//!
//! Garbage promoted to the old generation can make floors rise for a while
//! when major GCs are rare, and segment minima lag the present by a segment
//! (a warm-up that stopped two seconds ago still shows rising floors). So a
//! passing floor test is only a *suspicion*; the verdict needs *confirmation*
//! from a fresh post-GC point `b` (within half a segment) compared with an
//! older point `a` (the latest post-GC point a horizon to 3/4 of a segment
//! before `b`, else the lowest sample 3/4 to 1 segment before): a rise at
//! half the minimum rate (`min_growth / H`) or more, and of `min_growth / 8`.
//! Every point is at least the live memory of its moment (garbage only adds),
//! so a sample never overstates the rise. The suspicion stays open (for one
//! window) while the answer comes (the forced GC makes the floors dip, so
//! the floor test may not pass again meanwhile). When the fresh point is
//! missing the verdict asks for a forced GC (`wants_gc`; the sampler
//! rate-limits them), which is what makes it decide when major GCs are rare.
//! Half a horizon rising by `min_growth / 4` makes the series *suspected*
//! (`Verdict::suspected`), which asks for nothing else: allocation sampling
//! runs from `start()`.
//!
//! Three horizons are tested: the short window (fast leaks), a middle one of
//! a few windows (`with_mid_horizon`: 0.25 MB/s within half a minute at
//! 250 ms) and a long one, `long_factor` windows long (slow leaks of a few
//! KiB/s). Once leaking, a
//! series stays leaking while the later half of either horizon has a floor
//! `min_growth / 8` above the earlier half's, and clears when neither does
//! (so a leak that stopped clears about one long horizon later).
//!
//! Warm-up: points of the first `warmup_ms` are never judged, unless the heap
//! stopped rising earlier (`end_warmup`). Growth that starts with the process
//! and never stops keeps the warm-up to its end; with `judge_start_up_after`
//! its points from then on are judged too (half a window before the end, as
//! `SamplerCore` sets it), and such evidence must also show the rise over the
//! last segment (a load that stopped a moment ago still passes the floor
//! test). Start-up growth that stops within `warmup_ms` is still never a
//! leak; a rule that answers within 8 s at 250 ms would call a 10 s
//! configuration load one.
//!
//! memwatch's rule ("the heap grew after 5 consecutive full GCs") flags a
//! bounded cache warming up (5 GCs fit inside the warm-up) and misses slow
//! leaks when full GCs are rare (no GCs, no verdict). Here warm-up fails the
//! every-step rule, and rare GCs are replaced by timer samples plus a forced
//! confirmation.
//!
//! Pure computation on `f64` milliseconds: the clock is whatever the caller
//! passes, so tests drive it with synthetic series.

use std::collections::VecDeque;

/// Number of segments a horizon is split into.
const SEGMENTS: usize = 4;
/// Points kept per series (the oldest are dropped first).
const MAX_POINTS: usize = 8192;

/// One observation of a series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub t: f64,
    pub v: f64,
    pub post_gc: bool,
}

/// What the floor test measured on one horizon.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Growth {
    /// Rise from the first floor to the last one.
    pub growth: f64,
    /// Least-squares slope of the floors, per second.
    pub slope_per_sec: f64,
    /// Length of the horizon tested, in milliseconds.
    pub horizon_ms: f64,
    /// First floor (the baseline the growth is measured from).
    pub first_floor: f64,
}

enum Confirmation {
    Confirmed,
    Rejected,
    NeedGc,
}

/// A bounded, time-ordered series of points.
#[derive(Default, Clone, Debug)]
pub struct Series {
    points: VecDeque<Point>,
    /// Points before this time are kept (suspicion may look at them) but
    /// never judged: the floor test, `rising` and slopes skip them.
    judged_from: Option<f64>,
}

impl Series {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a point; points older than `keep_ms` before it are dropped.
    pub fn push(&mut self, p: Point, keep_ms: f64) {
        if !p.v.is_finite() || !p.t.is_finite() {
            return;
        }
        // Points arrive in time order; a late one (a post-GC value pushed after
        // the next timer sample) is inserted in place.
        let at = self
            .points
            .iter()
            .rposition(|q| q.t <= p.t)
            .map_or(0, |i| i + 1);
        self.points.insert(at, p);
        let latest = self.points.back().map_or(p.t, |q| q.t);
        while let Some(front) = self.points.front() {
            if front.t < latest - keep_ms || self.points.len() > MAX_POINTS {
                self.points.pop_front();
            } else {
                break;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn first_t(&self) -> Option<f64> {
        self.points.front().map(|p| p.t)
    }

    pub fn last(&self) -> Option<Point> {
        self.points.back().copied()
    }

    /// The most recent post-GC point.
    pub fn last_post_gc(&self) -> Option<Point> {
        self.points.iter().rev().find(|p| p.post_gc).copied()
    }

    /// Minimum over the points in `[from, to]`.
    pub fn floor_between(&self, from: f64, to: f64) -> Option<f64> {
        self.points
            .iter()
            .filter(|p| p.t >= from && p.t <= to)
            .map(|p| p.v)
            .reduce(f64::min)
    }

    /// Minimum over the points at or after `since`.
    pub fn floor_since(&self, since: f64) -> Option<f64> {
        self.points
            .iter()
            .filter(|p| p.t >= since)
            .map(|p| p.v)
            .reduce(f64::min)
    }

    /// Each segment's floor `(t, min)` on `[now - horizon_ms, now]`; `None`
    /// when the series does not cover the horizon or a segment is empty.
    fn floors(
        &self,
        now: f64,
        horizon_ms: f64,
        from: Option<f64>,
    ) -> Option<[(f64, f64); SEGMENTS]> {
        let start = now - horizon_ms;
        let counted = |p: &&Point| from.is_none_or(|f| p.t >= f);
        // The horizon must be covered: a counted point in its first tenth or earlier.
        if self.points.iter().find(counted)?.t > start + horizon_ms * 0.1 {
            return None;
        }
        let seg_ms = horizon_ms / SEGMENTS as f64;
        let mut floors = [(0.0f64, f64::INFINITY); SEGMENTS];
        for p in self
            .points
            .iter()
            .filter(counted)
            .filter(|p| p.t >= start && p.t <= now)
        {
            let k = (((p.t - start) / seg_ms) as usize).min(SEGMENTS - 1);
            if p.v < floors[k].1 {
                floors[k] = (p.t, p.v);
            }
        }
        floors.iter().all(|f| f.1.is_finite()).then_some(floors)
    }

    /// Whether the floor of the later half of the horizon is `min_rise` above
    /// the floor of the earlier half (false when the horizon is not covered).
    pub fn rising(&self, now: f64, horizon_ms: f64, min_rise: f64) -> bool {
        self.floors(now, horizon_ms, self.judged_from)
            .is_some_and(|f| {
                f[SEGMENTS / 2..]
                    .iter()
                    .map(|p| p.1)
                    .fold(f64::INFINITY, f64::min)
                    - f[..SEGMENTS / 2]
                        .iter()
                        .map(|p| p.1)
                        .fold(f64::INFINITY, f64::min)
                    >= min_rise
            })
    }

    /// Slope of the floors per second (0 when the horizon is not covered):
    /// the growth rate with garbage filtered out, for reports and dashboards.
    pub fn floor_slope(&self, now: f64, horizon_ms: f64) -> f64 {
        self.floors(now, horizon_ms, self.judged_from)
            .map_or(0.0, |f| slope_per_sec(&f))
    }

    /// The floor test on the horizon `[now - horizon_ms, now]`; `None` when the
    /// series does not cover the horizon or the floors do not rise at every step.
    pub fn floor_test(&self, now: f64, horizon_ms: f64, min_growth: f64) -> Option<Growth> {
        let floors = self.floors(now, horizon_ms, self.judged_from)?;
        judge_floors(&floors, horizon_ms, min_growth)
    }

    /// Sets the time before which points are never judged.
    pub fn judge_from(&mut self, t: f64) {
        self.judged_from = Some(t);
    }
}

/// The floor test proper: every segment's floor above the previous one.
fn judge_floors(
    floors: &[(f64, f64); SEGMENTS],
    horizon_ms: f64,
    min_growth: f64,
) -> Option<Growth> {
    let step = min_growth / 16.0;
    if floors.windows(2).any(|w| w[1].1 - w[0].1 < step) {
        return None;
    }
    let growth = floors[SEGMENTS - 1].1 - floors[0].1;
    if growth < 0.75 * min_growth {
        return None;
    }
    Some(Growth {
        growth,
        slope_per_sec: slope_per_sec(floors),
        horizon_ms,
        first_floor: floors[0].1,
    })
}

/// Least-squares slope of `(t ms, v)` pairs, in v per second.
fn slope_per_sec(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let mt = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mv = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for &(t, v) in points {
        num += (t - mt) * (v - mv);
        den += (t - mt) * (t - mt);
    }
    if den <= 0.0 {
        0.0
    } else {
        num / den * 1000.0
    }
}

/// Tuning of one verdict, all in milliseconds and the series' own unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tuning {
    /// The short horizon.
    pub window_ms: f64,
    /// The long horizon is `window_ms * long_factor`.
    pub long_factor: f64,
    /// Minimum rise over a horizon to count as growth.
    pub min_growth: f64,
    /// Points from the first this-many milliseconds (or until `end_warmup`,
    /// if earlier; or from `judge_start_up_after` when growth never
    /// stopped) are never judged, so growth that ends within the warm-up
    /// (loading reference data, a cache filling to its bound, JIT and pools
    /// settling) can never be called a leak.
    pub warmup_ms: f64,
    /// Whether leaking needs a post-GC confirmation (false for call-site counts,
    /// which have no garbage).
    pub confirm: bool,
}

impl Tuning {
    pub fn long_ms(&self) -> f64 {
        self.window_ms * self.long_factor
    }
}

/// The decision about one series, updated on every sample.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub tuning: Tuning,
    pub series: Series,
    leaking: bool,
    since: Option<f64>,
    /// While leaking: when the suspicion it confirmed opened.
    opened: Option<f64>,
    growth: Option<Growth>,
    wants_gc: bool,
    suspected: bool,
    /// An open suspicion: when it opened and the growth that opened it.
    pending: Option<(f64, Growth)>,
    /// Time of the first point ever pushed (the series forgets old points).
    origin: Option<f64>,
    /// When the warm-up ended early (`end_warmup`); else it lasts `warmup_ms`.
    warmup_until: Option<f64>,
    /// Points from this long after the first are judged once the warm-up
    /// ran its whole length (`judge_start_up_after`); else `warmup_ms`.
    judged_after_ms: Option<f64>,
    /// A middle horizon, `mid_factor` windows (`with_mid_horizon`); none when 0.
    mid_factor: f64,
}

impl Verdict {
    pub fn new(tuning: Tuning) -> Self {
        Verdict {
            tuning,
            series: Series::new(),
            leaking: false,
            since: None,
            opened: None,
            growth: None,
            wants_gc: false,
            suspected: false,
            pending: None,
            origin: None,
            warmup_until: None,
            judged_after_ms: None,
            mid_factor: 0.0,
        }
    }

    /// Growth that starts with the process and never stops keeps the warm-up
    /// to its end (`warmup_ms`): then the points from `after_ms` on are
    /// judged too, so such a leak is judged from the middle of the warm-up
    /// rather than from its end. Growth that stops no later than about
    /// `after_ms + 0.65 * window_ms` is still never a leak: the first verdict
    /// needs a window covered from `after_ms` on, and its confirmation a rise
    /// over the last segment (see the module doc).
    pub fn judge_start_up_after(mut self, after_ms: f64) -> Self {
        self.judged_after_ms = Some(after_ms.clamp(0.0, self.tuning.warmup_ms));
        self
    }

    /// Adds a horizon of `factor` windows between the window and the long
    /// one: a slow leak passes the floor test on `factor` windows when
    /// `rate * factor * window_ms >= min_growth`, so it is judged long before
    /// the long horizon is covered.
    pub fn with_mid_horizon(mut self, factor: f64) -> Self {
        if factor > 1.0 && factor < self.tuning.long_factor {
            self.mid_factor = factor;
        }
        self
    }

    /// Ends the warm-up at `t` if that is earlier than `warmup_ms` after the
    /// first point: points from `t` on are judged.
    pub fn end_warmup(&mut self, t: f64) {
        let Some(origin) = self.origin else {
            return;
        };
        if t < origin + self.tuning.warmup_ms && self.warmup_until.is_none() {
            self.warmup_until = Some(t);
            self.series.judge_from(t);
        }
    }

    /// Whether the warm-up is over at `now`.
    pub fn warmed_up(&self, now: f64) -> bool {
        let Some(origin) = self.origin else {
            return false;
        };
        now >= self.warmup_until.unwrap_or(origin + self.tuning.warmup_ms)
    }

    /// Adds a point (kept for the long horizon plus a margin). Points taken
    /// during the warm-up are kept for context but never judged, nor used to
    /// raise a suspicion (which would start the profiler on every start-up).
    pub fn push(&mut self, p: Point) {
        if !p.t.is_finite() {
            return;
        }
        if self.origin.is_none() {
            self.origin = Some(p.t);
            self.series
                .judge_from(p.t + self.judged_after_ms.unwrap_or(self.tuning.warmup_ms));
        }
        let keep = self.tuning.long_ms() * 1.25;
        self.series.push(p, keep);
    }

    /// Re-decides at time `now`.
    pub fn evaluate(&mut self, now: f64) {
        let t = self.tuning;
        self.wants_gc = false;
        let in_warmup = !self.warmed_up(now);
        let short = self.series.floor_test(now, t.window_ms, t.min_growth);
        let long = self.series.floor_test(now, t.long_ms(), t.min_growth);
        let mid = (self.mid_factor > 0.0)
            .then(|| {
                self.series
                    .floor_test(now, t.window_ms * self.mid_factor, t.min_growth)
            })
            .flatten();
        // Prefer the horizon with the larger rise: it is the stronger evidence.
        let found = [short, mid, long].into_iter().flatten().reduce(|a, b| {
            if b.growth > a.growth {
                b
            } else {
                a
            }
        });
        // Half a horizon already rising by a quarter of min_growth: worth
        // attributing allocations and taking post-GC points, not yet a verdict.
        let quarter = t.min_growth / 4.0;
        self.suspected = found.is_some()
            || self
                .series
                .floor_test(now, t.window_ms / 2.0, quarter)
                .is_some()
            || self
                .series
                .floor_test(now, t.long_ms() / 2.0, quarter)
                .is_some()
            || (self.mid_factor > 0.0
                && self
                    .series
                    .floor_test(now, t.window_ms * self.mid_factor / 2.0, quarter)
                    .is_some());
        if self.leaking && found.is_none() {
            // Leaking stays until growth has visibly stopped: the later half
            // of both horizons no higher than the earlier half. (Forced GCs
            // make single segments dip, so the every-step test is too strict
            // to decide that growth ended.)
            let min_rise = t.min_growth / 8.0;
            if self.series.rising(now, t.window_ms, min_rise)
                || self.series.rising(now, t.long_ms(), min_rise)
            {
                self.growth = None;
                return;
            }
        }
        if in_warmup {
            self.growth = None;
            return;
        }
        if !self.leaking || found.is_some() {
            self.growth = found;
        }
        if self.leaking {
            if found.is_none() {
                self.leaking = false;
                self.since = None;
                self.opened = None;
                self.pending = None;
            }
            return;
        }
        // A passing floor test opens a suspicion that stays open (for one
        // window) until a post-GC point confirms or rejects it: the forced GC
        // it asks for makes the next floors dip, so the floor test itself may
        // not pass again while the answer is on its way.
        if let Some(g) = found {
            if self.pending.is_none() {
                self.pending = Some((now, g));
            }
        }
        let Some((opened, g)) = self.pending else {
            return;
        };
        if now - opened > t.window_ms {
            self.pending = found.map(|g| (now, g));
            return;
        }
        let g = found.unwrap_or(g);
        self.growth = Some(g);
        if t.confirm {
            match self.confirm(now, g) {
                Confirmation::Confirmed => {}
                Confirmation::Rejected => {
                    self.pending = None;
                    return;
                }
                Confirmation::NeedGc => {
                    self.wants_gc = true;
                    return;
                }
            }
        }
        self.pending = None;
        self.leaking = true;
        self.since = Some(now);
        self.opened = Some(opened);
    }

    /// Growth is still going on: a fresh post-GC point `b` stands above an
    /// older point `a` at half the minimum rate or more, and by
    /// `min_growth / 8`. Any point is at least the live memory
    /// of its moment (garbage only adds), so the rise is never overstated; and
    /// comparing with the recent past (not the first floor) is what rejects a
    /// warm-up that stopped a moment ago.
    fn confirm(&self, now: f64, g: Growth) -> Confirmation {
        let seg = g.horizon_ms / SEGMENTS as f64;
        let Some(b) = self.series.last_post_gc() else {
            return Confirmation::NeedGc;
        };
        if b.t < now - seg / 2.0 {
            return Confirmation::NeedGc;
        }
        // The latest post-GC point from a horizon to 0.75 segment back, else
        // the lowest sample 0.75 to 1 segment back: as recent as the evidence
        // allows (a recent point is what rejects a warm-up that just ended).
        let (from, to) = (
            (b.t - g.horizon_ms).max(self.series.judged_from.unwrap_or(f64::NEG_INFINITY)),
            b.t - 0.75 * seg,
        );
        let in_range = || {
            self.series
                .points
                .iter()
                .filter(move |p| p.t >= from && p.t <= to)
        };
        let a = in_range()
            .filter(|p| p.post_gc)
            .max_by(|x, y| x.t.total_cmp(&y.t))
            .or_else(|| {
                in_range()
                    .filter(|p| p.t >= b.t - seg)
                    .min_by(|x, y| x.v.total_cmp(&y.v))
            });
        let Some(a) = a else {
            return Confirmation::NeedGc;
        };
        let min_rate = self.tuning.min_growth / g.horizon_ms;
        let rises = |a: &Point| {
            let rise = b.v - a.v;
            rise / (b.t - a.t) >= 0.5 * min_rate && rise >= self.tuning.min_growth / 8.0
        };
        if !rises(a) {
            return Confirmation::Rejected;
        }
        // Evidence that reaches back into a warm-up that ran its whole length
        // (`judge_start_up_after`): a start-up load that stopped a few
        // seconds ago still passes the floor test (floors lag by a segment),
        // and with sparse post-GC points `a` may predate its end. So the rise
        // must also show over the last segment, against the lowest sample
        // 0.75 to 1 segment back (samples never understate live memory).
        if self.judges_start_up(now - g.horizon_ms) {
            let recent = self
                .series
                .points
                .iter()
                .filter(|p| p.t >= b.t - seg && p.t <= b.t - 0.75 * seg)
                .min_by(|x, y| x.v.total_cmp(&y.v));
            if !recent.is_some_and(rises) {
                return Confirmation::Rejected;
            }
        }
        Confirmation::Confirmed
    }

    /// Whether a horizon starting at `from` holds points of a warm-up that
    /// ran its whole length.
    fn judges_start_up(&self, from: f64) -> bool {
        match (self.origin, self.judged_after_ms) {
            (Some(origin), Some(_)) if self.warmup_until.is_none() => {
                from < origin + self.tuning.warmup_ms
            }
            _ => false,
        }
    }

    pub fn leaking(&self) -> bool {
        self.leaking
    }

    /// When the verdict last turned to leaking.
    pub fn since(&self) -> Option<f64> {
        self.since
    }

    /// While leaking, when the suspicion that the verdict confirmed opened
    /// (its floor test first passed): growth was showing from then on.
    pub fn opened(&self) -> Option<f64> {
        self.opened
    }

    /// The growth found at the last evaluation, if any.
    pub fn growth(&self) -> Option<Growth> {
        self.growth
    }

    /// True when a forced GC would let the verdict decide.
    pub fn wants_gc(&self) -> bool {
        self.wants_gc
    }

    /// True when growth has started to show: time to attribute allocations.
    pub fn suspected(&self) -> bool {
        self.suspected || self.leaking
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: f64 = 1024.0 * 1024.0;

    fn tuning() -> Tuning {
        // intervalMs 250 defaults: 8 s window, 64 s long horizon, 4 MiB.
        Tuning {
            window_ms: 8000.0,
            long_factor: 8.0,
            min_growth: 4.0 * MB,
            warmup_ms: 8000.0,
            confirm: true,
        }
    }

    /// A simulated process: `live(t)` is what survives a full GC; the heap
    /// also carries `garbage(t)`. Samples every 250 ms; natural major GCs at
    /// `major_every_ms` (or never); a forced GC whenever the verdict asks.
    struct Sim {
        verdict: Verdict,
        leaking_at: Option<f64>,
        ever_leaking: bool,
        forced: usize,
    }

    fn run(
        ms: f64,
        live: impl Fn(f64) -> f64,
        garbage: impl Fn(f64) -> f64,
        major_every_ms: Option<f64>,
    ) -> Sim {
        run_with(Verdict::new(tuning()), ms, live, garbage, major_every_ms)
    }

    fn run_with(
        verdict: Verdict,
        ms: f64,
        live: impl Fn(f64) -> f64,
        garbage: impl Fn(f64) -> f64,
        major_every_ms: Option<f64>,
    ) -> Sim {
        let mut sim = Sim {
            verdict,
            leaking_at: None,
            ever_leaking: false,
            forced: 0,
        };
        let mut t = 0.0;
        let mut next_major = major_every_ms.unwrap_or(f64::INFINITY);
        let mut last_forced = f64::NEG_INFINITY;
        while t <= ms {
            let heap = live(t) + garbage(t);
            sim.verdict.push(Point {
                t,
                v: heap,
                post_gc: false,
            });
            if t >= next_major {
                next_major += major_every_ms.unwrap_or(f64::INFINITY);
                sim.verdict.push(Point {
                    t: t + 1.0,
                    v: live(t),
                    post_gc: true,
                });
            }
            sim.verdict.evaluate(t);
            // Forced GCs at most once a second, as the sampler rate-limits them.
            if sim.verdict.wants_gc() && t - last_forced >= 1000.0 {
                last_forced = t;
                sim.forced += 1;
                sim.verdict.push(Point {
                    t: t + 1.0,
                    v: live(t),
                    post_gc: true,
                });
                sim.verdict.evaluate(t + 1.0);
            }
            if sim.verdict.leaking() {
                sim.ever_leaking = true;
                sim.leaking_at.get_or_insert(t);
            }
            t += 250.0;
        }
        sim
    }

    /// Young-generation noise: up to 8 MiB of garbage, scavenged every 2 s.
    fn young(t: f64) -> f64 {
        (t % 2000.0) / 2000.0 * 8.0 * MB
    }

    #[test]
    fn steady_leak_is_caught_within_ten_seconds_of_its_start() {
        // Flat through the 8 s warm-up, then 2 MiB/s.
        let sim = run(
            30_000.0,
            |t| 50.0 * MB + 2.0 * MB * ((t - 8000.0) / 1000.0).max(0.0),
            young,
            None,
        );
        let at = sim.leaking_at.expect("a 2 MB/s leak must be flagged");
        assert!(
            at - 8000.0 <= 10_000.0,
            "flagged {} ms after it began",
            at - 8000.0
        );
        assert!(sim.forced >= 1, "confirmed by a forced GC");
        let g = sim.verdict.growth().unwrap();
        assert!(
            (g.slope_per_sec - 2.0 * MB).abs() < 0.5 * MB,
            "{}",
            g.slope_per_sec
        );
    }

    #[test]
    fn slow_leak_with_no_major_gc_is_caught_on_the_long_horizon() {
        // 100 KiB/s: 0.8 MiB per 8 s window (below min growth), 6.4 MiB per 64 s.
        let sim = run(
            90_000.0,
            |t| 80.0 * MB + 100.0 * 1024.0 * t / 1000.0,
            young,
            None,
        );
        let at = sim.leaking_at.expect("a slow leak must be flagged");
        assert!(at > 30_000.0 && at <= 75_000.0, "flagged at {at} ms");
    }

    #[test]
    fn warm_up_plateau_is_not_a_leak() {
        // 40 MiB loaded over the first 5 s, then flat.
        let sim = run(
            60_000.0,
            |t| 30.0 * MB + 40.0 * MB * (t / 5000.0).min(1.0),
            young,
            Some(3000.0),
        );
        assert!(!sim.ever_leaking);
    }

    #[test]
    fn warm_up_longer_than_a_window_is_not_a_leak() {
        // 3 MiB/s for the whole 8 s warm-up (24 MiB: more than a window of
        // steady growth), then flat: only post-warm-up points are judged.
        let sim = run(
            60_000.0,
            |t| 30.0 * MB + 3.0 * MB * (t / 1000.0).min(8.0),
            young,
            None,
        );
        assert!(!sim.ever_leaking);
    }

    #[test]
    fn gc_sawtooth_is_not_a_leak() {
        // Old-generation garbage builds up 60 MiB over 20 s, then a major GC
        // clears it: floors rise within the 8 s window, the forced GC says no.
        let sim = run(
            90_000.0,
            |_| 40.0 * MB,
            |t| young(t) + (t % 20_000.0) / 20_000.0 * 60.0 * MB,
            Some(20_000.0),
        );
        assert!(!sim.ever_leaking);
        assert!(sim.forced >= 1, "the false rise was checked, not ignored");
    }

    #[test]
    fn bounded_cache_filling_to_its_bound_is_not_a_leak() {
        // Fills at 3 MiB/s for 4 s (12 MiB), then evicts: constant size.
        let sim = run(
            60_000.0,
            |t| 20.0 * MB + 3.0 * MB * (t / 1000.0).min(4.0),
            young,
            None,
        );
        assert!(!sim.ever_leaking);
    }

    #[test]
    fn step_growth_that_stops_is_not_a_leak() {
        let sim = run(
            60_000.0,
            |t| if t < 12_000.0 { 40.0 * MB } else { 90.0 * MB },
            young,
            None,
        );
        assert!(!sim.ever_leaking);
    }

    #[test]
    fn a_leak_that_stops_clears_the_verdict() {
        // 2 MiB/s for 20 s, then flat for a long horizon and a half.
        let live = |t: f64| 40.0 * MB + 2.0 * MB * t.min(20_000.0) / 1000.0;
        let sim = run(20_000.0, live, young, None);
        assert!(sim.verdict.leaking());
        let sim = run(20_000.0 + 100_000.0, live, young, None);
        assert!(sim.ever_leaking);
        assert!(!sim.verdict.leaking(), "cleared once growth stopped");
    }

    #[test]
    fn large_constant_heap_is_not_a_leak() {
        let sim = run(
            60_000.0,
            |t| 1500.0 * MB + ((t / 250.0) as u64 % 7) as f64 * 0.3 * MB,
            young,
            Some(10_000.0),
        );
        assert!(!sim.ever_leaking);
    }

    #[test]
    fn memwatch_rule_would_flag_a_warming_cache_that_this_verdict_does_not() {
        // memwatch: "heap grew after 5 consecutive full GCs". A cache warming
        // for 6 s with a major GC every second grows across 6 GCs.
        let live = |t: f64| 20.0 * MB + 1.0 * MB * (t / 1000.0).min(6.0);
        let post_gc: Vec<f64> = (1..=10).map(|s| live(s as f64 * 1000.0)).collect();
        let memwatch = post_gc
            .windows(6)
            .any(|w| w.windows(2).all(|p| p[1] > p[0]));
        assert!(memwatch, "memwatch's rule fires on the warm-up");
        let sim = run(60_000.0, live, young, Some(1000.0));
        assert!(!sim.ever_leaking, "this verdict waits for the plateau");
    }

    #[test]
    fn a_forced_gc_that_clears_promoted_garbage_does_not_lose_the_leak() {
        // Old-generation garbage builds up at 3 MiB/s until a GC clears it:
        // samples sit well above live memory, so the forced GC's point dips
        // below the floors before it. The leak is still confirmed, one window
        // later than a clean one (the first confirmation compares with a
        // sample that carries garbage and is rejected).
        let mut v = Verdict::new(tuning());
        // The leak starts when the 8 s warm-up ends.
        let live = |t: f64| 40.0 * MB + 1.5 * MB * ((t - 8000.0) / 1000.0).max(0.0);
        let (mut last_gc, mut last_forced, mut at) = (0.0, f64::NEG_INFINITY, None);
        let mut t = 0.0;
        while t <= 40_000.0 && at.is_none() {
            let garbage = 3.0 * MB * (t - last_gc) / 1000.0;
            v.push(Point {
                t,
                v: live(t) + garbage,
                post_gc: false,
            });
            v.evaluate(t);
            if v.wants_gc() && t - last_forced >= 1000.0 {
                last_forced = t;
                last_gc = t;
                v.push(Point {
                    t: t + 1.0,
                    v: live(t),
                    post_gc: true,
                });
            }
            if v.leaking() {
                at = Some(t);
            }
            t += 250.0;
        }
        let at = at.expect("the leak must be confirmed");
        assert!(
            at - 8000.0 <= 16_000.0,
            "confirmed {} ms after it began",
            at - 8000.0
        );
    }

    /// The heap verdict as `SamplerCore` builds it at `intervalMs` 250: an
    /// 8 s window, a 10 s warm-up, start-up growth judged from 6 s, a
    /// middle horizon of 3 windows.
    fn start_up_verdict() -> Verdict {
        Verdict::new(Tuning {
            warmup_ms: 10_000.0,
            ..tuning()
        })
        .judge_start_up_after(6000.0)
        .with_mid_horizon(3.0)
    }

    #[test]
    fn a_leak_from_the_first_second_is_judged_before_warm_up_plus_a_window() {
        for rate in [1.0, 5.0, 20.0] {
            let sim = run_with(
                start_up_verdict(),
                40_000.0,
                |t| 30.0 * MB + rate * MB * t / 1000.0,
                young,
                None,
            );
            let at = sim.leaking_at.expect("a leak from start must be flagged");
            // Judged from the warm-up's end, it would need 10 s + a window.
            assert!(at < 18_000.0, "{rate} MiB/s flagged at {at} ms");
        }
    }

    #[test]
    fn a_configuration_loaded_for_ten_seconds_is_not_a_leak() {
        // Linear for 10 s from start, at rates up to a fast leak's, then flat.
        for rate in [0.5, 2.0, 5.0, 20.0] {
            for major in [None, Some(3000.0)] {
                let sim = run_with(
                    start_up_verdict(),
                    90_000.0,
                    |t| 30.0 * MB + rate * MB * t.min(10_000.0) / 1000.0,
                    young,
                    major,
                );
                assert!(!sim.ever_leaking, "{rate} MiB/s, major GCs {major:?}");
            }
        }
    }

    #[test]
    fn a_warm_up_that_slows_down_over_ten_seconds_is_not_a_leak() {
        // JIT and caches of compiled code: fast at first, settled by ~10 s.
        let sim = run_with(
            start_up_verdict(),
            90_000.0,
            |t| 30.0 * MB + 40.0 * MB * (1.0 - (-t / 2500.0).exp()),
            young,
            None,
        );
        assert!(!sim.ever_leaking);
    }

    #[test]
    fn a_batch_that_fills_and_flushes_every_five_seconds_is_not_a_leak() {
        // 30 MiB gathered over 5 s, then written out and dropped, forever,
        // with young garbage only. (With garbage promoted between rare major
        // GCs, post-GC points taken at two moments of one cycle can confirm
        // a rise: see docs/sampler.md, Limits.)
        for major in [None, Some(7000.0)] {
            for phase in [0.0, 1000.0, 2500.0, 4000.0] {
                let sim = run_with(
                    start_up_verdict(),
                    120_000.0,
                    |t| 30.0 * MB + 6.0 * MB * ((t + phase) % 5000.0) / 1000.0,
                    young,
                    major,
                );
                assert!(!sim.ever_leaking, "major GCs {major:?}, phase {phase}");
            }
        }
    }

    #[test]
    fn a_slow_leak_from_start_is_judged_on_the_middle_horizon() {
        // 0.25 MB/s: below min growth per window, 3 MiB in 3/4 of 3 windows.
        let rate = 0.25e6;
        let sim = run_with(
            start_up_verdict(),
            90_000.0,
            |t| 50.0 * MB + rate * t / 1000.0,
            young,
            None,
        );
        let at = sim.leaking_at.expect("a 0.25 MB/s leak must be flagged");
        let g = sim.verdict.growth().unwrap();
        assert!(
            at < 32_000.0,
            "flagged at {at} ms (the long horizon needs 64 s)"
        );
        assert!(
            (g.slope_per_sec - rate).abs() < 0.1 * rate,
            "{}",
            g.slope_per_sec
        );
    }

    #[test]
    fn no_verdict_during_warm_up_or_without_coverage() {
        let mut v = Verdict::new(tuning());
        for i in 0..20 {
            let t = i as f64 * 250.0;
            v.push(Point {
                t,
                v: 10.0 * MB * t / 1000.0,
                post_gc: true,
            });
            v.evaluate(t);
            assert!(!v.leaking());
        }
    }

    #[test]
    fn series_keeps_time_order_and_bounds() {
        let mut s = Series::new();
        s.push(
            Point {
                t: 10.0,
                v: 1.0,
                post_gc: false,
            },
            100.0,
        );
        s.push(
            Point {
                t: 5.0,
                v: 2.0,
                post_gc: true,
            },
            100.0,
        );
        s.push(
            Point {
                t: 200.0,
                v: 3.0,
                post_gc: false,
            },
            100.0,
        );
        assert_eq!(s.len(), 1, "points older than keep_ms are dropped");
        s.push(
            Point {
                t: f64::NAN,
                v: 1.0,
                post_gc: false,
            },
            100.0,
        );
        assert_eq!(s.len(), 1);
    }
}
