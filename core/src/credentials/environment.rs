//! The first two sources: a Bedrock API key, then AWS keys, both from variables.

use super::{AwsCredentials, Credentials, Resolved};
use crate::env::Environment;
use crate::types::CredentialKind;

pub const BEARER_VAR: &str = "AWS_BEARER_TOKEN_BEDROCK";
pub const ACCESS_KEY_VAR: &str = "AWS_ACCESS_KEY_ID";
pub const SECRET_KEY_VAR: &str = "AWS_SECRET_ACCESS_KEY";
pub const SESSION_TOKEN_VAR: &str = "AWS_SESSION_TOKEN";

/// `AWS_BEARER_TOKEN_BEDROCK`, when set.
pub fn bearer(env: &Environment) -> Option<Resolved> {
    env.get(BEARER_VAR).map(|token| {
        Resolved::new(
            Credentials::BearerToken(token.to_string()),
            CredentialKind::BearerToken,
            format!("env: {BEARER_VAR}"),
        )
    })
}

/// `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), or
/// why not (for the "looked in" message): half a pair says which half.
pub fn keys(env: &Environment) -> Result<Resolved, String> {
    match (env.get(ACCESS_KEY_VAR), env.get(SECRET_KEY_VAR)) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Resolved::new(
            Credentials::Aws(AwsCredentials {
                access_key_id: access_key_id.to_string(),
                secret_access_key: secret_access_key.to_string(),
                session_token: env.get(SESSION_TOKEN_VAR).map(str::to_string),
                expires_at: None,
            }),
            CredentialKind::Environment,
            format!("env: {ACCESS_KEY_VAR}"),
        )),
        (Some(_), None) => Err(format!(
            "{ACCESS_KEY_VAR} is set but {SECRET_KEY_VAR} is not"
        )),
        (None, Some(_)) => Err(format!(
            "{SECRET_KEY_VAR} is set but {ACCESS_KEY_VAR} is not"
        )),
        (None, None) => Err(format!("{ACCESS_KEY_VAR} with {SECRET_KEY_VAR}: not set")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_a_pair_says_which_half() {
        let env = Environment::from_vars([(ACCESS_KEY_VAR, "AKID"), (SECRET_KEY_VAR, " ")]);
        assert_eq!(
            keys(&env).unwrap_err(),
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
        );
        let env = Environment::from_vars([(SECRET_KEY_VAR, "s")]);
        assert!(keys(&env).unwrap_err().starts_with(SECRET_KEY_VAR));
        assert!(bearer(&Environment::from_vars([(BEARER_VAR, "")])).is_none());
    }
}
