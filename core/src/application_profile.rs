//! Which foundation model an application inference profile routes to.
//!
//! An application profile's ARN
//! (`arn:aws:bedrock:REGION:ACCOUNT:application-inference-profile/ID`) names
//! no model, and the Converse mapping decides thinking, cache points and
//! thinking replay by model: without its base model a profile over Claude
//! would get no thinking, no cache points and thinking replayed as text. The
//! base model comes from the host's cache, where discovery leaves what
//! ListInferenceProfiles said about every application profile, or else from
//! `GetInferenceProfile` (control plane, signed and retried like every
//! request), whose answer is cached the same way. A profile's models are
//! fixed when it is created (no API changes them), so an entry never goes
//! stale: a recreated profile has a new id.

use crate::control_plane;
use crate::credentials::{Credentials, Resolved};
use crate::discovery::parse;
use crate::endpoint::{self, Endpoint, Service};
use crate::env::Environment;
use crate::error::Error;
use crate::platform::Platform;
use crate::region;
use crate::signing::SignedRequest;
use crate::types::{ModelDefinition, ModelKind, ProviderConfig};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};
use std::time::SystemTime;

/// The resource type of an application inference profile's ARN.
const RESOURCE: &str = ":application-inference-profile/";

/// Escaped in the `{inferenceProfileIdentifier}` path label: everything but
/// RFC 3986's unreserved set, so an ARN's `:` and `/` stay one label.
const LABEL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Whether `model_id` is an application inference profile's ARN.
pub fn is_application_profile(model_id: &str) -> bool {
    model_id.starts_with("arn:") && model_id.contains(RESOURCE)
}

/// The one cache entry holding every application profile's base model, as
/// a JSON object from ARN to model id. One entry, not one per profile: an
/// account with many profiles must not crowd the host's bounded store (the
/// credential and discovery caches live there too). The ARN names the
/// account and region, so principals cannot mix their entries up.
pub const CACHE_KEY: &str = "bedrock-application-profiles/v1";

/// The most profiles the entry remembers; past it, the entry starts over.
pub const MAX_REMEMBERED: usize = 2048;

/// The base models remembered so far (an unreadable entry reads as none).
/// A JSON object, the type the mapping already carries, rather than a typed
/// map whose own serde code would grow the component.
fn remembered<P: Platform>(platform: &mut P) -> Map<String, Value> {
    platform
        .cache_get(CACHE_KEY)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Stores `known` with `more` added, starting over from `more` alone when
/// the entry would outgrow [`MAX_REMEMBERED`].
fn remember<P: Platform>(
    platform: &mut P,
    mut known: Map<String, Value>,
    more: impl IntoIterator<Item = (String, String)>,
) {
    let more: Map<String, Value> = more
        .into_iter()
        .map(|(arn, base)| (arn, Value::String(base)))
        .collect();
    known.extend(more.clone());
    if known.len() > MAX_REMEMBERED {
        known = more.into_iter().take(MAX_REMEMBERED).collect();
    }
    if let Ok(bytes) = serde_json::to_vec(&known) {
        platform.cache_set(CACHE_KEY, &bytes);
    }
}

/// `GET /inference-profiles/{inferenceProfileIdentifier}`.
pub fn get_inference_profile_path(arn: &str) -> String {
    format!("/inference-profiles/{}", utf8_percent_encode(arn, LABEL))
}

/// Keeps the base model of every application profile of a discovery in the
/// host's cache, for the calls that use them later.
pub fn remember_discovered<P: Platform>(platform: &mut P, models: &[ModelDefinition]) {
    let discovered: Vec<(String, String)> = models
        .iter()
        .filter(|m| m.kind == ModelKind::ApplicationProfile)
        .filter_map(|m| Some((m.id.clone(), m.base_model_id.clone()?)))
        .collect();
    if discovered.is_empty() {
        return;
    }
    let known = remembered(platform);
    remember(platform, known, discovered);
}

/// The foundation model whose capabilities apply to a call on `model_id`:
/// `model_id` itself, unless it is an application profile's ARN, whose base
/// model is then looked up (cache, else `GetInferenceProfile`).
///
/// A principal allowed to converse but not to read the profile
/// (`AccessDenied`) keeps today's behaviour, the mapping by id, rather than
/// losing the call; every other failure is the call's error.
pub fn capability_model<P: Platform>(
    platform: &mut P,
    env: &Environment,
    config: &ProviderConfig,
    resolved: &mut Resolved,
    model_id: &str,
) -> Result<String, Error> {
    if !is_application_profile(model_id) {
        return Ok(model_id.to_string());
    }
    let known = remembered(platform);
    if let Some(base) = known
        .get(model_id)
        .and_then(Value::as_str)
        .filter(|base| !base.trim().is_empty())
    {
        return Ok(base.to_string());
    }
    match get_base_model(platform, env, config, resolved, model_id) {
        Ok(Some(base)) => {
            remember(platform, known, [(model_id.to_string(), base.clone())]);
            Ok(base)
        }
        Ok(None) | Err(Error::AccessDenied(_)) => Ok(model_id.to_string()),
        Err(other) => Err(other),
    }
}

/// `GetInferenceProfile` in the profile's own region; the base model named
/// by its first model ARN, if it names one.
fn get_base_model<P: Platform>(
    platform: &mut P,
    env: &Environment,
    config: &ProviderConfig,
    resolved: &mut Resolved,
    arn: &str,
) -> Result<Option<String>, Error> {
    let region = match region::region_of_arn(arn) {
        Some(arn_region) => region::validate(arn_region)?.to_string(),
        None => resolved.region(config.region.as_deref(), env)?,
    };
    // The gateway's base URL is the runtime's; the control plane has its own.
    let endpoint = endpoint::resolve(Service::Bedrock, &region, None, env)?;
    let body = control_plane::get(platform, env, config, resolved, &|credentials, at| {
        request(&endpoint, arn, credentials, &region, at)
    })?;
    let profile = parse::inference_profile(&body)?;
    Ok(profile.base_model_id().map(str::to_string))
}

fn request(
    endpoint: &Endpoint,
    arn: &str,
    credentials: &Credentials,
    region: &str,
    now: SystemTime,
) -> Result<SignedRequest, Error> {
    SignedRequest::get(
        endpoint,
        &get_inference_profile_path(arn),
        credentials,
        region,
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converse::{start_stream, start_tests};
    use crate::endpoint::converse_stream_path;
    use crate::platform::fake::{FakePlatform, Scripted};
    use crate::types::{
        CacheRetention, ContentBlock, ConverseRequest, Message, ModelCost, ReasoningBlock,
        ReasoningLevel, Role,
    };

    const ARN: &str = "arn:aws:bedrock:eu-west-3:123456789012:application-inference-profile/a1b2c3";
    const BASE: &str = "anthropic.claude-sonnet-4-20250514-v1:0";

    fn env() -> Environment {
        Environment::from_vars([
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            ),
            ("AWS_REGION", "us-east-1"),
        ])
    }

    fn get_line() -> String {
        format!(
            "GET https://bedrock.eu-west-3.amazonaws.com{}",
            get_inference_profile_path(ARN)
        )
    }

    fn converse_line() -> String {
        format!(
            "POST https://bedrock-runtime.eu-west-3.amazonaws.com{}",
            converse_stream_path(ARN)
        )
    }

    /// GetInferenceProfile's answer for an application profile copied from a
    /// system profile: the base model in several regions.
    fn profile_answer() -> String {
        format!(
            r#"{{"inferenceProfileName":"claims","inferenceProfileArn":"{ARN}",
              "inferenceProfileId":"a1b2c3","status":"ACTIVE","type":"APPLICATION",
              "models":[{{"modelArn":"arn:aws:bedrock:eu-west-3::foundation-model/{BASE}"}},
                        {{"modelArn":"arn:aws:bedrock:eu-west-1::foundation-model/{BASE}"}}]}}"#
        )
    }

    fn stream_ok() -> Scripted {
        start_tests::ok(start_tests::reply())
    }

    /// A second turn with thinking on, caching on, and the first turn's
    /// signed thinking to replay.
    fn request() -> ConverseRequest {
        ConverseRequest {
            model_id: ARN.into(),
            system: Some("You review claims.".into()),
            messages: vec![
                Message {
                    role: Role::User,
                    content: vec![ContentBlock::Text("Is claim 7 covered?".into())],
                },
                Message {
                    role: Role::Assistant,
                    content: vec![
                        ContentBlock::Reasoning(ReasoningBlock {
                            text: "Check the policy.".into(),
                            signature: Some("c2lnbmVk".into()),
                        }),
                        ContentBlock::Text("Which policy?".into()),
                    ],
                },
                Message {
                    role: Role::User,
                    content: vec![ContentBlock::Text("Policy 12.".into())],
                },
            ],
            reasoning: Some(ReasoningLevel::Medium),
            cache_retention: Some(CacheRetention::Short),
            ..Default::default()
        }
    }

    fn sent_body(platform: &FakePlatform) -> Value {
        let converse = platform
            .sent
            .iter()
            .rfind(|r| r.path_and_query.contains("converse-stream"))
            .expect("a ConverseStream request");
        serde_json::from_slice(&converse.body).unwrap()
    }

    /// What the mapping sends for a Claude model with thinking and caching.
    fn assert_mapped_for_claude(body: &Value) {
        let fields = &body["additionalModelRequestFields"];
        assert_eq!(fields["thinking"]["type"], "enabled", "{body}");
        let text = body.to_string();
        assert!(
            text.contains(r#""cachePoint":{"type":"default"}"#),
            "{body}"
        );
        assert_eq!(
            body["messages"][1]["content"][0]["reasoningContent"]["reasoningText"]["signature"],
            "c2lnbmVk",
            "thinking replayed as reasoning: {body}"
        );
    }

    #[test]
    fn the_base_model_comes_from_get_inference_profile_once() {
        let mut platform = FakePlatform::new()
            .answer(&get_line(), 200, &profile_answer())
            .then(&converse_line(), stream_ok())
            .then(&converse_line(), stream_ok());
        start_stream(&mut platform, env(), ProviderConfig::default(), request()).unwrap();
        assert_eq!(platform.sent_lines(), [get_line(), converse_line()]);
        // Signed for the control plane of the profile's own region.
        let get = &platform.sent[0];
        let auth = get
            .headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .unwrap();
        let auth = String::from_utf8_lossy(&auth.1);
        assert!(auth.contains("/eu-west-3/bedrock/aws4_request"), "{auth}");
        assert_mapped_for_claude(&sent_body(&platform));
        assert_eq!(
            remembered(&mut platform).get(ARN).and_then(Value::as_str),
            Some(BASE)
        );

        // The next call reads the cache: no second GetInferenceProfile.
        start_stream(&mut platform, env(), ProviderConfig::default(), request()).unwrap();
        assert_eq!(platform.sent_lines().last(), Some(&converse_line()));
        assert_eq!(platform.sent.len(), 3);
        assert_mapped_for_claude(&sent_body(&platform));
    }

    #[test]
    fn a_profile_discovery_listed_needs_no_lookup() {
        let listed = ModelDefinition {
            id: ARN.into(),
            name: "claims (Claude Sonnet 4)".into(),
            provider: "Anthropic".into(),
            reasoning: true,
            input: Vec::new(),
            cost: ModelCost {
                input: 0.0,
                output: 0.0,
                cache_read: 0.0,
                cache_write: 0.0,
            },
            context_window: 200_000,
            max_tokens: 64_000,
            kind: ModelKind::ApplicationProfile,
            base_model_id: Some(BASE.into()),
        };
        let mut platform = FakePlatform::new().then(&converse_line(), stream_ok());
        remember_discovered(&mut platform, &[listed]);
        start_stream(&mut platform, env(), ProviderConfig::default(), request()).unwrap();
        assert_eq!(platform.sent_lines(), [converse_line()]);
        assert_mapped_for_claude(&sent_body(&platform));
    }

    #[test]
    fn without_permission_to_read_the_profile_the_call_still_goes() {
        let denied = Scripted::Answer {
            status: 403,
            headers: vec![("x-amzn-ErrorType".into(), "AccessDeniedException".into())],
            chunks: vec![Ok(
                br#"{"message":"not authorized to perform: bedrock:GetInferenceProfile"}"#.to_vec(),
            )],
        };
        let mut platform = FakePlatform::new()
            .then(&get_line(), denied)
            .then(&converse_line(), stream_ok());
        start_stream(&mut platform, env(), ProviderConfig::default(), request()).unwrap();
        assert_eq!(platform.sent_lines(), [get_line(), converse_line()]);
        // Mapped by id, as before; nothing cached, so a later grant is seen.
        let body = sent_body(&platform);
        assert!(body.get("additionalModelRequestFields").is_none(), "{body}");
        assert!(platform.cache.is_empty());
    }

    #[test]
    fn other_failures_are_the_calls_error_and_are_retried_first() {
        let throttled = || Scripted::Answer {
            status: 429,
            headers: vec![("x-amzn-ErrorType".into(), "ThrottlingException".into())],
            chunks: vec![Ok(br#"{"message":"slow down"}"#.to_vec())],
        };
        let mut platform = FakePlatform::new()
            .then(&get_line(), throttled())
            .answer(&get_line(), 200, &profile_answer())
            .then(&converse_line(), stream_ok());
        start_stream(&mut platform, env(), ProviderConfig::default(), request()).unwrap();
        assert_eq!(platform.slept.len(), 1);
        assert_mapped_for_claude(&sent_body(&platform));

        let mut platform = FakePlatform::new().answer(&get_line(), 200, "[]");
        let Err(Error::Protocol(message)) =
            start_stream(&mut platform, env(), ProviderConfig::default(), request())
        else {
            panic!("a malformed answer is a protocol error")
        };
        assert!(message.contains("GetInferenceProfile"), "{message}");
    }

    #[test]
    fn one_bounded_entry_holds_every_profile() {
        let mut platform = FakePlatform::new();
        let arn = |i: usize| {
            format!("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/p{i}")
        };
        for i in 0..MAX_REMEMBERED {
            let known = remembered(&mut platform);
            remember(&mut platform, known, [(arn(i), BASE.to_string())]);
        }
        assert_eq!(platform.cache.len(), 1, "one entry, whatever the count");
        assert_eq!(remembered(&mut platform).len(), MAX_REMEMBERED);
        // One more starts the entry over rather than growing it.
        let known = remembered(&mut platform);
        remember(
            &mut platform,
            known,
            [(arn(MAX_REMEMBERED), BASE.to_string())],
        );
        let now = remembered(&mut platform);
        assert_eq!(now.len(), 1);
        assert!(now.contains_key(&arn(MAX_REMEMBERED)));
        // An unreadable entry reads as none.
        platform
            .cache
            .insert(CACHE_KEY.into(), b"not json".to_vec());
        assert!(remembered(&mut platform).is_empty());
    }

    #[test]
    fn other_model_ids_are_their_own_capability_model() {
        let mut platform = FakePlatform::new();
        let mut resolved =
            crate::credentials::in_force(&mut platform, &env(), None, false).unwrap();
        for id in [
            BASE,
            "us.anthropic.claude-sonnet-4-20250514-v1:0",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
        ] {
            let model = capability_model(
                &mut platform,
                &env(),
                &ProviderConfig::default(),
                &mut resolved,
                id,
            );
            assert_eq!(model.unwrap(), id);
        }
        assert!(platform.sent.is_empty());
        assert_eq!(
            get_inference_profile_path(ARN),
            "/inference-profiles/arn%3Aaws%3Abedrock%3Aeu-west-3%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3"
        );
    }
}
