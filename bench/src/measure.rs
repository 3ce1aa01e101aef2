//! What a peer costs its own process: CPU from getrusage (user + sys, the
//! same counter Node's `process.cpuUsage()` and Python's `resource` read) and
//! resident memory from /proc, sampled on a thread of its own so that the
//! peak during a burst of streams is caught. The sampling's own CPU is
//! measured too, and every peer reports its CPU without it: reading
//! `smaps_rollup` walks every mapping, so it costs a process with many
//! (wasmtime's pooled memories and stacks) more than one with few.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// User + system CPU time of this process so far, in milliseconds.
pub fn cpu_ms() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we hand it.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    ms(usage.ru_utime) + ms(usage.ru_stime)
}

/// Resident set size of this process now, in KiB (`VmRSS`).
pub fn rss_kib() -> u64 {
    proc_kib("/proc/self/status", "VmRSS:")
}

/// Proportional set size of this process now, in KiB (`Pss`). Unlike RSS it
/// counts a page mapped N times once in all: wasmtime maps the component's
/// copy-on-write memory image into every instance, and RSS counts those
/// shared pages once per instance.
pub fn pss_kib() -> u64 {
    proc_kib("/proc/self/smaps_rollup", "Pss:")
}

fn proc_kib(file: &str, field: &str) -> u64 {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time of the calling thread so far, in milliseconds.
fn thread_cpu_ms() -> f64 {
    // SAFETY: clock_gettime only writes into the zeroed struct we hand it.
    let time = unsafe {
        let mut time: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time);
        time
    };
    time.tv_sec as f64 * 1e3 + time.tv_nsec as f64 / 1e6
}

/// Tracks the highest RSS and PSS seen until stopped. PSS is read every
/// tenth sample: smaps_rollup walks every mapping, which costs more.
pub struct PeakRss {
    peak: Arc<AtomicU64>,
    peak_pss: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    /// Ends with the sampling thread's CPU time, in milliseconds.
    thread: JoinHandle<f64>,
}

/// What [`PeakRss`] saw.
pub struct Peaks {
    pub rss_kib: u64,
    pub pss_kib: u64,
    /// The CPU the sampling itself took: not the peer's.
    pub sampler_cpu_ms: f64,
}

impl PeakRss {
    pub fn start(every: Duration) -> PeakRss {
        let peak = Arc::new(AtomicU64::new(rss_kib()));
        let peak_pss = Arc::new(AtomicU64::new(pss_kib()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (peak, peak_pss, stop) = (peak.clone(), peak_pss.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_kib(), Ordering::Relaxed);
                    if n.is_multiple_of(10) {
                        peak_pss.fetch_max(pss_kib(), Ordering::Relaxed);
                    }
                    n += 1;
                    std::thread::sleep(every);
                }
                thread_cpu_ms()
            })
        };
        PeakRss {
            peak,
            peak_pss,
            stop,
            thread,
        }
    }

    /// Stops sampling: the peaks, and what the sampling cost.
    pub fn stop(self) -> Peaks {
        self.stop.store(true, Ordering::Relaxed);
        let sampler_cpu_ms = self.thread.join().unwrap_or(0.0);
        Peaks {
            rss_kib: self.peak.load(Ordering::Relaxed).max(rss_kib()),
            pss_kib: self.peak_pss.load(Ordering::Relaxed).max(pss_kib()),
            sampler_cpu_ms,
        }
    }
}
