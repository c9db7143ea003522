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

/// The memory limit of this process's memory cgroup, in bytes: the
/// smallest `memory.max` (cgroup v2) or `memory.limit_in_bytes` (v1) on the
/// path from its cgroup up to the mount's root (a parent's limit binds the
/// child too). `None` without a memory cgroup or without a limit.
pub fn cgroup_memory_limit() -> Option<f64> {
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    limit_from(&own, std::path::Path::new("/sys/fs/cgroup"), |p| {
        std::fs::read_to_string(p).ok()
    })
}

/// Limits at or past 2^60 bytes are cgroup v1's "no limit" (a page-rounded
/// `i64::MAX`).
const NO_LIMIT: f64 = (1u64 << 60) as f64;

fn limit_from(
    own: &str,
    root: &std::path::Path,
    read: impl Fn(&std::path::Path) -> Option<String>,
) -> Option<f64> {
    let mut best: Option<f64> = None;
    for line in own.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (base, file) = if id == "0" && controllers.is_empty() {
            (root.to_path_buf(), "memory.max")
        } else if controllers.split(',').any(|c| c == "memory") {
            (root.join("memory"), "memory.limit_in_bytes")
        } else {
            continue;
        };
        let mut dir = std::path::PathBuf::from(path.trim_start_matches('/'));
        loop {
            let value = read(&base.join(&dir).join(file))
                .and_then(|t| t.trim().parse::<f64>().ok())
                .filter(|v| *v > 0.0 && *v < NO_LIMIT);
            if let Some(v) = value {
                best = Some(best.map_or(v, |b: f64| b.min(v)));
            }
            if !dir.pop() {
                break;
            }
        }
    }
    best
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
            let _ = super::cgroup_memory_limit(); // readable or None, never a panic
            assert!(super::read().unwrap() > 1e6);
        }
    }

    #[test]
    fn cgroup_limit_is_the_smallest_on_the_path() {
        use std::path::Path;
        let files = |p: &Path| -> Option<String> {
            match p.to_str()? {
                "/cg/a/b/memory.max" => Some("max\n".into()),
                "/cg/a/memory.max" => Some("209715200\n".into()),
                "/cg/memory.max" => Some("max\n".into()),
                "/cg/memory/x/memory.limit_in_bytes" => Some("9223372036854771712\n".into()),
                "/cg/memory/memory.limit_in_bytes" => Some("104857600\n".into()),
                _ => None,
            }
        };
        let root = Path::new("/cg");
        assert_eq!(
            super::limit_from("0::/a/b\n", root, files),
            Some(209715200.0)
        );
        assert_eq!(super::limit_from("0::/\n", root, files), None);
        assert_eq!(
            super::limit_from("4:memory:/x\n1:cpu:/\n", root, files),
            Some(104857600.0)
        );
        assert_eq!(super::limit_from("1:cpu:/\n", root, files), None);
    }
}
