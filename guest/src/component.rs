//! The exported `gateway:provider/provider` interface.

use crate::cache::Cache;
use crate::{credentials, http};
use bedrock_core::bindings::exports::gateway::provider::provider::{
    EventStream, Guest, GuestEventStream, PluginInfo,
};
use bedrock_core::converse::{self, stream::EventPump};
use bedrock_core::credentials::Credentials;
use bedrock_core::discovery::{self, Run};
use bedrock_core::env::Environment;
use bedrock_core::region;
use bedrock_core::retry::{self, ClockSkew, Decision, RetryPolicy};
use bedrock_core::timeouts::Timeouts;
use bedrock_core::types::{
    ConverseRequest, CredentialInfo, Discovery, DiscoveryOptions, ProviderConfig, ProviderError,
    StreamEvent,
};
use std::cell::RefCell;
use std::time::SystemTime;

struct Plugin;

bedrock_core::bindings::export!(Plugin);

/// Lets two builds of the same source be told apart (hot-swap tests set it).
const VERSION: &str = match option_env!("BEDROCK_PLUGIN_VERSION") {
    Some(v) => v,
    None => env!("CARGO_PKG_VERSION"),
};

/// The variables the host chose to pass; read per call, as the host may
/// reuse an instance across calls.
fn environment() -> Environment {
    Environment::from_vars(std::env::vars())
}

impl Guest for Plugin {
    type EventStream = ReplyStream;

    fn info() -> PluginInfo {
        PluginInfo {
            name: "bedrock".to_string(),
            version: VERSION.to_string(),
        }
    }

    fn credential_source(config: ProviderConfig) -> Result<CredentialInfo, ProviderError> {
        let env = environment();
        let resolved = credentials::in_force(&env, config.region.as_deref(), false)?;
        let region = resolved.region(config.region.as_deref(), &env);
        region::validate(&region)?;
        Ok(resolved.info(region))
    }

    fn discover(
        config: ProviderConfig,
        options: DiscoveryOptions,
    ) -> Result<Discovery, ProviderError> {
        let env = environment();
        let now = unix_seconds(SystemTime::now());
        let resolved = credentials::in_force(&env, config.region.as_deref(), false);
        // "Found" means any source of the chain answered, even one that then
        // failed: that failure is worth reporting, not hiding as "disabled".
        let found = !matches!(resolved, Err(ProviderError::NoCredentials(_)));
        if !discovery::is_enabled(&options, found) {
            return Ok(discovery::disabled(now));
        }
        let resolved = resolved?;
        // The profile's region slots in after the environment's.
        let config = ProviderConfig {
            region: Some(resolved.region(config.region.as_deref(), &env)),
            ..config
        };
        let plan = discovery::plan(&config, &options, &env)?;
        region::validate(&plan.settings.region)?;
        let interval = plan.settings.refresh_interval;
        // An interval of 0 disables caching altogether, reads included.
        let cache = (interval > 0).then(Cache::open).flatten();
        let key = plan.cache_key(&resolved.principal());
        let previous = cache
            .as_ref()
            .and_then(|c| c.get(&key))
            .and_then(|bytes| discovery::cache::decode(&bytes));
        if let Some(cached) = discovery::serve_cached(previous.as_ref(), now, interval) {
            return Ok(cached);
        }
        let refreshed = refresh(
            Run::new(plan),
            &resolved.credentials,
            Timeouts::from_config(&config),
        );
        if let (Ok(fresh), Some(cache)) = (&refreshed, &cache) {
            cache.set(&key, &discovery::cache::encode(fresh));
        }
        discovery::after_refresh(refreshed, previous)
    }

    fn converse_stream(
        config: ProviderConfig,
        request: ConverseRequest,
    ) -> Result<EventStream, ProviderError> {
        let env = environment();
        let timeouts = Timeouts::from_config(&config);
        let policy = RetryPolicy::from_config(&config);
        let cache = Cache::open();
        // A correction an earlier call found: this host's clock is still off.
        let mut skew = cache
            .as_ref()
            .and_then(|c| c.get(retry::SKEW_CACHE_KEY))
            .and_then(|b| ClockSkew::decode(&b));
        // Two one-off corrections (a clock the server disagrees with, credentials
        // it says expired) and the policy's retries, all before any event exists.
        let (mut attempt, mut corrected, mut refreshed) = (1, false, false);
        loop {
            let resolved = credentials::in_force(&env, config.region.as_deref(), refreshed)?;
            let now = skew.map_or_else(SystemTime::now, |s| s.apply(SystemTime::now()));
            let signed = converse::prepare(&config, &request, &env, &resolved, now)?;
            let (error, date) = match http::send(&signed, timeouts) {
                // A 200 can still fail in its first frame; that is an
                // attempt's failure like any other, as no event went out.
                Ok(response) if response.status < 300 => match EventPump::start(response.body) {
                    Ok(pump) => return Ok(EventStream::new(ReplyStream(RefCell::new(pump)))),
                    Err(error) => (error, None),
                },
                Ok(response) => {
                    let date = response.header("date").map(str::to_string);
                    (response.into_error(), date)
                }
                Err(error) => (error, None),
            };
            if !corrected {
                if let Some(found) =
                    retry::skew_correction(&error, date.as_deref(), SystemTime::now())
                {
                    skew = Some(found);
                    corrected = true;
                    if let Some(cache) = &cache {
                        cache.set(retry::SKEW_CACHE_KEY, &found.encode());
                    }
                    continue;
                }
            }
            if !refreshed && retry::is_expired_credentials(&error) {
                refreshed = true;
                continue;
            }
            match policy.decide(attempt, &error, false, random_unit()) {
                Decision::Retry(delay) => {
                    sleep(delay);
                    attempt += 1;
                }
                Decision::GiveUp => return Err(error),
            }
        }
    }
}

/// Runs the discovery calls one after another (pages depend on each other).
fn refresh(
    mut run: Run,
    credentials: &Credentials,
    timeouts: Timeouts,
) -> Result<Discovery, ProviderError> {
    while let Some(request) = run.next_request(credentials, SystemTime::now())? {
        let answer = http::send(&request, timeouts).and_then(|response| {
            if response.status >= 300 {
                Err(response.into_error())
            } else {
                response.read_to_end(discovery::requests::MAX_RESPONSE_BYTES)
            }
        });
        run.on_response(answer.as_deref().map_err(Clone::clone))?;
    }
    run.finish(unix_seconds(SystemTime::now()))
}

/// A uniform random number in `[0, 1)`, for backoff jitter.
fn random_unit() -> f64 {
    (wasi::random::random::get_random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn sleep(duration: std::time::Duration) {
    let nanos = duration.as_nanos().min(u64::MAX as u128) as u64;
    wasi::clocks::monotonic_clock::subscribe_duration(nanos).block();
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The `event-stream` resource: dropping it drops the body stream, and with
/// it the connection.
pub struct ReplyStream(RefCell<EventPump<http::Body>>);

impl GuestEventStream for ReplyStream {
    fn next(&self) -> Result<Option<Vec<StreamEvent>>, ProviderError> {
        self.0.borrow_mut().next()
    }
}
