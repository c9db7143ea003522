// The GC watch: V8's own GC prologue/epilogue callbacks writing the heap feed
// (src/sampler/feed.rs) with plain stores, on the JS thread, inside the GC.
//
// Node-API has no GC callback. The alternative, a 'gc' PerformanceObserver,
// runs JavaScript after every batch of GCs from a setImmediate that user code
// sees (an async hook's init, DEP0097 under a domain, Node's perf code across
// a GC). These callbacks run no JavaScript and allocate nothing on the V8
// heap: a pause in the ring per GC; after a major GC, the post-GC sample read
// from V8's heap statistics (as Node's own GCProfiler does in its callbacks),
// and, when the old generation is past the alarm level, a wake-up of the JS
// thread through the caller's function (a non-blocking thread-safe function
// call: a queue push and a uv_async_send, nothing that touches V8).
//
// V8's near-heap-limit callback (Isolate::AddNearHeapLimitCallback) is the
// exact point where V8 is about to fail, whatever flag sized the heap. On it,
// the caller's report function runs (the report made and written from native
// code: no JavaScript can run inside a GC), and the limit is raised once by
// the caller's small amount so the JavaScript side can still deliver it. The
// callback removes itself when it runs: V8 calls only the most recently added
// near-heap-limit callback, and Node's own (--heapsnapshot-near-heap-limit)
// must get the next one.
//
// build.rs compiles this file once per supported V8 (against each Node
// major's headers) into a small shared object of its own,
// leakguard.gcwatch-v8-<major>.<minor>.node, whose V8 symbols resolve
// against the running Node. The Rust side loads only the one whose version
// is the running V8's (read from v8::V8::GetVersion()), because V8's
// statistics structs (filled by V8, sized here) change between versions;
// lg_gc_watch_start checks it again.

#include <v8.h>

#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#endif

extern "C" {

// Cell indexes of the feed, given by the Rust side (the layout lives there).
struct LgGcCells {
  uint32_t gc_writes;
  uint32_t gc_ring;
  uint32_t gc_len;
  uint32_t major_gcs;
  uint32_t last_major_ms;
  uint32_t postgc_seq;
  uint32_t postgc_t;
  uint32_t postgc_used;
  uint32_t postgc_external;
  uint32_t postgc_old;
  uint32_t near_limit_bytes;
};

typedef void (*LgWake)(void* data, double old_bytes);
// V8 reached the old generation's limit: `old_bytes` used of `limit_bytes`.
typedef void (*LgNearLimit)(void* data, double old_bytes, double limit_bytes);

}  // extern "C"

namespace {

struct Watch {
  v8::Isolate* isolate;
  double* cells;
  LgGcCells at;
  LgWake wake;
  void* wake_data;
  uint64_t started_ns;
  LgNearLimit near_limit;
  void* near_limit_data;
  size_t raise_bytes;
  bool limit_registered;
};

uint64_t MonotonicNs() {
#ifdef _WIN32
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&c);
  return static_cast<uint64_t>(static_cast<double>(c.QuadPart) * 1e9 /
                               static_cast<double>(f.QuadPart));
#else
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u +
         static_cast<uint64_t>(ts.tv_nsec);
#endif
}

// Epoch milliseconds, as Date.now() gives them (the feed's clock).
double EpochMs() {
#ifdef _WIN32
  FILETIME ft;
  GetSystemTimePreciseAsFileTime(&ft);
  uint64_t t = (static_cast<uint64_t>(ft.dwHighDateTime) << 32) |
               ft.dwLowDateTime;
  return static_cast<double>(t / 10000u) - 11644473600000.0;
#else
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 +
         static_cast<double>(ts.tv_nsec / 1000000);
#endif
}

void OnGcStart(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* data) {
  static_cast<Watch*>(data)->started_ns = MonotonicNs();
}

// The young generation's bytes: what the old-generation figure leaves out.
double YoungBytes(v8::Isolate* isolate) {
  double young = 0;
  size_t n = isolate->NumberOfHeapSpaces();
  for (size_t i = 0; i < n; i++) {
    v8::HeapSpaceStatistics s;
    if (!isolate->GetHeapSpaceStatistics(&s, i)) continue;
    const char* name = s.space_name();
    if (name != nullptr && (strcmp(name, "new_space") == 0 ||
                            strcmp(name, "new_large_object_space") == 0)) {
      young += static_cast<double>(s.space_used_size());
    }
  }
  return young;
}

void OnGcEnd(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags,
             void* data) {
  Watch* w = static_cast<Watch*>(data);
  double* c = w->cells;
  const LgGcCells& at = w->at;
  double ms = static_cast<double>(MonotonicNs() - w->started_ns) / 1e6;
  double writes = c[at.gc_writes];
  c[at.gc_ring + static_cast<uint64_t>(writes) % at.gc_len] = ms;
  c[at.gc_writes] = writes + 1;
  if (type != v8::kGCTypeMarkSweepCompact) return;
  c[at.last_major_ms] = ms;
  c[at.major_gcs] += 1;
  v8::HeapStatistics hs;
  isolate->GetHeapStatistics(&hs);
  double used = static_cast<double>(hs.used_heap_size());
  double old = used - YoungBytes(isolate);
  if (old < 1) old = 1;
  c[at.postgc_t] = EpochMs();
  c[at.postgc_used] = used;
  c[at.postgc_external] = static_cast<double>(hs.external_memory());
  c[at.postgc_old] = old;
  c[at.postgc_seq] += 1;  // published last
  if (old >= c[at.near_limit_bytes] && w->wake != nullptr) w->wake(w->wake_data, old);
}

// V8 is about to fail for want of old space: report (once: not when the
// JavaScript estimate reported already, which set the alarm cell to
// infinity) and give the small raise, once.
size_t OnNearHeapLimit(void* data, size_t current_limit, size_t) {
  Watch* w = static_cast<Watch*>(data);
  w->isolate->RemoveNearHeapLimitCallback(OnNearHeapLimit, 0);
  w->limit_registered = false;
  double* c = w->cells;
  if (c[w->at.near_limit_bytes] != HUGE_VAL) {
    c[w->at.near_limit_bytes] = HUGE_VAL;  // no more wake-ups
    v8::HeapStatistics hs;
    w->isolate->GetHeapStatistics(&hs);
    double old = static_cast<double>(hs.used_heap_size()) - YoungBytes(w->isolate);
    if (old < 1) old = 1;
    w->near_limit(w->near_limit_data, old, static_cast<double>(current_limit));
  }
  return current_limit + w->raise_bytes;
}

// Whether the running V8, as it states its version, is the major.minor
// these callbacks were compiled against.
bool SameV8() {
  const char* v = v8::V8::GetVersion();
  if (v == nullptr) return false;
  char* end = nullptr;
  long major = strtol(v, &end, 10);
  if (end == v || *end != '.' || major != V8_MAJOR_VERSION) return false;
  const char* m = end + 1;
  long minor = strtol(m, &end, 10);
  return end != m && (*end == '.' || *end == '\0') && minor == V8_MINOR_VERSION;
}

}  // namespace

extern "C" {

// Starts watching the GCs of the current thread's isolate and, when
// `near_limit` is given, V8's near-heap-limit callback (raising the limit by
// `raise_bytes` when it runs); null when the thread has no isolate or the
// running V8 is not the one compiled against. `cells` must outlive the watch
// (lg_gc_watch_stop).
void* lg_gc_watch_start(double* cells, const LgGcCells* at, LgWake wake,
                        void* wake_data, LgNearLimit near_limit,
                        void* near_limit_data, double raise_bytes) {
  if (!SameV8()) return nullptr;
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (isolate == nullptr) return nullptr;
  // malloc, not new: the shim links no C++ runtime of its own.
  Watch* w = static_cast<Watch*>(calloc(1, sizeof(Watch)));
  if (w == nullptr) return nullptr;
  *w = Watch{isolate,    cells,           *at,
             wake,       wake_data,       MonotonicNs(),
             near_limit, near_limit_data, static_cast<size_t>(raise_bytes),
             false};
  isolate->AddGCPrologueCallback(OnGcStart, w, v8::kGCTypeAll);
  isolate->AddGCEpilogueCallback(OnGcEnd, w, v8::kGCTypeAll);
  if (near_limit != nullptr) {
    isolate->AddNearHeapLimitCallback(OnNearHeapLimit, w);
    w->limit_registered = true;
  }
  return w;
}

// Whether V8's near-heap-limit callback is still registered (it removes
// itself when it runs).
int lg_gc_watch_limit_armed(void* watch) {
  return static_cast<Watch*>(watch)->limit_registered ? 1 : 0;
}

// Removes the callbacks and frees the watch. On the thread that started it,
// while its isolate lives. A raised heap limit stays raised: V8 keeps
// whatever limit the callback returned.
void lg_gc_watch_stop(void* watch) {
  Watch* w = static_cast<Watch*>(watch);
  w->isolate->RemoveGCPrologueCallback(OnGcStart, w);
  w->isolate->RemoveGCEpilogueCallback(OnGcEnd, w);
  // V8 treats removing a callback it does not hold as unreachable code.
  if (w->limit_registered) w->isolate->RemoveNearHeapLimitCallback(OnNearHeapLimit, 0);
  free(w);
}

// The V8 version these callbacks were compiled against.
uint32_t lg_gc_watch_v8_major() { return V8_MAJOR_VERSION; }
uint32_t lg_gc_watch_v8_minor() { return V8_MINOR_VERSION; }

}  // extern "C"
