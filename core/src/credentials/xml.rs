//! Just enough XML for STS's answers.
//!
//! STS speaks the AWS Query protocol: fixed, shallow documents such as
//!
//! ```xml
//! <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
//!   <AssumeRoleResult><Credentials><AccessKeyId>ASIA...</AccessKeyId>...</Credentials></AssumeRoleResult>
//! </AssumeRoleResponse>
//! ```
//!
//! and `<ErrorResponse><Error><Code>..</Code><Message>..</Message></Error><RequestId>..</RequestId></ErrorResponse>`.
//! Reading them needs "the text of element `B` inside element `A`" and entity
//! decoding, not a general XML parser: [`text`] finds an element by name
//! (whole name, attributes allowed, optional namespace prefix ignored),
//! takes everything up to its closing tag, and decodes the five named
//! entities, numeric references and CDATA sections. Element names in these
//! documents never nest inside themselves, which is what makes that sound.

/// The decoded text of the first element named `path[last]` found inside
/// `path[0]` inside ... `path[last - 1]`, or `None` when any is missing or
/// its text is malformed. `<Name/>` is `Some("")`.
pub fn text(doc: &str, path: &[&str]) -> Option<String> {
    let mut scope = doc;
    for name in path {
        scope = inner(scope, name)?;
    }
    decode(scope)
}

/// The raw content of the first `<name ...>...</name>` in `doc`.
fn inner<'a>(doc: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(found) = doc[from..].find('<') {
        let start = from + found + 1;
        from = start;
        let rest = &doc[start..];
        let tag_name_len = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let tag_name = &rest[..tag_name_len];
        let local = tag_name.rsplit(':').next().unwrap_or(tag_name);
        if local != name || tag_name.starts_with(['/', '?', '!']) {
            continue;
        }
        let open_end = start + rest.find('>')?;
        if doc[..open_end].ends_with('/') {
            return Some("");
        }
        let content = &doc[open_end + 1..];
        let close = format!("</{tag_name}>");
        return content.find(&close).map(|end| &content[..end]);
    }
    None
}

/// Entity and CDATA decoding; `None` on an unknown or unterminated entity.
fn decode(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find(['&', '<']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let end = cdata.find("]]>")?;
            out.push_str(&cdata[..end]);
            rest = &cdata[end + 3..];
            continue;
        }
        if rest.starts_with('<') {
            // Markup inside a text element (a comment, say): not something
            // STS sends in the fields read here.
            return None;
        }
        let end = rest.find(';')?;
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                {
                    u32::from_str_radix(hex, 16).ok()?
                } else {
                    entity.strip_prefix('#')?.parse().ok()?
                };
                char::from_u32(code)?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0"?>
<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
      <SecretAccessKey>a&amp;b&lt;c&#x2F;d&#61;</SecretAccessKey>
      <SessionToken><![CDATA[tok<en>]]></SessionToken>
      <Expiration>2021-08-05T19:58:02Z</Expiration>
    </Credentials>
    <PackedPolicySize/>
  </AssumeRoleResult>
</AssumeRoleResponse>"#;

    #[test]
    fn reads_nested_text() {
        assert_eq!(
            text(DOC, &["Credentials", "AccessKeyId"]).as_deref(),
            Some("ASIAEXAMPLE")
        );
        assert_eq!(
            text(DOC, &["Credentials", "SecretAccessKey"]).as_deref(),
            Some("a&b<c/d=")
        );
        assert_eq!(
            text(DOC, &["Credentials", "SessionToken"]).as_deref(),
            Some("tok<en>")
        );
        assert_eq!(
            text(DOC, &["AssumedRoleUser", "Arn"]).as_deref(),
            Some("arn:aws:sts::123456789012:assumed-role/r/s")
        );
        assert_eq!(text(DOC, &["PackedPolicySize"]).as_deref(), Some(""));
    }

    #[test]
    fn names_match_whole_and_scopes_hold() {
        // `<Credentials>` must not match `<CredentialsX>`, and a field outside
        // its parent is not found inside it.
        let doc = "<CredentialsX><AccessKeyId>wrong</AccessKeyId></CredentialsX><Credentials><AccessKeyId>right</AccessKeyId></Credentials>";
        assert_eq!(
            text(doc, &["Credentials", "AccessKeyId"]).as_deref(),
            Some("right")
        );
        assert_eq!(text(doc, &["Credentials", "Expiration"]), None);
        assert_eq!(
            text("<a:Code xmlns:a='x'>Throttling</a:Code>", &["Code"]).as_deref(),
            Some("Throttling")
        );
    }

    #[test]
    fn malformed_input_is_none_not_a_panic() {
        for doc in [
            "",
            "<",
            "<Code>",
            "<Code>x",
            "<Code>&bogus;</Code>",
            "<Code>&#xZZ;</Code>",
            "<Code>a&amp</Code>",
            "<Code><![CDATA[x</Code>",
        ] {
            assert_eq!(text(doc, &["Code"]), None, "{doc:?}");
        }
    }
}
