//! What one call may use and make the host hold: memory, CPU time,
//! wall-clock time, bytes handed to the host, host resources, outbound
//! requests, and how many calls may run at once.
//!
//! Memory is enforced by a [`wasmtime::ResourceLimiter`] that also remembers
//! that it said no, because a Rust guest that cannot grow its memory aborts
//! with a bare `unreachable` trap: the flag is what tells "out of memory" from
//! any other crash. The limit is on the sum of every memory of the call's
//! instance (a component of several core modules has several), and the
//! limiter also caps how many instances, memories and tables a call may
//! create. CPU time is measured with epoch interruption: a thread ticks the
//! engine's epoch every [`TICK`], and every tick that lands while the guest is
//! running wasm costs it one tick of its budgets, the call's and the store's
//! whole life's (an event stream is many calls); the guest also yields to the
//! executor there, so one busy plugin cannot starve the others.
//!
//! What the guest makes the host hold is bounded where the host holds it:
//! wasmtime's hostcall fuel caps the bytes lifted out of the guest at once (a
//! call's result, the arguments of one import), the resource table caps the
//! host objects the guest holds handles to, `wasi:http` caps the bytes of each
//! `fields` (together, the header bytes of a call), and the [`RequestGate`] caps the outbound requests of a call.

use crate::HostConfig;
use crate::error::HostError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use wasmtime::component::ResourceTableError;
use wasmtime::{Engine, ResourceLimiter, StoreContextMut, UpdateDeadline};
use wasmtime_wasi_http::FieldMapError;

/// How often the epoch advances: the resolution of the CPU budget.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// Most table elements one instance may hold, summed over its tables; tables
/// hold function references, and a guest growing them without bound would
/// eat host memory.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// Most core instances, linear memories and tables one call's component may
/// create. A Rust guest built for `wasm32-wasip2` has one memory, a few
/// tables and a few core instances (the guest and `wit-component`'s shims);
/// the instance pool is sized from these, so a component that wanted more
/// would take other calls' places in it: it is refused when loaded.
pub(crate) const MAX_CORE_INSTANCES: usize = 8;
pub(crate) const MAX_MEMORIES: usize = 2;
pub(crate) const MAX_TABLES: usize = 4;

/// The text of wasmtime 48's (private) `HostcallFuelExhausted` error: the
/// only sign that a lift ran out of hostcall fuel. The isolation tests fail
/// if a wasmtime upgrade changes it.
const HOSTCALL_FUEL_EXHAUSTED: &str = "fuel allocated for hostcalls has been exhausted";

/// Limits of every call of a [`Host`](crate::Host). See the fields of
/// [`HostConfig`](crate::HostConfig) for their meaning and defaults.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) memory: usize,
    pub(crate) cpu_budget: Duration,
    pub(crate) stream_cpu_budget: Duration,
    pub(crate) call_deadline: Duration,
    pub(crate) result_bytes: usize,
    pub(crate) resources: usize,
    pub(crate) field_bytes: usize,
    pub(crate) requests_in_flight: usize,
    pub(crate) requests: usize,
}

impl Limits {
    pub(crate) fn new(config: &HostConfig) -> Self {
        Self {
            memory: config.memory_limit,
            cpu_budget: config.cpu_budget,
            stream_cpu_budget: config.stream_cpu_budget,
            call_deadline: config.call_deadline,
            result_bytes: config.max_result_bytes,
            resources: config.max_resources,
            field_bytes: config.max_field_bytes,
            requests_in_flight: config.max_requests_in_flight,
            requests: config.max_requests,
        }
    }

    /// The limits of an instance shared by up to `streams` event streams:
    /// the resource table holds every stream's host resources, so its cap is
    /// the per-stream cap times `streams`. Memory stays the instance's: the
    /// streams share `memory` (a stream dirties tens of KiB of it).
    pub(crate) fn for_streams(self, streams: usize) -> Self {
        Self {
            resources: self.resources.saturating_mul(streams.max(1)),
            ..self
        }
    }

    fn ticks(budget: Duration) -> u64 {
        (budget.as_millis() / TICK.as_millis()).max(1) as u64
    }
}

/// Which CPU budget stopped the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CpuBudget {
    Call,
    Store,
}

/// The meters of one store: what the guest used, and whether a limit stopped it.
#[derive(Debug)]
pub(crate) struct Meter {
    limits: Limits,
    /// Bytes of linear memory, summed over the instance's memories.
    memory: usize,
    memory_denied: bool,
    table_elements: usize,
    /// Ticks of the current call, and of the store's whole life.
    cpu_ticks: u64,
    store_ticks: u64,
    cpu_exceeded: Option<CpuBudget>,
}

impl Meter {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            memory: 0,
            memory_denied: false,
            table_elements: 0,
            cpu_ticks: 0,
            store_ticks: 0,
            cpu_exceeded: None,
        }
    }

    /// Every call into the guest starts with a full CPU budget of its own;
    /// the store's budget goes on draining.
    pub(crate) fn start_call(&mut self) {
        self.cpu_ticks = 0;
    }

    /// Called by the epoch callback when a tick lands while the guest runs.
    pub(crate) fn tick(&mut self) -> UpdateDeadline {
        self.cpu_ticks += 1;
        self.store_ticks += 1;
        if self.cpu_ticks > Limits::ticks(self.limits.cpu_budget) {
            self.cpu_exceeded = Some(CpuBudget::Call);
        } else if self.store_ticks > Limits::ticks(self.limits.stream_cpu_budget) {
            self.cpu_exceeded = Some(CpuBudget::Store);
        }
        match self.cpu_exceeded {
            Some(_) => UpdateDeadline::Interrupt,
            None => UpdateDeadline::Yield(1),
        }
    }

    /// The typed error for a call that failed with `error` inside wasmtime,
    /// when the store's meters explain it; `None` otherwise.
    pub(crate) fn classify(
        &self,
        function: &'static str,
        error: &wasmtime::Error,
    ) -> Option<HostError> {
        match self.cpu_exceeded {
            Some(CpuBudget::Call) => {
                return Some(HostError::CpuBudgetExceeded {
                    function,
                    budget: self.limits.cpu_budget,
                });
            }
            Some(CpuBudget::Store) => {
                return Some(HostError::StreamCpuBudgetExceeded {
                    function,
                    budget: self.limits.stream_cpu_budget,
                });
            }
            None => {}
        }
        if self.memory_denied {
            return Some(HostError::MemoryLimitExceeded {
                function,
                limit: self.limits.memory,
            });
        }
        let causes = || error.chain();
        if causes().any(|cause| {
            matches!(
                cause.downcast_ref::<ResourceTableError>(),
                Some(ResourceTableError::Full)
            )
        }) {
            return Some(HostError::TooManyResources {
                function,
                limit: self.limits.resources,
            });
        }
        if causes().any(|cause| {
            matches!(
                cause.downcast_ref::<FieldMapError>(),
                Some(FieldMapError::TotalSizeTooBig | FieldMapError::TooManyFields)
            )
        }) {
            return Some(HostError::HeadersTooLarge {
                function,
                limit: self.limits.field_bytes,
            });
        }
        if causes().any(|cause| cause.to_string().contains(HOSTCALL_FUEL_EXHAUSTED)) {
            return Some(HostError::ResultTooLarge {
                function,
                limit: self.limits.result_bytes,
            });
        }
        None
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

    /// Puts in the whole-life ticks charged from now on and takes out the
    /// previous ones: in a shared instance, the stream whose call runs.
    fn swap_life_ticks(&mut self, ticks: u64) -> u64 {
        std::mem::replace(&mut self.store_ticks, ticks)
    }
}

/// What one event stream has used of the limits that are its own, not its
/// instance's: CPU over its whole life and its outbound requests. Streams
/// that share an instance each have one; the driver of the instance swaps
/// the stream's account into the store for each of its calls
/// ([`StreamAccount::swap_into`]), so a guest call is charged to the stream
/// it runs for.
#[derive(Debug)]
pub(crate) struct StreamAccount {
    life_ticks: u64,
    gate: RequestGate,
}

impl StreamAccount {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            life_ticks: 0,
            gate: RequestGate::new(limits),
        }
    }

    /// Makes `self` the account charged by `meter` and `gate`, and gives
    /// back the one that was.
    pub(crate) fn swap_into(self, meter: &mut Meter, gate: &mut RequestGate) -> StreamAccount {
        StreamAccount {
            life_ticks: meter.swap_life_ticks(self.life_ticks),
            gate: std::mem::replace(gate, self.gate),
        }
    }
}

impl ResourceLimiter for Meter {
    /// Also called with `current == 0` when a memory is created: the sum
    /// covers every memory of the instance.
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = (self.memory - current.min(self.memory)).saturating_add(desired);
        let allowed = total <= self.limits.memory;
        if allowed {
            self.memory = total;
        }
        self.memory_denied |= !allowed;
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total =
            (self.table_elements - current.min(self.table_elements)).saturating_add(desired);
        let allowed = total <= MAX_TABLE_ELEMENTS;
        if allowed {
            self.table_elements = total;
        }
        Ok(allowed)
    }

    fn instances(&self) -> usize {
        MAX_CORE_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }
}

/// The epoch callback of every store: charge the tick to the call's meter.
pub(crate) fn on_epoch<T>(
    meter: impl Fn(&mut T) -> &mut Meter,
) -> impl FnMut(StoreContextMut<'_, T>) -> wasmtime::Result<UpdateDeadline> {
    move |mut store| Ok(meter(store.data_mut()).tick())
}

/// Counts one call's outbound requests, in flight and in total, and refuses
/// those beyond either cap. A refusal is remembered: the guest sees a
/// `wasi:http` error it may shrug off, but the call then fails with the
/// [`HostError`] that names the cap.
#[derive(Debug)]
pub(crate) struct RequestGate {
    in_flight: Arc<AtomicUsize>,
    sent: usize,
    max_in_flight: usize,
    max_total: usize,
    refused: Option<OutboundCap>,
}

/// Which cap refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutboundCap {
    InFlight(usize),
    Total(usize),
}

/// One admitted request's place among those in flight: dropped when its
/// connection is closed (or the request never got one).
#[derive(Debug)]
pub(crate) struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl RequestGate {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            in_flight: Arc::default(),
            sent: 0,
            max_in_flight: limits.requests_in_flight,
            max_total: limits.requests,
            refused: None,
        }
    }

    /// A place for one more request, or `None`: refused (and recorded).
    pub(crate) fn admit(&mut self) -> Option<InFlight> {
        let cap = if self.sent >= self.max_total {
            OutboundCap::Total(self.max_total)
        } else if self.in_flight.load(Ordering::Relaxed) >= self.max_in_flight {
            OutboundCap::InFlight(self.max_in_flight)
        } else {
            self.sent += 1;
            self.in_flight.fetch_add(1, Ordering::Relaxed);
            return Some(InFlight(self.in_flight.clone()));
        };
        self.refused.get_or_insert(cap);
        None
    }

    /// The error of a call during which a request was refused.
    pub(crate) fn refusal(&self, function: &'static str) -> Option<HostError> {
        self.refused.map(|cap| match cap {
            OutboundCap::InFlight(limit) => HostError::TooManyRequestsInFlight { function, limit },
            OutboundCap::Total(limit) => HostError::TooManyRequests { function, limit },
        })
    }
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
        let mut config = HostConfig::new("x.wasm");
        config.memory_limit = 1 << 20;
        config.cpu_budget = Duration::from_millis(cpu_ms);
        config.stream_cpu_budget = Duration::from_millis(cpu_ms * 2);
        config.max_requests_in_flight = 2;
        config.max_requests = 3;
        Limits::new(&config)
    }

    fn trap() -> wasmtime::Error {
        wasmtime::Error::msg("unreachable")
    }

    #[test]
    fn the_budget_is_counted_per_call_in_ticks() {
        let mut meter = Meter::new(limits(30));
        for _ in 0..3 {
            assert!(matches!(meter.tick(), UpdateDeadline::Yield(1)));
        }
        assert!(matches!(meter.tick(), UpdateDeadline::Interrupt));
        assert!(matches!(
            meter.classify("info", &trap()),
            Some(HostError::CpuBudgetExceeded {
                function: "info",
                ..
            })
        ));

        let mut meter = Meter::new(limits(30));
        for _ in 0..3 {
            meter.tick();
        }
        meter.start_call();
        assert!(matches!(meter.tick(), UpdateDeadline::Yield(1)));
    }

    #[test]
    fn the_store_has_a_budget_of_its_own_across_calls() {
        // 30 ms (3 ticks) per call, 60 ms (6 ticks) for the store's life:
        // calls of 2 ticks each stay under the first; the 7th tick overall
        // exhausts the second.
        let mut meter = Meter::new(limits(30));
        for tick in 1..=7 {
            if tick % 2 == 1 {
                meter.start_call();
            }
            let outcome = meter.tick();
            if tick == 7 {
                assert!(matches!(outcome, UpdateDeadline::Interrupt));
            } else {
                assert!(matches!(outcome, UpdateDeadline::Yield(1)), "tick {tick}");
            }
        }
        assert!(matches!(
            meter.classify("event-stream.next", &trap()),
            Some(HostError::StreamCpuBudgetExceeded {
                function: "event-stream.next",
                ..
            })
        ));
    }

    /// Runs `calls` calls of `ticks` ticks each, charged to `account`, as a
    /// shared instance's driver does; the last outcome.
    fn charge(
        meter: &mut Meter,
        gate: &mut RequestGate,
        account: &mut StreamAccount,
        calls: usize,
        ticks: usize,
    ) -> UpdateDeadline {
        let limits = meter.limits;
        let own = std::mem::replace(account, StreamAccount::new(&limits));
        let previous = own.swap_into(meter, gate);
        let mut outcome = UpdateDeadline::Yield(1);
        for _ in 0..calls {
            meter.start_call();
            for _ in 0..ticks {
                outcome = meter.tick();
            }
        }
        *account = previous.swap_into(meter, gate);
        outcome
    }

    #[test]
    fn streams_sharing_a_store_each_have_their_own_life_budget_and_request_caps() {
        // 30 ms (3 ticks) per call, 60 ms (6 ticks) per stream's life.
        let limits = limits(30);
        let mut meter = Meter::new(limits);
        let mut gate = RequestGate::new(&limits);
        let (mut first, mut second) = (StreamAccount::new(&limits), StreamAccount::new(&limits));
        // 4 ticks each: 8 in the store, under the budget of each stream.
        for account in [&mut first, &mut second] {
            let outcome = charge(&mut meter, &mut gate, account, 2, 2);
            assert!(matches!(outcome, UpdateDeadline::Yield(1)));
        }
        // The first stream's 7th tick exhausts its own budget.
        let outcome = charge(&mut meter, &mut gate, &mut first, 1, 3);
        assert!(matches!(outcome, UpdateDeadline::Interrupt));

        // Requests count per stream: the first one's three (its cap) leave
        // the second one's whole.
        let mut gate = RequestGate::new(&limits);
        let previous = StreamAccount::new(&limits).swap_into(&mut meter, &mut gate);
        for _ in 0..3 {
            assert!(gate.admit().is_some());
        }
        assert!(gate.admit().is_none(), "the first stream's cap");
        let first = previous.swap_into(&mut meter, &mut gate);
        assert!(first.gate.refusal("f").is_some(), "kept with the stream");
        let _previous = second.swap_into(&mut meter, &mut gate);
        assert!(gate.refusal("f").is_none(), "the second stream's record");
        assert!(gate.admit().is_some());
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
        assert_eq!(meter.classify("next", &trap()), None);
        assert!(!meter.memory_growing(1 << 20, (1 << 20) + 1, None).unwrap());
        assert_eq!(
            meter.classify("next", &trap()),
            Some(HostError::MemoryLimitExceeded {
                function: "next",
                limit: 1 << 20
            })
        );
    }

    #[test]
    fn memory_is_summed_over_every_memory_of_the_instance() {
        let mut meter = Meter::new(limits(100));
        // Two memories created at 512 KiB each fill the 1 MiB limit...
        assert!(meter.memory_growing(0, 512 << 10, None).unwrap());
        assert!(meter.memory_growing(0, 512 << 10, None).unwrap());
        // ...so neither may grow, nor a third be created.
        assert!(!meter.memory_growing(512 << 10, 576 << 10, None).unwrap());
        assert!(!meter.memory_growing(0, 64 << 10, None).unwrap());
    }

    #[test]
    fn table_elements_are_summed_and_capped() {
        let mut meter = Meter::new(limits(100));
        assert!(
            meter
                .table_growing(0, MAX_TABLE_ELEMENTS / 2, None)
                .unwrap()
        );
        assert!(
            meter
                .table_growing(0, MAX_TABLE_ELEMENTS / 2, None)
                .unwrap()
        );
        assert!(!meter.table_growing(0, 1, None).unwrap());
    }

    /// Through wasmtime itself: a core module with two memories cannot get
    /// twice the limit.
    #[test]
    fn a_module_with_two_memories_shares_one_limit() {
        let mut config = wasmtime::Config::new();
        config.wasm_multi_memory(true);
        let engine = Engine::new(&config).unwrap();
        let module = wasmtime::Module::new(
            &engine,
            r#"(module
                (memory $a 0) (memory $b 0)
                (func (export "grow_a") (param i32) (result i32) (memory.grow $a (local.get 0)))
                (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0))))"#,
        )
        .unwrap();
        let mut store = wasmtime::Store::new(&engine, Meter::new(limits(100)));
        store.limiter(|meter| meter);
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let grow = |store: &mut wasmtime::Store<Meter>, name: &str, pages: i32| {
            instance
                .get_typed_func::<i32, i32>(&mut *store, name)
                .unwrap()
                .call(&mut *store, pages)
                .unwrap()
        };
        // 1 MiB is 16 pages: 10 + 6 fit, one more page does not.
        assert_eq!(grow(&mut store, "grow_a", 10), 0);
        assert_eq!(grow(&mut store, "grow_b", 6), 0);
        assert_eq!(grow(&mut store, "grow_b", 1), -1);
        assert_eq!(grow(&mut store, "grow_a", 1), -1);
        assert!(store.data().memory_denied);
    }

    #[test]
    fn a_full_resource_table_oversized_headers_and_exhausted_fuel_are_named() {
        let meter = Meter::new(limits(100));
        let full = wasmtime::Error::from(ResourceTableError::Full).context("fields.new");
        assert_eq!(
            meter.classify("event-stream.next", &full),
            Some(HostError::TooManyResources {
                function: "event-stream.next",
                limit: meter.limits.resources,
            })
        );
        let headers = wasmtime::Error::from(FieldMapError::TotalSizeTooBig);
        assert_eq!(
            meter.classify("converse-stream", &headers),
            Some(HostError::HeadersTooLarge {
                function: "converse-stream",
                limit: meter.limits.field_bytes,
            })
        );
        let fuel = wasmtime::Error::msg(format!("too much data: {HOSTCALL_FUEL_EXHAUSTED}"));
        assert_eq!(
            meter.classify("discover", &fuel),
            Some(HostError::ResultTooLarge {
                function: "discover",
                limit: meter.limits.result_bytes,
            })
        );
    }

    #[test]
    fn requests_beyond_either_cap_are_refused_and_remembered() {
        let mut gate = RequestGate::new(&limits(100));
        assert_eq!(gate.refusal("f"), None);
        let first = gate.admit().expect("admitted");
        let _second = gate.admit().expect("admitted");
        assert!(gate.admit().is_none());
        assert_eq!(
            gate.refusal("f"),
            Some(HostError::TooManyRequestsInFlight {
                function: "f",
                limit: 2
            })
        );
        drop(first);
        let _third = gate.admit().expect("admitted");
        assert!(gate.admit().is_none());
        // The first refusal is the one reported.
        assert!(matches!(
            gate.refusal("f"),
            Some(HostError::TooManyRequestsInFlight { .. })
        ));
        let mut gate = RequestGate::new(&limits(100));
        for _ in 0..3 {
            drop(gate.admit().expect("admitted"));
        }
        assert!(gate.admit().is_none());
        assert_eq!(
            gate.refusal("f"),
            Some(HostError::TooManyRequests {
                function: "f",
                limit: 3
            })
        );
    }
}
