//! Which region a call goes to.

use crate::env::Environment;
use crate::types::ProviderError;

/// The region the AWS SDKs fall back to when nothing names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The region in force: the explicit option, then `AWS_REGION`, then
/// `AWS_DEFAULT_REGION`, then `us-east-1`.
///
/// The profile's `region` slots in before the default once profiles are read
/// (credentials work); an ARN model id overrides all of this for its call, see
/// [`region_of_arn`].
pub fn resolve(explicit: Option<&str>, env: &Environment) -> String {
    explicit
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .or_else(|| env.get("AWS_REGION"))
        .or_else(|| env.get("AWS_DEFAULT_REGION"))
        .unwrap_or(DEFAULT_REGION)
        .to_string()
}

/// Checks that `region` can be part of a hostname (`bedrock-runtime.{region}.amazonaws.com`),
/// as the SDKs do before building an endpoint: a misspelt or hostile value must
/// not turn into some other host.
pub fn validate(region: &str) -> Result<&str, ProviderError> {
    let valid = !region.is_empty()
        && region.len() <= 63
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(region)
    } else {
        Err(ProviderError::InvalidRequest(format!(
            "`{region}` is not a valid AWS region name (expected something like us-east-1)"
        )))
    }
}

/// The region embedded in an ARN model id
/// (`arn:aws:bedrock:eu-west-1:123456789012:inference-profile/...`).
///
/// A model ARN only works in its own region, so it wins over every other
/// source for the call that uses it.
pub fn region_of_arn(model_id: &str) -> Option<&str> {
    let mut parts = model_id.splitn(6, ':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("arn"), Some(_partition), Some(_service), Some(region)) if !region.is_empty() => {
            Some(region)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_option_then_aws_region_then_default_region() {
        let env = Environment::from_vars([
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "ap-south-1"),
        ]);
        assert_eq!(resolve(Some("us-west-2"), &env), "us-west-2");
        assert_eq!(resolve(None, &env), "eu-west-1");
        let env =
            Environment::from_vars([("AWS_REGION", " "), ("AWS_DEFAULT_REGION", "ap-south-1")]);
        assert_eq!(resolve(Some(""), &env), "ap-south-1");
        assert_eq!(resolve(None, &Environment::default()), "us-east-1");
    }

    #[test]
    fn regions_must_be_hostname_labels() {
        for ok in ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1"] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for bad in ["", "US-EAST-1", "evil.com/x", "us-east-1#", "-x", "a b"] {
            assert!(
                matches!(validate(bad), Err(ProviderError::InvalidRequest(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn arn_carries_its_region() {
        assert_eq!(
            region_of_arn(
                "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0"
            ),
            Some("eu-central-1")
        );
        assert_eq!(
            region_of_arn("anthropic.claude-3-haiku-20240307-v1:0"),
            None
        );
        assert_eq!(region_of_arn("arn:aws:bedrock::123:foo"), None);
    }
}
