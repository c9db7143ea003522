//! What each cell of a row means, per kind. `lib/internal/stats.js` exports the same
//! table as `CELLS`; a test checks the two agree. Cells not listed are spare.

/// Cells of a `cache` row.
pub mod cache {
    pub const HITS: usize = 0;
    pub const MISSES: usize = 1;
    pub const SETS: usize = 2;
    pub const EVICTIONS: usize = 3;
    pub const EXPIRATIONS: usize = 4;
    /// Live entries.
    pub const SIZE: usize = 5;
    /// Sum of entry sizes (0 when the cache has no `maxSize`).
    pub const CALCULATED_SIZE: usize = 6;
    pub const DELETES: usize = 7;
}

/// Cells of a call-site row (`timer` and `listener`): live = ADDS - REMOVES.
pub mod site {
    /// Timers created / listeners added at the site, ever.
    pub const ADDS: usize = 0;
    /// Timers that ended (fired one-shot or cleared) / listeners removed, ever.
    pub const REMOVES: usize = 1;
    /// Listener sites: distinct live emitters holding the site's listeners.
    pub const EMITTERS: usize = 2;
    /// Epoch milliseconds of the oldest live entry at the site, when known (0 otherwise).
    pub const OLDEST_MS: usize = 3;
}

/// All cell names by kind, for the JS agreement test.
pub fn table() -> Vec<(&'static str, &'static str, usize)> {
    vec![
        ("cache", "HITS", cache::HITS),
        ("cache", "MISSES", cache::MISSES),
        ("cache", "SETS", cache::SETS),
        ("cache", "EVICTIONS", cache::EVICTIONS),
        ("cache", "EXPIRATIONS", cache::EXPIRATIONS),
        ("cache", "SIZE", cache::SIZE),
        ("cache", "CALCULATED_SIZE", cache::CALCULATED_SIZE),
        ("cache", "DELETES", cache::DELETES),
        ("site", "ADDS", site::ADDS),
        ("site", "REMOVES", site::REMOVES),
        ("site", "EMITTERS", site::EMITTERS),
        ("site", "OLDEST_MS", site::OLDEST_MS),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_fit_a_row_and_are_distinct_per_kind() {
        let t = super::table();
        for (kind, name, cell) in &t {
            assert!(*cell < super::super::ROW_CELLS, "{kind}.{name}");
            assert_eq!(
                t.iter().filter(|(k, _, c)| k == kind && c == cell).count(),
                1,
                "{kind}.{name} shares a cell"
            );
        }
    }
}
