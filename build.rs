//! Links the addon against Node-API (napi-build) and compiles the GC watch
//! (`src/sampler/gc_watch.cc`), V8's GC callbacks writing the heap feed,
//! against the V8 headers of the Node that builds it. Without those headers
//! the addon builds without it (cfg `gc_watch` unset) and the JS side watches
//! GCs through a 'gc' PerformanceObserver instead.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    napi_build::setup();
    println!("cargo::rustc-check-cfg=cfg(gc_watch)");
    println!("cargo:rerun-if-changed=src/sampler/gc_watch.cc");
    println!("cargo:rerun-if-env-changed=LEAKGUARD_NODE_INCLUDE");
    println!("cargo:rerun-if-env-changed=npm_config_nodedir");
    println!("cargo:rerun-if-env-changed=npm_node_execpath");
    // Windows resolves V8's symbols only through node.lib at link time, which
    // this build does not fetch: no GC watch there.
    let windows = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows");
    match node_include().filter(|_| !windows) {
        Some(dir) => {
            let mut build = cc::Build::new();
            build
                .cpp(true)
                .cpp_link_stdlib(None)
                .include(&dir)
                .flag_if_supported("-fno-exceptions")
                .flag_if_supported("-fno-rtti")
                .flag_if_supported("-Wno-unused-parameter")
                .file("src/sampler/gc_watch.cc");
            // V8's headers need C++20 from Node 24 on, C++17 before.
            if build.is_flag_supported("-std=c++20").unwrap_or(false) {
                build.flag("-std=c++20");
            } else {
                build.flag_if_supported("-std=c++17");
            }
            // A compiler or headers it cannot use cost the GC watch, never the build.
            match build.try_compile("leakguard_gc_watch") {
                Ok(()) => println!("cargo:rustc-cfg=gc_watch"),
                Err(e) => println!(
                    "cargo:warning=leakguard: the GC watch did not compile ({e}); building without it"
                ),
            }
        }
        None if windows => {}
        None => println!(
            "cargo:warning=leakguard: no V8 headers (include/node/v8.h) of this Node's V8 found; \
             building without the native GC watch (set LEAKGUARD_NODE_INCLUDE to the directory holding v8.h)"
        ),
    }
}

/// The directory holding `v8.h` for the Node that builds the addon:
/// `LEAKGUARD_NODE_INCLUDE` if set; else the first of `include/node` beside
/// the running Node, node-gyp's header cache for its version and npm's
/// `nodedir` whose `v8-version.h` is the running V8's major.minor (npm's
/// `nodedir` is a machine-wide setting that can name another Node's headers).
fn node_include() -> Option<PathBuf> {
    let has = |d: &Path| d.join("v8.h").is_file() && d.join("v8-version.h").is_file();
    if let Ok(dir) = std::env::var("LEAKGUARD_NODE_INCLUDE") {
        return Some(PathBuf::from(dir)).filter(|d| has(d));
    }
    let node = std::env::var("npm_node_execpath").unwrap_or_else(|_| "node".into());
    let out = Command::new(node)
        .args([
            "-p",
            "const p = require('path'); [process.versions.v8, \
             p.join(p.dirname(process.execPath), '..', 'include', 'node'), \
             p.join(require('os').homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node')].join('\\n')",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let running = lines.next()?.to_owned();
    let mut tries: Vec<PathBuf> = lines.map(PathBuf::from).collect();
    if let Ok(dir) = std::env::var("npm_config_nodedir") {
        tries.push(Path::new(&dir).join("include").join("node"));
    }
    tries
        .into_iter()
        .find(|d| has(d) && v8_version(d).is_some_and(|v| running.starts_with(&format!("{v}."))))
}

/// "major.minor" from a directory's `v8-version.h`.
fn v8_version(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("v8-version.h")).ok()?;
    let define = |name: &str| {
        text.lines().find_map(|l| {
            let rest = l.trim().strip_prefix("#define ")?.strip_prefix(name)?;
            rest.trim().parse::<u32>().ok()
        })
    };
    Some(format!(
        "{}.{}",
        define("V8_MAJOR_VERSION ")?,
        define("V8_MINOR_VERSION ")?
    ))
}
