//! Resident set size read by the sampler thread itself from `/proc/self/statm`
//! (no JS involved, so it stays live while the event loop is blocked). Where
//! `/proc` is absent (macOS) `read()` returns `None` and the sampler uses the
//! RSS that JS pushes through the feed. Never touches napi.

use once_cell::sync::Lazy;

/// The page size from the ELF auxiliary vector (`AT_PAGESZ`), 4096 if unreadable.
static PAGE_SIZE: Lazy<u64> = Lazy::new(|| {
    const AT_PAGESZ: u64 = 6;
    std::fs::read("/proc/self/auxv")
        .ok()
        .and_then(|auxv| {
            auxv.chunks_exact(16).find_map(|pair| {
                let key = u64::from_ne_bytes(pair[..8].try_into().ok()?);
                let value = u64::from_ne_bytes(pair[8..].try_into().ok()?);
                (key == AT_PAGESZ && value > 0).then_some(value)
            })
        })
        .unwrap_or(4096)
});

/// RSS in bytes, or `None` where `/proc/self/statm` cannot be read.
pub fn read() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/statm").ok()?;
    parse_statm(&text, *PAGE_SIZE)
}

fn parse_statm(text: &str, page: u64) -> Option<f64> {
    let resident: u64 = text.split_whitespace().nth(1)?.parse().ok()?;
    Some((resident * page) as f64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_statm_and_reads_our_own() {
        assert_eq!(
            super::parse_statm("100 25 3 1 0 20 0\n", 4096),
            Some(102400.0)
        );
        assert_eq!(super::parse_statm("", 4096), None);
        if std::path::Path::new("/proc/self/statm").exists() {
            assert!(super::read().unwrap() > 1e6);
        }
    }
}
