//! The IAM Identity Center (SSO) portal's GetRoleCredentials, the last hop of an
//! `sso_session` or legacy SSO profile.
//!
//! `GET /federation/credentials?role_name=..&account_id=..` with the cached access token in
//! `x-amz-sso_bearer_token`. The portal is a restJson1 service that does not take SigV4, so
//! it is routed before the Bedrock authentication check and answers errors in the same JSON
//! shape as Bedrock ([`crate::errors`]): a missing or unknown token is a 401
//! `UnauthorizedException`.

use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::clock::epoch_millis;
use crate::errors::{ApiError, ErrorCode};
use crate::form::Form;
use crate::keyring::Issuer;

/// How the credentials it issues are listed in [`crate::Emulator::issued`].
pub const SOURCE: &str = "sso";

const TOKEN_HEADER: &str = "x-amz-sso_bearer_token";

/// Answers GetRoleCredentials.
pub fn answer(
    parts: &http::request::Parts,
    access_tokens: &[String],
    issuer: &Issuer<'_>,
) -> Result<Value, ApiError> {
    let sent = parts
        .headers
        .get(TOKEN_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let known = !sent.is_empty()
        && access_tokens
            .iter()
            .any(|token| bool::from(token.as_bytes().ct_eq(sent)));
    if !known {
        return Err(ApiError::stock(ErrorCode::Unauthorized));
    }
    let query = Form::parse(parts.uri.query());
    for (name, valid) in [
        (
            "role_name",
            query.get("role_name").is_some_and(|r| !r.is_empty()),
        ),
        (
            "account_id",
            query
                .get("account_id")
                .is_some_and(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())),
        ),
    ] {
        if !valid {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                format!("The request parameter {name} is missing or invalid."),
            ));
        }
    }
    let credentials = issuer.issue(SOURCE);
    Ok(json!({
        "roleCredentials": {
            "accessKeyId": credentials.access_key_id,
            "secretAccessKey": credentials.secret_access_key,
            "sessionToken": credentials.session_token,
            "expiration": epoch_millis(credentials.expires_at) as u64,
        }
    }))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::keyring::Keyring;

    fn parts(query: &str, token: Option<&str>) -> http::request::Parts {
        let mut builder = http::Request::builder().uri(format!("/federation/credentials?{query}"));
        if let Some(value) = token {
            builder = builder.header(TOKEN_HEADER, value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn role_credentials_for_a_known_token() {
        let keyring = Keyring::new(Vec::new());
        let issuer = Issuer {
            keyring: &keyring,
            now: SystemTime::now(),
            lifetime: Duration::from_secs(3600),
        };
        let tokens = vec!["sso-token".to_owned()];
        let query = "role_name=Dev&account_id=123456789012";
        let ok = answer(&parts(query, Some("sso-token")), &tokens, &issuer).unwrap();
        let issued = &keyring.issued()[0];
        assert_eq!(issued.source, "sso");
        let role = &ok["roleCredentials"];
        assert_eq!(role["accessKeyId"], issued.access_key_id.as_str());
        let millis = epoch_millis(issued.expires_at) as u64;
        assert_eq!(role["expiration"], millis);
        assert_eq!(millis % 1000, 0);

        for token in [None, Some(""), Some("stolen")] {
            let err = answer(&parts(query, token), &tokens, &issuer).unwrap_err();
            assert_eq!(err.code.name(), "UnauthorizedException");
            assert_eq!(err.code.status(), 401);
            assert_eq!(err.message, "Session token not found or invalid");
        }
        for bad in [
            "role_name=Dev",
            "account_id=123456789012",
            "role_name=Dev&account_id=12",
        ] {
            let err = answer(&parts(bad, Some("sso-token")), &tokens, &issuer).unwrap_err();
            assert_eq!(err.code.name(), "InvalidRequestException", "{bad}");
        }
        assert_eq!(keyring.issued().len(), 1);
    }
}
