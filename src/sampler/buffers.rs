//! Off-heap suspects: call sites of sampled Buffer allocations whose live
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
        let s = &self.site;
        Some(Suspect {
            kind: "buffer",
            site: Some(s.clone()),
            stack: self.stack.clone(),
            count: self.count,
            growth: self.growth,
            bytes: self.bytes,
            description: format!(
                "{api} at {}:{}:{} holds ~{} off the V8 heap in ~{} live Buffers, growing {}/s (sampled Buffer allocations)",
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
            "Buffer.concat at /srv/audit.js:15:16 holds ~8.0 MB off the V8 heap in ~244 live Buffers, growing 3.2 MB/s (sampled Buffer allocations)"
        );
        let flat = BufferSite {
            growth: 0.0,
            ..grown
        };
        assert!(flat.suspect().is_none());
    }
}
