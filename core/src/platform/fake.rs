//! A scripted [`Platform`] for the core's tests: files in a map, answers
//! matched by `METHOD url`, a cache, a fixed clock, recorded sleeps, and
//! response heads that take a scripted number of polls to arrive.

use super::{Body, Chunk, PendingResponse, Platform, Response, url};
use crate::error::{Error, NetworkKind};
use crate::signing::SignedRequest;
use crate::timeouts::Timeouts;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime};

/// 2021-01-01T00:00:00Z.
pub fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_609_459_200)
}

/// One scripted outcome of a send.
pub enum Scripted {
    /// A response: status, headers, then body chunks (an `Err` ends the body with it).
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        chunks: Vec<Result<Vec<u8>, Error>>,
    },
    /// No response at all.
    Fail(Error),
}

pub struct FakePlatform {
    pub files: BTreeMap<String, Vec<u8>>,
    /// `METHOD url` → outcomes, first one first.
    pub script: Vec<(String, Scripted)>,
    pub sent: Vec<SignedRequest>,
    pub timeouts: Vec<Timeouts>,
    pub reads: Vec<String>,
    pub cache: BTreeMap<String, Vec<u8>>,
    /// The keys looked up in `cache`, in order.
    pub cache_lookups: Vec<String>,
    pub slept: Vec<Duration>,
    pub now: SystemTime,
    pub random: f64,
    /// How many times [`FakePending::try_response`] answers "not yet" before
    /// the head (or the failure) of each request arrives; waiting skips them.
    pub head_polls: usize,
}

impl FakePlatform {
    pub fn new() -> FakePlatform {
        FakePlatform {
            files: BTreeMap::new(),
            script: Vec::new(),
            sent: Vec::new(),
            timeouts: Vec::new(),
            reads: Vec::new(),
            cache: BTreeMap::new(),
            cache_lookups: Vec::new(),
            slept: Vec::new(),
            now: now(),
            random: 0.5,
            head_polls: 0,
        }
    }

    pub fn file(mut self, path: &str, contents: &str) -> Self {
        self.files.insert(path.into(), contents.as_bytes().to_vec());
        self
    }

    /// A whole answer to the next `request` (`METHOD url`).
    pub fn answer(mut self, request: &str, status: u16, body: &str) -> Self {
        self.script.push((
            request.into(),
            Scripted::Answer {
                status,
                headers: Vec::new(),
                chunks: vec![Ok(body.as_bytes().to_vec())],
            },
        ));
        self
    }

    /// Any scripted outcome of the next `request`.
    pub fn then(mut self, request: &str, outcome: Scripted) -> Self {
        self.script.push((request.into(), outcome));
        self
    }

    /// `METHOD url` of the requests sent, in order.
    pub fn sent_lines(&self) -> Vec<String> {
        self.sent
            .iter()
            .map(|r| format!("{} {}", r.method, url(r)))
            .collect()
    }
}

impl Default for FakePlatform {
    fn default() -> Self {
        Self::new()
    }
}

/// Scripted body chunks. To [`Body::try_read`] an empty chunk is "nothing
/// yet", as an empty `wasi:io` read is.
#[derive(Debug)]
pub struct FakeBody(pub VecDeque<Result<Vec<u8>, Error>>);

impl Body for FakeBody {
    fn read(&mut self) -> Result<Option<Vec<u8>>, Error> {
        self.0.pop_front().transpose()
    }

    fn try_read(&mut self) -> Result<Chunk, Error> {
        Ok(match self.read()? {
            Some(bytes) if bytes.is_empty() => Chunk::NotYet,
            Some(bytes) => Chunk::Data(bytes),
            None => Chunk::End,
        })
    }
}

/// A scripted response head, arriving after `not_yet` polls.
pub struct FakePending {
    not_yet: usize,
    outcome: Option<Result<Response<FakeBody>, Error>>,
}

impl PendingResponse for FakePending {
    type Body = FakeBody;

    fn try_response(&mut self) -> Result<Option<Response<FakeBody>>, Error> {
        if self.not_yet > 0 {
            self.not_yet -= 1;
            return Ok(None);
        }
        self.wait().map(Some)
    }

    fn wait(&mut self) -> Result<Response<FakeBody>, Error> {
        self.not_yet = 0;
        self.outcome.take().expect("a response head is taken once")
    }
}

impl Platform for FakePlatform {
    type Body = FakeBody;
    type Pending = FakePending;

    /// Records the request; the outcome scripted for it arrives after
    /// [`head_polls`](FakePlatform::head_polls) polls. Nothing scripted
    /// there is a connection refused.
    fn start_send(
        &mut self,
        request: &SignedRequest,
        timeouts: Timeouts,
    ) -> Result<FakePending, Error> {
        let key = format!("{} {}", request.method, url(request));
        self.sent.push(request.clone());
        self.timeouts.push(timeouts);
        let outcome = match self.script.iter().position(|(k, _)| *k == key) {
            None => Err(Error::network(
                NetworkKind::Refused,
                "nothing scripted there",
            )),
            Some(i) => match self.script.remove(i).1 {
                Scripted::Fail(error) => Err(error),
                Scripted::Answer {
                    status,
                    headers,
                    chunks,
                } => Ok(Response {
                    status,
                    headers: headers
                        .into_iter()
                        .map(|(n, v)| (n, v.into_bytes()))
                        .collect(),
                    body: FakeBody(chunks.into()),
                }),
            },
        };
        Ok(FakePending {
            not_yet: self.head_polls,
            outcome: Some(outcome),
        })
    }

    fn read_file(&mut self, path: &str, limit: usize) -> Option<Vec<u8>> {
        self.reads.push(path.to_string());
        self.files.get(path).filter(|c| c.len() <= limit).cloned()
    }

    fn cache_get(&mut self, key: &str) -> Option<Vec<u8>> {
        self.cache_lookups.push(key.to_string());
        self.cache.get(key).cloned()
    }

    fn cache_set(&mut self, key: &str, value: &[u8]) {
        self.cache.insert(key.to_string(), value.to_vec());
    }

    fn sleep(&mut self, duration: Duration) {
        self.slept.push(duration);
        self.now += duration;
    }

    fn now(&mut self) -> SystemTime {
        self.now
    }

    fn random(&mut self) -> f64 {
        self.random
    }
}
