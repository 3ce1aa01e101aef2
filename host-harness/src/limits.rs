//! What one call may use: memory, CPU time, wall-clock time, and how many
//! calls may run at once.
//!
//! Memory is enforced by a [`wasmtime::ResourceLimiter`] that also remembers
//! that it said no, because a Rust guest that cannot grow its memory aborts
//! with a bare `unreachable` trap: the flag is what tells "out of memory" from
//! any other crash. CPU time is measured with epoch interruption: a thread
//! ticks the engine's epoch every [`TICK`], and every tick that lands while
//! the guest is running wasm costs it one tick of its budget (the guest also
//! yields to the executor there, so one busy plugin cannot starve the others).

use crate::error::HostError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::{Engine, ResourceLimiter, StoreContextMut, UpdateDeadline};

/// How often the epoch advances: the resolution of the CPU budget.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// Most table elements one instance may grow to; tables hold function
/// references, and a guest growing one without bound would eat host memory.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// Limits of every call of a [`Host`](crate::Host). See the fields of
/// [`HostConfig`](crate::HostConfig) for their meaning and defaults.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) memory: usize,
    pub(crate) cpu_budget: Duration,
    pub(crate) call_deadline: Duration,
}

impl Limits {
    fn cpu_budget_ticks(&self) -> u64 {
        (self.cpu_budget.as_millis() / TICK.as_millis()).max(1) as u64
    }
}

/// The meters of one store: what the guest used, and whether a limit stopped it.
#[derive(Debug)]
pub(crate) struct Meter {
    limits: Limits,
    memory_denied: bool,
    cpu_ticks: u64,
    cpu_exceeded: bool,
}

impl Meter {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            memory_denied: false,
            cpu_ticks: 0,
            cpu_exceeded: false,
        }
    }

    /// Every call into the guest starts with a full CPU budget.
    pub(crate) fn start_call(&mut self) {
        self.cpu_ticks = 0;
    }

    /// Called by the epoch callback when a tick lands while the guest runs.
    pub(crate) fn tick(&mut self) -> UpdateDeadline {
        self.cpu_ticks += 1;
        if self.cpu_ticks > self.limits.cpu_budget_ticks() {
            self.cpu_exceeded = true;
            UpdateDeadline::Interrupt
        } else {
            UpdateDeadline::Yield(1)
        }
    }

    /// The typed error for a call that failed with `error` inside wasmtime.
    pub(crate) fn classify(&self, function: &'static str, error: &wasmtime::Error) -> HostError {
        if self.cpu_exceeded {
            HostError::CpuBudgetExceeded {
                function,
                budget: self.limits.cpu_budget,
            }
        } else if self.memory_denied {
            HostError::MemoryLimitExceeded {
                function,
                limit: self.limits.memory,
            }
        } else {
            HostError::Trapped {
                function,
                detail: format!("{error:?}"),
            }
        }
    }

    /// The error for a call that outlived its wall-clock deadline.
    pub(crate) fn deadline(&self, function: &'static str) -> HostError {
        HostError::DeadlineExceeded {
            function,
            deadline: self.limits.call_deadline,
        }
    }

    pub(crate) fn call_deadline(&self) -> Duration {
        self.limits.call_deadline
    }
}

impl ResourceLimiter for Meter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.limits.memory;
        self.memory_denied |= !allowed;
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// The epoch callback of every store: charge the tick to the call's meter.
pub(crate) fn on_epoch<T>(
    meter: impl Fn(&mut T) -> &mut Meter,
) -> impl FnMut(StoreContextMut<'_, T>) -> wasmtime::Result<UpdateDeadline> {
    move |mut store| Ok(meter(store.data_mut()).tick())
}

/// Advances an engine's epoch every [`TICK`] on a thread of its own, until
/// dropped.
pub(crate) struct Ticker {
    stop: Arc<AtomicBool>,
}

impl Ticker {
    pub(crate) fn start(engine: &Engine) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let engine = engine.clone();
        let stopped = stop.clone();
        std::thread::Builder::new()
            .name("bedrock-host-epoch".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            })?;
        Ok(Self { stop })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(cpu_ms: u64) -> Limits {
        Limits {
            memory: 1 << 20,
            cpu_budget: Duration::from_millis(cpu_ms),
            call_deadline: Duration::from_secs(1),
        }
    }

    #[test]
    fn the_budget_is_counted_per_call_in_ticks() {
        let mut meter = Meter::new(limits(30));
        for _ in 0..3 {
            assert!(matches!(meter.tick(), UpdateDeadline::Yield(1)));
        }
        assert!(matches!(meter.tick(), UpdateDeadline::Interrupt));
        let error = meter.classify("info", &wasmtime::Error::msg("interrupted"));
        assert!(matches!(
            error,
            HostError::CpuBudgetExceeded {
                function: "info",
                ..
            }
        ));

        let mut meter = Meter::new(limits(30));
        for _ in 0..3 {
            meter.tick();
        }
        meter.start_call();
        assert!(matches!(meter.tick(), UpdateDeadline::Yield(1)));
    }

    #[test]
    fn a_budget_below_one_tick_is_one_tick() {
        let mut meter = Meter::new(limits(1));
        assert!(matches!(meter.tick(), UpdateDeadline::Yield(1)));
        assert!(matches!(meter.tick(), UpdateDeadline::Interrupt));
    }

    #[test]
    fn denied_growth_makes_the_next_trap_a_memory_error() {
        let mut meter = Meter::new(limits(100));
        assert!(meter.memory_growing(0, 1 << 20, None).unwrap());
        let trap = wasmtime::Error::msg("unreachable");
        assert!(matches!(
            meter.classify("next", &trap),
            HostError::Trapped { .. }
        ));
        assert!(!meter.memory_growing(1 << 20, (1 << 20) + 1, None).unwrap());
        assert_eq!(
            meter.classify("next", &trap),
            HostError::MemoryLimitExceeded {
                function: "next",
                limit: 1 << 20
            }
        );
    }

    #[test]
    fn tables_are_capped() {
        let mut meter = Meter::new(limits(100));
        assert!(meter.table_growing(0, MAX_TABLE_ELEMENTS, None).unwrap());
        assert!(
            !meter
                .table_growing(0, MAX_TABLE_ELEMENTS + 1, None)
                .unwrap()
        );
    }
}
