//! One ConverseStream call, from its first attempt to its last event,
//! stepped without waiting.
//!
//! Against Bedrock the wait for the response head is the model's time to
//! first token: seconds. So the call is a state machine that the caller
//! steps ([`ConverseStream::try_next`]) and waits for elsewhere, on what
//! [`ConverseStream::waiting_on`] names: the response head, a backoff's
//! end, or the body. Until an event has been handed out, a failure (an HTTP
//! error, a transport failure, an exception in the first frame of a 200) is
//! the attempt's and goes through the plugin's retry rules
//! ([`Retries`](crate::retry::Retries)), exactly as the blocking loop applies
//! them; once one has, the request is never sent again, so no event is ever
//! duplicated by a retry, and later errors come out of the stream after the
//! events before them.

use super::ConverseAttempt;
use super::stream::EventPump;
use crate::error::Error;
use crate::platform::{Body, Chunk, MAX_ERROR_BODY, PendingResponse, Platform, Response};
use crate::retry::{Failure, Retries, SKEW_CACHE_KEY};
use crate::types::StreamEvent;
use std::time::SystemTime;

/// A ConverseStream call in progress; see the module documentation.
pub struct ConverseStream<P: Platform> {
    /// What attempts are made from, until the first event reached the
    /// caller or the call ended: nothing is sent after that, so the request
    /// and the credentials are dropped then, not held for the whole stream.
    attempts: Option<Box<Attempts>>,
    phase: Phase<P>,
}

/// The request every attempt is signed from, and the retry rules' state.
struct Attempts {
    attempt: ConverseAttempt,
    retries: Retries,
}

enum Phase<P: Platform> {
    /// An attempt is to be sent now.
    Due,
    /// A failed attempt's backoff runs until then (local clock).
    BackingOff(SystemTime),
    /// An attempt is out; its response head has not arrived.
    Sent(P::Pending),
    /// An error answer arrived; the start of its body is being read.
    Refused(Response<P::Body>, Vec<u8>),
    /// A 200 arrived and no event yet: a failure is still the attempt's.
    Starting(EventPump<P::Body>),
    /// An event reached the caller: never sent again.
    Streaming(EventPump<P::Body>),
    /// Ended, or failed (the error was handed out).
    Done,
}

/// What a caller of [`ConverseStream::try_next`] waits for before calling it
/// again.
pub enum Wait<'a, P: Platform> {
    /// The response head of the attempt that is out (or its deadline).
    Response(&'a P::Pending),
    /// The end of a backoff, on the local clock.
    Until(SystemTime),
    /// The next chunk of the body (or its between-bytes deadline).
    Body(&'a P::Body),
    /// Nothing: the next call makes progress at once.
    Nothing,
}

impl<P: Platform> ConverseStream<P> {
    /// Sends the first attempt. A failure known at once (the request could
    /// not be built or was refused before it left) goes through the rules
    /// like any other; given up, it is returned here.
    pub(super) fn start(platform: &mut P, attempt: ConverseAttempt) -> Result<Self, Error> {
        // A correction an earlier call found: this host's clock is still off.
        let cached_skew = platform.cache_get(SKEW_CACHE_KEY);
        let mut stream = ConverseStream {
            attempts: Some(Box::new(Attempts {
                retries: Retries::new(attempt.retries, cached_skew.as_deref()),
                attempt,
            })),
            phase: Phase::Due,
        };
        stream.send_due(platform)?;
        Ok(stream)
    }

    /// The next batch, waiting for it (and sleeping through backoffs):
    /// for a caller that may block. See [`try_next`](Self::try_next).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self, platform: &mut P) -> Result<Option<Vec<StreamEvent>>, Error> {
        self.pull(platform, true)
    }

    /// The contract's `event-stream.next`: the events that can be handed
    /// out now, an empty batch when there are none yet (the head, a
    /// backoff or the body is awaited: see [`waiting_on`](Self::waiting_on)).
    /// `Ok(None)` after the end; an error is terminal (later calls answer
    /// `Ok(None)`). Never waits, except for a credential source asked again
    /// after the service refused the credentials as expired.
    pub fn try_next(&mut self, platform: &mut P) -> Result<Option<Vec<StreamEvent>>, Error> {
        self.pull(platform, false)
    }

    /// What the next [`try_next`](Self::try_next) waits for.
    pub fn waiting_on(&self) -> Wait<'_, P> {
        match &self.phase {
            Phase::Sent(pending) => Wait::Response(pending),
            Phase::BackingOff(until) => Wait::Until(*until),
            Phase::Refused(response, _) => Wait::Body(&response.body),
            Phase::Starting(pump) | Phase::Streaming(pump) => {
                pump.waiting_on().map_or(Wait::Nothing, Wait::Body)
            }
            Phase::Due | Phase::Done => Wait::Nothing,
        }
    }

    /// Steps the call until it has events, an end or an error to hand out;
    /// `wait`: block where [`try_next`](Self::try_next) would answer an
    /// empty batch.
    fn pull(&mut self, platform: &mut P, wait: bool) -> Result<Option<Vec<StreamEvent>>, Error> {
        loop {
            let failure: Failure = match &mut self.phase {
                Phase::Done => return Ok(None),
                Phase::Streaming(pump) => return if wait { pump.next() } else { pump.try_next() },
                Phase::Due => {
                    self.send_due(platform)?;
                    continue;
                }
                Phase::BackingOff(until) => {
                    let until = *until;
                    let now = platform.now();
                    if let Ok(left) = until.duration_since(now)
                        && !left.is_zero()
                    {
                        if !wait {
                            return Ok(Some(Vec::new()));
                        }
                        platform.sleep(left);
                    }
                    self.phase = Phase::Due;
                    continue;
                }
                Phase::Sent(pending) => {
                    let head = match wait {
                        true => pending.wait().map(Some),
                        false => pending.try_response(),
                    };
                    match head {
                        Ok(None) => return Ok(Some(Vec::new())),
                        Ok(Some(response)) if response.status >= 300 => {
                            self.phase = Phase::Refused(response, Vec::new());
                            continue;
                        }
                        Ok(Some(response)) => {
                            self.phase = Phase::Starting(EventPump::new(response.body));
                            continue;
                        }
                        Err(error) => error.into(),
                    }
                }
                Phase::Refused(response, body) => {
                    let chunk = match wait {
                        true => response
                            .body
                            .read()
                            .map(|c| c.map_or(Chunk::End, Chunk::Data)),
                        false => response.body.try_read(),
                    };
                    let more = match chunk {
                        Ok(Chunk::NotYet) => return Ok(Some(Vec::new())),
                        Ok(Chunk::Data(bytes)) => {
                            body.extend_from_slice(&bytes);
                            body.len() < MAX_ERROR_BODY
                        }
                        // A body that fails leaves what was read to classify.
                        Ok(Chunk::End) | Err(_) => false,
                    };
                    if more {
                        continue;
                    }
                    let received_at = platform.now();
                    Failure::from_error_body(response, body, received_at)
                }
                Phase::Starting(pump) => {
                    let batch = if wait { pump.next() } else { pump.try_next() };
                    match batch {
                        Ok(Some(events)) if events.is_empty() => return Ok(Some(events)),
                        Ok(batch) => {
                            let phase = std::mem::replace(&mut self.phase, Phase::Done);
                            if let (Phase::Starting(pump), Some(_)) = (phase, &batch) {
                                self.phase = Phase::Streaming(pump);
                            }
                            self.attempts = None;
                            return Ok(batch);
                        }
                        Err(error) => error.into(),
                    }
                }
            };
            self.recover(platform, failure)?;
        }
    }

    /// Sends attempts while one is due, until one is out or a backoff runs.
    fn send_due(&mut self, platform: &mut P) -> Result<(), Error> {
        while let Phase::Due = self.phase {
            // Only ever due while the attempts are kept; without them,
            // nothing is sent again.
            let Some(Attempts { attempt, retries }) = self.attempts.as_deref() else {
                self.phase = Phase::Done;
                break;
            };
            let signing_time = retries.signing_time(platform.now());
            let sent = attempt
                .signed(signing_time)
                .and_then(|signed| platform.start_send(&signed, attempt.timeouts));
            match sent {
                Ok(pending) => self.phase = Phase::Sent(pending),
                Err(error) => self.recover(platform, error.into())?,
            }
        }
        Ok(())
    }

    /// Applies the retry rules to a failed attempt: the next one is due now
    /// or after a backoff, or the call fails with the error.
    fn recover(&mut self, platform: &mut P, failure: Failure) -> Result<(), Error> {
        let recovery = match self.attempts.as_deref_mut() {
            Some(Attempts { attempt, retries }) => {
                let refresh = |platform: &mut P| attempt.refresh_credentials(platform);
                retries.recover(platform, failure, refresh)
            }
            None => Err(failure),
        };
        self.phase = match recovery {
            Ok(None) => Phase::Due,
            Ok(Some(delay)) => {
                let now = platform.now();
                Phase::BackingOff(now.checked_add(delay).unwrap_or(now))
            }
            Err(failure) => {
                self.phase = Phase::Done;
                self.attempts = None;
                return Err(failure.error);
            }
        };
        Ok(())
    }
}
