//! Attribution: turns registry rows (caches, timer sites, listener sites) and
//! allocation-profile diffs into ranked suspects.
//!
//! Registry rows are exact to the line (leakguard captured the creation stack);
//! a row is a suspect when its live count passes the same floor test as the
//! heap (every quarter of a horizon higher than the last), with no post-GC
//! confirmation since counts carry no garbage. Allocation suspects come from
//! V8's sampling heap profiler (pushed from JS, function-level).
//!
//! Ranking estimates bytes per second retained by each suspect. Rows have no
//! byte size of their own: they are charged `ITEM_BYTES` per live item here,
//! and an allocation is charged to a row only with evidence that the row
//! holds it, which needs the candidate lines (JavaScript, after this ranking).
//! Exact mechanisms outrank function-level guesses of equal weight. Never
//! touches napi.

use super::verdict::{Point, Tuning, Verdict};
use crate::stats::{layout, Kind, RowMeta, RowSnapshot, Site};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Assumed retained bytes per live timer or listener (handle + closure +
/// context) when no allocation profile says better.
const ITEM_BYTES: f64 = 1024.0;
/// Assumed bytes per cache entry when the cache has no size accounting.
const ENTRY_BYTES: f64 = 256.0;
/// Weight of an exact, line-level mechanism over a function-level guess.
pub(super) const EXACT_WEIGHT: f64 = 2.0;
/// Weight of a listener site whose listeners are spread about one per
/// emitter over many emitters (`res.on('close', …)` on requests still in
/// flight, a listener per socket): those listeners live exactly as long as
/// their emitters, so what grows is whatever keeps the emitters alive, and a
/// bus that gains listeners, or any other mechanism, should rank first.
const SPREAD_WEIGHT: f64 = 0.25;
/// At most this many live listeners per emitter counts as "spread".
const SPREAD_PER_EMITTER: f64 = 2.0;
/// At most this many live listeners per emitter, added from `node_modules`,
/// counts as a dependency's per-emitter bookkeeping (OpenTelemetry's context
/// manager adds two 'end' listeners to each request it binds).
const DEPENDENCY_PER_EMITTER: f64 = 4.0;
/// Weight of a suspect whose growing frame is inside `node_modules` (for a
/// row: no frame of its creation stack is the application's, since the row
/// site is the first frame outside `node_modules` when there is one). An APM
/// agent's or a library's bookkeeping (require-in-the-middle's list of
/// patched modules, a context manager's map per emitter) grows while the
/// service warms up and would otherwise push the application's own line down
/// the list; a dependency that really leaks still ranks first when it
/// retains more than this many times the bytes per second of the first
/// application suspect.
const DEPENDENCY_WEIGHT: f64 = 1.0 / 16.0;

/// One ranked suspect, serialized into the report as-is.
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Suspect {
    pub kind: &'static str,
    pub site: Option<Site>,
    pub stack: Vec<Site>,
    /// Live items (rows) or sampled live allocations (allocation suspects).
    pub count: f64,
    /// Per second: items for rows, bytes for allocation suspects.
    pub growth: f64,
    /// Estimated live bytes attributable to the suspect.
    pub bytes: f64,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Timer kind, event name, or cache class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `line` (exact creation site) or `function` (sampling profiler).
    pub precision: &'static str,
    /// Ranking weight: estimated retained bytes per second.
    pub score: f64,
}

/// An allocation-profile suspect as `lib/sampler/allocation-profiler.js` pushes it.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    pub site: Site,
    #[serde(default)]
    pub stack: Vec<Site>,
    /// Sampled live bytes at the last profile read.
    pub bytes: f64,
    /// Bytes per second of growth between profile reads.
    pub growth: f64,
    /// Sampled live allocations.
    #[serde(default)]
    pub count: f64,
}

/// A bounded leakguard cache still filling towards its bound.
#[derive(Clone, Debug, PartialEq)]
pub struct Filling {
    pub name: Option<String>,
    pub class: Option<String>,
    pub site: Option<Site>,
    pub size: f64,
    pub max: f64,
    /// Entries per second over the last window.
    pub growth: f64,
    /// From the cache's own size accounting, when it has one.
    pub bytes_per_entry: Option<f64>,
}

impl Filling {
    pub fn percent(&self) -> f64 {
        if self.max > 0.0 {
            self.size / self.max * 100.0
        } else {
            0.0
        }
    }

    pub fn description(&self) -> String {
        let name = self.name.as_deref().unwrap_or("(unnamed)");
        format!(
            "cache '{name}' filling, {:.0}% of max ({} of {}, +{}/s)",
            self.percent(),
            group(self.size),
            group(self.max),
            rate(self.growth)
        )
    }
}

struct Tracked {
    meta: Arc<RowMeta>,
    verdict: Verdict,
    cells: [f64; 8],
}

/// Per-row growth tracking across samples.
pub struct RowTracker {
    rows: HashMap<(u32, u64), Tracked>,
    tuning: Tuning,
}

impl RowTracker {
    /// `tuning.min_growth` is in items.
    pub fn new(tuning: Tuning) -> Self {
        RowTracker {
            rows: HashMap::new(),
            tuning,
        }
    }

    /// Folds in one registry snapshot taken at `now`; released rows are forgotten.
    pub fn observe(&mut self, now: f64, rows: &[RowSnapshot]) {
        let mut seen = std::collections::HashSet::with_capacity(rows.len());
        for r in rows {
            let key = (r.id, r.generation);
            seen.insert(key);
            let t = self.rows.entry(key).or_insert_with(|| Tracked {
                meta: r.meta.clone(),
                verdict: Verdict::new(self.tuning),
                cells: r.cells,
            });
            t.cells = r.cells;
            t.verdict.push(Point {
                t: now,
                v: live(&r.meta, &r.cells),
                post_gc: false,
            });
            t.verdict.evaluate(now);
        }
        self.rows.retain(|k, _| seen.contains(k));
    }

    /// Suspects among the rows: those whose live count keeps growing.
    pub fn suspects(&self) -> Vec<Suspect> {
        let mut out = Vec::new();
        for t in self.rows.values() {
            if !t.verdict.leaking() {
                continue;
            }
            if dependency_per_emitter(&t.meta, &t.cells) {
                continue;
            }
            let growth = t.verdict.growth().map_or(0.0, |g| g.slope_per_sec.max(0.0));
            if let Some(s) = row_suspect(&t.meta, &t.cells, growth) {
                out.push(s);
            }
        }
        out
    }

    /// Registry evidence: timer or listener rows, and caches without a bound,
    /// whose live count passed the floor test (rising at every quarter of the
    /// window) at `min_rate` items/s or more with `min_live` items live.
    pub fn evidence(&self, min_rate: f64, min_live: f64) -> Vec<Suspect> {
        let mut out = Vec::new();
        for t in self.rows.values() {
            if !t.verdict.leaking() || (t.meta.kind == Kind::Cache && t.meta.max.is_some()) {
                continue;
            }
            let growth = t.verdict.growth().map_or(0.0, |g| g.slope_per_sec.max(0.0));
            let count = live(&t.meta, &t.cells);
            if growth < min_rate || count < min_live || dependency_per_emitter(&t.meta, &t.cells) {
                continue;
            }
            // About one listener per emitter (requests in flight, sockets):
            // they live as long as their emitters, so what grows is whatever
            // keeps the emitters alive; the heap verdict is the one to judge it.
            let emitters = t.cells[layout::site::EMITTERS];
            if t.meta.kind == Kind::Listener
                && emitters > 1.0
                && count <= SPREAD_PER_EMITTER * emitters
            {
                continue;
            }
            if let Some(s) = row_suspect(&t.meta, &t.cells, growth) {
                out.push(s);
            }
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        out
    }

    /// Bounded caches below their bound whose size rose over the last window.
    pub fn filling(&self, now: f64) -> Vec<Filling> {
        let mut out = Vec::new();
        for t in self.rows.values() {
            let (Kind::Cache, Some(max)) = (t.meta.kind, t.meta.max) else {
                continue;
            };
            let size = live(&t.meta, &t.cells);
            let slope = t.verdict.series.floor_slope(now, self.tuning.window_ms);
            if size >= 0.95 * max || slope <= 0.0 {
                continue;
            }
            let sized = t.cells[layout::cache::CALCULATED_SIZE];
            out.push(Filling {
                name: t.meta.name.clone(),
                class: t.meta.detail.clone(),
                site: t.meta.site.clone(),
                size,
                max,
                growth: slope,
                bytes_per_entry: (sized > 0.0 && size > 0.0).then(|| sized / size),
            });
        }
        out.sort_by(|a, b| b.growth.total_cmp(&a.growth));
        out
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// A listener that code inside `node_modules` (no frame of the application's
/// on its creation stack) adds about once per emitter, such as an agent's
/// context-binding listener on each request: it goes when its emitter is
/// removed or collected, so it is not a leak of its own; if the emitters
/// leak, what keeps them is the suspect.
fn dependency_per_emitter(meta: &RowMeta, cells: &[f64; 8]) -> bool {
    let emitters = cells[layout::site::EMITTERS];
    meta.kind == Kind::Listener
        && meta.site.as_ref().is_some_and(|s| s.node_modules)
        && emitters > 1.0
        && live(meta, cells) <= DEPENDENCY_PER_EMITTER * emitters
}

/// Whether the suspect's growing frame is inside `node_modules`.
fn in_dependency(s: &Suspect) -> bool {
    s.site.as_ref().is_some_and(|f| f.node_modules)
}

fn live(meta: &RowMeta, cells: &[f64; 8]) -> f64 {
    match meta.kind {
        Kind::Cache => cells[layout::cache::SIZE],
        Kind::Timer | Kind::Listener => cells[layout::site::ADDS] - cells[layout::site::REMOVES],
    }
}

fn row_suspect(meta: &RowMeta, cells: &[f64; 8], growth: f64) -> Option<Suspect> {
    let count = live(meta, cells);
    let at = meta
        .site
        .as_ref()
        .map(|s| format!("{}:{}:{}", s.file, s.line, s.column))
        .unwrap_or_else(|| "an unknown site".into());
    let (kind, description, bytes, score) = match meta.kind {
        Kind::Timer => {
            let interval = meta.detail.as_deref() == Some("interval");
            let (call, noun) = if interval {
                ("setInterval", "intervals")
            } else {
                ("setTimeout", "timeouts")
            };
            (
                "timer",
                format!(
                    "{call} at {at} has {} live {noun}, growing {}/s",
                    group(count),
                    rate(growth)
                ),
                count * ITEM_BYTES,
                growth * ITEM_BYTES,
            )
        }
        Kind::Listener => {
            let event = meta.detail.as_deref().unwrap_or("?");
            let emitters = cells[layout::site::EMITTERS];
            let spread = emitters > 1.0 && count <= SPREAD_PER_EMITTER * emitters;
            (
                "listener",
                format!(
                    "listener for '{event}' added at {at} has {} live listeners on {} emitter{}, growing {}/s{}",
                    group(count),
                    group(emitters),
                    if emitters == 1.0 { "" } else { "s" },
                    rate(growth),
                    if spread {
                        " (about one per emitter: the emitters themselves stay alive; look at what keeps them)"
                    } else {
                        ""
                    }
                ),
                count * ITEM_BYTES,
                growth * ITEM_BYTES * if spread { SPREAD_WEIGHT } else { 1.0 },
            )
        }
        Kind::Cache => {
            if let Some(max) = meta.max {
                if count >= 0.95 * max {
                    return None; // at its bound: bounded, not leaking
                }
            }
            let sized = cells[layout::cache::CALCULATED_SIZE];
            let per = if sized > 0.0 && count > 0.0 {
                sized / count
            } else {
                ENTRY_BYTES
            };
            let name = meta.name.as_deref().unwrap_or("(unnamed)");
            let class = meta.detail.as_deref().unwrap_or("cache");
            let bound = meta
                .max
                .map(|m| {
                    format!(
                        ", max {}, {:.0}% full",
                        group(m),
                        count / m.max(1.0) * 100.0
                    )
                })
                .unwrap_or_default();
            (
                "cache",
                format!(
                    "{class} '{name}' ({at}{bound}) holds {} entries, growing {}/s",
                    group(count),
                    rate(growth)
                ),
                count * per,
                growth * per,
            )
        }
    };
    Some(Suspect {
        kind,
        site: meta.site.clone(),
        stack: meta.stack.clone(),
        count,
        growth,
        bytes,
        description,
        name: meta.name.clone(),
        detail: meta.detail.clone(),
        precision: "line",
        score: score * EXACT_WEIGHT,
    })
}

fn allocation_suspect(a: &Allocation) -> Suspect {
    let fname = a
        .site
        .function_name
        .as_deref()
        .filter(|f| !f.is_empty())
        .unwrap_or("(anonymous)");
    let dep = if a.site.node_modules {
        " (inside node_modules)"
    } else {
        ""
    };
    Suspect {
        kind: "allocation",
        site: Some(a.site.clone()),
        stack: a.stack.clone(),
        count: a.count,
        growth: a.growth,
        bytes: a.bytes,
        description: format!(
            "function-level: objects allocated in {fname} ({}:{}:{}){dep} hold ~{} live, growing {}/s (sampling heap profiler)",
            a.site.file,
            a.site.line,
            a.site.column,
            bytes(a.bytes),
            bytes(a.growth.max(0.0))
        ),
        name: None,
        detail: None,
        precision: "function",
        score: a.growth.max(0.0),
    }
}

/// Bytes per second a registry suspect can hold at most by its own items:
/// its growth in items times its bytes per item (`ITEM_BYTES` for a timer
/// or listener, the cache's own accounting or `ENTRY_BYTES` for a cache).
/// The heap growing much faster than this is held by something else.
pub fn row_bytes_per_sec(s: &Suspect) -> f64 {
    if s.kind == "allocation" || s.kind == "buffer" || s.count <= 0.0 {
        return 0.0;
    }
    s.growth.max(0.0) * s.bytes / s.count
}

/// Ranks row suspects and allocation suspects together, most likely first.
///
/// An allocation is not charged to a row here: that the row's creation
/// stack runs through the allocating function is no evidence that the row
/// holds what the function allocated (the same handler may add a listener
/// and fill a `Map`). The JavaScript side charges a row once the candidate
/// lines are known (`lib/sampler/attribution.js`, `chargeRows`): only an
/// allocation in the function that created the row (or that a registering
/// function V8 inlined into), with no line that adds to a longer-lived
/// container.
pub fn rank(mut rows: Vec<Suspect>, allocations: &[Allocation]) -> Vec<Suspect> {
    let mut out: Vec<Suspect> = allocations
        .iter()
        .filter(|a| a.growth > 0.0 && a.bytes > 0.0)
        .map(allocation_suspect)
        .collect();
    out.append(&mut rows);
    // The application's code ahead of a dependency's bookkeeping (DEPENDENCY_WEIGHT).
    for s in out.iter_mut().filter(|s| in_dependency(s)) {
        s.score *= DEPENDENCY_WEIGHT;
        if s.kind != "allocation" {
            s.description.push_str(" (inside node_modules)");
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

/// "1 250": digits grouped by thousands with spaces.
pub fn group(n: f64) -> String {
    let n = n.round();
    let neg = n < 0.0;
    let digits = format!("{}", n.abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    if neg {
        format!("-{out}")
    } else {
        out
    }
}

/// A per-second item rate: integers above 10, one decimal below.
pub fn rate(r: f64) -> String {
    if r.abs() >= 10.0 {
        group(r)
    } else {
        format!("{r:.1}")
    }
}

/// "12.3 MB" (decimal units, as dashboards print them).
pub fn bytes(b: f64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = b;
    let mut i = 0;
    while v.abs() >= 1000.0 && i < units.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{} B", v.round())
    } else {
        format!("{v:.1} {}", units[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(file: &str, line: u32, f: &str) -> Site {
        Site {
            file: file.into(),
            line,
            column: 3,
            function_name: Some(f.into()),
            node_modules: false,
        }
    }

    fn meta(kind: Kind, detail: &str, s: Site, max: Option<f64>) -> Arc<RowMeta> {
        Arc::new(RowMeta {
            kind,
            name: None,
            site: Some(s.clone()),
            stack: vec![s],
            max,
            max_size: None,
            detail: Some(detail.into()),
        })
    }

    fn tuning() -> Tuning {
        Tuning {
            window_ms: 8000.0,
            long_factor: 8.0,
            min_growth: 20.0,
            warmup_ms: 0.0,
            confirm: false,
        }
    }

    fn snap(id: u32, meta: &Arc<RowMeta>, cells: [f64; 8]) -> RowSnapshot {
        RowSnapshot {
            id,
            generation: 1,
            meta: meta.clone(),
            cells,
        }
    }

    #[test]
    fn a_growing_timer_site_is_a_suspect_and_a_churning_one_is_not() {
        let leaky = meta(
            Kind::Timer,
            "interval",
            site("/srv/t.js", 4, "addTenant"),
            None,
        );
        let churn = meta(Kind::Timer, "timeout", site("/srv/r.js", 9, "handle"), None);
        let mut tr = RowTracker::new(tuning());
        for i in 0..=40 {
            let t = i as f64 * 250.0;
            let mut a = [0.0; 8];
            a[layout::site::ADDS] = i as f64 * 25.0;
            let mut c = [0.0; 8];
            c[layout::site::ADDS] = i as f64 * 100.0;
            c[layout::site::REMOVES] = i as f64 * 100.0 - (i % 3) as f64;
            tr.observe(t, &[snap(1, &leaky, a), snap(2, &churn, c)]);
        }
        let s = tr.suspects();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].kind, "timer");
        assert_eq!(s[0].site.as_ref().unwrap().line, 4);
        assert!((s[0].growth - 100.0).abs() < 5.0, "{}", s[0].growth);
        assert_eq!(
            s[0].description,
            "setInterval at /srv/t.js:4:3 has 1 000 live intervals, growing 100/s"
        );
        tr.observe(11_000.0, &[]);
        assert!(tr.is_empty(), "released rows are forgotten");
    }

    #[test]
    fn listeners_spread_one_per_emitter_rank_below_a_bus_that_gains_them() {
        let bus = meta(
            Kind::Listener,
            "update",
            site("/srv/bus.js", 7, "subscribe"),
            None,
        );
        let per_request = meta(
            Kind::Listener,
            "close",
            site("/srv/http.js", 30, "handle"),
            None,
        );
        let mut on_bus = [0.0; 8];
        on_bus[layout::site::ADDS] = 400.0;
        on_bus[layout::site::EMITTERS] = 1.0;
        let mut spread = [0.0; 8];
        spread[layout::site::ADDS] = 1200.0;
        spread[layout::site::EMITTERS] = 1200.0;
        // The spread site grows three times faster, yet the bus comes first.
        let ranked = rank(
            vec![
                row_suspect(&per_request, &spread, 60.0).unwrap(),
                row_suspect(&bus, &on_bus, 20.0).unwrap(),
            ],
            &[],
        );
        assert_eq!(ranked[0].site.as_ref().unwrap().file, "/srv/bus.js");
        assert!(!ranked[0].description.contains("one per emitter"));
        assert!(ranked[1].description.ends_with(
            "(about one per emitter: the emitters themselves stay alive; look at what keeps them)"
        ));
        // Many listeners on each of a few emitters is not spread.
        spread[layout::site::EMITTERS] = 3.0;
        let dense = row_suspect(&per_request, &spread, 60.0).unwrap();
        assert_eq!(dense.score, 60.0 * ITEM_BYTES * EXACT_WEIGHT);
    }

    #[test]
    fn a_cache_at_its_bound_is_not_a_suspect() {
        let m = meta(
            Kind::Cache,
            "LruCache",
            site("/srv/c.js", 2, "boot"),
            Some(1000.0),
        );
        let mut cells = [0.0; 8];
        cells[layout::cache::SIZE] = 990.0;
        assert!(row_suspect(&m, &cells, 10.0).is_none());
        cells[layout::cache::SIZE] = 100.0;
        assert!(row_suspect(&m, &cells, 10.0).is_some());
    }

    #[test]
    fn an_allocation_in_a_rows_function_is_not_charged_to_the_row() {
        // One handler adds a listener to a bus and fills a Map: the listener's
        // creation stack runs through the allocating function, which says
        // nothing about who holds the bytes.
        let m = meta(
            Kind::Listener,
            "logout",
            site("/srv/app.js", 12, "handleRequest"),
            None,
        );
        let mut cells = [0.0; 8];
        cells[layout::site::ADDS] = 500.0;
        cells[layout::site::EMITTERS] = 1.0;
        let row = row_suspect(&m, &cells, 50.0).unwrap();
        let allocs = vec![Allocation {
            site: site("/srv/app.js", 10, "handleRequest"),
            stack: vec![],
            bytes: 5e6,
            growth: 5e5,
            count: 10.0,
        }];
        let ranked = rank(vec![row], &allocs);
        assert_eq!(
            ranked[0].kind, "allocation",
            "the faster holder comes first"
        );
        assert_eq!(
            ranked[1].bytes,
            500.0 * ITEM_BYTES,
            "the listener holds its listeners"
        );
        assert!(!ranked[0].description.contains("likely retained"));
        assert_eq!(row_bytes_per_sec(&ranked[1]), 50.0 * ITEM_BYTES);
        assert_eq!(row_bytes_per_sec(&ranked[0]), 0.0);
    }

    #[test]
    fn a_big_unrelated_allocation_outranks_a_small_row() {
        let m = meta(Kind::Timer, "timeout", site("/srv/a.js", 1, "f"), None);
        let mut cells = [0.0; 8];
        cells[layout::site::ADDS] = 30.0;
        let row = row_suspect(&m, &cells, 1.0).unwrap();
        let allocs = vec![Allocation {
            site: site("/srv/map.js", 5, "remember"),
            stack: vec![],
            bytes: 5e7,
            growth: 3e6,
            count: 100.0,
        }];
        let ranked = rank(vec![row], &allocs);
        assert_eq!(ranked[0].kind, "allocation");
    }

    fn dep(file: &str, line: u32, f: &str) -> Site {
        Site {
            node_modules: true,
            ..site(file, line, f)
        }
    }

    #[test]
    fn the_applications_growing_line_ranks_ahead_of_a_dependencys_bookkeeping() {
        let app = Allocation {
            site: site("/srv/app.js", 14, "remember"),
            stack: vec![],
            bytes: 2e6,
            growth: 1e5,
            count: 20.0,
        };
        // require-in-the-middle's list of patched modules, growing faster while the service warms up.
        let agent = Allocation {
            site: dep(
                "/srv/node_modules/require-in-the-middle/index.js",
                200,
                "patch",
            ),
            stack: vec![],
            bytes: 6e6,
            growth: 8e5,
            count: 60.0,
        };
        let ranked = rank(vec![], &[agent.clone(), app.clone()]);
        assert_eq!(ranked[0].site.as_ref().unwrap().file, "/srv/app.js");
        assert!(ranked[1].description.contains("inside node_modules"));
        // A dependency that retains far more than the application still comes first.
        let big = Allocation {
            growth: 1e5 * 40.0,
            ..agent
        };
        let ranked = rank(vec![], &[app, big]);
        assert!(ranked[0].site.as_ref().unwrap().node_modules);
    }

    #[test]
    fn a_dependencys_listener_once_per_emitter_is_not_a_suspect_and_the_apps_is() {
        let agent = Arc::new(RowMeta {
            kind: Kind::Listener,
            name: None,
            site: Some(dep(
                "/srv/node_modules/@opentelemetry/context-async-hooks/build/src/x.js",
                60,
                "bind",
            )),
            stack: vec![],
            max: None,
            max_size: None,
            detail: Some("close".into()),
        });
        let app = meta(
            Kind::Listener,
            "close",
            site("/srv/app.js", 30, "handle"),
            None,
        );
        let mut tr = RowTracker::new(tuning());
        for i in 0..=40 {
            let t = i as f64 * 250.0;
            let mut c = [0.0; 8];
            c[layout::site::ADDS] = i as f64 * 25.0;
            c[layout::site::EMITTERS] = (i as f64 * 25.0).max(1.0);
            // Two per emitter, and one more.
            let mut a = c;
            a[layout::site::ADDS] = i as f64 * 50.0 + 1.0;
            tr.observe(t, &[snap(1, &agent, a), snap(2, &app, c)]);
        }
        let s = tr.suspects();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].site.as_ref().unwrap().file, "/srv/app.js");
        assert!(
            tr.evidence(1.0, 1.0).is_empty(),
            "no registry evidence either"
        );
    }

    #[test]
    fn numbers_read_like_prose() {
        assert_eq!(group(1250.0), "1 250");
        assert_eq!(group(12.0), "12");
        assert_eq!(group(1234567.0), "1 234 567");
        assert_eq!(rate(2.25), "2.2");
        assert_eq!(bytes(12_345_678.0), "12.3 MB");
        assert_eq!(bytes(999.0), "999 B");
    }
}
