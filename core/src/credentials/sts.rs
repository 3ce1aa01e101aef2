//! STS `AssumeRole` and `AssumeRoleWithWebIdentity`: requests and answers.
//!
//! Both are AWS Query calls: a form-encoded `POST /` and an XML answer.
//! `AssumeRole` is SigV4-signed (service `sts`) with the source credentials;
//! `AssumeRoleWithWebIdentity` is not signed at all, the JWT is the proof.

use super::AwsCredentials;
use super::json_credentials::clip;
use super::send::build;
use super::xml;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::signing::{SigV4Scope, SignedRequest, sign_sigv4};
use crate::time::parse_rfc3339;
use aws_sigv4::http_request::SigningSettings;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::time::SystemTime;

/// SigV4 service name of STS.
pub const SERVICE: &str = "sts";
const API_VERSION: &str = "2011-06-15";
const FORM: &str = "application/x-www-form-urlencoded";

/// Form values keep only RFC 3986's unreserved characters raw.
const FORM_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What `AssumeRole` takes from a profile.
#[derive(Clone, Debug)]
pub struct AssumeRoleParams<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub external_id: Option<&'a str>,
    pub duration_seconds: Option<u32>,
}

/// A signed `AssumeRole` request.
pub fn assume_role(
    endpoint: &Endpoint,
    region: &str,
    source: &AwsCredentials,
    params: &AssumeRoleParams<'_>,
    now: SystemTime,
) -> Result<SignedRequest, Error> {
    let mut fields = vec![
        ("Action", "AssumeRole".to_string()),
        ("Version", API_VERSION.to_string()),
        ("RoleArn", params.role_arn.to_string()),
        ("RoleSessionName", params.session_name.to_string()),
    ];
    if let Some(id) = params.external_id {
        fields.push(("ExternalId", id.to_string()));
    }
    if let Some(secs) = params.duration_seconds {
        fields.push(("DurationSeconds", secs.to_string()));
    }
    let mut request = build(
        http::Method::POST,
        endpoint,
        "/",
        &[("content-type", FORM)],
        form(&fields),
    )?;
    let scope = SigV4Scope {
        region,
        service: SERVICE,
        time: now,
    };
    sign_sigv4(&mut request, source, scope, SigningSettings::default())?;
    Ok(SignedRequest::from_request(endpoint, request))
}

/// An unsigned `AssumeRoleWithWebIdentity` request.
pub fn assume_role_with_web_identity(
    endpoint: &Endpoint,
    role_arn: &str,
    session_name: &str,
    token: &str,
) -> Result<SignedRequest, Error> {
    let fields = [
        ("Action", "AssumeRoleWithWebIdentity".to_string()),
        ("Version", API_VERSION.to_string()),
        ("RoleArn", role_arn.to_string()),
        ("RoleSessionName", session_name.to_string()),
        ("WebIdentityToken", token.to_string()),
    ];
    let request = build(
        http::Method::POST,
        endpoint,
        "/",
        &[("content-type", FORM)],
        form(&fields),
    )?;
    Ok(SignedRequest::from_request(endpoint, request))
}

fn form(fields: &[(&str, String)]) -> Vec<u8> {
    fields
        .iter()
        .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, FORM_VALUE)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// The credentials in a successful answer. The error says which field is
/// missing or malformed, never its value.
pub fn parse_credentials(body: &str) -> Result<AwsCredentials, String> {
    let field = |name: &str| {
        xml::text(body, &["Credentials", name])
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("the answer has no Credentials/{name}"))
    };
    let access_key_id = field("AccessKeyId")?;
    let secret_access_key = field("SecretAccessKey")?;
    let session_token = field("SessionToken")?;
    let expiration = field("Expiration")?;
    let expires_at =
        parse_rfc3339(&expiration).ok_or("the answer's Expiration is not an RFC 3339 timestamp")?;
    Ok(AwsCredentials {
        access_key_id,
        secret_access_key,
        session_token: Some(session_token),
        expires_at: Some(expires_at),
    })
}

/// An STS error answer: code, message and request id, each when present.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StsError {
    pub code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
}

impl StsError {
    pub fn parse(body: &str) -> StsError {
        StsError {
            code: xml::text(body, &["Error", "Code"]).filter(|c| !c.is_empty()),
            message: xml::text(body, &["Error", "Message"]).filter(|m| !m.is_empty()),
            request_id: xml::text(body, &["RequestId"]).filter(|r| !r.is_empty()),
        }
    }

    /// Whether retrying may help: STS's throttling codes.
    pub fn is_throttling(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some(
                "Throttling"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "TooManyRequestsException"
                    | "IDPCommunicationError"
            )
        )
    }

    /// `Code: message (HTTP 403, request id ...)`, service text clipped.
    pub fn describe(&self, status: u16) -> String {
        let mut out = match (&self.code, &self.message) {
            (Some(code), Some(message)) => format!("{}: {}", clip(code), clip(message)),
            (Some(code), None) => clip(code),
            (None, Some(message)) => clip(message),
            (None, None) => "no error details".to_string(),
        };
        out.push_str(&format!(" (HTTP {status}"));
        if let Some(id) = &self.request_id {
            out.push_str(&format!(", request id {}", clip(id)));
        }
        out.push(')');
        if let Some(hint) = self.hint() {
            out.push_str("; ");
            out.push_str(hint);
        }
        out
    }

    fn hint(&self) -> Option<&'static str> {
        match self.code.as_deref()? {
            "AccessDenied" => {
                Some("check that the role's trust policy allows these source credentials")
            }
            "ExpiredToken" | "ExpiredTokenException" => {
                Some("the source credentials have expired; refresh them")
            }
            "InvalidClientTokenId" | "SignatureDoesNotMatch" => {
                Some("the source credentials are not valid")
            }
            "InvalidIdentityToken" | "IDPRejectedClaim" => {
                Some("the identity provider or the token is not accepted")
            }
            _ => None,
        }
    }
}

/// A role session name when none is configured: `bedrock-plugin-<unix secs>`
/// names the caller in CloudTrail, as the SDKs' defaults name theirs.
pub fn default_session_name(now: SystemTime) -> String {
    format!("bedrock-plugin-{}", crate::time::unix_seconds(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::unix_seconds;
    use std::time::Duration;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn keys() -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: SECRET.into(),
            session_token: None,
            expires_at: None,
        }
    }

    fn header<'a>(request: &'a SignedRequest, name: &str) -> Option<&'a str> {
        request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| std::str::from_utf8(v).unwrap())
    }

    #[test]
    fn assume_role_is_a_signed_form_post() {
        let endpoint = Endpoint::parse("https://sts.eu-west-1.amazonaws.com").unwrap();
        let params = AssumeRoleParams {
            role_arn: "arn:aws:iam::123456789012:role/R",
            session_name: "s",
            external_id: Some("a b&c"),
            duration_seconds: Some(3600),
        };
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let request = assume_role(&endpoint, "eu-west-1", &keys(), &params, now).unwrap();
        assert_eq!(
            (request.method.as_str(), request.path_and_query.as_str()),
            ("POST", "/")
        );
        assert_eq!(
            String::from_utf8(request.body.clone()).unwrap(),
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FR\
             &RoleSessionName=s&ExternalId=a%20b%26c&DurationSeconds=3600"
        );
        assert_eq!(header(&request, "content-type"), Some(FORM));
        let auth = header(&request, "authorization").unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/sts/aws4_request"
            ),
            "{auth}"
        );
    }

    #[test]
    fn web_identity_is_unsigned() {
        let endpoint = Endpoint::parse("http://127.0.0.1:9000").unwrap();
        let request = assume_role_with_web_identity(&endpoint, "arn:r", "s", "jwt.token").unwrap();
        assert_eq!(header(&request, "authorization"), None);
        assert!(
            String::from_utf8(request.body)
                .unwrap()
                .ends_with("&WebIdentityToken=jwt.token")
        );
    }

    #[test]
    fn answers_and_errors() {
        let ok = "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>\
                  <AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken>\
                  <Expiration>2021-08-17T20:55:04Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
        let creds = parse_credentials(ok).unwrap();
        assert_eq!(
            (creds.access_key_id.as_str(), creds.session_token.as_deref()),
            ("ASIA", Some("T"))
        );
        assert_eq!(creds.expires_at.map(unix_seconds), Some(1_629_233_704));
        let missing =
            parse_credentials(&ok.replace("<SessionToken>T</SessionToken>", "")).unwrap_err();
        assert!(missing.contains("SessionToken"), "{missing}");
        let error = StsError::parse(
            "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>\
             <Message>No OpenIDConnect provider found</Message></Error><RequestId>r-1</RequestId></ErrorResponse>",
        );
        assert_eq!(
            error.describe(400),
            "InvalidIdentityToken: No OpenIDConnect provider found (HTTP 400, request id r-1); the identity provider or the token is not accepted"
        );
        assert!(
            StsError::parse(
                "<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>"
            )
            .is_throttling()
        );
        assert_eq!(
            StsError::parse("").describe(503),
            "no error details (HTTP 503)"
        );
    }
}
