//! The shared counter table: rows of `f64` cells in Rust-owned memory.
//!
//! JavaScript writes the cells through a `Float64Array` that views a page
//! directly (a plain store, ~1 ns: no call into Rust per operation); the sampler
//! thread reads them with relaxed loads while the JS thread runs, or is blocked.
//! Each row belongs to one registered thing (a cache, a timer call site, a
//! listener call site) whose description (`RowMeta`) is pushed once, at
//! registration, never per operation.
//!
//! ```text
//!   page 0 (16 KiB)                          Registry
//!   ┌────────────── row 0 ──────────────┐    id 0 → RowMeta { kind: cache, name, site, .. }
//!   │ c0 │ c1 │ c2 │ c3 │ c4 │ c5 │ c6 │ c7 │    id 1 → RowMeta { kind: timer, site, .. }
//!   ├────────────── row 1 ──────────────┤    ...
//!   │ ...                                   │    row id = page * PAGE_ROWS + row
//!   └───────────────────────────────────────┘
//! ```
//!
//! Invariants: pages are never freed while the registry or a JS view holds them
//! (both hold an `Arc`); a row id is registered at most once at a time, and each
//! registration gets a fresh `generation` so a reused row is never mistaken for
//! its previous owner. This module never touches napi.

pub mod binding;
pub mod layout;

use crate::errors::{CoreError, ErrorCode};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Cells per row: the meaning of each cell depends on the row's kind (see `layout`).
pub const ROW_CELLS: usize = 8;
/// Rows per page: a page is `PAGE_ROWS * ROW_CELLS * 8` bytes (16 KiB).
pub const PAGE_ROWS: usize = 256;

/// What a row counts.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Cache,
    Timer,
    Listener,
}

/// A source location, 1-based as in stack traces; `file` is an absolute path.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Site {
    pub file: String,
    pub line: u32,
    pub column: u32,
    #[serde(default)]
    pub function_name: Option<String>,
    /// True when the frame lives under a `node_modules` folder.
    #[serde(default)]
    pub node_modules: bool,
}

/// The description of a registered row, pushed once from JavaScript.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RowMeta {
    pub kind: Kind,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub site: Option<Site>,
    #[serde(default)]
    pub stack: Vec<Site>,
    /// Entry bound of a cache.
    #[serde(default)]
    pub max: Option<f64>,
    /// Size bound of a cache, in the cache's own size units.
    #[serde(default)]
    pub max_size: Option<f64>,
    /// Kind-specific details (a timer site's `timeout`/`interval`, an event name).
    #[serde(default)]
    pub detail: Option<String>,
}

/// Memory of `f64` cells that JS views through a `Float64Array` (external
/// ArrayBuffer) while Rust reads it: the counter pages and the sampler's feed.
pub trait SharedCells: Send + Sync + 'static {
    /// Start of the cells.
    fn cells_ptr(&self) -> *mut u8;
    /// Size of the cells in bytes (a multiple of 8).
    fn cells_byte_len(&self) -> usize;
}

impl SharedCells for Page {
    fn cells_ptr(&self) -> *mut u8 {
        self.as_ptr()
    }
    fn cells_byte_len(&self) -> usize {
        self.byte_len()
    }
}

/// One page of cells. The memory is shared with a JS `Float64Array`, which
/// writes it with plain stores; Rust reads and writes it only atomically.
pub struct Page {
    cells: Box<[AtomicU64]>,
}

impl Page {
    fn new() -> Self {
        let cells = (0..PAGE_ROWS * ROW_CELLS)
            .map(|_| AtomicU64::new(0f64.to_bits()))
            .collect();
        Page { cells }
    }

    /// Start of the page's memory, for the external ArrayBuffer.
    pub fn as_ptr(&self) -> *mut u8 {
        self.cells.as_ptr() as *mut u8
    }

    /// Size of the page in bytes.
    pub fn byte_len(&self) -> usize {
        self.cells.len() * std::mem::size_of::<AtomicU64>()
    }

    fn read_row(&self, row: usize) -> [f64; ROW_CELLS] {
        let mut out = [0.0; ROW_CELLS];
        for (i, cell) in out.iter_mut().enumerate() {
            *cell = f64::from_bits(self.cells[row * ROW_CELLS + i].load(Ordering::Relaxed));
        }
        out
    }

    fn clear_row(&self, row: usize) {
        for i in 0..ROW_CELLS {
            self.cells[row * ROW_CELLS + i].store(0f64.to_bits(), Ordering::Relaxed);
        }
    }

    /// Writes one cell (tests and Rust-side writers; JS writes through its view).
    pub fn write(&self, row: usize, cell: usize, value: f64) {
        self.cells[row * ROW_CELLS + cell].store(value.to_bits(), Ordering::Relaxed);
    }
}

/// A registered row as the sampler sees it at one instant.
#[derive(Clone, Debug)]
pub struct RowSnapshot {
    pub id: u32,
    pub generation: u64,
    pub meta: Arc<RowMeta>,
    pub cells: [f64; ROW_CELLS],
}

struct Registered {
    generation: u64,
    meta: Arc<RowMeta>,
}

#[derive(Default)]
struct State {
    pages: Vec<Arc<Page>>,
    rows: HashMap<u32, Registered>,
    generations: u64,
}

/// The rows of one JavaScript environment (main thread or one worker).
#[derive(Default)]
pub struct Registry {
    state: Mutex<State>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a zeroed page and returns it; its rows get ids
    /// `index * PAGE_ROWS .. (index + 1) * PAGE_ROWS`.
    pub fn add_page(&self) -> (usize, Arc<Page>) {
        let page = Arc::new(Page::new());
        let mut state = self.state.lock();
        state.pages.push(page.clone());
        (state.pages.len() - 1, page)
    }

    pub fn page_count(&self) -> usize {
        self.state.lock().pages.len()
    }

    /// Registers row `id` (its cells are zeroed) and returns its generation.
    pub fn register(&self, id: u32, meta: RowMeta) -> Result<u64, CoreError> {
        let mut state = self.state.lock();
        let (page, row) = split(id);
        let Some(page) = state.pages.get(page).cloned() else {
            return Err(CoreError::new(
                ErrorCode::InvalidOption,
                format!("row {id} is on a page that does not exist"),
            ));
        };
        if state.rows.contains_key(&id) {
            return Err(CoreError::new(
                ErrorCode::InvalidOption,
                format!("row {id} is already registered"),
            ));
        }
        page.clear_row(row);
        state.generations += 1;
        let generation = state.generations;
        state.rows.insert(
            id,
            Registered {
                generation,
                meta: Arc::new(meta),
            },
        );
        Ok(generation)
    }

    /// Releases row `id`; returns false when it was not registered.
    pub fn release(&self, id: u32) -> bool {
        self.state.lock().rows.remove(&id).is_some()
    }

    /// Every registered row with its current cells, in id order.
    pub fn snapshot(&self) -> Vec<RowSnapshot> {
        let state = self.state.lock();
        let mut out: Vec<RowSnapshot> = state
            .rows
            .iter()
            .filter_map(|(&id, reg)| {
                let (page, row) = split(id);
                let page = state.pages.get(page)?;
                Some(RowSnapshot {
                    id,
                    generation: reg.generation,
                    meta: reg.meta.clone(),
                    cells: page.read_row(row),
                })
            })
            .collect();
        out.sort_by_key(|r| r.id);
        out
    }
}

fn split(id: u32) -> (usize, usize) {
    let id = id as usize;
    (id / PAGE_ROWS, id % PAGE_ROWS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(kind: Kind) -> RowMeta {
        serde_json::from_str(&format!(
            r#"{{"kind":"{}"}}"#,
            serde_json::to_value(kind).unwrap().as_str().unwrap()
        ))
        .unwrap()
    }

    #[test]
    fn rows_are_read_live_and_zeroed_on_register() {
        let reg = Registry::new();
        let (index, page) = reg.add_page();
        assert_eq!(index, 0);
        page.write(3, 0, 42.0);
        let g1 = reg.register(3, meta(Kind::Cache)).unwrap();
        assert_eq!(
            reg.snapshot()[0].cells[0],
            0.0,
            "registration zeroes the row"
        );
        page.write(3, 1, 7.5);
        let snap = reg.snapshot();
        assert_eq!(snap.len(), 1);
        assert_eq!(snap[0].cells[1], 7.5);
        assert!(reg.release(3));
        assert!(!reg.release(3));
        let g2 = reg.register(3, meta(Kind::Timer)).unwrap();
        assert!(g2 > g1, "a reused row gets a new generation");
    }

    #[test]
    fn register_rejects_missing_pages_and_duplicates() {
        let reg = Registry::new();
        assert_eq!(
            reg.register(0, meta(Kind::Listener)).unwrap_err().code,
            ErrorCode::InvalidOption
        );
        reg.add_page();
        reg.register(PAGE_ROWS as u32 - 1, meta(Kind::Listener))
            .unwrap();
        assert!(reg
            .register(PAGE_ROWS as u32 - 1, meta(Kind::Listener))
            .is_err());
        assert!(reg
            .register(PAGE_ROWS as u32, meta(Kind::Listener))
            .is_err());
    }

    #[test]
    fn meta_parses_the_js_shape() {
        let m: RowMeta = serde_json::from_str(
            r#"{"kind":"cache","name":"users","site":{"file":"/srv/a.js","line":4,"column":3,"functionName":"boot","nodeModules":false},"max":10}"#,
        )
        .unwrap();
        assert_eq!(m.kind, Kind::Cache);
        assert_eq!(m.site.unwrap().function_name.as_deref(), Some("boot"));
        assert_eq!(m.max, Some(10.0));
    }
}
