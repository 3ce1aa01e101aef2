//! STS, the two actions the AWS credential chain calls: AssumeRole (a profile's `role_arn`,
//! signed with its source credentials) and AssumeRoleWithWebIdentity (a web identity token
//! file; unsigned, since the token is the proof).
//!
//! STS is a query-protocol service: `POST /` with a form body `Action=..&Version=2011-06-15&..`,
//! answers and errors in XML. AssumeRole is verified with the Bedrock verifier, for service
//! `sts` in whatever region the scope names, against the same keys; credentials the emulator
//! issued can therefore assume a further role, as in a `source_profile` chain. Web identity
//! tokens are not checked as JWTs: any well-formed token is accepted, and two sentinel
//! values are refused as STS refuses expired and invalid tokens.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use subtle::ConstantTimeEq;

use crate::AuthOutcome;
use crate::auth::{self, AuthError};
use crate::catalogue::ACCOUNT_ID;
use crate::clock::{epoch_seconds, iso8601};
use crate::errors::constraint_violation;
use crate::form::Form;
use crate::ids::{self, KEY_ID};
use crate::keyring::{Issuer, TemporaryCredentials};
use crate::sigv4::Verifier;

/// The service name AssumeRole's SigV4 scope must carry.
pub const SIGNING_SERVICE: &str = "sts";
/// A web identity token STS answers with ExpiredTokenException.
pub const EXPIRED_WEB_IDENTITY_TOKEN: &str = "expired-web-identity-token";
/// A web identity token STS answers with InvalidIdentityToken.
pub const INVALID_WEB_IDENTITY_TOKEN: &str = "invalid-web-identity-token";
/// How AssumeRole's credentials are listed in [`crate::Emulator::issued`].
pub const SOURCE: &str = "sts";
/// How AssumeRoleWithWebIdentity's credentials are listed.
pub const WEB_IDENTITY_SOURCE: &str = "sts-web-identity";

const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// The API model's bounds on `DurationSeconds`.
const DURATION_SECONDS: RangeInclusive<u64> = 900..=43_200;
const ROLE_ARN_LENGTH: RangeInclusive<usize> = 20..=2048;
const SESSION_NAME_LENGTH: RangeInclusive<usize> = 2..=64;
const WEB_IDENTITY_TOKEN_LENGTH: RangeInclusive<usize> = 4..=20_000;

/// What STS needs from the emulator.
pub struct Sts<'a> {
    pub issuer: Issuer<'a>,
    /// Roles whose trust policy requires an ExternalId: role ARN to the id.
    pub external_ids: &'a BTreeMap<String, String>,
}

/// Why STS refused. The `Display` text is the `<Message>` sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StsError {
    #[error("{0}")]
    Validation(String),
    /// The role requires an ExternalId and the request lacks it or sends another.
    #[error(
        "User: arn:aws:iam::{ACCOUNT_ID}:user/emulator is not authorized to perform: sts:AssumeRole on resource: {0}"
    )]
    AccessDenied(String),
    #[error(
        "Token expired: current date/time {now} must be before the expiration date/time {expired}"
    )]
    ExpiredWebIdentityToken { now: u64, expired: u64 },
    #[error(
        "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements"
    )]
    InvalidIdentityToken,
    #[error("Could not find operation {0} for version 2011-06-15")]
    InvalidAction(String),
    #[error("Missing Action")]
    MissingAction,
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl StsError {
    /// The `<Code>`: STS names the SigV4 failures differently from Bedrock.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "ValidationError",
            Self::AccessDenied(_) => "AccessDenied",
            Self::ExpiredWebIdentityToken { .. } => "ExpiredTokenException",
            Self::InvalidIdentityToken => "InvalidIdentityToken",
            Self::InvalidAction(_) => "InvalidAction",
            Self::MissingAction => "MissingAction",
            Self::Auth(error) => match error {
                AuthError::MissingToken => "MissingAuthenticationToken",
                AuthError::UnrecognizedClient => "InvalidClientTokenId",
                AuthError::ExpiredToken => "ExpiredToken",
                AuthError::Incomplete(_) | AuthError::InvalidApiKey => "IncompleteSignature",
                AuthError::ScopeDateMismatch { .. }
                | AuthError::WrongRegion
                | AuthError::WrongService(_)
                | AuthError::WrongTerminator(_)
                | AuthError::Expired { .. }
                | AuthError::NotYetCurrent { .. }
                | AuthError::SignatureMismatch => "SignatureDoesNotMatch",
            },
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Auth(AuthError::Incomplete(_) | AuthError::InvalidApiKey) => {
                StatusCode::BAD_REQUEST
            }
            Self::AccessDenied(_) | Self::Auth(_) => StatusCode::FORBIDDEN,
            Self::Validation(_)
            | Self::ExpiredWebIdentityToken { .. }
            | Self::InvalidIdentityToken
            | Self::InvalidAction(_)
            | Self::MissingAction => StatusCode::BAD_REQUEST,
        }
    }

    /// STS's XML error document. Every error the emulator raises is the caller's fault.
    pub fn into_response(self, request_id: &str) -> Response {
        let document = format!(
            "<ErrorResponse xmlns=\"{NAMESPACE}\">\n  <Error>\n    <Type>Sender</Type>\n    \
             <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  \
             <RequestId>{}</RequestId>\n</ErrorResponse>\n",
            self.code(),
            escape(&self.to_string()),
            escape(request_id),
        );
        xml(self.status(), document)
    }
}

/// Temporary credentials granted for a role session.
struct Grant {
    credentials: TemporaryCredentials,
    /// `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`
    assumed_role_arn: String,
    /// `AROA...:SESSION`
    assumed_role_id: String,
}

/// Answers `POST /`, and says how the caller authenticated, for the request log.
pub fn answer(
    sts: &Sts<'_>,
    parts: &http::request::Parts,
    body: &[u8],
    request_id: &str,
) -> (Response, AuthOutcome) {
    let form = Form::parse(std::str::from_utf8(body).ok());
    let action = form.get("Action");
    let (granted, caller) = if action == Some("AssumeRoleWithWebIdentity") {
        (
            assume_role_with_web_identity(sts, &form),
            AuthOutcome::Unsigned,
        )
    } else {
        let verifier = Verifier {
            region: None,
            service: SIGNING_SERVICE,
            keys: sts.issuer.keyring,
        };
        match auth::verify_sigv4(&verifier, parts, body, sts.issuer.now) {
            Ok(caller) => {
                let granted = match action {
                    Some("AssumeRole") => assume_role(sts, &form),
                    Some(other) => Err(StsError::InvalidAction(other.to_owned())),
                    None => Err(StsError::MissingAction),
                };
                (granted, caller)
            }
            Err(refused) => {
                let refused = StsError::from(refused);
                let outcome = AuthOutcome::Rejected(refused.code().to_owned());
                (Err(refused), outcome)
            }
        }
    };
    let response = match granted {
        Ok(grant) => success(action.unwrap_or_default(), &grant, request_id),
        Err(refused) => refused.into_response(request_id),
    };
    (response, caller)
}

fn assume_role(sts: &Sts<'_>, form: &Form) -> Result<Grant, StsError> {
    let role = RoleSession::parse(form)?;
    if let Some(expected) = sts.external_ids.get(role.arn) {
        let sent = form.get("ExternalId").unwrap_or_default();
        if !bool::from(expected.as_bytes().ct_eq(sent.as_bytes())) {
            return Err(StsError::AccessDenied(role.arn.to_owned()));
        }
    }
    Ok(role.grant(&sts.issuer, SOURCE))
}

fn assume_role_with_web_identity(sts: &Sts<'_>, form: &Form) -> Result<Grant, StsError> {
    let role = RoleSession::parse(form)?;
    let token = required(form, "WebIdentityToken", "webIdentityToken")?;
    if !WEB_IDENTITY_TOKEN_LENGTH.contains(&token.len()) {
        return Err(StsError::Validation(constraint_violation(
            "*** redacted ***",
            "webIdentityToken",
            "Member must have length greater than or equal to 4",
        )));
    }
    match token {
        EXPIRED_WEB_IDENTITY_TOKEN => {
            let now = epoch_seconds(sts.issuer.now);
            Err(StsError::ExpiredWebIdentityToken {
                now,
                expired: now.saturating_sub(60),
            })
        }
        INVALID_WEB_IDENTITY_TOKEN => Err(StsError::InvalidIdentityToken),
        _ => Ok(role.grant(&sts.issuer, WEB_IDENTITY_SOURCE)),
    }
}

/// The parameters both actions share, validated as the API model constrains them.
struct RoleSession<'f> {
    arn: &'f str,
    partition: &'f str,
    account: &'f str,
    role_name: &'f str,
    session_name: &'f str,
    duration: Option<Duration>,
}

impl<'f> RoleSession<'f> {
    fn parse(form: &'f Form) -> Result<Self, StsError> {
        let arn = required(form, "RoleArn", "roleArn")?;
        let session_name = required(form, "RoleSessionName", "roleSessionName")?;
        if !ROLE_ARN_LENGTH.contains(&arn.len()) {
            return Err(violation(
                arn,
                "roleArn",
                "Member must have length greater than or equal to 20",
            ));
        }
        let session_ok = SESSION_NAME_LENGTH.contains(&session_name.len())
            && session_name.bytes().all(is_name_byte);
        if !session_ok {
            return Err(violation(
                session_name,
                "roleSessionName",
                r"Member must satisfy regular expression pattern: [\w+=,.@-]*",
            ));
        }
        let duration = match form.get("DurationSeconds") {
            None => None,
            Some(text) => match text.parse::<u64>() {
                Ok(seconds) if DURATION_SECONDS.contains(&seconds) => {
                    Some(Duration::from_secs(seconds))
                }
                _ => {
                    return Err(violation(
                        text,
                        "durationSeconds",
                        "Member must have value greater than or equal to 900",
                    ));
                }
            },
        };
        let (partition, account, role_name) = parse_role_arn(arn)
            .ok_or_else(|| StsError::Validation("Request ARN is invalid".into()))?;
        Ok(Self {
            arn,
            partition,
            account,
            role_name,
            session_name,
            duration,
        })
    }

    /// Issues the session's credentials. `DurationSeconds` can shorten their lifetime; the
    /// configured lifetime caps it, so a test can make them last seconds, below STS's floor.
    fn grant(&self, issuer: &Issuer<'_>, source: &'static str) -> Grant {
        let lifetime = self
            .duration
            .map_or(issuer.lifetime, |asked| asked.min(issuer.lifetime));
        let credentials = issuer.issue_for(source, lifetime);
        // A role's id is stable, as AWS's is: derived from its ARN.
        let role_id = ids::stable(self.arn, KEY_ID, 17);
        Grant {
            credentials,
            assumed_role_arn: format!(
                "arn:{}:sts::{}:assumed-role/{}/{}",
                self.partition, self.account, self.role_name, self.session_name
            ),
            assumed_role_id: format!("AROA{role_id}:{}", self.session_name),
        }
    }
}

/// `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`, as its partition, account and name.
fn parse_role_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, "iam", "", account, resource] = fields[..] else {
        return None;
    };
    let path = resource.strip_prefix("role/")?;
    let name = path.rsplit('/').next()?;
    let shape_ok = partition.starts_with("aws")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && path.bytes().all(|b| b == b'/' || is_name_byte(b));
    shape_ok.then_some((partition, account, name))
}

/// `[\w+=,.@-]`, the characters of role and session names.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b)
}

fn required<'f>(form: &'f Form, name: &str, member: &str) -> Result<&'f str, StsError> {
    form.get(name).ok_or_else(|| {
        StsError::Validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

fn violation(value: &str, member: &str, rule: &str) -> StsError {
    StsError::Validation(constraint_violation(value, member, rule))
}

/// The `<{Action}Response>` document both actions answer with.
fn success(action: &str, grant: &Grant, request_id: &str) -> Response {
    let credentials = &grant.credentials;
    let document = format!(
        "<{action}Response xmlns=\"{NAMESPACE}\">\n  <{action}Result>\n    <Credentials>\n      \
         <AccessKeyId>{}</AccessKeyId>\n      <SecretAccessKey>{}</SecretAccessKey>\n      \
         <SessionToken>{}</SessionToken>\n      <Expiration>{}</Expiration>\n    \
         </Credentials>\n    <AssumedRoleUser>\n      <Arn>{}</Arn>\n      \
         <AssumedRoleId>{}</AssumedRoleId>\n    </AssumedRoleUser>\n  </{action}Result>\n  \
         <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n\
         </{action}Response>\n",
        escape(&credentials.access_key_id),
        escape(&credentials.secret_access_key),
        escape(&credentials.session_token),
        iso8601(credentials.expires_at),
        escape(&grant.assumed_role_arn),
        escape(&grant.assumed_role_id),
        escape(request_id),
    );
    xml(StatusCode::OK, document)
}

fn xml(status: StatusCode, document: String) -> Response {
    let mut response = Response::new(Body::from(document));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    response
}

/// Escapes text for an XML element's content. Quotes need no escaping there, and AWS
/// leaves them as they are (its messages quote values with apostrophes).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use http_body_util::BodyExt;

    use super::*;
    use crate::EmulatorConfig;
    use crate::keyring::Keyring;
    use crate::test_support::between;
    use crate::test_support::signed_form;

    const ROLE: &str = "arn:aws:iam::123456789012:role/integration-test";
    const GUARDED: &str = "arn:aws:iam::210987654321:role/path/guarded";

    struct Fixture {
        keyring: Keyring,
        external_ids: BTreeMap<String, String>,
        now: SystemTime,
    }

    impl Fixture {
        fn new() -> Self {
            Self {
                keyring: Keyring::new(EmulatorConfig::default().credentials),
                external_ids: BTreeMap::from([(GUARDED.to_owned(), "ext-123".to_owned())]),
                now: SystemTime::now(),
            }
        }

        fn sts(&self) -> Sts<'_> {
            Sts {
                issuer: Issuer {
                    keyring: &self.keyring,
                    now: self.now,
                    lifetime: Duration::from_secs(3600),
                },
                external_ids: &self.external_ids,
            }
        }

        /// Sends `body` signed with the default key (or unsigned); status, XML, caller.
        async fn call(&self, body: &str, signed: bool) -> (u16, String, AuthOutcome) {
            let key = &EmulatorConfig::default().credentials[0];
            let request = if signed {
                signed_form(
                    "sts.eu-west-1.amazonaws.com",
                    body,
                    key,
                    "eu-west-1",
                    "sts",
                    self.now,
                )
            } else {
                http::Request::builder()
                    .method("POST")
                    .uri("/")
                    .body(body.as_bytes().to_vec())
                    .unwrap()
            };
            let (parts, body) = request.into_parts();
            let (response, caller) = answer(&self.sts(), &parts, &body, "req-1");
            let status = response.status().as_u16();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8(bytes.to_vec()).unwrap(), caller)
        }
    }

    fn assume_role(arn: &str, extra: &str) -> String {
        let arn = percent_encoding::utf8_percent_encode(arn, percent_encoding::NON_ALPHANUMERIC);
        format!("Action=AssumeRole&Version=2011-06-15&RoleArn={arn}&RoleSessionName=s1{extra}")
    }

    #[tokio::test]
    async fn assume_role_issues_registered_credentials() {
        let fixture = Fixture::new();
        let (status, xml, caller) = fixture
            .call(&assume_role(ROLE, "&DurationSeconds=900"), true)
            .await;
        assert_eq!(status, 200, "{xml}");
        assert_eq!(
            caller,
            AuthOutcome::SigV4 {
                access_key_id: "AKIDEXAMPLE".into()
            }
        );
        assert!(xml.starts_with(&format!("<AssumeRoleResponse xmlns=\"{NAMESPACE}\">")));
        assert_eq!(
            between(&xml, "Arn"),
            "arn:aws:sts::123456789012:assumed-role/integration-test/s1"
        );
        assert!(between(&xml, "AssumedRoleId").starts_with("AROA"));
        assert!(between(&xml, "AssumedRoleId").ends_with(":s1"));
        assert_eq!(between(&xml, "RequestId"), "req-1");
        let issued = fixture.keyring.issued();
        assert_eq!(issued[0].source, "sts");
        assert_eq!(between(&xml, "AccessKeyId"), issued[0].access_key_id);
        assert_eq!(between(&xml, "Expiration"), iso8601(issued[0].expires_at));
        let lifetime = issued[0].expires_at.duration_since(fixture.now).unwrap();
        assert!(lifetime <= Duration::from_secs(900) && lifetime > Duration::from_secs(898));
        let key = fixture.keyring.find(&issued[0].access_key_id).unwrap();
        assert_eq!(
            key.credentials.secret_access_key,
            between(&xml, "SecretAccessKey")
        );
    }

    #[tokio::test]
    async fn external_ids_guard_configured_roles() {
        let fixture = Fixture::new();
        for extra in ["", "&ExternalId=wrong"] {
            let (status, xml, _) = fixture.call(&assume_role(GUARDED, extra), true).await;
            assert_eq!(status, 403, "{xml}");
            assert_eq!(between(&xml, "Code"), "AccessDenied");
            assert_eq!(between(&xml, "Type"), "Sender");
            assert!(between(&xml, "Message").ends_with(GUARDED));
        }
        let (status, xml, _) = fixture
            .call(&assume_role(GUARDED, "&ExternalId=ext-123"), true)
            .await;
        assert_eq!(status, 200, "{xml}");
        assert_eq!(
            between(&xml, "Arn"),
            "arn:aws:sts::210987654321:assumed-role/guarded/s1"
        );
    }

    #[tokio::test]
    async fn validation_errors() {
        let fixture = Fixture::new();
        let cases = [
            (
                assume_role("arn:aws:iam::123456789012:user/not-a-role", ""),
                "Request ARN is invalid",
            ),
            (
                assume_role("arn:aws:iam::1234:role/short-account", ""),
                "Request ARN is invalid",
            ),
            (
                assume_role("role/x", ""),
                "Member must have length greater than or equal to 20",
            ),
            (
                assume_role(ROLE, "&DurationSeconds=60"),
                "at 'durationSeconds'",
            ),
            (
                "Action=AssumeRole&RoleArn=x".to_owned(),
                "Value null at 'roleSessionName'",
            ),
            (
                format!("{}%20space", assume_role(ROLE, "")),
                "at 'roleSessionName'",
            ),
        ];
        for (body, message) in cases {
            let (status, xml, _) = fixture.call(&body, true).await;
            assert_eq!(status, 400, "{body}: {xml}");
            assert_eq!(between(&xml, "Code"), "ValidationError", "{body}");
            assert!(between(&xml, "Message").contains(message), "{body}: {xml}");
        }
        let (status, xml, _) = fixture.call("Action=GetCallerIdentity", true).await;
        assert_eq!((status, between(&xml, "Code")), (400, "InvalidAction"));
        assert!(fixture.keyring.issued().is_empty());
    }

    #[tokio::test]
    async fn assume_role_must_be_signed_for_sts() {
        let fixture = Fixture::new();
        let (status, xml, caller) = fixture.call(&assume_role(ROLE, ""), false).await;
        assert_eq!(
            (status, between(&xml, "Code")),
            (403, "MissingAuthenticationToken")
        );
        assert_eq!(
            caller,
            AuthOutcome::Rejected("MissingAuthenticationToken".into())
        );

        let key = &EmulatorConfig::default().credentials[0];
        let body = assume_role(ROLE, "");
        let for_bedrock = signed_form("h", &body, key, "us-east-1", "bedrock", fixture.now);
        let (parts, body) = for_bedrock.into_parts();
        let (response, _) = answer(&fixture.sts(), &parts, &body, "r");
        assert_eq!(response.status(), 403);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let xml = String::from_utf8(bytes.to_vec()).unwrap();
        assert_eq!(between(&xml, "Code"), "SignatureDoesNotMatch");
        assert_eq!(
            between(&xml, "Message"),
            "Credential should be scoped to correct service: 'sts'. "
        );
    }

    #[tokio::test]
    async fn web_identity() {
        let fixture = Fixture::new();
        let body = |token: &str| {
            format!(
                "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn={}&RoleSessionName=web&WebIdentityToken={token}",
                ROLE.replace(':', "%3A").replace('/', "%2F")
            )
        };
        let (status, xml, caller) = fixture.call(&body("eyJhbGciOi.eyJzdWIi.c2ln"), false).await;
        assert_eq!(status, 200, "{xml}");
        assert_eq!(caller, AuthOutcome::Unsigned);
        assert!(xml.starts_with("<AssumeRoleWithWebIdentityResponse"));
        assert!(xml.contains("<AssumeRoleWithWebIdentityResult>"));
        assert_eq!(fixture.keyring.issued()[0].source, "sts-web-identity");
        assert_eq!(
            between(&xml, "AccessKeyId"),
            fixture.keyring.issued()[0].access_key_id
        );

        let (status, xml, _) = fixture.call(&body(EXPIRED_WEB_IDENTITY_TOKEN), false).await;
        assert_eq!(
            (status, between(&xml, "Code")),
            (400, "ExpiredTokenException")
        );
        assert!(between(&xml, "Message").starts_with("Token expired: current date/time "));
        let (status, xml, _) = fixture.call(&body(INVALID_WEB_IDENTITY_TOKEN), false).await;
        assert_eq!(
            (status, between(&xml, "Code")),
            (400, "InvalidIdentityToken")
        );
        let (status, xml, _) = fixture.call(&body("abc"), false).await;
        assert_eq!((status, between(&xml, "Code")), (400, "ValidationError"));
        assert!(!xml.contains(">abc<"), "tokens are not echoed");
        assert_eq!(fixture.keyring.issued().len(), 1);
    }

    #[test]
    fn role_arns() {
        assert_eq!(
            parse_role_arn("arn:aws-cn:iam::123456789012:role/a/b/name"),
            Some(("aws-cn", "123456789012", "name"))
        );
        for bad in [
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:user/x",
            "arn:aws:s3::123456789012:role/x",
            "arn:aws:iam:us-east-1:123456789012:role/x",
            "arn:aws:iam::123456789012:role/with space",
        ] {
            assert_eq!(parse_role_arn(bad), None, "{bad}");
        }
    }

    #[test]
    fn escapes_xml() {
        assert_eq!(escape(r#"a&b<c>"d'"#), r#"a&amp;b&lt;c&gt;"d'"#);
    }

    #[test]
    fn auth_codes_and_statuses() {
        let cases = [
            (AuthError::MissingToken, "MissingAuthenticationToken", 403),
            (AuthError::UnrecognizedClient, "InvalidClientTokenId", 403),
            (AuthError::ExpiredToken, "ExpiredToken", 403),
            (
                AuthError::Incomplete("x".into()),
                "IncompleteSignature",
                400,
            ),
            (AuthError::SignatureMismatch, "SignatureDoesNotMatch", 403),
        ];
        for (error, code, status) in cases {
            let error = StsError::from(error);
            assert_eq!((error.code(), error.status().as_u16()), (code, status));
        }
    }
}
