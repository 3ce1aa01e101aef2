//! One merged section of the shared files: a profile, an SSO session, or a
//! `[services name]`-style section, with case-insensitive property names.

use super::parser::WHITESPACE;
use super::{FileKind, keys};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// Property names and values of one section, after duplicate sections and
/// both files were merged (later definitions and the credentials file win).
///
/// Names are stored lower-case, as the SDKs store them, so lookups ignore
/// case; values are kept exactly as written (trimmed, continuation lines
/// joined with `\n`).
#[derive(Clone, PartialEq, Eq)]
pub struct Section {
    name: String,
    properties: BTreeMap<String, Property>,
}

/// A `[profile name]` (config) or `[name]` (credentials) section.
pub type Profile = Section;
/// An `[sso-session name]` section of the config file.
pub type SsoSession = Section;

/// One property's value and where it was defined, so that a message can say
/// which file a setting came from (`profile: dev (~/.aws/credentials)`).
#[derive(Clone, PartialEq, Eq)]
pub struct Property {
    value: String,
    file: FileKind,
    line: usize,
}

impl Property {
    pub(crate) fn new(value: String, file: FileKind, line: usize) -> Self {
        Property { value, file, line }
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    /// The file whose definition won.
    pub fn file(&self) -> FileKind {
        self.file
    }

    /// The 1-based line of that definition's `name = ...` line.
    pub fn line(&self) -> usize {
        self.line
    }
}

/// The value may be a secret key: only its origin is shown.
impl fmt::Debug for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Property")
            .field("value", &"** redacted **")
            .field("file", &self.file)
            .field("line", &self.line)
            .finish()
    }
}

impl Section {
    pub(crate) fn new(name: String) -> Self {
        Section {
            name,
            properties: BTreeMap::new(),
        }
    }

    /// Adds or replaces a property; `name` is already lower-case and valid.
    pub(crate) fn insert(&mut self, name: String, property: Property) {
        self.properties.insert(name, property);
    }

    /// The section's name: `dev` for `[profile dev]` or `[dev]`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value of `key`, ignoring case, as the SDKs read it: an empty
    /// value (`key =`) is `Some("")`. See [`Section::value`] for the
    /// "blank is unset" reading.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.property(key).map(Property::value)
    }

    /// Like [`Section::get`], but a blank value counts as unset, the rule
    /// [`crate::env::Environment`] applies to variables.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    /// The value of `key` with where it was defined.
    pub fn property(&self, key: &str) -> Option<&Property> {
        self.properties.get(lower(key).as_ref())
    }

    /// Whether `key` is defined at all, empty or not.
    pub fn contains(&self, key: &str) -> bool {
        self.property(key).is_some()
    }

    /// A sub-property of `key`, whose value is a block of indented lines:
    ///
    /// ```ini
    /// s3 =
    ///   addressing_style = path
    /// ```
    ///
    /// `key` ignores case; `sub` is compared exactly, as botocore and
    /// smithy-rs compare it. The last definition wins.
    pub fn sub_property(&self, key: &str, sub: &str) -> Option<&str> {
        self.sub_properties(key)
            .filter(|(name, _)| *name == sub)
            .last()
            .map(|(_, value)| value)
    }

    /// Every `name = value` line of `key`'s value, in order; lines without
    /// `=` are skipped, as the SDKs skip them.
    pub fn sub_properties(&self, key: &str) -> impl Iterator<Item = (&str, &str)> {
        self.get(key)
            .unwrap_or_default()
            .split('\n')
            .filter_map(|line| line.split_once('='))
            .map(|(name, value)| {
                (
                    name.trim_matches(WHITESPACE),
                    value.trim_matches(WHITESPACE),
                )
            })
    }

    /// Property names (lower-case, sorted) with their values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.properties
            .iter()
            .map(|(name, p)| (name.as_str(), p.value()))
    }

    /// Whether the section has no properties, e.g. `[profile dev]` alone.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }
}

/// Shows the name and which well-known properties are set, never a value.
/// Other names are only counted: a secret pasted on a line of its own with a
/// trailing `=` (base64 padding) parses as a property name.
impl fmt::Debug for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = self
            .properties
            .keys()
            .map(String::as_str)
            .filter(|k| keys::KNOWN.contains(k))
            .collect();
        f.debug_struct("Section")
            .field("name", &self.name)
            .field("properties", &known)
            .field("other_properties", &(self.properties.len() - known.len()))
            .finish()
    }
}

/// `key` in lower case, without allocating when it already is.
pub(crate) fn lower(key: &str) -> Cow<'_, str> {
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(key.to_ascii_lowercase())
    } else {
        Cow::Borrowed(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(props: &[(&str, &str)]) -> Section {
        let mut s = Section::new("dev".into());
        for (i, (k, v)) in props.iter().enumerate() {
            s.insert(
                k.to_string(),
                Property::new(v.to_string(), FileKind::Config, i + 2),
            );
        }
        s
    }

    #[test]
    fn lookups_ignore_case_and_keep_empty_values() {
        let s = section(&[("region", "eu-west-1"), ("aws_session_token", "")]);
        assert_eq!(s.get("REGION"), Some("eu-west-1"));
        assert_eq!(s.get("Region"), Some("eu-west-1"));
        assert_eq!(s.get("aws_session_token"), Some(""));
        assert_eq!(s.value("aws_session_token"), None);
        assert!(s.contains("AWS_SESSION_TOKEN"));
        assert_eq!(s.get("missing"), None);
        assert_eq!(s.property("region").unwrap().line(), 2);
    }

    #[test]
    fn sub_properties_are_read_from_the_block() {
        let s = section(&[
            (
                "s3",
                "\naddressing_style = path\nnot a pair\nmax = 1\nmax = 2",
            ),
            ("plain", "x"),
        ]);
        assert_eq!(s.sub_property("S3", "addressing_style"), Some("path"));
        assert_eq!(
            s.sub_property("s3", "max"),
            Some("2"),
            "last definition wins"
        );
        assert_eq!(
            s.sub_property("s3", "Addressing_Style"),
            None,
            "sub-property names are exact"
        );
        assert_eq!(s.sub_property("plain", "x"), None);
        assert_eq!(s.sub_property("missing", "x"), None);
        assert_eq!(s.sub_properties("s3").count(), 3);
    }

    #[test]
    fn debug_shows_known_names_only_and_no_values() {
        let s = section(&[
            ("aws_secret_access_key", "SECRETVALUE"),
            ("pastedsecret", ""),
        ]);
        let shown = format!("{s:?} {:?}", s.property("aws_secret_access_key").unwrap());
        assert!(
            shown.contains("aws_secret_access_key") && shown.contains("other_properties: 1"),
            "{shown}"
        );
        assert!(
            !shown.contains("SECRETVALUE") && !shown.contains("pastedsecret"),
            "{shown}"
        );
    }
}
