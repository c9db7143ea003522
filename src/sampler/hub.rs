//! The hub: the process's one `leakguard-sampler` thread, serving every
//! environment (main thread, workers) that runs a sampler, and `HeapSampler`,
//! one environment's membership of it (see `mod.rs` for the loop and its
//! guarantees). Each tick reads the feed, RSS and the registry into the
//! environment's `SamplerCore`, publishes its requests in the feed and hands
//! a due report to `Notify`. Never touches napi.

use super::feed::{self, Feed, FeedReader};
use super::rss;
use super::{Observation, SamplerCore, Settings};
use crate::errors::{CoreError, ErrorCode};
use crate::stats::Registry;
use parking_lot::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError, Sender, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Epoch milliseconds (the thread's clock; tests use `SamplerCore` directly).
pub fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Called with a report (JSON) when the verdict changes materially.
pub type Notify = Box<dyn Fn(String) + Send + 'static>;

/// What the thread and the JS-facing handle share.
pub struct Shared {
    pub core: Mutex<SamplerCore>,
    pub feed: Arc<Feed>,
    registry: Arc<Registry>,
}

impl Shared {
    /// One tick: read everything, decide, publish requests.
    fn tick(&self, reader: &mut FeedReader, notify: &Notify) {
        let began = Instant::now();
        let input = reader.read(&self.feed);
        let rss = rss::read();
        let rows = self.registry.snapshot();
        let now = epoch_ms();
        let (requests, note, buffers) = {
            let mut core = self.core.lock();
            let r = core.observe(Observation {
                now,
                feed: input,
                rss,
                rows,
            });
            let note = core.take_notification(now);
            let buffers = if core.buffers_wanted() { 1.0 } else { 0.0 };
            core.add_thread_busy(began.elapsed().as_secs_f64() * 1000.0);
            (r, note, buffers)
        };
        self.feed.set(feed::cell::WANT_BUFFERS, buffers);
        if requests.force_gc
            && self.feed.get(feed::cell::GC_SERVED) >= self.feed.get(feed::cell::WANT_GC)
        {
            self.feed.set(
                feed::cell::WANT_GC,
                self.feed.get(feed::cell::WANT_GC) + 1.0,
            );
        }
        if let Some(report) = note {
            notify(report);
        }
    }
}

/// One sampler of one JavaScript environment, as the hub thread serves it.
struct Member {
    id: u64,
    shared: Arc<Shared>,
    notify: Notify,
    reader: FeedReader,
    period: Duration,
    next: Instant,
}

enum Control {
    Add(Box<Member>),
    Flush(u64, SyncSender<()>),
    Remove(u64, SyncSender<()>),
}

/// The process's one `leakguard-sampler` thread, serving every environment
/// (main thread and workers) that runs a sampler: a worker's start and exit
/// then cost no thread. It starts with the first sampler and ends with the
/// last.
struct Hub {
    tx: Sender<Control>,
    handle: Option<JoinHandle<()>>,
    members: usize,
}

static HUB: Mutex<Option<Hub>> = Mutex::new(None);
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn hub_loop(rx: mpsc::Receiver<Control>) {
    let mut members: Vec<Member> = Vec::new();
    loop {
        let now = Instant::now();
        let wait = members
            .iter()
            .map(|m| m.next.saturating_duration_since(now))
            .min()
            .unwrap_or(Duration::from_secs(3600));
        match rx.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                for m in members.iter_mut().filter(|m| m.next <= now) {
                    m.shared.tick(&mut m.reader, &m.notify);
                    // Drift-corrected; after a long pause, skip ahead.
                    m.next += m.period;
                    let after = Instant::now();
                    if m.next < after {
                        m.next = after + m.period;
                    }
                }
            }
            Ok(Control::Add(m)) => members.push(*m),
            Ok(Control::Flush(id, reply)) => {
                if let Some(m) = members.iter_mut().find(|m| m.id == id) {
                    m.shared.tick(&mut m.reader, &m.notify);
                }
                let _ = reply.send(());
            }
            Ok(Control::Remove(id, reply)) => {
                // Dropping the member drops its notify (the thread-safe function).
                members.retain(|m| m.id != id);
                let _ = reply.send(());
                if members.is_empty() {
                    break;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
}

/// The running sampler: a member of the process's `leakguard-sampler` thread.
pub struct HeapSampler {
    pub shared: Arc<Shared>,
    id: u64,
    running: std::sync::atomic::AtomicBool,
}

impl HeapSampler {
    /// Joins (or spawns) the thread; an error when the OS refuses one.
    pub fn start(
        settings: Settings,
        registry: Arc<Registry>,
        notify: Notify,
    ) -> Result<Self, CoreError> {
        let shared = Arc::new(Shared {
            core: Mutex::new(SamplerCore::new(settings)),
            feed: Arc::new(Feed::new()),
            registry,
        });
        let period = Duration::from_secs_f64(settings.interval_ms.max(1.0) / 1000.0);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let member = Box::new(Member {
            id,
            shared: shared.clone(),
            notify,
            reader: FeedReader::default(),
            period,
            next: Instant::now() + period,
        });
        let mut hub = HUB.lock();
        // A hub whose thread already left (its last member removed) is replaced.
        if hub.as_ref().is_some_and(|h| h.members == 0) {
            if let Some(mut old) = hub.take() {
                if let Some(h) = old.handle.take() {
                    let _ = h.join();
                }
            }
        }
        if hub.is_none() {
            let (tx, rx) = mpsc::channel::<Control>();
            let handle = std::thread::Builder::new()
                .name("leakguard-sampler".into())
                .stack_size(256 * 1024)
                .spawn(move || hub_loop(rx))
                .map_err(|e| {
                    CoreError::new(
                        ErrorCode::Native,
                        format!("cannot start the leakguard-sampler thread: {e}"),
                    )
                })?;
            *hub = Some(Hub {
                tx,
                handle: Some(handle),
                members: 0,
            });
        }
        let h = hub.as_mut().expect("just set");
        h.tx.send(Control::Add(member)).map_err(|_| {
            CoreError::new(ErrorCode::Native, "the leakguard-sampler thread is gone")
        })?;
        h.members += 1;
        Ok(HeapSampler {
            shared,
            id,
            running: std::sync::atomic::AtomicBool::new(true),
        })
    }

    /// Runs one tick now and waits for it (at most `timeout`); false if the
    /// sampler is stopped or the thread did not answer in time.
    pub fn flush(&self, timeout: Duration) -> bool {
        if !self.running() {
            return false;
        }
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        {
            let hub = HUB.lock();
            let Some(h) = hub.as_ref() else {
                return false;
            };
            if h.tx.send(Control::Flush(self.id, reply_tx)).is_err() {
                return false;
            }
        }
        reply_rx.recv_timeout(timeout).is_ok()
    }

    /// Leaves the thread: idempotent, waits at most `timeout` for the thread
    /// to let go of this sampler; the last sampler out ends the thread.
    pub fn shutdown(&self, timeout: Duration) -> bool {
        if !self
            .running
            .swap(false, std::sync::atomic::Ordering::AcqRel)
        {
            return true;
        }
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        let mut hub = HUB.lock();
        let Some(h) = hub.as_mut() else {
            return true;
        };
        if h.tx.send(Control::Remove(self.id, reply_tx)).is_err() {
            return true;
        }
        h.members = h.members.saturating_sub(1);
        if h.members > 0 {
            drop(hub);
            return reply_rx.recv_timeout(timeout).is_ok();
        }
        // The last one: the thread leaves its loop after the reply.
        let answered = reply_rx.recv_timeout(timeout).is_ok();
        let mut old = hub.take().expect("present");
        drop(hub);
        if answered {
            if let Some(handle) = old.handle.take() {
                return handle.join().is_ok();
            }
        }
        answered // otherwise detached: it exits on its own once the tick ends
    }

    pub fn running(&self) -> bool {
        self.running.load(std::sync::atomic::Ordering::Acquire)
    }
}

impl Drop for HeapSampler {
    fn drop(&mut self) {
        self.shutdown(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: f64 = 1024.0 * 1024.0;

    #[test]
    fn samplers_share_one_thread_that_ends_with_the_last() {
        let threads = || {
            std::fs::read_dir("/proc/self/task")
                .map(|d| {
                    d.filter_map(|e| e.ok())
                        .filter(|e| {
                            std::fs::read_to_string(e.path().join("comm"))
                                .is_ok_and(|c| c.trim() == "leakguard-sampl")
                        })
                        .count()
                })
                .unwrap_or(0)
        };
        let _serial = HUB_TESTS.lock();
        let start = || {
            HeapSampler::start(
                Settings::for_tests(50.0),
                Arc::new(Registry::new()),
                Box::new(|_| {}),
            )
            .unwrap()
        };
        let samplers: Vec<HeapSampler> = (0..4).map(|_| start()).collect();
        assert!(samplers.iter().all(|s| s.flush(Duration::from_secs(5))));
        if std::path::Path::new("/proc/self/task").exists() {
            assert_eq!(threads(), 1, "one thread for four samplers");
        }
        for s in &samplers {
            assert!(s.shutdown(Duration::from_secs(5)));
        }
        assert!(HUB.lock().is_none(), "the last one out ends the thread");
        let again = start();
        assert!(again.flush(Duration::from_secs(5)));
        assert!(again.shutdown(Duration::from_secs(5)));
    }

    /// The hub is process-wide: tests that count its thread run one at a time.
    static HUB_TESTS: Mutex<()> = Mutex::new(());

    #[test]
    fn the_thread_ticks_flushes_and_shuts_down_idempotently() {
        let _serial = HUB_TESTS.lock();
        let registry = Arc::new(Registry::new());
        let (tx, rx) = mpsc::channel::<String>();
        let tx = Mutex::new(tx);
        let sampler = HeapSampler::start(
            Settings::for_tests(50.0),
            registry,
            Box::new(move |s| {
                let _ = tx.lock().send(s);
            }),
        )
        .unwrap();
        let feed = sampler.shared.feed.clone();
        feed.set(feed::cell::SAMPLE_T, epoch_ms());
        feed.set(feed::cell::HEAP_USED, 12.0 * MB);
        feed.set(feed::cell::SAMPLE_SEQ, 1.0);
        assert!(sampler.flush(Duration::from_secs(5)));
        let r = serde_json::to_value(sampler.shared.core.lock().report(epoch_ms())).unwrap();
        assert_eq!(r["heap"]["usedBytes"], 12.0 * MB);
        if std::path::Path::new("/proc/self/statm").exists() {
            assert!(r["heap"]["rssBytes"].as_f64().unwrap() > 0.0);
        }
        std::thread::sleep(Duration::from_millis(120));
        assert!(
            sampler
                .shared
                .core
                .lock()
                .history_json()
                .as_array()
                .unwrap()
                .len()
                >= 2
        );
        assert!(sampler.shutdown(Duration::from_secs(5)));
        assert!(sampler.shutdown(Duration::from_secs(5)), "idempotent");
        assert!(!sampler.flush(Duration::from_millis(10)));
        assert!(rx.try_recv().is_err(), "nothing to notify");
    }
}
