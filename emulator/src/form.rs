//! Decoded `application/x-www-form-urlencoded` pairs: the query strings of the control plane
//! and the SSO portal, and the form bodies STS is called with.

/// The pairs in order; a repeated name keeps its first value, as AWS reads them.
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(raw: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_keeps_the_first_value() {
        let form = Form::parse(Some(
            "RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx&a=1&a=2&b=c+d",
        ));
        assert_eq!(form.get("RoleArn"), Some("arn:aws:iam::1:role/x"));
        assert_eq!(form.get("a"), Some("1"));
        assert_eq!(form.get("b"), Some("c d"));
        assert_eq!(form.get("missing"), None);
        assert_eq!(Form::parse(None).get("a"), None);
    }
}
