//! Off-heap suspects: call sites of sampled Buffer allocations (and, with
//! `arrayBufferSites`, of `new ArrayBuffer` and typed arrays) whose live
//! bytes keep growing, as `lib/sampler/buffer-sites.js` pushes them.
//!
//! Buffer contents live outside the V8 heap, where the sampling heap
//! profiler does not look. While external or native growth is suspected
//! (`SamplerCore::buffers_wanted`, published to JS in the feed's
//! `WANT_BUFFERS` cell) the JavaScript side samples calls of Buffer's
//! factories by allocated bytes, keeps live bytes per call site (liveness
//! from a `FinalizationRegistry`) and sends the sites whose post-GC floor
//! rose. Each is exact to the line (the stack was captured at the call), so
//! it weighs as a registry row does, and is listed only while leaking.
//! Never touches napi.

use super::ranking::{bytes, group, Suspect, EXACT_WEIGHT};
use crate::stats::Site;
use serde::Deserialize;

/// One call site of sampled Buffer allocations.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BufferSite {
    pub site: Site,
    #[serde(default)]
    pub stack: Vec<Site>,
    /// The factory called there: `Buffer.concat`, `Buffer.alloc`, ...
    #[serde(default)]
    pub api: Option<String>,
    /// Estimated live bytes (sampled allocations scaled by their weight).
    pub bytes: f64,
    /// Bytes per second the site's live floor rose by.
    pub growth: f64,
    /// Estimated live Buffers.
    #[serde(default)]
    pub count: f64,
}

impl BufferSite {
    /// The suspect this site makes, when its live bytes grew.
    pub fn suspect(&self) -> Option<Suspect> {
        if !(self.growth > 0.0 && self.bytes > 0.0) {
            return None;
        }
        let api = self.api.as_deref().unwrap_or("a Buffer factory");
        // `new Float64Array` (arrayBufferSites): what it makes, by name.
        let (made, how) = match api.strip_prefix("new ") {
            Some(class) => (
                format!("{class}s"),
                "sampled ArrayBuffer and typed-array allocations",
            ),
            None => ("Buffers".to_string(), "sampled Buffer allocations"),
        };
        let s = &self.site;
        Some(Suspect {
            kind: "buffer",
            site: Some(s.clone()),
            stack: self.stack.clone(),
            count: self.count,
            growth: self.growth,
            bytes: self.bytes,
            description: format!(
                "{api} at {}:{}:{} holds ~{} off the V8 heap in ~{} live {made} made since sampling began, growing {}/s ({how})",
                s.file,
                s.line,
                s.column,
                bytes(self.bytes),
                group(self.count),
                bytes(self.growth)
            ),
            name: None,
            detail: self.api.clone(),
            precision: "line",
            score: self.growth * EXACT_WEIGHT,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32) -> Site {
        Site {
            file: "/srv/audit.js".into(),
            line,
            column: 16,
            function_name: Some("keepForAudit".into()),
            node_modules: false,
        }
    }

    #[test]
    fn a_growing_site_is_a_line_exact_buffer_suspect_and_a_flat_one_is_none() {
        let grown = BufferSite {
            site: at(15),
            stack: vec![at(15)],
            api: Some("Buffer.concat".into()),
            bytes: 8e6,
            growth: 3.2e6,
            count: 244.0,
        };
        let s = grown.suspect().unwrap();
        assert_eq!(s.kind, "buffer");
        assert_eq!(s.precision, "line");
        assert_eq!(s.site.as_ref().unwrap().line, 15);
        assert_eq!(s.detail.as_deref(), Some("Buffer.concat"));
        assert_eq!(s.score, 3.2e6 * EXACT_WEIGHT);
        assert_eq!(
            s.description,
            "Buffer.concat at /srv/audit.js:15:16 holds ~8.0 MB off the V8 heap in ~244 live Buffers made since sampling began, growing 3.2 MB/s (sampled Buffer allocations)"
        );
        let flat = BufferSite {
            growth: 0.0,
            ..grown.clone()
        };
        assert!(flat.suspect().is_none());
        let typed = BufferSite {
            api: Some("new Float64Array".into()),
            ..grown
        };
        assert_eq!(
            typed.suspect().unwrap().description,
            "new Float64Array at /srv/audit.js:15:16 holds ~8.0 MB off the V8 heap in ~244 live Float64Arrays made since sampling began, growing 3.2 MB/s (sampled ArrayBuffer and typed-array allocations)"
        );
    }

    /// External memory flat through the warm-up, then 2 MiB/s, post-GC points
    /// served on request; the JS side's Buffer sites pushed every tick.
    /// Runs an external leak; `push` says whether the JS side has a growing
    /// site to push while asked. Returns (when first asked, the first report).
    fn external_leak(push: bool) -> (f64, serde_json::Value) {
        use crate::sampler::decision::{Observation, SamplerCore, Settings};
        use crate::sampler::feed::{FeedInput, HeapSample, PostGc};
        const MB: f64 = 1024.0 * 1024.0;
        let mut core = SamplerCore::new(Settings::for_tests(250.0));
        let external = |t: f64| 10.0 * MB + 2.0 * MB * ((t - 8000.0) / 1000.0).max(0.0);
        let site = BufferSite {
            site: at(15),
            stack: vec![at(15)],
            api: Some("Buffer.concat".into()),
            bytes: 4.0 * MB,
            growth: 2.0 * MB,
            count: 128.0,
        };
        let (t0, mut t, mut gc_next) = (1_000_000.0, 1_000_000.0, false);
        let mut wanted_at = None;
        let mut first = None;
        while t < t0 + 30_000.0 && first.is_none() {
            let e = external(t - t0);
            let post = gc_next.then_some(PostGc {
                t,
                used: 20.0 * MB,
                old_used: 0.0,
                external: e,
                forced_total: 1.0,
            });
            let req = core.observe(Observation {
                now: t,
                feed: FeedInput {
                    sample: Some(HeapSample {
                        t,
                        used: 20.0 * MB,
                        total: 30.0 * MB,
                        external: e,
                        array_buffers: e,
                        rss: 0.0,
                        old_used: 0.0,
                    }),
                    post_gc: post,
                    heartbeat_t: t,
                    ..FeedInput::default()
                },
                rss: Some(100.0 * MB),
                rows: vec![],
            });
            gc_next = req.force_gc;
            if core.buffers_wanted() {
                wanted_at.get_or_insert(t);
                if push {
                    core.set_buffer_sites(vec![site.clone()]);
                }
            }
            if !core.leaking() {
                assert!(core.suspects().is_empty(), "listed only while leaking");
            }
            first = core.take_notification(t);
            t += 250.0;
        }
        let wanted_at = wanted_at.expect("Buffer sampling was asked for");
        (
            wanted_at,
            serde_json::from_str(&first.expect("reported")).unwrap(),
        )
    }

    #[test]
    fn buffer_sites_are_wanted_while_external_growth_is_suspected_and_named_once_leaking() {
        let (wanted_at, report) = external_leak(true);
        assert!(
            wanted_at < report["since"].as_f64().unwrap(),
            "asked for before the verdict"
        );
        assert_eq!(report["heap"]["growing"][0], "external");
        assert_eq!(report["suspects"][0]["kind"], "buffer");
        assert_eq!(report["suspects"][0]["site"]["line"], 15);
        assert!(report["note"].is_null());
        assert_eq!(report["generatedAt"], report["since"], "delivered at once");
    }

    #[test]
    fn an_external_leak_without_a_buffer_site_is_reported_after_the_wait_with_a_note() {
        let (_, report) = external_leak(false);
        let waited = report["generatedAt"].as_f64().unwrap() - report["since"].as_f64().unwrap();
        assert!(waited >= 2000.0, "waited {waited} ms for a Buffer site");
        assert_eq!(report["suspects"].as_array().unwrap().len(), 0);
        assert!(report["note"]
            .as_str()
            .unwrap()
            .contains("no sampled Buffer allocation site grew"));
    }
}
