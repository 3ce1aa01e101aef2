//! The two control-plane calls discovery makes, ready for the wire.
//!
//! Both are `GET`s on the `bedrock` endpoint (not `bedrock-runtime`), signed
//! for SigV4 service `bedrock` like every Bedrock call, or sent with the
//! Bedrock API key.

use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::signing::SignedRequest;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::time::SystemTime;

/// `bedrock:ListFoundationModels`. No filter is sent: the filters Bedrock
/// offers are single-valued, and the provider filter takes several names.
pub const FOUNDATION_MODELS_PATH: &str = "/foundation-models";

/// `bedrock:ListInferenceProfiles`, without its query.
pub const INFERENCE_PROFILES_PATH: &str = "/inference-profiles";

/// The largest page ListInferenceProfiles serves: fewer round trips.
pub const PROFILES_PAGE_SIZE: u32 = 1000;

/// Pages of ListInferenceProfiles followed before giving up: a server that
/// keeps handing out new tokens must not keep the plugin busy forever (at
/// 1000 profiles a page this is far beyond any real account).
pub const MAX_PROFILE_PAGES: usize = 100;

/// The most of one list response the caller should read. Today's full
/// catalogue is a few hundred kilobytes; anything past this is not Bedrock.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Escaped in a query value: everything but RFC 3986's unreserved set.
/// Pagination tokens are base64 (`+`, `/`, `=`), and a raw `+` would reach
/// the server, and SigV4's canonical query, as a space.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Path and query of one ListInferenceProfiles page. Both profile types
/// (`SYSTEM_DEFINED` and `APPLICATION`) are wanted, so no `type` filter.
pub fn inference_profiles_path(next_token: Option<&str>) -> String {
    let mut path = format!("{INFERENCE_PROFILES_PATH}?maxResults={PROFILES_PAGE_SIZE}");
    if let Some(token) = next_token {
        path.push_str("&nextToken=");
        path.extend(utf8_percent_encode(token, QUERY_VALUE));
    }
    path
}

/// The signed ListFoundationModels request.
pub fn foundation_models(
    endpoint: &Endpoint,
    credentials: &Credentials,
    region: &str,
    now: SystemTime,
) -> Result<SignedRequest, Error> {
    SignedRequest::get(endpoint, FOUNDATION_MODELS_PATH, credentials, region, now)
}

/// The signed request for the ListInferenceProfiles page after `next_token`
/// (the first page without one).
pub fn inference_profiles(
    endpoint: &Endpoint,
    next_token: Option<&str>,
    credentials: &Credentials,
    region: &str,
    now: SystemTime,
) -> Result<SignedRequest, Error> {
    SignedRequest::get(
        endpoint,
        &inference_profiles_path(next_token),
        credentials,
        region,
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::AwsCredentials;
    use crate::endpoint::{self, Service};
    use crate::env::Environment;

    fn keys() -> Credentials {
        Credentials::Aws(AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
            expires_at: None,
        })
    }

    #[test]
    fn tokens_are_escaped_as_query_values() {
        assert_eq!(
            inference_profiles_path(None),
            "/inference-profiles?maxResults=1000"
        );
        assert_eq!(
            inference_profiles_path(Some("eyJh+b/c==")),
            "/inference-profiles?maxResults=1000&nextToken=eyJh%2Bb%2Fc%3D%3D"
        );
        assert_eq!(
            inference_profiles_path(Some("a&b c")),
            "/inference-profiles?maxResults=1000&nextToken=a%26b%20c"
        );
    }

    #[test]
    fn both_calls_go_to_the_control_plane() {
        let env = Environment::default();
        let endpoint = endpoint::resolve(Service::Bedrock, "eu-central-1", None, &env).unwrap();
        let now = SystemTime::now();
        let list = foundation_models(&endpoint, &keys(), "eu-central-1", now).unwrap();
        assert_eq!(list.method, http::Method::GET);
        assert_eq!(list.authority, "bedrock.eu-central-1.amazonaws.com");
        assert_eq!(list.path_and_query, "/foundation-models");
        let page =
            inference_profiles(&endpoint, Some("t+1"), &keys(), "eu-central-1", now).unwrap();
        assert_eq!(
            page.path_and_query,
            "/inference-profiles?maxResults=1000&nextToken=t%2B1"
        );
        let auth = page
            .headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .unwrap();
        let auth = String::from_utf8(auth.1.clone()).unwrap();
        assert!(
            auth.contains("/eu-central-1/bedrock/aws4_request"),
            "{auth}"
        );
    }

    #[test]
    fn the_runtime_override_does_not_move_the_control_plane() {
        let env = Environment::from_vars([
            ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_BEDROCK", "http://127.0.0.1:2"),
        ]);
        let endpoint = endpoint::resolve(Service::Bedrock, "us-east-1", None, &env).unwrap();
        let list = foundation_models(
            &endpoint,
            &Credentials::BearerToken("k".into()),
            "us-east-1",
            SystemTime::now(),
        )
        .unwrap();
        assert_eq!(list.authority, "127.0.0.1:2");
    }
}
