//! The JSON credential document that IMDS and the container endpoint both serve:
//!
//! ```json
//! {"Code": "Success", "AccessKeyId": "ASIA...", "SecretAccessKey": "...",
//!  "Token": "...", "Expiration": "2021-09-21T04:16:53Z"}
//! ```
//!
//! (`Code` only from IMDS; the container endpoint may add `RoleArn` and
//! `AccountId`, and answers errors as `{"code": ..., "message": ...}`.)

use super::AwsCredentials;
use crate::time::parse_rfc3339;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Document {
    code: Option<String>,
    message: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    token: Option<String>,
    expiration: Option<String>,
}

/// An error document's code and message (either capitalisation).
#[derive(Deserialize, Default)]
struct ErrorDocument {
    #[serde(alias = "Code")]
    code: Option<String>,
    #[serde(alias = "Message")]
    message: Option<String>,
}

/// Reads a credential document. The error is a sentence fit for a user,
/// naming the missing or malformed field, never quoting a value.
pub fn parse(body: &[u8]) -> Result<AwsCredentials, String> {
    let doc: Document = serde_json::from_slice(body).map_err(|e| {
        // serde_json's message names a position and expectation, not content.
        format!(
            "the answer is not a credential document ({})",
            e.classify_name()
        )
    })?;
    if let Some(code) = doc.code.as_deref().filter(|c| *c != "Success") {
        let message = doc
            .message
            .as_deref()
            .map(|m| format!(": {}", clip(m)))
            .unwrap_or_default();
        return Err(format!("the answer has code `{}`{message}", clip(code)));
    }
    let field = |value: Option<String>, name: &str| {
        value
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| format!("the answer has no {name}"))
    };
    let access_key_id = field(doc.access_key_id, "AccessKeyId")?;
    let secret_access_key = field(doc.secret_access_key, "SecretAccessKey")?;
    let expires_at = match doc.expiration {
        Some(text) => Some(
            parse_rfc3339(&text).ok_or("the answer's Expiration is not an RFC 3339 timestamp")?,
        ),
        None => None,
    };
    Ok(AwsCredentials {
        access_key_id,
        secret_access_key,
        session_token: doc.token.filter(|t| !t.trim().is_empty()),
        expires_at,
    })
}

/// `code: message` from an error document, when the body is one.
pub fn error_summary(body: &[u8]) -> Option<String> {
    let doc: ErrorDocument = serde_json::from_slice(body).ok()?;
    match (doc.code, doc.message) {
        (Some(code), Some(message)) => Some(format!("{}: {}", clip(&code), clip(&message))),
        (Some(one), None) | (None, Some(one)) => Some(clip(&one)),
        (None, None) => None,
    }
}

/// Service text kept in a message: one line, bounded.
pub(super) fn clip(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or("");
    match line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line.to_string(),
    }
}

trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "malformed JSON",
            serde_json::error::Category::Data => "unexpected JSON shape",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::unix_seconds;

    #[test]
    fn imds_and_container_documents() {
        let imds = br#"{"Code":"Success","LastUpdated":"2021-09-20T21:42:26Z","Type":"AWS-HMAC",
            "AccessKeyId":"ASIARTEST","SecretAccessKey":"testsecret","Token":"testtoken","Expiration":"2021-09-21T04:16:53Z"}"#;
        let keys = parse(imds).unwrap();
        assert_eq!(keys.access_key_id, "ASIARTEST");
        assert_eq!(keys.session_token.as_deref(), Some("testtoken"));
        assert_eq!(keys.expires_at.map(unix_seconds), Some(1_632_197_813));
        let ecs = br#"{"RoleArn":"arn:aws:iam::1:role/r","AccessKeyId":"A","SecretAccessKey":"S","Token":"T","AccountId":"1","Expiration" : "2009-02-13T23:31:30Z"}"#;
        assert_eq!(
            parse(ecs).unwrap().expires_at.map(unix_seconds),
            Some(1_234_567_890)
        );
    }

    #[test]
    fn failures_name_the_field_not_the_value() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let cases = [
            format!(r#"{{"AccessKeyId":"A","SecretAccessKey":"{secret}","Expiration":"soon"}}"#),
            format!(r#"{{"SecretAccessKey":"{secret}"}}"#),
            format!(r#"{{"Code":"Failed","Message":"no role","SecretAccessKey":"{secret}"}}"#),
            format!(r#"{{"AccessKeyId":"A","SecretAccessKey":"{secret}""#),
        ];
        let expected = [
            "Expiration",
            "AccessKeyId",
            "`Failed`: no role",
            "truncated JSON",
        ];
        for (body, fragment) in cases.iter().zip(expected) {
            let err = parse(body.as_bytes()).unwrap_err();
            assert!(err.contains(fragment) && !err.contains(secret), "{err}");
        }
    }

    #[test]
    fn error_documents() {
        assert_eq!(
            error_summary(br#"{"code":"InvalidToken","message":"bad"}"#).as_deref(),
            Some("InvalidToken: bad")
        );
        assert_eq!(error_summary(b"<html>").as_deref(), None);
    }
}
