//! Rolling latency histograms (event-loop lag, GC pauses) in microseconds.
//!
//! Two hdrhistogram buckets rotate every `window_ms`: a report merges the
//! current and the previous one, so figures cover the last one to two windows
//! (recent enough to page on, long enough to have a p99). Never allocates after
//! construction except in `merged()`.

use hdrhistogram::Histogram;

/// Highest value recorded: one hour, in microseconds (longer values saturate).
const HIGHEST_US: u64 = 3_600_000_000;
/// Two significant digits: every figure within 1% (p99 of 120 ms reads
/// 119.5–120.5 ms), for a counts array of 3 328 slots (26 KiB) per bucket;
/// three digits would take 23 552 (184 KiB), and the sampler keeps four
/// buckets resident for ever, every one of them written by `reset()`.
const SIGNIFICANT_DIGITS: u8 = 2;

/// p50/p99/max in milliseconds, and how many values they summarise.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub count: u64,
}

pub struct RollingHistogram {
    current: Histogram<u64>,
    previous: Histogram<u64>,
    rotated_at: f64,
    window_ms: f64,
}

impl RollingHistogram {
    pub fn new(window_ms: f64) -> Self {
        // Bounds are constants known to be valid: 1 µs .. 1 h, SIGNIFICANT_DIGITS.
        let fresh =
            || Histogram::new_with_bounds(1, HIGHEST_US, SIGNIFICANT_DIGITS).expect("valid bounds");
        RollingHistogram {
            current: fresh(),
            previous: fresh(),
            rotated_at: f64::NAN,
            window_ms,
        }
    }

    /// Rotates the buckets when a window has passed since the last rotation.
    pub fn tick(&mut self, now: f64) {
        if self.rotated_at.is_nan() {
            self.rotated_at = now;
        } else if now - self.rotated_at >= self.window_ms {
            std::mem::swap(&mut self.current, &mut self.previous);
            self.current.reset();
            self.rotated_at = now;
        }
    }

    /// Records one value in milliseconds (negative and NaN values are ignored).
    pub fn record_ms(&mut self, ms: f64) {
        if ms.is_finite() && ms >= 0.0 {
            self.current
                .saturating_record(((ms * 1000.0).round() as u64).clamp(1, HIGHEST_US));
        }
    }

    /// Summary of the current and previous windows, plus `extra_ms` (a lag
    /// still in progress, which no bucket holds yet) folded into the max.
    pub fn summary(&self, extra_ms: f64) -> Summary {
        let mut merged = self.current.clone();
        // Same bounds on both sides: adding cannot fail.
        let _ = merged.add(&self.previous);
        let us = |v: u64| v as f64 / 1000.0;
        let mut s = if merged.is_empty() {
            Summary::default()
        } else {
            Summary {
                p50_ms: us(merged.value_at_quantile(0.5)),
                p99_ms: us(merged.value_at_quantile(0.99)),
                max_ms: us(merged.max()),
                count: merged.len(),
            }
        };
        if extra_ms.is_finite() && extra_ms > s.max_ms {
            s.max_ms = extra_ms;
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_two_windows_then_forgets() {
        let mut h = RollingHistogram::new(1000.0);
        h.tick(0.0);
        for v in 1..=100 {
            h.record_ms(v as f64);
        }
        let s = h.summary(0.0);
        assert_eq!(s.count, 100);
        // Within 1% (two significant digits).
        assert!((s.p50_ms - 50.0).abs() <= 0.5, "{}", s.p50_ms);
        assert!((s.p99_ms - 99.0).abs() <= 0.99, "{}", s.p99_ms);
        assert!((s.max_ms - 100.0).abs() <= 1.0, "{}", s.max_ms);
        h.tick(1000.0);
        h.record_ms(2.0);
        assert_eq!(h.summary(0.0).count, 101, "previous window still counts");
        h.tick(2000.0);
        assert_eq!(h.summary(0.0).count, 1, "two windows later it is gone");
        assert_eq!(h.summary(5000.0).max_ms, 5000.0, "an ongoing stall shows");
        h.record_ms(f64::NAN);
        h.record_ms(-1.0);
        assert_eq!(h.summary(0.0).count, 1);
    }

    #[test]
    fn a_bucket_stays_small() {
        let h = RollingHistogram::new(1000.0);
        assert_eq!(h.current.distinct_values(), 3_328);
        let three = Histogram::<u64>::new_with_bounds(1, HIGHEST_US, 3).unwrap();
        assert_eq!(three.distinct_values(), 23_552);
    }
}
