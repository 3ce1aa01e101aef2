//! What of an AWS error message a client of `serve` may read.
//!
//! Bedrock's messages name the caller's principal ("User: arn:aws:sts::
//! 123456789012:assumed-role/... is not authorized"), its account, and at
//! times echo a signature's `Credential=` scope. A client of `serve` is not
//! the owner of those credentials, so it gets the message with those parts
//! replaced; the server's log keeps the original.

/// What replaces each redacted part.
const REDACTED: &str = "[redacted]";

/// A token this long or longer, of base64/hex characters with both letters
/// and digits, is taken for a key, a token or a signature. Model ids and
/// request ids break into shorter pieces at their `.`, `-` and `:`.
const TOKEN_MIN_LEN: usize = 20;

/// `message` with ARNs, `Credential=`/`Signature=`/token parameters, bearer
/// tokens, account ids and token-like strings replaced.
pub(super) fn aws_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(c) = rest.chars().next() {
        // Only at the start of a word: `...:arn:` inside a word is part of it.
        let at_word_start = out.chars().next_back().is_none_or(|p| !is_word(p));
        if at_word_start && let Some((kept, len)) = secret_len(rest) {
            out.push_str(&rest[..kept]);
            out.push_str(REDACTED);
            rest = &rest[len..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// When `text` starts with a secret: how many bytes of it to keep (a
/// parameter's name) and its whole length.
fn secret_len(text: &str) -> Option<(usize, usize)> {
    let lower = |prefix: &str| {
        text.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    // An ARN, up to the next space, quote or bracket: `arn:aws:...`,
    // `arn:aws-cn:...`, `arn:aws-us-gov:...`.
    if lower("arn:aws") {
        return Some((0, run(text, is_arn)));
    }
    // A signature's parameters, and the value after each.
    for key in [
        "credential=",
        "signature=",
        "x-amz-security-token=",
        "x-amz-credential=",
        "x-amz-signature=",
    ] {
        if lower(key) {
            let value = run(&text[key.len()..], is_parameter);
            return Some((key.len(), key.len() + value));
        }
    }
    if lower("bearer ") {
        let token = run(&text[7..], is_parameter);
        return (token > 0).then_some((0, 7 + token));
    }
    let word = run(text, is_token);
    let digits = text[..word].bytes().all(|b| b.is_ascii_digit());
    // A bare 12-digit AWS account id.
    if digits && word == 12 {
        return Some((0, word));
    }
    let token = &text[..word];
    let letters = token.bytes().any(|b| b.is_ascii_alphabetic());
    let numbers = token.bytes().any(|b| b.is_ascii_digit());
    (word >= TOKEN_MIN_LEN && letters && numbers).then_some((0, word))
}

/// How many bytes at the start of `text` satisfy `keep`.
fn run(text: &str, keep: fn(char) -> bool) -> usize {
    text.find(|c| !keep(c)).unwrap_or(text.len())
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | ':' | '/' | '+' | '=' | '-' | '.')
}

fn is_arn(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            '"' | '\'' | '`' | ',' | ';' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>'
        )
}

fn is_parameter(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, ',' | '"' | '\'' | '&' | ';')
}

/// Base64, base64url (without `-`, which splits model and request ids) and
/// hex characters.
fn is_token(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_')
}

#[cfg(test)]
mod tests {
    use super::aws_message;

    #[test]
    fn serve_redacts_principals_and_accounts() {
        let message = "User: arn:aws:sts::123456789012:assumed-role/Admin/alice is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/x because no identity-based policy allows it";
        assert_eq!(
            aws_message(message),
            "User: [redacted] is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: [redacted] because no identity-based policy allows it"
        );
        assert_eq!(
            aws_message("The account 123456789012 is not subscribed."),
            "The account [redacted] is not subscribed."
        );
    }

    #[test]
    fn serve_redacts_credentials_and_tokens() {
        let message = "Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        assert_eq!(
            aws_message(message),
            "Credential=[redacted], SignedHeaders=host;x-amz-date, Signature=[redacted]"
        );
        assert_eq!(
            aws_message("The security token FwoGZXIvYXdzEJr//////////wEaDOpLm5kQ1 is expired"),
            "The security token [redacted] is expired"
        );
        assert_eq!(
            aws_message("key AKIAIOSFODNN7EXAMPLE refused; Bearer abc.def"),
            "key [redacted] refused; [redacted]"
        );
    }

    #[test]
    fn serve_keeps_what_a_client_needs() {
        for message in [
            "The provided model identifier is invalid: anthropic.claude-3-5-sonnet-20240620-v1:0",
            "Too many requests, please wait before trying again. (request 2f1c3a5e-9b7d-4c1e-8f00-5a6b7c8d9e0f)",
            "Input is too long for requested model: 250000 tokens",
            "Malformed input request: #: subject must not be valid against schema",
        ] {
            assert_eq!(aws_message(message), message);
        }
    }
}
