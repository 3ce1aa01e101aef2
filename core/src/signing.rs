//! Authorising a request: SigV4 through `aws-sigv4`, or a Bedrock API key.

use crate::credentials::{AwsCredentials, Credentials};
use crate::endpoint::{Endpoint, Scheme};
use crate::error::Error;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use std::time::SystemTime;

/// SigV4 service name for both Bedrock APIs (runtime and control plane).
pub const BEDROCK_SERVICE: &str = "bedrock";

/// What a SigV4 signature is scoped to.
#[derive(Clone, Copy, Debug)]
pub struct SigV4Scope<'a> {
    pub region: &'a str,
    pub service: &'a str,
    pub time: SystemTime,
}

/// Why a request could not be signed. The message never contains key material.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign the request: {0}")]
pub struct SigningError(String);

impl From<SigningError> for Error {
    fn from(e: SigningError) -> Self {
        Error::InvalidRequest(e.to_string())
    }
}

/// Signs `request` in place (adds `Authorization`, `X-Amz-Date` and, for
/// temporary keys, `X-Amz-Security-Token`) and returns the hex signature.
///
/// The request's URI must be absolute: the `host` SigV4 signs is taken from
/// it, because `wasi:http` hosts set the `Host` header themselves.
/// `settings` defaults to what Bedrock expects (`SigningSettings::default()`:
/// double-encoded, normalised path; no payload hash header).
pub fn sign_sigv4<B: AsRef<[u8]>>(
    request: &mut http::Request<B>,
    credentials: &AwsCredentials,
    scope: SigV4Scope<'_>,
    settings: SigningSettings,
) -> Result<String, SigningError> {
    let identity: Identity = aws_credential_types::Credentials::new(
        &credentials.access_key_id,
        &credentials.secret_access_key,
        credentials.session_token.clone(),
        credentials.expires_at,
        "bedrock-plugin",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(scope.time)
        .settings(settings)
        .build()
        .map_err(|e| SigningError(e.to_string()))?
        .into();
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| {
            std::str::from_utf8(value.as_bytes())
                .map(|value| (name.as_str(), value))
                .map_err(|_| SigningError(format!("header `{name}` is not UTF-8")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let uri = request.uri().to_string();
    let signable = SignableRequest::new(
        request.method().as_str(),
        uri,
        headers.into_iter(),
        SignableBody::Bytes(request.body().as_ref()),
    )
    .map_err(|e| SigningError(e.to_string()))?;
    let (instructions, signature) = sign(signable, &params)
        .map_err(|e| SigningError(e.to_string()))?
        .into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(signature)
}

/// Authorises a Bedrock request with whatever credentials are in force.
pub fn authorize<B: AsRef<[u8]>>(
    request: &mut http::Request<B>,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<(), Error> {
    match credentials {
        Credentials::BearerToken(token) => {
            let value = http::HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                Error::CredentialSource(
                    "AWS_BEARER_TOKEN_BEDROCK holds characters that cannot appear in an HTTP header"
                        .to_string(),
                )
            })?;
            request
                .headers_mut()
                .insert(http::header::AUTHORIZATION, value);
            Ok(())
        }
        Credentials::Aws(keys) => {
            let scope = SigV4Scope {
                region,
                service: BEDROCK_SERVICE,
                time,
            };
            sign_sigv4(request, keys, scope, SigningSettings::default())?;
            Ok(())
        }
    }
}

/// A request ready for the wire: what `wasi:http` takes, field by field.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest {
    pub method: http::Method,
    pub scheme: Scheme,
    pub authority: String,
    pub path_and_query: String,
    /// Every header but `host`, which `wasi:http` hosts set from the authority.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for SignedRequest {
    /// Header values are left out: `authorization` and the session token are secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("authority", &self.authority)
            .field("path_and_query", &self.path_and_query)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl SignedRequest {
    /// A JSON `POST` to `path` on `endpoint`, authorised with `credentials`.
    pub fn post_json(
        endpoint: &Endpoint,
        path: &str,
        body: Vec<u8>,
        extra_headers: &[(&str, &str)],
        credentials: &Credentials,
        region: &str,
        now: SystemTime,
    ) -> Result<SignedRequest, Error> {
        let mut builder =
            http::Request::post(endpoint.url(path)).header("content-type", "application/json");
        for (name, value) in extra_headers {
            builder = builder.header(*name, *value);
        }
        Self::authorized(endpoint, builder, body, credentials, region, now)
    }

    /// A `GET` of `path_and_query` on `endpoint` (the control plane's list
    /// calls), authorised with `credentials`. Query values must already be
    /// percent-encoded: they are signed as written.
    pub fn get(
        endpoint: &Endpoint,
        path_and_query: &str,
        credentials: &Credentials,
        region: &str,
        now: SystemTime,
    ) -> Result<SignedRequest, Error> {
        let builder = http::Request::get(endpoint.url(path_and_query));
        Self::authorized(endpoint, builder, Vec::new(), credentials, region, now)
    }

    /// Builds, authorises and takes apart a request: what every method shares.
    fn authorized(
        endpoint: &Endpoint,
        builder: http::request::Builder,
        body: Vec<u8>,
        credentials: &Credentials,
        region: &str,
        now: SystemTime,
    ) -> Result<SignedRequest, Error> {
        let mut request = builder
            .body(body)
            .map_err(|e| Error::InvalidRequest(format!("cannot build the request: {e}")))?;
        authorize(&mut request, credentials, region, now)?;
        Ok(Self::from_request(endpoint, request))
    }

    /// Takes a built (and possibly signed) request apart into what `wasi:http`
    /// needs: the endpoint's scheme and authority, the path and query, and
    /// every header but `Host` (the authority carries it).
    pub(crate) fn from_request(endpoint: &Endpoint, request: http::Request<Vec<u8>>) -> Self {
        let (parts, body) = request.into_parts();
        SignedRequest {
            method: parts.method,
            scheme: endpoint.scheme,
            authority: endpoint.authority.clone(),
            path_and_query: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            headers: parts
                .headers
                .iter()
                .filter(|(name, _)| *name != http::header::HOST)
                .map(|(name, value)| (name.as_str().to_string(), value.as_bytes().to_vec()))
                .collect(),
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn keys() -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: Some("session-EXAMPLE".into()),
            expires_at: None,
        }
    }

    fn converse_request() -> http::Request<Vec<u8>> {
        http::Request::post(
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream",
        )
        .header("content-type", "application/json")
        .body(b"{}".to_vec())
        .unwrap()
    }

    #[test]
    fn sigv4_scope_and_headers() {
        let mut req = converse_request();
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        authorize(&mut req, &Credentials::Aws(keys()), "us-east-1", time).unwrap();
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request"
            ),
            "{auth}"
        );
        assert!(
            auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token"),
            "{auth}"
        );
        assert_eq!(req.headers()["x-amz-date"], "20150830T123600Z");
        assert_eq!(req.headers()["x-amz-security-token"], "session-EXAMPLE");
    }

    #[test]
    fn the_signature_covers_the_body_and_the_encoded_path() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let sig = |req: &mut http::Request<Vec<u8>>| {
            let scope = SigV4Scope {
                region: "us-east-1",
                service: BEDROCK_SERVICE,
                time,
            };
            sign_sigv4(req, &keys(), scope, SigningSettings::default()).unwrap()
        };
        let base = sig(&mut converse_request());
        let mut tampered = converse_request();
        *tampered.body_mut() = b"{ }".to_vec();
        assert_ne!(base, sig(&mut tampered));
        let mut other_path = converse_request();
        *other_path.uri_mut() = "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1:0/converse-stream"
            .parse()
            .unwrap();
        assert_ne!(
            base,
            sig(&mut other_path),
            "`:` and `%3A` must sign differently"
        );
    }

    #[test]
    fn bearer_token_goes_in_authorization() {
        let mut req = converse_request();
        authorize(
            &mut req,
            &Credentials::BearerToken("bedrock-api-key-EXAMPLE".into()),
            "us-east-1",
            SystemTime::now(),
        )
        .unwrap();
        assert_eq!(
            req.headers()["authorization"],
            "Bearer bedrock-api-key-EXAMPLE"
        );
        assert!(req.headers().get("x-amz-date").is_none());
    }

    #[test]
    fn get_is_signed_with_its_query_and_an_empty_body() {
        let endpoint = Endpoint::parse("http://127.0.0.1:8080/proxy").unwrap();
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let path = "/inference-profiles?maxResults=1000&nextToken=a%2Bb%2F%3D";
        let get = SignedRequest::get(
            &endpoint,
            path,
            &Credentials::Aws(keys()),
            "eu-west-1",
            time,
        )
        .unwrap();
        assert_eq!(get.method, http::Method::GET);
        assert_eq!(get.authority, "127.0.0.1:8080");
        assert_eq!(get.path_and_query, format!("/proxy{path}"));
        assert!(get.body.is_empty());
        let header = |name: &str| {
            get.headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
        };
        assert_eq!(
            header("content-type"),
            None,
            "a GET has no body to describe"
        );
        let auth = header("authorization").unwrap();
        assert!(auth.contains("/eu-west-1/bedrock/aws4_request"), "{auth}");
        assert!(
            auth.contains("SignedHeaders=host;x-amz-date;x-amz-security-token"),
            "{auth}"
        );
        let other_page = SignedRequest::get(
            &endpoint,
            "/inference-profiles?maxResults=1000&nextToken=a%2Bb%2F%3E",
            &Credentials::Aws(keys()),
            "eu-west-1",
            time,
        )
        .unwrap();
        assert_ne!(
            other_page
                .headers
                .iter()
                .find(|(n, _)| n == "authorization"),
            get.headers.iter().find(|(n, _)| n == "authorization"),
            "the query is signed"
        );
        let bearer = SignedRequest::get(
            &endpoint,
            path,
            &Credentials::BearerToken("k".into()),
            "eu-west-1",
            time,
        )
        .unwrap();
        assert_eq!(
            bearer.headers,
            vec![("authorization".to_string(), b"Bearer k".to_vec())]
        );
    }
}
