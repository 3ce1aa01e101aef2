//! Which model identifiers ConverseStream accepts in its path.
//!
//! The shapes follow the Bedrock API model's identifier patterns: a model id
//! `provider.name[:N[:variant]]`, optionally prefixed by a cross-region inference
//! geography, or a Bedrock ARN for a foundation model, an inference profile or an
//! application inference profile.

/// A well-formed id the emulator answers with ResourceNotFoundException, for tests of
/// that path.
pub const MISSING_MODEL: &str = "emulator.missing-model";

/// Prefixes of cross-region inference profiles.
const GEOGRAPHIES: [&str; 6] = ["us", "eu", "apac", "jp", "au", "global"];

/// Bedrock's length limit on model identifiers.
const MAX_LEN: usize = 2048;

pub fn is_valid(id: &str) -> bool {
    id.len() <= MAX_LEN && (is_arn(id) || is_model_id(id))
}

/// `[geo.]provider.name[:N[:variant]]`.
fn is_model_id(id: &str) -> bool {
    let mut colon_parts = id.split(':');
    let base = colon_parts.next().unwrap_or_default();
    let suffix: Vec<&str> = colon_parts.collect();
    let dotted: Vec<&str> = base.split('.').collect();
    let shape_ok = match dotted[..] {
        [_, _] => true,
        [geography, _, _] => GEOGRAPHIES.contains(&geography),
        _ => false,
    };
    shape_ok && suffix.len() <= 2 && dotted.iter().chain(&suffix).all(|part| is_segment(part))
}

/// `arn:aws:bedrock:{region}:{account}:{resource-type}/{id}`.
fn is_arn(id: &str) -> bool {
    let parts: Vec<&str> = id.splitn(6, ':').collect();
    let ["arn", "aws", "bedrock", region, account, resource] = parts[..] else {
        return false;
    };
    let Some((kind, name)) = resource.split_once('/') else {
        return false;
    };
    let account_ok = |empty_allowed: bool| {
        (empty_allowed && account.is_empty())
            || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
    };
    let region_ok = !region.is_empty()
        && region.len() <= 20
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    region_ok
        && match kind {
            // Foundation models belong to no account: their ARNs leave it empty.
            "foundation-model" => account_ok(true) && is_model_id(name),
            "inference-profile" => account_ok(false) && is_model_id(name),
            "application-inference-profile" => {
                account_ok(false)
                    && !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            }
            _ => false,
        }
}

/// `[a-z0-9-]{1,63}`, as in the API model's patterns.
fn is_segment(part: &str) -> bool {
    (1..=63).contains(&part.len())
        && part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_model_ids() {
        for id in [
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "amazon.titan-text-express-v1",
            "mistral.mistral-7b-instruct-v0:2",
            "anthropic.claude-3-sonnet-20240229-v1:0:28k",
            "us.anthropic.claude-sonnet-4-20250514-v1:0",
            "eu.amazon.nova-pro-v1:0",
            "apac.anthropic.claude-3-haiku-20240307-v1:0",
            "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "au.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "global.anthropic.claude-sonnet-4-20250514-v1:0",
            MISSING_MODEL,
        ] {
            assert!(is_valid(id), "{id}");
        }
    }

    #[test]
    fn accepts_arns() {
        for id in [
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
            "arn:aws:bedrock:eu-west-1:123456789012:foundation-model/amazon.nova-lite-v1:0",
            "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/a1b2c3d4e5f6",
        ] {
            assert!(is_valid(id), "{id}");
        }
    }

    #[test]
    fn rejects_garbage() {
        for id in [
            "",
            "gpt-4",
            "claude",
            "Anthropic.Claude-3",
            "anthropic..claude",
            "anthropic.claude v1",
            "xx.anthropic.claude-3-haiku-20240307-v1:0",
            "us.eu.anthropic.claude",
            "anthropic.claude-v1:",
            "anthropic.claude-v1:0:1:2",
            "../etc/passwd",
            "anthropic/claude",
            "arn:aws:bedrock:us-east-1:12345:inference-profile/us.anthropic.claude-v1:0",
            "arn:aws:bedrock:us-east-1::inference-profile/us.anthropic.claude-v1:0",
            "arn:aws:s3:us-east-1:123456789012:inference-profile/us.anthropic.claude-v1:0",
            "arn:aws:bedrock:us-east-1:123456789012:custom-thing/abc",
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile",
        ] {
            assert!(!is_valid(id), "{id:?}");
        }
        assert!(!is_valid(&format!("anthropic.{}", "a".repeat(64))));
    }
}
