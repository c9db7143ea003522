//! Links the addon against Node-API (napi-build) and compiles the GC watch
//! (`src/sampler/gc_watch.cc`: V8's GC and near-heap-limit callbacks writing
//! the heap feed) once per V8, each into a small shared object beside the
//! addon, `leakguard.gcwatch-v8-<major>.<minor>.node`, that the addon loads
//! at run time when the running V8 is that one (`src/sampler/gc_watch.rs`).
//!
//! Which V8s: the `include/node` directories (each holding `v8.h`) listed in
//! `LEAKGUARD_NODE_INCLUDES` (a path list, `:`-separated; how the platform
//! package gets one per supported Node major, see `.ci/run`), else
//! `LEAKGUARD_NODE_INCLUDE`, else the headers of the Node that builds.
//! Without headers, or without a compiler that takes them, the addon builds
//! without a watch for that V8 and the JS side watches GCs through a 'gc'
//! PerformanceObserver instead.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    napi_build::setup();
    println!("cargo:rerun-if-changed=src/sampler/gc_watch.cc");
    println!("cargo:rerun-if-env-changed=LEAKGUARD_NODE_INCLUDES");
    // Windows resolves V8's symbols only through node.lib at link time, which
    // this build does not fetch: no GC watch there.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows") {
        return;
    }
    let dirs: Vec<PathBuf> = match std::env::var_os("LEAKGUARD_NODE_INCLUDES") {
        Some(list) => std::env::split_paths(&list)
            .filter(|d| !d.as_os_str().is_empty())
            .collect(),
        None => {
            // Which Node builds matters only without the list (so a list
            // set for a whole CI run builds once, whichever Node runs cargo).
            println!("cargo:rerun-if-env-changed=LEAKGUARD_NODE_INCLUDE");
            println!("cargo:rerun-if-env-changed=npm_config_nodedir");
            println!("cargo:rerun-if-env-changed=npm_node_execpath");
            node_include().into_iter().collect()
        }
    };
    if dirs.is_empty() {
        println!(
            "cargo:warning=leakguard: no V8 headers (include/node/v8.h) of this Node's V8 found; \
             building without the native GC watch (set LEAKGUARD_NODE_INCLUDE to the directory holding v8.h)"
        );
    }
    for dir in dirs {
        // A compiler or headers it cannot use cost that V8's GC watch, never the build.
        match compile_watch(&dir) {
            Ok(out) => println!("cargo:rerun-if-changed={}", out.display()),
            Err(e) => println!(
                "cargo:warning=leakguard: the GC watch for the V8 headers in {} did not compile ({e}); \
                 building without it",
                dir.display()
            ),
        }
    }
}

/// Compiles the GC watch against the V8 headers in `dir` into
/// `leakguard.gcwatch-v8-<major>.<minor>.node` at the package's root, where
/// the addon (`leakguard.<triple>.node`) is placed too.
fn compile_watch(dir: &Path) -> Result<PathBuf, String> {
    let has = dir.join("v8.h").is_file() && dir.join("v8-version.h").is_file();
    if !has {
        return Err("no v8.h and v8-version.h there".into());
    }
    let version = v8_version(dir).ok_or("v8-version.h names no version")?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?)
        .join(format!("gcwatch-{version}"));
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .cpp_link_stdlib(None)
        .pic(true)
        // The same small file whatever the profile: cargo test and clippy
        // write it too, and a release packs it.
        .opt_level(2)
        .debug(false)
        .out_dir(&out_dir)
        .include(dir)
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
    let objects = build
        .try_compile_intermediates()
        .map_err(|e| e.to_string())?;
    let manifest = std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?;
    let out = Path::new(&manifest).join(format!("leakguard.gcwatch-v8-{version}.node"));
    let mut link = build.get_compiler().to_command();
    link.arg("-shared").arg("-o").arg(&out).args(&objects);
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("macos") {
        // V8's symbols are the running Node's, found when the file is loaded.
        link.args(["-undefined", "dynamic_lookup"]);
    } else {
        // Its own (inline) functions bind to its own copies, never to another
        // V8's; no C++ runtime is needed (nothing of it is used).
        link.args(["-Wl,-Bsymbolic", "-Wl,--as-needed"]);
    }
    let status = link.status().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("linking {} failed: {status}", out.display()));
    }
    Ok(out)
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
