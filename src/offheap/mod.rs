//! OffHeapCache's store: keys and values held in Rust memory, bounded in bytes,
//! least-recently-used eviction, a default TTL and per-entry TTLs, safe to use
//! from many JavaScript threads at once.
//!
//! ```text
//!   Store ──┬── shard 0: Mutex<Table> ── slab of Nodes, two intrusive lists:
//!           │                            LRU  (most recent ... least recent = tail)
//!           │                            FIFO (entries on the default ttl, oldest
//!           │                                  set first = expiry order)
//!           │                            + an ordered set of (expiry, slot) for
//!           │                              entries set with their own ttl
//!           ├── shard 1 ...              hash → chain of nodes with that 64-bit hash
//!           └── shard 15
//!   bytes, entries, evictions, expirations: atomics, changed under a shard lock
//!   tick: global recency clock; each shard publishes its tail's tick
//! ```
//!
//! Invariants:
//! - A key is encoded canonically (a string as Latin-1 when every UTF-16 unit
//!   fits a byte, else as UTF-16; a number as its f64 bits with -0 and NaN
//!   normalised), so equal keys have equal bytes and distinct keys never collide.
//! - `bytes` is the sum of [`entry_size`] over stored entries whenever no call
//!   is in flight; `entries` likewise counts them.
//! - Every touch takes a fresh tick under its shard's lock, so a shard's LRU
//!   list is in tick order and the global least-recently-used entry is the
//!   shard tail with the smallest tick (exact for one thread, close under
//!   concurrency). Eviction never holds two shard locks at once.
//! - An entry on the store's default TTL lives `ttl` ms from its last `set`, so
//!   FIFO order is expiry order; an entry set with another ttl is kept in the
//!   shard's ordered set. Purging costs O(expired) plus O(log n) per entry with
//!   its own ttl. An entry without expiry is in neither.
//! - Every entry that leaves the store (evict, expire, delete, set, clear) is
//!   handed, with its reason, to the caller's [`Sink`] when it collects (the
//!   binding turns them into `dispose` calls); nothing is copied otherwise.
//!
//! This module never touches napi; `binding.rs` is the only napi file.

pub mod binding;

use crate::errors::{CoreError, ErrorCode};
use once_cell::sync::Lazy;
use parking_lot::Mutex;
use std::collections::hash_map::RandomState;
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

/// Shards per store (a power of two).
pub const SHARDS: usize = 16;
const NIL: u32 = u32::MAX;

/// Bytes charged per entry on top of its key and value bytes: the slab node and
/// its LRU link, its hash-table slot (key, value and control byte) and the
/// allocator's header of the key+value allocation.
pub const ENTRY_OVERHEAD: u64 =
    (std::mem::size_of::<Node>() + std::mem::size_of::<Link>() + 16 + 1 + 16) as u64;

/// What an entry costs in this store: key bytes + value bytes + [`ENTRY_OVERHEAD`].
pub fn entry_size(key_len: usize, value_len: usize) -> u64 {
    key_len as u64 + value_len as u64 + ENTRY_OVERHEAD
}

/// How a key's bytes are to be read.
pub mod key_tag {
    pub const LATIN1: u8 = 0;
    pub const UTF16: u8 = 1;
    pub const NUMBER: u8 = 2;
}

/// How a value's bytes are to be read, and what type `get` gives back.
pub mod value_kind {
    pub const LATIN1: u8 = 0;
    pub const UTF16: u8 = 1;
    pub const BUFFER: u8 = 2;
    pub const UINT8ARRAY: u8 = 3;
}

/// Encodes a JS string (its UTF-16 units) canonically into `out`; returns the tag.
pub fn encode_string(units: &[u16], out: &mut Vec<u8>) -> u8 {
    out.clear();
    if units.iter().all(|&u| u < 256) {
        out.extend(units.iter().map(|&u| u as u8));
        key_tag::LATIN1
    } else {
        out.reserve(units.len() * 2);
        for &u in units {
            out.extend_from_slice(&u.to_ne_bytes());
        }
        key_tag::UTF16
    }
}

/// Encodes a JS number key canonically (-0 is 0, every NaN is one NaN).
pub fn encode_number(n: f64, out: &mut Vec<u8>) -> u8 {
    let n = if n == 0.0 {
        0.0
    } else if n.is_nan() {
        f64::NAN
    } else {
        n
    };
    out.clear();
    out.extend_from_slice(&n.to_bits().to_ne_bytes());
    key_tag::NUMBER
}

/// A key as the store sees it: a tag and canonical bytes.
#[derive(Clone, Copy, Debug)]
pub struct Key<'a> {
    pub tag: u8,
    pub bytes: &'a [u8],
}

/// The bounds of a store; a second opener of a named store must ask for the same.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Bound on the sum of entry sizes, in bytes.
    pub max_size: u64,
    /// Time to live of an entry after its last `set`, in ms; 0 = forever.
    pub ttl_ms: f64,
}

/// Why an entry left the store (the `reason` of a `dispose` call).
pub mod reason {
    pub const EVICT: u8 = 0;
    pub const EXPIRE: u8 = 1;
    pub const DELETE: u8 = 2;
    pub const SET: u8 = 3;
    pub const CLEAR: u8 = 4;
}

/// Where an entry's expiry is kept.
mod lane {
    /// Never expires.
    pub const NONE: u8 = 0;
    /// The store's default ttl: the FIFO list.
    pub const FIFO: u8 = 1;
    /// Its own ttl: the ordered set.
    pub const TIMED: u8 = 2;
}

/// An entry that left the store: its key and value bytes (moved out, not copied).
pub struct Gone {
    pub key_tag: u8,
    pub value_kind: u8,
    pub reason: u8,
    key_len: u32,
    data: Box<[u8]>,
}

impl Gone {
    pub fn key(&self) -> &[u8] {
        &self.data[..self.key_len as usize]
    }
    pub fn value(&self) -> &[u8] {
        &self.data[self.key_len as usize..]
    }
}

/// Collects the entries a call removes, when `on`; drops them otherwise.
#[derive(Default)]
pub struct Sink {
    pub on: bool,
    pub gone: Vec<Gone>,
}

impl Sink {
    /// A sink that collects nothing.
    #[inline]
    pub fn off() -> Self {
        Sink::default()
    }

    fn take(&mut self, node: &mut Node, reason: u8) {
        if self.on {
            self.gone.push(Gone {
                key_tag: node.key_tag,
                value_kind: node.value_kind,
                reason,
                key_len: node.key_len,
                data: std::mem::take(&mut node.data),
            });
        }
    }
}

/// Store-wide figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub entries: u64,
    pub bytes: u64,
    pub evictions: u64,
    pub expirations: u64,
}

/// One cache line per node: a lookup touches one line, not two.
#[repr(align(64))]
struct Node {
    hash: u64,
    /// Key bytes followed by value bytes (one allocation per entry).
    data: Box<[u8]>,
    tick: u64,
    expires: f64,
    key_len: u32,
    fifo_prev: u32,
    fifo_next: u32,
    /// Next node with the same hash, or the next free slot.
    chain: u32,
    key_tag: u8,
    value_kind: u8,
    /// Where the expiry is kept (`lane::*`).
    lane: u8,
}

impl Node {
    fn key(&self) -> &[u8] {
        &self.data[..self.key_len as usize]
    }
    fn value(&self) -> &[u8] {
        &self.data[self.key_len as usize..]
    }
    fn size(&self) -> u64 {
        entry_size(
            self.key_len as usize,
            self.data.len() - self.key_len as usize,
        )
    }
}

/// The hash is already SipHash output: pass it through.
#[derive(Default)]
struct PassThrough(u64);
impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// LRU links, kept apart from the nodes (parallel to `Table::nodes`) so that
/// moving an entry to the front touches a few compact words, not three nodes.
#[derive(Clone, Copy)]
struct Link {
    prev: u32,
    next: u32,
}

struct Table {
    heads: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    nodes: Vec<Node>,
    links: Vec<Link>,
    free: u32,
    lru_head: u32,
    lru_tail: u32,
    fifo_head: u32,
    fifo_tail: u32,
    /// Entries with their own ttl: (expiry as f64 bits, slot). Expiries are
    /// finite and non-negative, so their bits sort as the numbers do.
    timed: BTreeSet<(u64, u32)>,
}

/// What removing a node did to the store's counters.
struct Removed {
    size: u64,
    /// The entry had an expiry.
    timed: bool,
}

impl Table {
    fn new() -> Self {
        Table {
            heads: HashMap::default(),
            nodes: Vec::new(),
            links: Vec::new(),
            free: NIL,
            lru_head: NIL,
            lru_tail: NIL,
            fifo_head: NIL,
            fifo_tail: NIL,
            timed: BTreeSet::new(),
        }
    }

    /// Files slot `i` under its node's expiry (the node's `lane` and `expires` are set).
    fn lane_in(&mut self, i: u32) {
        match self.nodes[i as usize].lane {
            lane::FIFO => self.fifo_push_tail(i),
            lane::TIMED => {
                let e = self.nodes[i as usize].expires.to_bits();
                self.timed.insert((e, i));
            }
            _ => {}
        }
    }

    fn lane_out(&mut self, i: u32) {
        match self.nodes[i as usize].lane {
            lane::FIFO => self.fifo_unlink(i),
            lane::TIMED => {
                let e = self.nodes[i as usize].expires.to_bits();
                self.timed.remove(&(e, i));
            }
            _ => {}
        }
    }

    /// The slot that expires first, with its expiry.
    fn first_expiring(&self) -> Option<(u32, f64)> {
        let fifo = (self.fifo_head != NIL)
            .then(|| (self.fifo_head, self.nodes[self.fifo_head as usize].expires));
        let timed = self
            .timed
            .first()
            .map(|&(bits, i)| (i, f64::from_bits(bits)));
        match (fifo, timed) {
            (Some(a), Some(b)) => Some(if b.1 < a.1 { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    fn find(&self, hash: u64, key: Key) -> u32 {
        let mut i = self.heads.get(&hash).copied().unwrap_or(NIL);
        while i != NIL {
            let n = &self.nodes[i as usize];
            if n.key_tag == key.tag && n.key() == key.bytes {
                return i;
            }
            i = n.chain;
        }
        NIL
    }

    fn lru_unlink(&mut self, i: u32) {
        let (p, n) = {
            let link = self.links[i as usize];
            (link.prev, link.next)
        };
        if p == NIL {
            self.lru_head = n;
        } else {
            self.links[p as usize].next = n;
        }
        if n == NIL {
            self.lru_tail = p;
        } else {
            self.links[n as usize].prev = p;
        }
    }

    fn lru_push_head(&mut self, i: u32) {
        let old = self.lru_head;
        {
            let link = &mut self.links[i as usize];
            link.prev = NIL;
            link.next = old;
        }
        if old == NIL {
            self.lru_tail = i;
        } else {
            self.links[old as usize].prev = i;
        }
        self.lru_head = i;
    }

    fn fifo_unlink(&mut self, i: u32) {
        let (p, n) = {
            let node = &self.nodes[i as usize];
            (node.fifo_prev, node.fifo_next)
        };
        if p == NIL {
            self.fifo_head = n;
        } else {
            self.nodes[p as usize].fifo_next = n;
        }
        if n == NIL {
            self.fifo_tail = p;
        } else {
            self.nodes[n as usize].fifo_prev = p;
        }
    }

    fn fifo_push_tail(&mut self, i: u32) {
        let old = self.fifo_tail;
        {
            let node = &mut self.nodes[i as usize];
            node.fifo_prev = old;
            node.fifo_next = NIL;
        }
        if old == NIL {
            self.fifo_head = i;
        } else {
            self.nodes[old as usize].fifo_next = i;
        }
        self.fifo_tail = i;
    }

    fn chain_unlink(&mut self, i: u32) {
        let hash = self.nodes[i as usize].hash;
        let next = self.nodes[i as usize].chain;
        let Some(head) = self.heads.get_mut(&hash) else {
            return;
        };
        if *head == i {
            if next == NIL {
                self.heads.remove(&hash);
            } else {
                *head = next;
            }
            return;
        }
        let mut j = *head;
        while j != NIL {
            let after = self.nodes[j as usize].chain;
            if after == i {
                self.nodes[j as usize].chain = next;
                return;
            }
            j = after;
        }
    }

    fn insert(&mut self, node: Node) -> u32 {
        let hash = node.hash;
        let i = if self.free != NIL {
            let i = self.free;
            self.free = self.nodes[i as usize].chain;
            self.nodes[i as usize] = node;
            i
        } else {
            self.nodes.push(node);
            self.links.push(Link {
                prev: NIL,
                next: NIL,
            });
            (self.nodes.len() - 1) as u32
        };
        let head = self.heads.entry(hash).or_insert(NIL);
        self.nodes[i as usize].chain = *head;
        *head = i;
        self.lru_push_head(i);
        self.lane_in(i);
        i
    }

    /// Takes slot `i` out; its key and value go to `sink` with `reason`.
    fn remove(&mut self, i: u32, reason: u8, sink: &mut Sink) -> Removed {
        self.chain_unlink(i);
        self.lru_unlink(i);
        self.lane_out(i);
        let node = &mut self.nodes[i as usize];
        let size = node.size();
        let timed = node.lane != lane::NONE;
        node.lane = lane::NONE;
        sink.take(node, reason);
        node.data = Box::default();
        node.key_len = 0;
        node.chain = self.free;
        self.free = i;
        if self.lru_head == NIL {
            // Empty: give the slab back rather than keep its peak size.
            self.nodes = Vec::new();
            self.links = Vec::new();
            self.free = NIL;
            self.heads = HashMap::default();
            self.timed = BTreeSet::new();
        }
        Removed { size, timed }
    }

    fn tail_tick(&self) -> u64 {
        if self.lru_tail == NIL {
            u64::MAX
        } else {
            self.nodes[self.lru_tail as usize].tick
        }
    }
}

struct Shard {
    table: Mutex<Table>,
    /// Tick of this shard's least-recently-used entry (u64::MAX when empty).
    tail_tick: AtomicU64,
}

/// Figures over every store of the process (tests, `processUsage()`).
static PROCESS_STORES: AtomicU64 = AtomicU64::new(0);
static PROCESS_ENTRIES: AtomicU64 = AtomicU64::new(0);
static PROCESS_BYTES: AtomicU64 = AtomicU64::new(0);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Process-wide (stores, entries, bytes) over every live store.
pub fn process_figures() -> (u64, u64, u64) {
    (
        PROCESS_STORES.load(Ordering::Relaxed),
        PROCESS_ENTRIES.load(Ordering::Relaxed),
        PROCESS_BYTES.load(Ordering::Relaxed),
    )
}

/// One off-heap cache, shared by every handle that opened it.
pub struct Store {
    id: u64,
    name: Option<String>,
    config: Config,
    shards: Box<[Shard]>,
    hasher: RandomState,
    tick: AtomicU64,
    entries: AtomicU64,
    bytes: AtomicU64,
    evictions: AtomicU64,
    expirations: AtomicU64,
    /// Entries with an expiry: while 0 (and no default ttl) reads need no clock.
    timed: AtomicU64,
}

impl Store {
    /// A new, unnamed store; `config` must be valid (see [`validate`]).
    pub fn new(config: Config) -> Arc<Store> {
        Arc::new(Self::build(None, config))
    }

    fn build(name: Option<String>, config: Config) -> Store {
        PROCESS_STORES.fetch_add(1, Ordering::Relaxed);
        Store {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            name,
            config,
            shards: (0..SHARDS)
                .map(|_| Shard {
                    table: Mutex::new(Table::new()),
                    tail_tick: AtomicU64::new(u64::MAX),
                })
                .collect(),
            hasher: RandomState::new(),
            tick: AtomicU64::new(0),
            entries: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            expirations: AtomicU64::new(0),
            timed: AtomicU64::new(0),
        }
    }

    /// True when some entry may expire: a default ttl, or entries with their own.
    pub fn expires(&self) -> bool {
        self.config.ttl_ms > 0.0 || self.timed.load(Ordering::Relaxed) > 0
    }

    /// A process-unique id of this store.
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn config(&self) -> Config {
        self.config
    }

    pub fn figures(&self) -> Figures {
        Figures {
            entries: self.entries.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            expirations: self.expirations.load(Ordering::Relaxed),
        }
    }

    fn hash(&self, key: Key) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write_u8(key.tag);
        h.write(key.bytes);
        h.finish()
    }

    fn shard_of(hash: u64) -> usize {
        (hash >> 40) as usize & (SHARDS - 1)
    }

    fn expired(&self, node: &Node, now: f64) -> bool {
        now >= node.expires
    }

    fn account_removed(&self, r: Removed) {
        if r.timed {
            self.timed.fetch_sub(1, Ordering::Relaxed);
        }
        self.bytes.fetch_sub(r.size, Ordering::Relaxed);
        self.entries.fetch_sub(1, Ordering::Relaxed);
        PROCESS_BYTES.fetch_sub(r.size, Ordering::Relaxed);
        PROCESS_ENTRIES.fetch_sub(1, Ordering::Relaxed);
    }

    fn publish_tail(shard: &Shard, table: &Table) {
        shard.tail_tick.store(table.tail_tick(), Ordering::Relaxed);
    }

    /// Looks `key` up; on a hit copies the value into `out`, marks the entry
    /// most recently used (unless `peek`) and returns its value kind. An expired
    /// entry is removed and counts as a miss.
    pub fn get(
        &self,
        key: Key,
        now: f64,
        peek: bool,
        out: &mut Vec<u8>,
        sink: &mut Sink,
    ) -> Option<u8> {
        let hash = self.hash(key);
        let shard = &self.shards[Self::shard_of(hash)];
        let mut t = shard.table.lock();
        let i = t.find(hash, key);
        if i == NIL {
            return None;
        }
        if self.expired(&t.nodes[i as usize], now) {
            let r = t.remove(i, reason::EXPIRE, sink);
            self.account_removed(r);
            self.expirations.fetch_add(1, Ordering::Relaxed);
            Self::publish_tail(shard, &t);
            return None;
        }
        if !peek {
            let tick = self.tick.fetch_add(1, Ordering::Relaxed);
            t.nodes[i as usize].tick = tick;
            if t.lru_head != i {
                t.lru_unlink(i);
                t.lru_push_head(i);
            }
            Self::publish_tail(shard, &t);
        }
        let node = &t.nodes[i as usize];
        out.clear();
        out.extend_from_slice(node.value());
        Some(node.value_kind)
    }

    /// True when `key` has a live entry (recency unchanged; an expired one is removed).
    pub fn has(&self, key: Key, now: f64, sink: &mut Sink) -> bool {
        let hash = self.hash(key);
        let shard = &self.shards[Self::shard_of(hash)];
        let mut t = shard.table.lock();
        let i = t.find(hash, key);
        if i == NIL {
            return false;
        }
        if self.expired(&t.nodes[i as usize], now) {
            let r = t.remove(i, reason::EXPIRE, sink);
            self.account_removed(r);
            self.expirations.fetch_add(1, Ordering::Relaxed);
            Self::publish_tail(shard, &t);
            return false;
        }
        true
    }

    /// Removes `key`; true when it had a live entry (an expired one is removed
    /// too, counted as an expiration, and gives false).
    pub fn delete(&self, key: Key, now: f64, sink: &mut Sink) -> bool {
        let hash = self.hash(key);
        let shard = &self.shards[Self::shard_of(hash)];
        let mut t = shard.table.lock();
        let i = t.find(hash, key);
        if i == NIL {
            return false;
        }
        let was_expired = self.expired(&t.nodes[i as usize], now);
        let why = if was_expired {
            reason::EXPIRE
        } else {
            reason::DELETE
        };
        let r = t.remove(i, why, sink);
        self.account_removed(r);
        Self::publish_tail(shard, &t);
        if was_expired {
            self.expirations.fetch_add(1, Ordering::Relaxed);
        }
        !was_expired
    }

    /// Stores `value` under `key` as the most recently used entry, then removes
    /// every expired entry and evicts least-recently-used ones while the store
    /// is over `max_size`. `ttl`: `None` = the store's default, `Some(0)` = no
    /// expiry, else ms from `now`. An entry larger than `max_size` is refused
    /// with `InvalidSize` and the store is unchanged. Returns the entries evicted.
    pub fn set(
        &self,
        key: Key,
        kind: u8,
        value: &[u8],
        now: f64,
        ttl: Option<f64>,
        sink: &mut Sink,
    ) -> Result<u64, CoreError> {
        let size = entry_size(key.bytes.len(), value.len());
        if size > self.config.max_size {
            return Err(CoreError::new(
                ErrorCode::InvalidSize,
                format!(
                    "the entry takes {size} bytes ({} of key, {} of value, {ENTRY_OVERHEAD} of overhead), more than maxSize ({})",
                    key.bytes.len(),
                    value.len(),
                    self.config.max_size
                ),
            ));
        }
        let hash = self.hash(key);
        let default = self.config.ttl_ms;
        let (expires, new_lane) = match ttl {
            None if default > 0.0 => (now + default, lane::FIFO),
            Some(t) if t > 0.0 && t == default => (now + t, lane::FIFO),
            Some(t) if t > 0.0 && t.is_finite() => (now + t, lane::TIMED),
            _ => (f64::INFINITY, lane::NONE),
        };
        let fresh = || {
            let mut data = Vec::with_capacity(key.bytes.len() + value.len());
            data.extend_from_slice(key.bytes);
            data.extend_from_slice(value);
            data.into_boxed_slice()
        };
        {
            let shard = &self.shards[Self::shard_of(hash)];
            let mut t = shard.table.lock();
            let tick = self.tick.fetch_add(1, Ordering::Relaxed);
            let i = t.find(hash, key);
            if i != NIL {
                let old = t.nodes[i as usize].size();
                let was_timed = t.nodes[i as usize].lane != lane::NONE;
                t.lane_out(i);
                {
                    let n = &mut t.nodes[i as usize];
                    if sink.on {
                        // The old value goes to dispose: move it out whole.
                        let data = std::mem::replace(&mut n.data, fresh());
                        sink.gone.push(Gone {
                            key_tag: n.key_tag,
                            value_kind: n.value_kind,
                            reason: reason::SET,
                            key_len: n.key_len,
                            data,
                        });
                    } else if n.data.len() == key.bytes.len() + value.len() {
                        // Same length: overwrite the value in place, no allocation.
                        n.data[key.bytes.len()..].copy_from_slice(value);
                    } else {
                        n.data = fresh();
                    }
                    n.value_kind = kind;
                    n.tick = tick;
                    n.expires = expires;
                    n.lane = new_lane;
                }
                t.lru_unlink(i);
                t.lru_push_head(i);
                t.lane_in(i);
                match (was_timed, new_lane != lane::NONE) {
                    (false, true) => {
                        self.timed.fetch_add(1, Ordering::Relaxed);
                    }
                    (true, false) => {
                        self.timed.fetch_sub(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
                if size >= old {
                    self.bytes.fetch_add(size - old, Ordering::Relaxed);
                    PROCESS_BYTES.fetch_add(size - old, Ordering::Relaxed);
                } else {
                    self.bytes.fetch_sub(old - size, Ordering::Relaxed);
                    PROCESS_BYTES.fetch_sub(old - size, Ordering::Relaxed);
                }
            } else {
                t.insert(Node {
                    hash,
                    data: fresh(),
                    tick,
                    expires,
                    key_len: key.bytes.len() as u32,
                    fifo_prev: NIL,
                    fifo_next: NIL,
                    chain: NIL,
                    key_tag: key.tag,
                    value_kind: kind,
                    lane: new_lane,
                });
                if new_lane != lane::NONE {
                    self.timed.fetch_add(1, Ordering::Relaxed);
                }
                self.bytes.fetch_add(size, Ordering::Relaxed);
                self.entries.fetch_add(1, Ordering::Relaxed);
                PROCESS_BYTES.fetch_add(size, Ordering::Relaxed);
                PROCESS_ENTRIES.fetch_add(1, Ordering::Relaxed);
            }
            Self::publish_tail(shard, &t);
        }
        Ok(self.make_room(now, sink))
    }

    fn over(&self) -> bool {
        self.bytes.load(Ordering::Relaxed) > self.config.max_size
    }

    fn make_room(&self, now: f64, sink: &mut Sink) -> u64 {
        if !self.over() {
            return 0;
        }
        self.purge_stale(now, sink);
        let mut evicted = 0;
        while self.over() {
            let mut best = u64::MAX;
            let mut best_shard = usize::MAX;
            for (s, shard) in self.shards.iter().enumerate() {
                let tick = shard.tail_tick.load(Ordering::Relaxed);
                if tick < best {
                    best = tick;
                    best_shard = s;
                }
            }
            if best_shard == usize::MAX {
                break;
            }
            let shard = &self.shards[best_shard];
            let mut t = shard.table.lock();
            let i = t.lru_tail;
            if i != NIL {
                let r = t.remove(i, reason::EVICT, sink);
                self.account_removed(r);
                self.evictions.fetch_add(1, Ordering::Relaxed);
                evicted += 1;
            }
            Self::publish_tail(shard, &t);
        }
        evicted
    }

    /// Removes every expired entry; returns how many.
    pub fn purge_stale(&self, now: f64, sink: &mut Sink) -> u64 {
        if !self.expires() {
            return 0;
        }
        let mut purged = 0;
        for shard in self.shards.iter() {
            let mut t = shard.table.lock();
            let mut changed = false;
            while let Some((i, exp)) = t.first_expiring() {
                if now < exp {
                    break;
                }
                let r = t.remove(i, reason::EXPIRE, sink);
                self.account_removed(r);
                purged += 1;
                changed = true;
            }
            if changed {
                Self::publish_tail(shard, &t);
            }
        }
        self.expirations.fetch_add(purged, Ordering::Relaxed);
        purged
    }

    /// Milliseconds from `now` until the next entry expires (0 when one already
    /// has), or infinity when none will.
    pub fn next_expiry(&self, now: f64) -> f64 {
        if !self.expires() {
            return f64::INFINITY;
        }
        let mut first = f64::INFINITY;
        for shard in self.shards.iter() {
            if let Some((_, exp)) = shard.table.lock().first_expiring() {
                first = first.min(exp);
            }
        }
        (first - now).max(0.0)
    }

    /// Removes every entry, least recently used first.
    pub fn clear(&self, sink: &mut Sink) {
        for shard in self.shards.iter() {
            let mut t = shard.table.lock();
            while t.lru_tail != NIL {
                let i = t.lru_tail;
                let r = t.remove(i, reason::CLEAR, sink);
                self.account_removed(r);
            }
            Self::publish_tail(shard, &t);
        }
    }

    /// Every live key (tag, bytes), least recently used first.
    pub fn keys(&self, now: f64, sink: &mut Sink) -> Vec<(u8, Vec<u8>)> {
        self.purge_stale(now, sink);
        let mut all: Vec<(u64, u8, Vec<u8>)> = Vec::new();
        for shard in self.shards.iter() {
            let t = shard.table.lock();
            let mut i = t.lru_tail;
            while i != NIL {
                let n = &t.nodes[i as usize];
                all.push((n.tick, n.key_tag, n.key().to_vec()));
                i = t.links[i as usize].prev;
            }
        }
        all.sort_unstable_by_key(|e| e.0);
        all.into_iter().map(|(_, tag, k)| (tag, k)).collect()
    }

    /// Sum of entry sizes and count, recomputed by walking every shard (tests).
    pub fn recount(&self) -> (u64, u64) {
        let mut bytes = 0;
        let mut count = 0;
        for shard in self.shards.iter() {
            let t = shard.table.lock();
            let mut i = t.lru_head;
            while i != NIL {
                let n = &t.nodes[i as usize];
                bytes += n.size();
                count += 1;
                i = t.links[i as usize].next;
            }
        }
        (bytes, count)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let f = self.figures();
        PROCESS_BYTES.fetch_sub(f.bytes, Ordering::Relaxed);
        PROCESS_ENTRIES.fetch_sub(f.entries, Ordering::Relaxed);
        PROCESS_STORES.fetch_sub(1, Ordering::Relaxed);
        if let Some(name) = &self.name {
            let mut named = NAMED.lock();
            if named.get(name).is_some_and(|(id, _)| *id == self.id) {
                named.remove(name);
            }
        }
    }
}

/// Named stores of the process. An entry holds a `Weak`: the store lives while
/// some handle holds its `Arc`, and its `Drop` removes the entry (only its own:
/// a new store of the same name may already have replaced it).
type NamedStores = HashMap<String, (u64, Weak<Store>)>;
static NAMED: Lazy<Mutex<NamedStores>> = Lazy::new(|| Mutex::new(HashMap::new()));

/// Checks bounds: `max_size` ≥ 1 byte, `ttl_ms` finite and ≥ 0.
pub fn validate(config: Config) -> Result<(), CoreError> {
    if config.max_size == 0 {
        return Err(CoreError::new(
            ErrorCode::Unbounded,
            "maxSize must be a positive number of bytes",
        ));
    }
    if !config.ttl_ms.is_finite() || config.ttl_ms < 0.0 {
        return Err(CoreError::new(
            ErrorCode::InvalidOption,
            "ttl must be a finite number of ms, 0 or more",
        ));
    }
    Ok(())
}

/// Opens the store called `name` (creating it with `config` when no live
/// handle has it open), or a new private store when `name` is `None`.
/// A named store already open with another config gives `CacheMismatch`.
pub fn open(name: Option<&str>, config: Config) -> Result<Arc<Store>, CoreError> {
    validate(config)?;
    let Some(name) = name else {
        return Ok(Store::new(config));
    };
    let mut named = NAMED.lock();
    if let Some(store) = named.get(name).and_then(|(_, w)| w.upgrade()) {
        if store.config != config {
            let err = CoreError::new(
                ErrorCode::CacheMismatch,
                format!(
                    "the cache \"{name}\" is already open with maxSize {} and ttl {}; this opener asked for maxSize {} and ttl {}",
                    store.config.max_size, store.config.ttl_ms, config.max_size, config.ttl_ms
                ),
            );
            // Unlock before letting go: if the other handles went meanwhile,
            // this is the last one, and the store's Drop takes the lock.
            drop(named);
            drop(store);
            return Err(err);
        }
        return Ok(store);
    }
    let store = Arc::new(Store::build(Some(name.to_owned()), config));
    named.insert(name.to_owned(), (store.id, Arc::downgrade(&store)));
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skey(s: &str) -> (u8, Vec<u8>) {
        let units: Vec<u16> = s.encode_utf16().collect();
        let mut out = Vec::new();
        let tag = encode_string(&units, &mut out);
        (tag, out)
    }

    fn k(e: &(u8, Vec<u8>)) -> Key<'_> {
        Key {
            tag: e.0,
            bytes: &e.1,
        }
    }

    fn cfg(max_size: u64, ttl_ms: f64) -> Config {
        Config { max_size, ttl_ms }
    }

    fn get(s: &Store, key: &str, now: f64) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        s.get(k(&skey(key)), now, false, &mut out, &mut Sink::off())
            .map(|_| out)
    }

    fn set(s: &Store, key: &str, v: &[u8], now: f64) -> Result<u64, CoreError> {
        s.set(
            k(&skey(key)),
            value_kind::BUFFER,
            v,
            now,
            None,
            &mut Sink::off(),
        )
    }

    #[test]
    fn keys_are_canonical_and_distinct() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        let ta = encode_string(&[0x6b, 0xD800], &mut a);
        let tb = encode_string(&[0x6b, 0xDC00], &mut b);
        assert_eq!(ta, tb);
        assert_eq!(ta, key_tag::UTF16);
        assert_ne!(a, b, "lone surrogates stay distinct");
        assert_eq!(encode_string(&[0xe9], &mut a), key_tag::LATIN1);
        assert_eq!(a, vec![0xe9]);
        let mut z = Vec::new();
        let mut nz = Vec::new();
        encode_number(0.0, &mut z);
        encode_number(-0.0, &mut nz);
        assert_eq!(z, nz);
        let s = Store::new(cfg(10_000, 0.0));
        let one_n = {
            let mut v = Vec::new();
            (encode_number(1.0, &mut v), v)
        };
        s.set(
            k(&one_n),
            value_kind::LATIN1,
            b"number",
            0.0,
            None,
            &mut Sink::off(),
        )
        .unwrap();
        s.set(
            k(&skey("1")),
            value_kind::LATIN1,
            b"string",
            0.0,
            None,
            &mut Sink::off(),
        )
        .unwrap();
        let mut out = Vec::new();
        s.get(k(&one_n), 0.0, false, &mut out, &mut Sink::off())
            .unwrap();
        assert_eq!(out, b"number");
        assert_eq!(get(&s, "1", 0.0).unwrap(), b"string");
    }

    #[test]
    fn evicts_least_recently_used_across_shards() {
        let per = entry_size(2, 10);
        let s = Store::new(cfg(per * 5, 0.0));
        for i in 0..5 {
            set(&s, &format!("k{i}"), &[i as u8; 10], 0.0).unwrap();
        }
        assert!(get(&s, "k0", 0.0).is_some());
        assert_eq!(set(&s, "k5", &[5; 10], 0.0).unwrap(), 1);
        assert!(get(&s, "k1", 0.0).is_none(), "k1 was least recently used");
        for key in ["k0", "k2", "k3", "k4", "k5"] {
            assert!(s.has(k(&skey(key)), 0.0, &mut Sink::off()), "{key} kept");
        }
        let f = s.figures();
        assert_eq!(f.entries, 5);
        assert_eq!(f.bytes, per * 5);
        assert_eq!(f.evictions, 1);
        let order: Vec<Vec<u8>> = s
            .keys(0.0, &mut Sink::off())
            .into_iter()
            .map(|(_, b)| b)
            .collect();
        assert_eq!(
            order,
            vec![
                b"k2".to_vec(),
                b"k3".to_vec(),
                b"k4".to_vec(),
                b"k0".to_vec(),
                b"k5".to_vec()
            ]
        );
    }

    #[test]
    fn byte_accounting_follows_replace_delete_clear() {
        let s = Store::new(cfg(1 << 20, 0.0));
        set(&s, "a", &[0; 100], 0.0).unwrap();
        set(&s, "b", &[0; 50], 0.0).unwrap();
        assert_eq!(s.figures().bytes, entry_size(1, 100) + entry_size(1, 50));
        set(&s, "a", &[0; 10], 0.0).unwrap();
        assert_eq!(s.figures().bytes, entry_size(1, 10) + entry_size(1, 50));
        assert_eq!(s.figures().entries, 2);
        assert!(s.delete(k(&skey("b")), 0.0, &mut Sink::off()));
        assert!(!s.delete(k(&skey("b")), 0.0, &mut Sink::off()));
        assert_eq!(s.figures().bytes, entry_size(1, 10));
        assert_eq!(s.recount(), (entry_size(1, 10), 1));
        s.clear(&mut Sink::off());
        assert_eq!(s.figures(), Figures::default());
        assert_eq!(s.recount(), (0, 0));
    }

    #[test]
    fn oversized_entry_is_refused_and_changes_nothing() {
        let s = Store::new(cfg(entry_size(1, 10), 0.0));
        set(&s, "a", &[1; 10], 0.0).unwrap();
        let err = set(&s, "b", &[1; 11], 0.0).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidSize);
        assert_eq!(get(&s, "a", 0.0).unwrap(), vec![1; 10]);
        assert_eq!(s.figures().entries, 1);
    }

    #[test]
    fn ttl_expires_and_expired_go_before_live() {
        let per = entry_size(2, 1);
        let s = Store::new(cfg(per * 3, 100.0));
        set(&s, "k0", b"0", 0.0).unwrap();
        set(&s, "k1", b"1", 50.0).unwrap();
        set(&s, "k2", b"2", 60.0).unwrap();
        // k0 is the most recently used but expired: it goes, k1 (LRU, live) stays.
        assert!(get(&s, "k1", 70.0).is_some());
        assert!(get(&s, "k2", 70.0).is_some());
        set(&s, "k3", b"3", 120.0).unwrap();
        let f = s.figures();
        assert_eq!((f.expirations, f.evictions, f.entries), (1, 0, 3));
        assert!(get(&s, "k1", 149.0).is_some());
        assert!(get(&s, "k1", 150.0).is_none(), "expired at set + ttl");
        assert_eq!(s.figures().expirations, 2);
        assert_eq!(s.purge_stale(1000.0, &mut Sink::off()), 2);
        assert_eq!(s.figures().entries, 0);
        assert_eq!(s.figures().bytes, 0);
    }

    #[test]
    fn named_stores_are_shared_and_freed_with_their_last_handle() {
        let c = cfg(1000, 0.0);
        let a = open(Some("unit-shared"), c).unwrap();
        let b = open(Some("unit-shared"), c).unwrap();
        assert_eq!(a.id(), b.id());
        assert_eq!(
            open(Some("unit-shared"), cfg(999, 0.0)).err().unwrap().code,
            ErrorCode::CacheMismatch
        );
        let id = a.id();
        drop(a);
        drop(b);
        assert!(!NAMED.lock().contains_key("unit-shared"));
        let c2 = open(Some("unit-shared"), cfg(999, 0.0)).unwrap();
        assert_ne!(c2.id(), id, "a fresh store after the last handle went");
        assert_eq!(
            validate(cfg(0, 0.0)).unwrap_err().code,
            ErrorCode::Unbounded
        );
        assert_eq!(
            validate(cfg(1, -1.0)).unwrap_err().code,
            ErrorCode::InvalidOption
        );
    }

    #[test]
    fn racing_openers_and_closers_never_deadlock() {
        // A mismatching opener may hold the last handle of a store whose other
        // handles just went; letting go of it must not happen under the lock.
        std::thread::scope(|scope| {
            for t in 0..3u64 {
                scope.spawn(move || {
                    for _ in 0..20_000 {
                        let _ = open(Some("unit-race"), cfg(1000 + t % 2, 0.0));
                    }
                });
            }
        });
        assert!(!NAMED.lock().contains_key("unit-race"));
    }

    #[test]
    fn sharded_concurrent_use_keeps_exact_accounting() {
        let s = Store::new(cfg(entry_size(8, 64) * 500, 0.0));
        let used: Vec<usize> = {
            let mut seen = [false; SHARDS];
            for i in 0..200 {
                let e = skey(&format!("key{i:05}"));
                seen[Store::shard_of(s.hash(k(&e)))] = true;
            }
            (0..SHARDS).filter(|&i| seen[i]).collect()
        };
        assert!(used.len() > SHARDS / 2, "keys spread over shards");
        std::thread::scope(|scope| {
            for t in 0..4u8 {
                let s = &s;
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for i in 0..20_000u32 {
                        let key = skey(&format!("key{:05}", (i * 7 + t as u32) % 2000));
                        match i % 5 {
                            0 => {
                                s.delete(k(&key), 0.0, &mut Sink::off());
                            }
                            1 | 2 => {
                                if s.get(k(&key), 0.0, false, &mut out, &mut Sink::off())
                                    .is_some()
                                {
                                    assert_eq!(out.len(), 64);
                                    assert!(out.iter().all(|&b| b == out[0]), "torn value");
                                }
                            }
                            _ => {
                                s.set(
                                    k(&key),
                                    value_kind::BUFFER,
                                    &[t; 64],
                                    0.0,
                                    None,
                                    &mut Sink::off(),
                                )
                                .unwrap();
                            }
                        }
                    }
                });
            }
        });
        let f = s.figures();
        assert_eq!(s.recount(), (f.bytes, f.entries));
        assert!(f.bytes <= s.config().max_size);
        assert!(f.evictions > 0);
    }

    #[test]
    fn per_entry_ttls_expire_in_their_own_order() {
        let s = Store::new(cfg(1 << 20, 100.0));
        let mut sink = Sink::off();
        let set_ttl = |key: &str, ttl: Option<f64>, now: f64, sink: &mut Sink| {
            s.set(k(&skey(key)), value_kind::BUFFER, b"v", now, ttl, sink)
                .unwrap()
        };
        set_ttl("default", None, 0.0, &mut sink); // expires at 100
        set_ttl("short", Some(10.0), 0.0, &mut sink); // 10
        set_ttl("long", Some(500.0), 0.0, &mut sink); // 500
        set_ttl("never", Some(0.0), 0.0, &mut sink);
        set_ttl("same-as-default", Some(100.0), 5.0, &mut sink); // 105, on the FIFO
        assert_eq!(s.next_expiry(0.0), 10.0);
        assert!(get(&s, "short", 9.0).is_some());
        assert!(get(&s, "short", 10.0).is_none());
        assert_eq!(s.purge_stale(104.0, &mut sink), 1, "default went at 100");
        assert_eq!(
            s.purge_stale(499.0, &mut sink),
            1,
            "same-as-default went at 105"
        );
        assert_eq!(s.next_expiry(499.0), 1.0);
        assert_eq!(s.purge_stale(1e9, &mut sink), 1, "long went at 500");
        assert_eq!(s.figures().entries, 1);
        assert!(get(&s, "never", 1e12).is_some());
        assert_eq!(s.next_expiry(0.0), f64::INFINITY);
        // A store without a default ttl still expires entries given one.
        let plain = Store::new(cfg(1 << 20, 0.0));
        assert!(!plain.expires());
        plain
            .set(
                k(&skey("a")),
                value_kind::BUFFER,
                b"v",
                0.0,
                Some(5.0),
                &mut sink,
            )
            .unwrap();
        assert!(plain.expires());
        assert_eq!(plain.purge_stale(5.0, &mut sink), 1);
        assert!(!plain.expires(), "no entry with an expiry is left");
    }

    #[test]
    fn a_collecting_sink_receives_every_removed_entry_with_its_reason() {
        let per = entry_size(2, 1);
        let s = Store::new(cfg(per * 2, 0.0));
        let mut sink = Sink {
            on: true,
            gone: Vec::new(),
        };
        let set = |key: &str, v: &[u8], ttl: Option<f64>, now: f64, sink: &mut Sink| {
            s.set(k(&skey(key)), value_kind::BUFFER, v, now, ttl, sink)
                .unwrap()
        };
        set("k1", b"1", None, 0.0, &mut sink);
        set("k2", b"2", Some(10.0), 0.0, &mut sink);
        set("k1", b"3", None, 0.0, &mut sink); // replaces: "1" with reason set
        set("k3", b"4", None, 0.0, &mut sink); // evicts k2 (LRU)
        assert!(s.delete(k(&skey("k3")), 0.0, &mut sink));
        set("k4", b"5", Some(1.0), 0.0, &mut sink);
        assert!(!s.has(k(&skey("k4")), 1.0, &mut sink)); // expired
        s.clear(&mut sink);
        let seen: Vec<(Vec<u8>, Vec<u8>, u8)> = sink
            .gone
            .iter()
            .map(|g| (g.key().to_vec(), g.value().to_vec(), g.reason))
            .collect();
        assert_eq!(
            seen,
            vec![
                (b"k1".to_vec(), b"1".to_vec(), reason::SET),
                (b"k2".to_vec(), b"2".to_vec(), reason::EVICT),
                (b"k3".to_vec(), b"4".to_vec(), reason::DELETE),
                (b"k4".to_vec(), b"5".to_vec(), reason::EXPIRE),
                (b"k1".to_vec(), b"3".to_vec(), reason::CLEAR),
            ]
        );
        let f = s.figures();
        assert_eq!(
            (f.entries, f.bytes, f.evictions, f.expirations),
            (0, 0, 1, 1)
        );
        assert_eq!(s.recount(), (0, 0));
    }
}
