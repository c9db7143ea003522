'use strict';
// ExpiryLanes: the expiry order of a TTL cache's slots, answering "which
// stored entry expires first?" in O(1) and keeping itself up to date in O(1)
// for the common case (one ttl for the whole cache). It knows slot numbers,
// expiry times and ttls only: never keys, values or the cache itself.
//
// Entries are grouped into lanes by ttl duration. On a clock that never goes
// backwards, appending to a lane in the order expiries are assigned keeps
// every lane sorted by expiry, so a lane's head is its earliest entry. A small
// binary heap of lanes, keyed by their heads, gives the earliest overall; its
// size is the number of distinct ttls in use (1 for a cache that only uses
// its default ttl), so every update costs O(log lanes), not O(log entries).
//
// Ties (equal expiry) go in the order the expiries were assigned (`seq`), in
// every lane and across lanes, so the order is fully defined.

class ExpiryLanes {
  constructor() {
    // Per slot.
    this.exp = []; // absolute expiry, Infinity = never
    this.seq = []; // when the expiry was assigned (ties)
    this.ttl = []; // ttl the expiry came from, 0 = none
    this.next = []; // toward later expiries in the same lane
    this.prev = [];
    this.lane = []; // lane id, -1 = in no lane
    this.tick = 0;
    // Per lane.
    this.byTtl = new Map(); // ttl -> lane id
    this.laneTtl = [];
    this.head = [];
    this.tail = [];
    this.hpos = [];
    this.freeLanes = [];
    this.heap = []; // lane ids, earliest head first
  }

  /** Makes room for slots up to `slot` (slots are handed out in order). */
  grow(slot) {
    while (this.exp.length <= slot) {
      this.exp.push(Infinity);
      this.seq.push(0);
      this.ttl.push(0);
      this.next.push(-1);
      this.prev.push(-1);
      this.lane.push(-1);
    }
  }

  /** The slot that expires first, or -1. */
  earliest() {
    return this.heap.length === 0 ? -1 : this.head[this.heap[0]];
  }

  /**
   * Gives `slot` the expiry now + ttl (ttl 0: never). Returns true when the
   * slot is now the earliest-expiring one (the caller may need to wake a timer).
   */
  set(slot, ttl, now) {
    if (ttl <= 0) {
      if (this.lane[slot] !== -1) this.remove(slot);
      this.ttl[slot] = ttl;
      this.exp[slot] = Infinity;
      return false;
    }
    return this.assign(slot, ttl, now + ttl);
  }

  /**
   * Gives `slot` the absolute expiry `exp` in the lane of `ttl`. The lane stays
   * sorted only when `exp` is no earlier than the lane's tail: callers assign
   * now + ttl (later for every call on a monotonic clock), expiries in
   * ascending order into empty lanes (load), or `now` in the lane of a
   * negative ttl that only ever receives `now` (a stale value put back).
   * Returns true when the slot is now the earliest-expiring one.
   */
  assign(slot, ttl, exp) {
    if (this.lane[slot] !== -1) this.remove(slot);
    this.ttl[slot] = ttl;
    this.exp[slot] = exp;
    this.seq[slot] = ++this.tick;
    let l = this.byTtl.get(ttl);
    if (l === undefined) l = this.#openLane(ttl);
    const t = this.tail[l];
    this.lane[slot] = l;
    this.next[slot] = -1;
    this.prev[slot] = t;
    this.tail[l] = slot;
    if (t === -1) {
      this.head[l] = slot;
      this.#heapPush(l);
      return this.heap[0] === l;
    }
    this.next[t] = slot;
    return false;
  }

  /** Restarts the slot's ttl from `now` (updateAgeOnGet). */
  refresh(slot, now) {
    const ttl = this.ttl[slot];
    if (ttl > 0) this.set(slot, ttl, now);
  }

  /** Forgets the slot's expiry. */
  remove(slot) {
    const l = this.lane[slot];
    this.exp[slot] = Infinity;
    this.ttl[slot] = 0;
    if (l === -1) return;
    this.lane[slot] = -1;
    const p = this.prev[slot];
    const n = this.next[slot];
    if (n === -1) this.tail[l] = p;
    else this.prev[n] = p;
    if (p !== -1) {
      this.next[p] = n;
      return;
    }
    // The lane's head changed.
    this.head[l] = n;
    if (n === -1) this.#closeLane(l);
    else this.#siftDown(this.hpos[l]); // a later head: it can only move down
  }

  #openLane(ttl) {
    const l = this.freeLanes.length > 0 ? this.freeLanes.pop() : this.laneTtl.length;
    this.laneTtl[l] = ttl;
    this.head[l] = -1;
    this.tail[l] = -1;
    this.hpos[l] = -1;
    this.byTtl.set(ttl, l);
    return l;
  }

  #closeLane(l) {
    this.byTtl.delete(this.laneTtl[l]);
    const heap = this.heap;
    const pos = this.hpos[l];
    this.hpos[l] = -1;
    const last = heap.pop();
    if (last !== l) {
      heap[pos] = last;
      this.hpos[last] = pos;
      this.#siftUp(pos);
      this.#siftDown(this.hpos[last]);
    }
    this.freeLanes.push(l);
  }

  // Lane a's head expires before lane b's.
  #before(a, b) {
    const ha = this.head[a];
    const hb = this.head[b];
    const ea = this.exp[ha];
    const eb = this.exp[hb];
    return ea < eb || (ea === eb && this.seq[ha] < this.seq[hb]);
  }

  #heapPush(l) {
    const pos = this.heap.length;
    this.heap.push(l);
    this.hpos[l] = pos;
    this.#siftUp(pos);
  }

  #siftUp(pos) {
    const heap = this.heap;
    const l = heap[pos];
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      const pl = heap[parent];
      if (!this.#before(l, pl)) break;
      heap[pos] = pl;
      this.hpos[pl] = pos;
      pos = parent;
    }
    heap[pos] = l;
    this.hpos[l] = pos;
  }

  #siftDown(pos) {
    const heap = this.heap;
    const n = heap.length;
    const l = heap[pos];
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && this.#before(heap[child + 1], heap[child])) child++;
      const cl = heap[child];
      if (!this.#before(cl, l)) break;
      heap[pos] = cl;
      this.hpos[cl] = pos;
      pos = child;
    }
    heap[pos] = l;
    this.hpos[l] = pos;
  }
}

module.exports = { ExpiryLanes };
