//! The driver of one instance shared by event streams: a task that owns the
//! `Store` and runs every guest call of its streams, one at a time.
//!
//! The driver calls the guest's `event-stream.next` for a stream while its
//! consumer is fewer than [`BATCHES_AHEAD`](super::ahead::BATCHES_AHEAD)
//! batches behind, and asks for no more once it is, until the consumer asks
//! on ([`Command::Want`]). When a stream has just started, or its `next`
//! has nothing yet or has just handed out a batch, the driver takes the
//! stream's pollables from `event-stream.subscribe`. Between calls the
//! driver waits, outside the guest, on its command channel and on the
//! pollables of the streams that are waiting (wasmtime-wasi's
//! `wasi:io/poll` over the store's table): those of a stream still starting
//! all together, for as long as the wait lasts; those of a stream that is
//! streaming one stream at a time, when its own waker fires ([`Woken`]). So
//! a stream whose consumer is slow holds nobody up, a stream waiting for the
//! network holds no call into the guest, and an event costs the driver about
//! the same whether its instance has one stream or dozens.
//!
//! Each guest call is charged to the stream it runs for: its own CPU budget,
//! the stream's whole-life CPU budget and outbound request caps (the stream's
//! [`StreamAccount`], swapped into the store for the call), the call
//! deadline and the result-bytes cap. A call that fails in a way that leaves
//! the instance unusable (a trap, running out of memory or CPU, a deadline
//! met mid-call) fails every stream of the instance: they share its memory.
//! The stream it ran for gets the error, the others
//! [`HostError::InstanceFailed`]; the driver then ends and drops the store.
//! A cap the host enforced on a call that returned (an outbound request it
//! refused) fails that stream only.

use super::ahead::Ahead;
use super::woken::Woken;
use crate::bindings::exports::gateway::provider::provider::Guest as ProviderExports;
use crate::error::HostError;
use crate::host::{Failure, run_guarded};
use crate::limits::{Limits, StreamAccount};
use crate::state::StoreState;
use crate::types::{ConverseRequest, ProviderConfig, ProviderError, StreamEvent};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, Sleep};
use wasmtime::Store;
use wasmtime::component::{Resource, ResourceAny};
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::io::poll::{self, HostPollable};

/// A stream's number within its instance.
pub(crate) type StreamId = u64;

/// What a stream's `next` gets: a batch, the end, the guest's error, or the
/// host's.
pub(crate) type Outcome = Result<Result<Option<Vec<StreamEvent>>, ProviderError>, HostError>;

/// Where a stream's outcomes go. Boxed: a channel sets aside room for 32
/// messages from the start, which for outcomes themselves would be nearly
/// 3 KiB for every open stream; there is rarely more than one in it.
pub(crate) type Outcomes = mpsc::UnboundedSender<Box<Outcome>>;

/// What the streams of an instance ask its driver.
pub(crate) enum Command {
    /// Start a stream (`provider.converse-stream`), then fetch its batches
    /// into `outcomes` as far ahead as `ahead` lets the driver go: the start's
    /// error, or batches until the end or an error.
    Start {
        id: StreamId,
        config: Box<ProviderConfig>,
        request: Box<ConverseRequest>,
        outcomes: Outcomes,
        ahead: Arc<Ahead>,
    },
    /// Go on fetching the stream's batches: its consumer has taken one of
    /// those the driver stopped for.
    Want(StreamId),
    /// Release the stream: its pollables, then its guest resource (the
    /// guest's destructor, which cancels its request). `done` hears how the
    /// destructor went; a stream dropped does not ask.
    Close {
        id: StreamId,
        done: Option<oneshot::Sender<Result<(), HostError>>>,
    },
}

/// How the host names the guest's functions, in its errors.
const CONVERSE_STREAM: &str = "converse-stream";
pub(crate) const NEXT: &str = "event-stream.next";
const SUBSCRIBE: &str = "event-stream.subscribe";
const DESTRUCTOR: &str = "event-stream destructor";

/// One open stream, as its driver keeps it.
struct Slot {
    resource: ResourceAny,
    outcomes: Outcomes,
    /// Its batches handed over and not yet taken.
    ahead: Arc<Ahead>,
    /// Its CPU and requests so far; in the store while its call runs.
    account: StreamAccount,
    /// Its consumer is not too far behind: a batch may be fetched for it.
    wants: bool,
    /// Its `next` is to run: asked on, or its pollables are ready.
    runnable: bool,
    /// The pollables its `next` waits on; released before the guest runs
    /// for it again (the guest may drop the body stream they belong to).
    waiting: Vec<Resource<DynPollable>>,
    /// Marks it in the driver's [`Woken`].
    waker: Waker,
}

impl Slot {
    /// A batch may be fetched for it and it has pollables to wait on.
    fn waits(&self) -> bool {
        self.wants && !self.waiting.is_empty()
    }
}

/// A guest call that did not return normally.
enum Stopped {
    /// The stream's own failure; the instance is sound.
    Stream(HostError),
    /// The instance failed; every stream has been told, the driver ends.
    Instance,
}

/// What ended a wait.
enum Wake {
    Command(Option<Command>),
    Ready(Vec<StreamId>),
    PollFailed(wasmtime::Error),
}

/// How often the pollables of every streaming stream that waits are polled
/// even though its waker did not fire. A stream's body wakes it for as long
/// as it waits, but a pollable whose future arms a timer (the guest's
/// between-bytes deadline) disarms it when that future is dropped, which is
/// right after it is polled: such a deadline is seen at the next sweep, so
/// at most this much late. The guest's deadlines are seconds; the host's own
/// between-bytes timeout, a second after the guest's, does not depend on it.
const SWEEP: Duration = Duration::from_millis(100);

pub(crate) struct Driver {
    store: Store<StoreState>,
    provider: ProviderExports,
    limits: Limits,
    streams: BTreeMap<StreamId, Slot>,
    /// The streams that may have become runnable since the last pass: a
    /// wake looks at these, not at every stream of the instance.
    queued: BTreeSet<StreamId>,
    /// The open streams that have not handed out events yet: their
    /// pollables are waited on together. The others are streaming: their
    /// pollables are those of a response body, polled only when the
    /// stream's waker fires (and at each sweep).
    starting: BTreeSet<StreamId>,
    /// The streaming streams to poll at the next wait.
    woken: Arc<Woken>,
    /// When the pollables of every streaming stream are polled next.
    sweep: Pin<Box<Sleep>>,
    /// Why the instance failed, once it has: the driver then ends.
    failed: Option<HostError>,
}

impl Driver {
    /// Starts the driver of an instance on its own task; it ends when the
    /// instance fails or every sender of `commands` is gone.
    pub(crate) fn spawn(
        store: Store<StoreState>,
        provider: ProviderExports,
        limits: Limits,
    ) -> mpsc::UnboundedSender<Command> {
        let (sender, commands) = mpsc::unbounded_channel();
        let driver = Driver {
            store,
            provider,
            limits,
            streams: BTreeMap::new(),
            queued: BTreeSet::new(),
            starting: BTreeSet::new(),
            woken: Arc::default(),
            sweep: Box::pin(tokio::time::sleep(SWEEP)),
            failed: None,
        };
        tokio::spawn(driver.run(commands));
        sender
    }

    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        while self.failed.is_none() {
            // Whatever is queued first: a burst of asks is served in one pass.
            // Not once the instance has failed (a command may have done it):
            // a start queued behind it must not run in the failed instance,
            // whose error it would get. Dropped with the channel, it starts
            // on another instance.
            while self.failed.is_none()
                && let Ok(command) = commands.try_recv()
            {
                self.handle(command).await;
            }
            for id in std::mem::take(&mut self.queued) {
                if self.failed.is_some() {
                    break;
                }
                if self
                    .streams
                    .get(&id)
                    .is_some_and(|slot| slot.wants && slot.runnable)
                {
                    self.step(id).await;
                }
            }
            if self.failed.is_some() {
                break;
            }
            if !self.queued.is_empty() {
                // A guest whose `next` has nothing and hands out no pollable
                // runs again, but must not hold this thread.
                tokio::task::yield_now().await;
                continue;
            }
            match self.wait(&mut commands).await {
                Wake::Command(Some(command)) => self.handle(command).await,
                Wake::Command(None) => break,
                Wake::Ready(ready) => {
                    for id in ready {
                        self.release_pollables(id);
                    }
                }
                // Which stream's pollable it was is unknown: the guest's
                // fault, which fails the instance.
                Wake::PollFailed(error) => self.fail_instance(
                    None,
                    HostError::Trapped {
                        function: SUBSCRIBE,
                        detail: format!("its pollables could not be awaited: {error:?}"),
                    },
                ),
            }
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Start {
                id,
                config,
                request,
                outcomes,
                ahead,
            } => self.start(id, &config, &request, outcomes, ahead).await,
            Command::Want(id) => {
                // A stream closed (or failed) earlier is not there: its
                // handle knows already. One held back stopped after handing
                // out a batch, before taking pollables: its `next` runs.
                if let Some(slot) = self.streams.get_mut(&id) {
                    slot.wants = true;
                    self.release_pollables(id);
                }
            }
            Command::Close { id, done } => {
                let outcome = self.close(id).await;
                if let Some(done) = done {
                    let _ = done.send(outcome);
                }
            }
        }
    }

    /// `provider.converse-stream` for a new stream; its batches follow.
    async fn start(
        &mut self,
        id: StreamId,
        config: &ProviderConfig,
        request: &ConverseRequest,
        outcomes: Outcomes,
        ahead: Arc<Ahead>,
    ) {
        let provider = self.provider.clone();
        let account = StreamAccount::new(&self.limits);
        let (started, account) = self
            .enter(None, account, CONVERSE_STREAM, async |store| {
                provider.call_converse_stream(store, config, request).await
            })
            .await;
        let slot = |resource| Slot {
            resource,
            outcomes: outcomes.clone(),
            ahead: ahead.clone(),
            account,
            wants: true,
            runnable: false,
            waiting: Vec::new(),
            waker: self.woken.waker(id),
        };
        match started {
            Ok(Ok(resource)) => {
                self.streams.insert(id, slot(resource));
                self.starting.insert(id);
                // Its request has only just gone out, so a `next` now would
                // have nothing: its pollables come first, as in any
                // `wasi:io` reader. A guest with something to do at once
                // hands out a pollable that is ready.
                self.subscribe(id).await;
            }
            Ok(Err(error)) => {
                let _ = outcomes.send(Box::new(Ok(Err(error))));
            }
            Err((Stopped::Stream(error), Some(Ok(resource)))) => {
                self.streams.insert(id, slot(resource));
                self.fail_stream(id, error).await;
            }
            Err((Stopped::Stream(error), _)) => {
                let _ = outcomes.send(Box::new(Err(error)));
            }
            Err((Stopped::Instance, _)) => {
                let _ = outcomes.send(Box::new(Err(self.failure_of_instance())));
            }
        }
    }

    /// One `next` for stream `id`; then, unless it ended or its consumer is
    /// too far behind, its pollables.
    async fn step(&mut self, id: StreamId) {
        let provider = self.provider.clone();
        let next = self
            .enter_for(id, NEXT, async |store, resource| {
                provider.event_stream().call_next(store, resource).await
            })
            .await;
        let result = match next {
            Ok(result) => result,
            Err(Stopped::Stream(error)) => return self.fail_stream(id, error).await,
            Err(Stopped::Instance) => return,
        };
        let Ok(Some(batch)) = &result else {
            // Terminal: the guest resource is released now, under the same
            // limits: a destructor that fails fails the stream.
            let outcomes = self.streams.get(&id).map(|slot| slot.outcomes.clone());
            let closed = self.close(id).await;
            if let Some(outcomes) = outcomes {
                let _ = outcomes.send(Box::new(closed.map(|()| result)));
            }
            return;
        };
        if !batch.is_empty() {
            let Some(slot) = self.streams.get_mut(&id) else {
                return;
            };
            self.starting.remove(&id);
            slot.runnable = false;
            slot.wants = slot.ahead.handed();
            let _ = slot.outcomes.send(Box::new(Ok(result)));
            if !slot.wants {
                return;
            }
        }
        // Nothing yet, or a batch handed out (`next` takes all that is
        // whole, so what comes next is in what it waits on): its pollables.
        self.subscribe(id).await;
    }

    /// Takes stream `id`'s pollables from `event-stream.subscribe`.
    async fn subscribe(&mut self, id: StreamId) {
        let provider = self.provider.clone();
        let pollables = self
            .enter_for(id, SUBSCRIBE, async |store, resource| {
                provider
                    .event_stream()
                    .call_subscribe(store, resource)
                    .await
            })
            .await;
        match pollables {
            Ok(pollables) => {
                if let Some(slot) = self.streams.get_mut(&id) {
                    // None handed out: `next` runs again at once.
                    slot.runnable = pollables.is_empty();
                    if slot.runnable {
                        self.queued.insert(id);
                    }
                    slot.waiting = pollables;
                    if !self.starting.contains(&id) {
                        self.woken.push(id);
                    }
                }
            }
            Err(Stopped::Stream(error)) => self.fail_stream(id, error).await,
            Err(Stopped::Instance) => {}
        }
    }

    /// Releases stream `id` (pollables, then the guest's destructor), if it
    /// is still open.
    async fn close(&mut self, id: StreamId) -> Result<(), HostError> {
        self.release_pollables(id);
        self.starting.remove(&id);
        let Some(slot) = self.streams.remove(&id) else {
            return Ok(());
        };
        let resource = slot.resource;
        let (dropped, _) = self
            .enter(None, slot.account, DESTRUCTOR, async |store| {
                resource.resource_drop_async(store).await
            })
            .await;
        match dropped {
            Ok(()) | Err((Stopped::Stream(_), Some(()))) => Ok(()),
            Err((Stopped::Stream(error), None)) => Err(error),
            Err((Stopped::Instance, _)) => Err(self.failure_of_instance()),
        }
    }

    /// Fails stream `id` alone with `error` and releases it.
    async fn fail_stream(&mut self, id: StreamId, error: HostError) {
        let outcomes = self.streams.get(&id).map(|slot| slot.outcomes.clone());
        // The stream's own failure is the one it hears of.
        let _ = self.close(id).await;
        if let Some(outcomes) = outcomes {
            let _ = outcomes.send(Box::new(Err(error)));
        }
    }

    /// Drops stream `id`'s pollables from the table and makes it runnable.
    fn release_pollables(&mut self, id: StreamId) {
        let Some(slot) = self.streams.get_mut(&id) else {
            return;
        };
        slot.runnable = true;
        self.queued.insert(id);
        let table = self.store.data_mut().table();
        for pollable in std::mem::take(&mut slot.waiting) {
            // Only the host removes a pollable it was handed: it is there.
            let _ = HostPollable::drop(table, pollable);
        }
    }

    /// Waits for a command, or for a pollable of a stream that wants a
    /// batch to be ready.
    async fn wait(&mut self, commands: &mut mpsc::UnboundedReceiver<Command>) -> Wake {
        loop {
            if let Some(wake) = self.poll_woken() {
                return wake;
            }
            let mut owners = Vec::new();
            let mut borrowed = Vec::new();
            for id in &self.starting {
                let Some(slot) = self.streams.get(id).filter(|slot| slot.waits()) else {
                    continue;
                };
                for pollable in &slot.waiting {
                    owners.push(*id);
                    borrowed.push(Resource::new_borrow(pollable.rep()));
                }
            }
            // The sweep runs while any stream is streaming; it skips those
            // that do not wait.
            let streaming = self.streams.len() > self.starting.len();
            let table = self.store.data_mut().table();
            let starting = async {
                if borrowed.is_empty() {
                    std::future::pending().await
                } else {
                    poll::Host::poll(table, borrowed).await
                }
            };
            tokio::select! {
                biased;
                command = commands.recv() => return Wake::Command(command),
                ready = starting => return match ready {
                    Ok(ready) => {
                        let mut ids: Vec<StreamId> = ready
                            .into_iter()
                            .filter_map(|index| owners.get(index as usize).copied())
                            .collect();
                        ids.dedup();
                        Wake::Ready(ids)
                    }
                    Err(error) => Wake::PollFailed(error),
                },
                () = self.woken.notified() => {}
                () = &mut self.sweep, if streaming => {
                    self.sweep.as_mut().reset(Instant::now() + SWEEP);
                    for (id, slot) in &self.streams {
                        if slot.waits() && !self.starting.contains(id) {
                            self.woken.push(*id);
                        }
                    }
                }
            }
        }
    }

    /// Polls once, each under its own waker, the pollables of the streaming
    /// streams marked in [`Woken`], and drops their futures: a body keeps
    /// the waker it was polled with and wakes it when it has more.
    ///
    /// One by one, in the guest's order, up to the first that is ready: the
    /// body's readiness comes first and is what usually wakes a stream, so
    /// a guest's deadline (a timer armed and disarmed at each poll) is not
    /// polled then, and neither is the map and lists of a `poll` over all.
    fn poll_woken(&mut self) -> Option<Wake> {
        let mut ready = Vec::new();
        for id in self.woken.take() {
            let Some(slot) = self.streams.get(&id) else {
                continue;
            };
            // One held back for its consumer is polled when it asks on.
            if !slot.waits() {
                continue;
            }
            let mut context = Context::from_waker(&slot.waker);
            let table = self.store.data_mut().table();
            for pollable in &slot.waiting {
                let borrowed = Resource::new_borrow(pollable.rep());
                match pin!(HostPollable::ready(table, borrowed)).poll(&mut context) {
                    Poll::Ready(Ok(true)) => {
                        ready.push(id);
                        break;
                    }
                    // Never pending: `ready` polls its pollable once.
                    Poll::Ready(Ok(false)) | Poll::Pending => {}
                    Poll::Ready(Err(error)) => return Some(Wake::PollFailed(error)),
                }
            }
        }
        (!ready.is_empty()).then_some(Wake::Ready(ready))
    }

    /// [`Driver::enter`] charged to stream `id`, calling the guest on its
    /// resource.
    async fn enter_for<R>(
        &mut self,
        id: StreamId,
        function: &'static str,
        call: impl AsyncFnOnce(&mut Store<StoreState>, ResourceAny) -> wasmtime::Result<R>,
    ) -> Result<R, Stopped> {
        let Some(slot) = self.streams.get_mut(&id) else {
            return Err(Stopped::Stream(HostError::StreamUnusable {
                reason: "was closed",
            }));
        };
        let resource = slot.resource;
        let account = std::mem::replace(&mut slot.account, StreamAccount::new(&self.limits));
        let (result, account) = self
            .enter(Some(id), account, function, async |store| {
                call(store, resource).await
            })
            .await;
        if let Some(slot) = self.streams.get_mut(&id) {
            slot.account = account;
        }
        result.map_err(|(stopped, _)| stopped)
    }

    /// One guarded guest call charged to `account`, of stream `culprit` if
    /// it is open. A failure of the instance fails every open stream and
    /// ends the driver. A refusal comes with the call's result, for the
    /// caller to release.
    async fn enter<R>(
        &mut self,
        culprit: Option<StreamId>,
        account: StreamAccount,
        function: &'static str,
        call: impl AsyncFnOnce(&mut Store<StoreState>) -> wasmtime::Result<R>,
    ) -> (Result<R, (Stopped, Option<R>)>, StreamAccount) {
        let previous = self.store.data_mut().swap_account(account);
        let result = run_guarded(&mut self.store, function, call).await;
        let account = self.store.data_mut().swap_account(previous);
        let result = match result {
            Ok(value) => Ok(value),
            Err(Failure::Refused(error, value)) => Err((Stopped::Stream(error), Some(value))),
            Err(Failure::Instance(error)) => {
                self.fail_instance(culprit, error);
                Err((Stopped::Instance, None))
            }
        };
        (result, account)
    }

    /// Fails every open stream of the instance: `culprit` with `cause`, the
    /// others with [`HostError::InstanceFailed`]. The driver ends. A culprit
    /// that is not open (starting, closing) is told by the caller, from
    /// [`Driver::failure_of_instance`].
    fn fail_instance(&mut self, culprit: Option<StreamId>, cause: HostError) {
        self.starting.clear();
        self.queued.clear();
        for (id, slot) in std::mem::take(&mut self.streams) {
            let error = if Some(id) == culprit {
                cause.clone()
            } else {
                HostError::InstanceFailed {
                    cause: Box::new(cause.clone()),
                }
            };
            let _ = slot.outcomes.send(Box::new(Err(error)));
        }
        self.failed = Some(cause);
    }

    /// The error of the call that failed the instance.
    fn failure_of_instance(&self) -> HostError {
        self.failed.clone().unwrap_or(HostError::StreamUnusable {
            reason: "shares an instance that failed",
        })
    }
}
