//! SigV4 verification, done like AWS: recompute the signature and compare.
//!
//! The canonical request is not rebuilt here by hand. The request as received (method, raw
//! path and query, the headers the client says it signed, the body) is signed again with the
//! `aws-sigv4` crate, the signer the AWS SDK for Rust uses, with the SDK's default settings
//! (double percent-encoding of the path, path normalisation), at the time the client claims
//! in `X-Amz-Date`. Any canonicalisation slip in a client then shows up as a mismatch, exactly
//! as it would against AWS. The one exception is a signature over the HTTP/2 `:authority`
//! pseudo-header, which aws-sigv4 cannot express: [`crate::canonical`] handles those.
//!
//! The same verifier serves every signed service the emulator plays (Bedrock, and STS for
//! AssumeRole); only the service name and region a scope must carry differ.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    SessionTokenMode, SignableBody, SignableRequest, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use subtle::ConstantTimeEq;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::StaticCredentials;
use crate::auth::AuthError;
use crate::canonical;
use crate::keyring::Keyring;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const X_AMZ_DATE: &str = "x-amz-date";
const X_AMZ_SECURITY_TOKEN: &str = "x-amz-security-token";
const AUTHORITY: &str = ":authority";

/// How far the client's clock may be from ours.
const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// Verifies SigV4 `Authorization` headers for one service.
pub struct Verifier<'a> {
    /// The region scopes must name. `None` accepts the region the scope names: STS has an
    /// endpoint in every region, and the emulator plays all of them on one port.
    pub region: Option<&'a str>,
    pub service: &'a str,
    pub keys: &'a Keyring,
}

/// The parts of an `AWS4-HMAC-SHA256` Authorization header.
#[derive(Debug, PartialEq, Eq)]
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

impl Verifier<'_> {
    /// Returns the access key id that signed the request, or why it is refused.
    /// The checks run in the order AWS reports them: header shape, dates, scope, clock,
    /// key, session token, expiry of temporary credentials, signature. AWS reads the expiry
    /// from the session token before it can check the signature, hence that order.
    pub fn verify(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
        now: SystemTime,
    ) -> Result<String, AuthError> {
        let value = header(parts, http::header::AUTHORIZATION.as_str()).unwrap_or_default();
        let auth = parse_authorization(value)?;
        let amz_date = header(parts, X_AMZ_DATE).ok_or_else(|| {
            AuthError::Incomplete(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                    .into(),
            )
        })?;
        let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
            AuthError::Incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ))
        })?;
        if auth.date != &amz_date[..8] {
            return Err(AuthError::ScopeDateMismatch {
                scope: auth.date.into(),
                date: amz_date[..8].into(),
                amz_date: amz_date.into(),
            });
        }
        if self.region.is_some_and(|region| auth.region != region) {
            return Err(AuthError::WrongRegion);
        }
        if auth.service != self.service {
            return Err(AuthError::WrongService(self.service.into()));
        }
        if auth.terminator != "aws4_request" {
            return Err(AuthError::WrongTerminator(auth.terminator.into()));
        }
        check_clock(amz_date, signed_at, now)?;
        let key = self
            .keys
            .find(auth.access_key_id)
            .ok_or(AuthError::UnrecognizedClient)?;
        let credentials = &key.credentials;
        let token_ok = match (
            &credentials.session_token,
            header(parts, X_AMZ_SECURITY_TOKEN),
        ) {
            (Some(expected), Some(sent)) => bool::from(expected.as_bytes().ct_eq(sent.as_bytes())),
            (None, None) => true,
            _ => false,
        };
        if !token_ok {
            return Err(AuthError::UnrecognizedClient);
        }
        if key.expires_at.is_some_and(|expiry| expiry <= now) {
            return Err(AuthError::ExpiredToken);
        }
        let (signature, signed_headers) =
            self.recompute(parts, body, &auth, credentials, signed_at)?;
        let signature_ok = bool::from(signature.as_bytes().ct_eq(auth.signature.as_bytes()));
        if signature_ok && signed_headers == auth.signed_headers {
            Ok(credentials.access_key_id.clone())
        } else {
            Err(AuthError::SignatureMismatch)
        }
    }

    /// Signs the received request again; returns the signature and the SignedHeaders list.
    fn recompute(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
        auth: &Authorization<'_>,
        credentials: &StaticCredentials,
        signed_at: SystemTime,
    ) -> Result<(String, String), AuthError> {
        let names: Vec<&str> = auth.signed_headers.split(';').collect();
        let headers = signed_header_values(parts, &names)?;
        let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        if names.contains(&AUTHORITY) {
            let key = canonical::SigningKey {
                secret_access_key: &credentials.secret_access_key,
                region: auth.region,
                service: auth.service,
                time: signed_at,
            };
            let method = parts.method.as_str();
            return Ok(canonical::sign(
                method,
                path_and_query,
                &headers,
                body,
                &key,
            ));
        }
        // aws-sigv4 adds x-amz-date and the session token itself.
        let headers = headers
            .into_iter()
            .filter(|(name, _)| ![X_AMZ_DATE, X_AMZ_SECURITY_TOKEN].contains(name));

        let mut settings = SigningSettings::default();
        // The headers passed in are exactly the ones the client signed; AWS accepts a signed
        // User-Agent, so nothing may be dropped from them.
        settings.excluded_headers = None;
        // Clients may sign the session token or add it after signing; AWS accepts both.
        settings.session_token_mode = if names.contains(&X_AMZ_SECURITY_TOKEN) {
            SessionTokenMode::Include
        } else {
            SessionTokenMode::Exclude
        };
        let identity: Identity = Credentials::new(
            &credentials.access_key_id,
            &credentials.secret_access_key,
            credentials.session_token.clone(),
            None,
            "bedrock-emulator",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(auth.region)
            .name(auth.service)
            .time(signed_at)
            .settings(settings)
            .build()
            .map_err(|_| AuthError::SignatureMismatch)?
            .into();
        let request = SignableRequest::new(
            parts.method.as_str(),
            path_and_query,
            headers,
            SignableBody::Bytes(body),
        )
        .map_err(|_| AuthError::SignatureMismatch)?;
        let (instructions, signature) = sign(request, &params)
            .map_err(|_| AuthError::SignatureMismatch)?
            .into_parts();
        let signed_headers = instructions
            .headers()
            .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
            .and_then(|(_, value)| parse_authorization(value).ok())
            .map(|own| own.signed_headers.to_owned())
            .ok_or(AuthError::SignatureMismatch)?;
        Ok((signature, signed_headers))
    }
}

/// The values of the headers the client signed, in its order. The host may be signed as
/// `host` or, over HTTP/2, as the `:authority` pseudo-header, which hyper puts in the URI.
fn signed_header_values<'a>(
    parts: &'a http::request::Parts,
    names: &[&'a str],
) -> Result<Vec<(&'a str, &'a str)>, AuthError> {
    if !names.iter().any(|name| ["host", AUTHORITY].contains(name)) {
        return Err(AuthError::Incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    let authority = parts
        .uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| header(parts, "host"));
    let mut headers = Vec::new();
    for &name in names {
        let before = headers.len();
        if name != AUTHORITY {
            for value in parts.headers.get_all(name) {
                let value = value.to_str().map_err(|_| AuthError::SignatureMismatch)?;
                headers.push((name, value));
            }
        }
        if headers.len() == before
            && ["host", AUTHORITY].contains(&name)
            && let Some(authority) = authority
        {
            headers.push((name, authority));
        }
        if headers.len() == before {
            return Err(AuthError::SignatureMismatch);
        }
    }
    Ok(headers)
}

fn header<'a>(parts: &'a http::request::Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Splits `AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request,
/// SignedHeaders=a;b, Signature=hex`.
fn parse_authorization(value: &str) -> Result<Authorization<'_>, AuthError> {
    let params = value
        .strip_prefix(ALGORITHM)
        .filter(|rest| rest.starts_with(' '))
        .ok_or_else(|| {
            AuthError::Incomplete(format!(
                "Authorization header must use the {ALGORITHM} algorithm or a Bearer token."
            ))
        })?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for param in params.split(',') {
        match param.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let missing: Vec<String> = [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ]
    .iter()
    .filter(|(_, v)| v.is_none())
    .map(|(name, _)| format!("Authorization header requires '{name}' parameter."))
    .collect();
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(AuthError::Incomplete(missing.join(" ")));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = scope[..] else {
        return Err(AuthError::Incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    };
    Ok(Authorization {
        access_key_id,
        date,
        region,
        service,
        terminator,
        signed_headers,
        signature,
    })
}

fn check_clock(amz_date: &str, signed_at: SystemTime, now: SystemTime) -> Result<(), AuthError> {
    if signed_at + MAX_SKEW < now {
        return Err(AuthError::Expired {
            amz_date: amz_date.into(),
            limit: format_amz_date(now - MAX_SKEW),
            now: format_amz_date(now),
        });
    }
    if signed_at > now + MAX_SKEW {
        return Err(AuthError::NotYetCurrent {
            amz_date: amz_date.into(),
            limit: format_amz_date(now + MAX_SKEW),
            now: format_amz_date(now),
        });
    }
    Ok(())
}

/// Parses the ISO-8601 basic form SigV4 uses: `20250101T120000Z`.
pub fn parse_amz_date(value: &str) -> Option<SystemTime> {
    let bytes = value.as_bytes();
    let digits_at = [0..8, 9..15];
    let shape_ok = bytes.len() == 16
        && bytes[8] == b'T'
        && bytes[15] == b'Z'
        && digits_at
            .iter()
            .all(|r| bytes[r.clone()].iter().all(u8::is_ascii_digit));
    if !shape_ok {
        return None;
    }
    let number = |from: usize, to: usize| value[from..to].parse::<u16>().ok();
    let month = Month::try_from(u8::try_from(number(4, 6)?).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::from(number(0, 4)?), month, number(6, 8)? as u8).ok()?;
    let time = Time::from_hms(
        number(9, 11)? as u8,
        number(11, 13)? as u8,
        number(13, 15)? as u8,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc().into())
}

/// Formats a time in the ISO-8601 basic form SigV4 uses: `20250101T120000Z`.
pub fn format_amz_date(at: SystemTime) -> String {
    let at = OffsetDateTime::from(at);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EmulatorConfig;
    use crate::keyring::Issuer;
    use crate::test_support::{self, signed_request};

    const BODY: &[u8] = br#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#;
    const HOST: &str = "bedrock-runtime.us-east-1.amazonaws.com";
    const PATH: &str = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream";

    fn default_verifier<'a>(config: &'a EmulatorConfig, keys: &'a Keyring) -> Verifier<'a> {
        Verifier {
            region: Some(&config.region),
            service: "bedrock",
            keys,
        }
    }

    fn verify_signed(
        credentials: &StaticCredentials,
        region: &str,
        signed_at: SystemTime,
        tamper: impl FnOnce(&mut http::request::Parts, &mut Vec<u8>),
    ) -> Result<String, AuthError> {
        let config = EmulatorConfig::default();
        let request = signed_request(HOST, PATH, BODY, credentials, region, "bedrock", signed_at);
        let (mut parts, mut body) = request.into_parts();
        tamper(&mut parts, &mut body);
        let keys = Keyring::new(config.credentials.clone());
        default_verifier(&config, &keys).verify(&parts, &body, SystemTime::now())
    }

    fn key() -> StaticCredentials {
        EmulatorConfig::default().credentials[0].clone()
    }

    #[test]
    fn accepts_aws_sigv4_signatures() {
        let now = SystemTime::now();
        assert_eq!(
            verify_signed(&key(), "us-east-1", now, |_, _| {}),
            Ok("AKIDEXAMPLE".into())
        );
        let session = EmulatorConfig::default().credentials[1].clone();
        assert_eq!(
            verify_signed(&session, "us-east-1", now, |_, _| {}),
            Ok("ASIDEXAMPLESESSION".into())
        );
    }

    #[test]
    fn accepts_a_session_token_added_after_signing() {
        let session = EmulatorConfig::default().credentials[1].clone();
        let unsigned_token = StaticCredentials {
            session_token: None,
            ..session.clone()
        };
        let token = session.session_token.clone().unwrap();
        let result = verify_signed(
            &unsigned_token,
            "us-east-1",
            SystemTime::now(),
            |parts, _| {
                parts
                    .headers
                    .insert(X_AMZ_SECURITY_TOKEN, token.parse().unwrap());
            },
        );
        assert_eq!(result, Ok("ASIDEXAMPLESESSION".into()));
    }

    #[test]
    fn rejects_wrong_secret() {
        let wrong = StaticCredentials {
            secret_access_key: "not-the-secret".into(),
            ..key()
        };
        let err = verify_signed(&wrong, "us-east-1", SystemTime::now(), |_, _| {}).unwrap_err();
        assert_eq!(err, AuthError::SignatureMismatch);
        assert_eq!(err.code().name(), "InvalidSignatureException");
        assert!(!err.to_string().contains("not-the-secret"));
    }

    #[test]
    fn rejects_tampered_body_and_path() {
        let now = SystemTime::now();
        let body = verify_signed(&key(), "us-east-1", now, |_, body| body.push(b' '));
        assert_eq!(body, Err(AuthError::SignatureMismatch));
        let path = verify_signed(&key(), "us-east-1", now, |parts, _| {
            parts.uri = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream"
                .parse()
                .unwrap();
        });
        assert_eq!(path, Err(AuthError::SignatureMismatch));
        let header = verify_signed(&key(), "us-east-1", now, |parts, _| {
            parts
                .headers
                .insert("content-type", "text/plain".parse().unwrap());
        });
        assert_eq!(header, Err(AuthError::SignatureMismatch));
    }

    #[test]
    fn rejects_unknown_key_and_bad_session_tokens() {
        let now = SystemTime::now();
        let stranger = StaticCredentials {
            access_key_id: "AKIDSTRANGER".into(),
            ..key()
        };
        let err = verify_signed(&stranger, "us-east-1", now, |_, _| {}).unwrap_err();
        assert_eq!(err.code().name(), "UnrecognizedClientException");
        assert_eq!(
            err.to_string(),
            "The security token included in the request is invalid."
        );

        let session = EmulatorConfig::default().credentials[1].clone();
        let no_token = StaticCredentials {
            session_token: None,
            ..session.clone()
        };
        let err = verify_signed(&no_token, "us-east-1", now, |_, _| {}).unwrap_err();
        assert_eq!(err, AuthError::UnrecognizedClient);
        let wrong_token = StaticCredentials {
            session_token: Some("forged".into()),
            ..session
        };
        let err = verify_signed(&wrong_token, "us-east-1", now, |_, _| {}).unwrap_err();
        assert_eq!(err, AuthError::UnrecognizedClient);
    }

    #[test]
    fn issued_credentials_work_until_they_expire() {
        let config = EmulatorConfig::default();
        let keys = Keyring::new(config.credentials.clone());
        let now = SystemTime::now();
        let issuer = Issuer {
            keyring: &keys,
            now,
            lifetime: Duration::from_secs(60),
        };
        let issued = issuer.issue("sts");
        let credentials = StaticCredentials {
            access_key_id: issued.access_key_id.clone(),
            secret_access_key: issued.secret_access_key.clone(),
            session_token: Some(issued.session_token.clone()),
        };
        let request = signed_request(HOST, PATH, BODY, &credentials, "us-east-1", "bedrock", now);
        let (parts, body) = request.into_parts();
        let verifier = default_verifier(&config, &keys);
        assert_eq!(
            verifier.verify(&parts, &body, now),
            Ok(issued.access_key_id.clone())
        );
        // Still inside the signature's skew window, but past the credentials' expiry.
        let err = verifier
            .verify(&parts, &body, now + Duration::from_secs(61))
            .unwrap_err();
        assert_eq!(err, AuthError::ExpiredToken);
        assert_eq!(err.code().name(), "ExpiredTokenException");
        assert_eq!(err.code().status(), 403);
        assert_eq!(
            err.to_string(),
            "The security token included in the request is expired"
        );
    }

    #[test]
    fn any_region_when_none_is_fixed() {
        let config = EmulatorConfig::default();
        let keys = Keyring::new(config.credentials.clone());
        let now = SystemTime::now();
        let request = signed_request(
            "sts.eu-west-1.amazonaws.com",
            "/",
            b"",
            &key(),
            "eu-west-1",
            "sts",
            now,
        );
        let (parts, body) = request.into_parts();
        let anywhere = Verifier {
            region: None,
            service: "sts",
            keys: &keys,
        };
        assert_eq!(
            anywhere.verify(&parts, &body, now),
            Ok("AKIDEXAMPLE".into())
        );
        let fixed = Verifier {
            region: Some("us-east-1"),
            ..anywhere
        };
        assert_eq!(
            fixed.verify(&parts, &body, now),
            Err(AuthError::WrongRegion)
        );
    }

    #[test]
    fn rejects_wrong_scope_date() {
        let err = verify_signed(&key(), "us-east-1", SystemTime::now(), |parts, _| {
            let auth = parts.headers["authorization"].to_str().unwrap().to_owned();
            let date = &parts.headers[X_AMZ_DATE].to_str().unwrap()[..8];
            let forged = auth.replacen(date, "20200101", 1);
            parts
                .headers
                .insert("authorization", forged.parse().unwrap());
        })
        .unwrap_err();
        let AuthError::ScopeDateMismatch { scope, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(scope, "20200101");
        assert!(err.to_string().starts_with(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20200101' != '"
        ));
    }

    #[test]
    fn rejects_wrong_region_and_service() {
        let now = SystemTime::now();
        let err = verify_signed(&key(), "eu-west-1", now, |_, _| {}).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Credential should be scoped to a valid region. "
        );
        let config = EmulatorConfig::default();
        let request = signed_request(HOST, PATH, BODY, &key(), "us-east-1", "s3", now);
        let (parts, body) = request.into_parts();
        let keys = Keyring::new(config.credentials.clone());
        let err = default_verifier(&config, &keys)
            .verify(&parts, &body, now)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Credential should be scoped to correct service: 'bedrock'. "
        );
    }

    #[test]
    fn rejects_clock_skew_both_ways() {
        let now = SystemTime::now();
        let past = verify_signed(
            &key(),
            "us-east-1",
            now - Duration::from_secs(600),
            |_, _| {},
        );
        let err = past.unwrap_err();
        assert!(err.to_string().starts_with("Signature expired: "), "{err}");
        assert!(err.to_string().ends_with(" - 5 min.)"), "{err}");
        let future = verify_signed(
            &key(),
            "us-east-1",
            now + Duration::from_secs(600),
            |_, _| {},
        );
        let err = future.unwrap_err();
        assert!(
            err.to_string().starts_with("Signature not yet current: "),
            "{err}"
        );
        assert_eq!(err.code().name(), "InvalidSignatureException");
        let slight = verify_signed(
            &key(),
            "us-east-1",
            now - Duration::from_secs(120),
            |_, _| {},
        );
        assert_eq!(slight, Ok("AKIDEXAMPLE".into()));
    }

    #[test]
    fn expired_message_matches_aws() {
        let now = parse_amz_date("20250101T120000Z").unwrap();
        let signed = parse_amz_date("20250101T110000Z").unwrap();
        let err = check_clock("20250101T110000Z", signed, now).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Signature expired: 20250101T110000Z is now earlier than 20250101T115500Z (20250101T120000Z - 5 min.)"
        );
    }

    #[test]
    fn malformed_authorization_headers() {
        let incomplete = parse_authorization("AWS4-HMAC-SHA256 Credential=a/b/c/d/e").unwrap_err();
        assert_eq!(
            incomplete.to_string(),
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."
        );
        let short = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=00",
        );
        assert!(matches!(short, Err(AuthError::Incomplete(_))));
        assert!(parse_authorization("AWS4-HMAC-SHA256X Credential=a").is_err());
    }

    #[test]
    fn amz_dates_round_trip() {
        for text in ["20150830T123600Z", "20240229T235959Z", "19700101T000000Z"] {
            assert_eq!(format_amz_date(parse_amz_date(text).unwrap()), text);
        }
        for bad in [
            "2015-08-30T12:36:00Z",
            "20150830T123600",
            "20151330T123600Z",
            "2015083xT123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    /// The AWS SigV4 test suite (aws-c-auth): every header-signed request whose path can be
    /// sent on the wire as is must verify, and must fail once its signature is altered.
    #[test]
    fn aws_signing_test_suite() {
        let Some(cases) = test_support::sigv4_suite() else {
            return;
        };
        for case in cases {
            let keys = Keyring::new(vec![case.credentials.clone()]);
            let verifier = Verifier {
                region: Some(&case.region),
                service: &case.service,
                keys: &keys,
            };
            let (parts, body, now) = (&case.parts, &case.body, case.signed_at);
            let expected = Ok(case.credentials.access_key_id.clone());
            assert_eq!(verifier.verify(parts, body, now), expected, "{}", case.name);

            let mut forged = parts.clone();
            let auth = forged.headers["authorization"].to_str().unwrap();
            let flipped = if auth.ends_with('0') { "1" } else { "0" };
            let auth = format!("{}{flipped}", &auth[..auth.len() - 1]);
            forged
                .headers
                .insert("authorization", auth.parse().unwrap());
            let refused = verifier.verify(&forged, body, now);
            assert_eq!(refused, Err(AuthError::SignatureMismatch), "{}", case.name);
        }
    }
}
