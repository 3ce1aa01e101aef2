//! Reading one shared file: lines into sections, then sections into the
//! profiles, SSO sessions and other sections the SDKs would see.
//!
//! Two passes, as in smithy-rs. The first is literal and is the only one that
//! fails: it knows headers, `name = value` lines, comments and indented
//! continuation lines, and rejects a line that is none of these. The second
//! applies the naming rules, which never fail: a section the SDKs would skip
//! (`[dev]` in the config file, `[profile dev]` in the credentials file, a
//! name with a space) is dropped and recorded as [`Ignored`], so that a
//! "profile not found" message can say why.

use super::section::{Property, lower};
use super::{FileKind, ProfileError};
use std::borrow::Cow;
use std::fmt;

/// What the spec calls whitespace. Only these two: a line starting with
/// another blank (a no-break space, say) is not a continuation line.
pub(crate) const WHITESPACE: &[char] = &[' ', '\t'];
const COMMENT: &[char] = &['#', ';'];
const PROFILE_PREFIX: &str = "profile";
const SSO_SESSION_PREFIX: &str = "sso-session";
const DEFAULT: &str = super::DEFAULT_PROFILE;

/// A line no SDK would accept. The messages begin with smithy-rs's wording
/// (the shared test suite matches on it) and end with what to write instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error(
        "Profile definition must end with ']' (`#` and `;` start a comment anywhere in a section header)"
    )]
    UnclosedSectionHeader,
    #[error(
        "Expected a profile definition before the first property: start the file with a section \
         header such as [default]"
    )]
    PropertyOutsideSection,
    #[error(
        "Expected a profile definition before the first indented line: start the file with a \
         section header such as [default]; indented lines continue the property above them"
    )]
    ContinuationOutsideSection,
    #[error(
        "Expected a property definition, found continuation: an indented line continues the \
         property above it, and this section has none yet (remove the indentation)"
    )]
    ContinuationOutsideProperty,
    #[error("Expected an '=' sign defining a property (write `name = value`)")]
    PropertyWithoutEquals,
    #[error("Property did not have a name (write `name = value`)")]
    PropertyWithoutName,
    #[error(
        "Expected an '=' sign defining a sub-property (indented lines under `name =` are written \
         `key = value`)"
    )]
    SubPropertyWithoutEquals,
    #[error(
        "Sub-property did not have a name (indented lines under `name =` are written `key = value`)"
    )]
    SubPropertyWithoutName,
}

/// Why a section or property was skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IgnoredReason {
    /// `[dev]` in the config file: there, only `[default]` goes without a prefix.
    MissingProfilePrefix,
    /// `[profile dev]` in the credentials file: there, profiles take no prefix.
    ProfilePrefixInCredentials,
    /// `[sso-session x]`, `[services x]` or a name with a space in the
    /// credentials file, which holds only `[name]` profile sections.
    SectionNotAllowedInCredentials,
    /// A section name with characters outside `A-Z a-z 0-9 - _ / . % @ : +`.
    InvalidSectionName,
    /// `[default]` in a config file that also has `[profile default]`, which wins whole.
    ShadowedDefault,
    /// A property name with characters outside `A-Z a-z 0-9 - _ / . % @ : +`.
    InvalidPropertyName,
}

/// A section or property the SDKs skip without failing, and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ignored {
    pub file: FileKind,
    /// The 1-based line of the section header, or of the property.
    pub line: usize,
    /// The header between the brackets, trimmed (`profile dev`); for an
    /// ignored property, its section's header. Property names are not kept:
    /// a pasted secret can parse as one.
    pub section: String,
    pub reason: IgnoredReason,
}

impl Ignored {
    /// Whether this section looks written to define profile `name`.
    pub(crate) fn would_define_profile(&self, name: &str) -> bool {
        let (prefix, suffix) = split_header(&self.section);
        match self.reason {
            IgnoredReason::MissingProfilePrefix | IgnoredReason::ProfilePrefixInCredentials => {
                suffix == name
            }
            IgnoredReason::InvalidSectionName => {
                matches!(prefix, None | Some(PROFILE_PREFIX)) && suffix == name
            }
            IgnoredReason::SectionNotAllowedInCredentials => self.section == name,
            IgnoredReason::ShadowedDefault | IgnoredReason::InvalidPropertyName => false,
        }
    }
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (_, suffix) = split_header(&self.section);
        let section = &self.section;
        write!(f, "{} line {}: ", self.file, self.line)?;
        match self.reason {
            IgnoredReason::MissingProfilePrefix => write!(
                f,
                "[{section}] ignored: in the config file, profiles other than [default] are written \
                 [profile {suffix}]"
            ),
            IgnoredReason::ProfilePrefixInCredentials => write!(
                f,
                "[{section}] ignored: in the credentials file, profiles are written [{suffix}], \
                 without the `profile` prefix"
            ),
            IgnoredReason::SectionNotAllowedInCredentials => write!(
                f,
                "[{section}] ignored: the credentials file holds only [name] profile sections and \
                 profile names have no spaces; [sso-session ...] and [services ...] sections belong \
                 in the config file"
            ),
            IgnoredReason::InvalidSectionName => write!(
                f,
                "[{section}] ignored: `{suffix}` is not a valid name (letters, digits and - _ / . % @ : + only)"
            ),
            IgnoredReason::ShadowedDefault => {
                write!(
                    f,
                    "[{section}] ignored: [profile default] in the same file takes precedence"
                )
            }
            IgnoredReason::InvalidPropertyName => write!(
                f,
                "a property of [{section}] ignored: its name is not valid (letters, digits and \
                 - _ / . % @ : + only)"
            ),
        }
    }
}

/// Where a section's properties go once its header is understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SectionId {
    Profile(String),
    SsoSession(String),
    /// `[services dev]` and any other `[kind name]` of the config file.
    Other {
        kind: String,
        name: String,
    },
}

/// One header occurrence with its valid properties, in file order.
pub(crate) struct ParsedSection {
    pub(crate) id: SectionId,
    pub(crate) properties: Vec<(String, Property)>,
}

/// A file's sections in order (merge them first to last), and what was skipped.
pub(crate) struct ParsedFile {
    pub(crate) sections: Vec<ParsedSection>,
    pub(crate) ignored: Vec<Ignored>,
}

/// Reads one file's text. Fails on the first line no SDK would accept.
pub(crate) fn parse(text: &str, file: FileKind) -> Result<ParsedFile, ProfileError> {
    Ok(normalize(read(text, file)?, file))
}

/// A header as written, with its properties as written (names lower-cased).
struct RawSection<'a> {
    header: &'a str,
    line: usize,
    properties: Vec<RawProperty<'a>>,
}

struct RawProperty<'a> {
    name: Cow<'a, str>,
    value: Cow<'a, str>,
    line: usize,
    /// `name =` with nothing after it: indented lines below must be `key = value`.
    holds_sub_properties: bool,
}

/// The literal pass.
fn read(text: &str, file: FileKind) -> Result<Vec<RawSection<'_>>, ProfileError> {
    // Windows editors may start a file with a byte-order mark, which would
    // otherwise make line 1 a property outside any section. (The SDKs do
    // not strip it; accepting such a file is the only difference.)
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<RawSection<'_>> = Vec::new();
    // `lines` also drops the `\r` of Windows line endings.
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let fail = |problem| ProfileError {
            file,
            path: None,
            line: number,
            problem,
        };
        if line.trim_matches(WHITESPACE).is_empty() || line.starts_with(COMMENT) {
            continue;
        }
        if line.starts_with('[') {
            let header = strip_comment(line, false)
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .ok_or_else(|| fail(SyntaxError::UnclosedSectionHeader))?;
            sections.push(RawSection {
                header,
                line: number,
                properties: Vec::new(),
            });
        } else if line.starts_with(WHITESPACE) {
            let section = sections
                .last_mut()
                .ok_or_else(|| fail(SyntaxError::ContinuationOutsideSection))?;
            let property = section
                .properties
                .last_mut()
                .ok_or_else(|| fail(SyntaxError::ContinuationOutsideProperty))?;
            if property.holds_sub_properties {
                split_property(line).map_err(|p| {
                    fail(match p {
                        PropertyProblem::NoEquals => SyntaxError::SubPropertyWithoutEquals,
                        PropertyProblem::NoName => SyntaxError::SubPropertyWithoutName,
                    })
                })?;
            }
            // Kept whole, comment characters included, as the SDKs keep it.
            let value = property.value.to_mut();
            value.push('\n');
            value.push_str(line.trim_matches(WHITESPACE));
        } else {
            let section = sections
                .last_mut()
                .ok_or_else(|| fail(SyntaxError::PropertyOutsideSection))?;
            let (name, value) = split_property(line).map_err(|p| {
                fail(match p {
                    PropertyProblem::NoEquals => SyntaxError::PropertyWithoutEquals,
                    PropertyProblem::NoName => SyntaxError::PropertyWithoutName,
                })
            })?;
            section.properties.push(RawProperty {
                name,
                holds_sub_properties: value.is_empty(),
                value: Cow::Borrowed(value),
                line: number,
            });
        }
    }
    Ok(sections)
}

enum PropertyProblem {
    NoEquals,
    NoName,
}

/// `name = value` (comment removed, both sides trimmed, name lower-cased).
fn split_property(line: &str) -> Result<(Cow<'_, str>, &str), PropertyProblem> {
    let (name, value) = strip_comment(line, true)
        .split_once('=')
        .ok_or(PropertyProblem::NoEquals)?;
    let name = name.trim_matches(WHITESPACE);
    if name.is_empty() {
        return Err(PropertyProblem::NoName);
    }
    Ok((lower(name), value.trim_matches(WHITESPACE)))
}

/// Trims `line` and cuts a trailing comment. In a header any `#` or `;`
/// starts one; in a property line only one that follows whitespace, so that
/// `key = a;b` keeps `a;b` (URLs, base64 and passwords contain them).
fn strip_comment(line: &str, comment_needs_whitespace: bool) -> &str {
    let line = line.trim_matches(WHITESPACE);
    let mut after_whitespace = false;
    for (index, c) in line.char_indices() {
        if COMMENT.contains(&c) && (after_whitespace || !comment_needs_whitespace) {
            return line[..index].trim_matches(WHITESPACE);
        }
        // smithy-rs asks `char::is_whitespace` here, not the two-character
        // set: a comment after a no-break space is a comment.
        after_whitespace = c.is_whitespace();
    }
    line
}

/// `profile dev` into (`profile`, `dev`); `default` into (none, `default`).
/// The first space or tab separates; both parts are trimmed.
fn split_header(header: &str) -> (Option<&str>, &str) {
    let header = header.trim_matches(WHITESPACE);
    match header.split_once(WHITESPACE) {
        Some((prefix, name)) => (Some(prefix.trim()), name.trim()),
        None => (None, header.trim()),
    }
}

/// Names of sections and properties: `[A-Za-z0-9_\-/.%@:+]*`.
fn is_identifier(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

/// Which section a header names in a file of `file`'s kind, or why it is skipped.
fn classify(prefix: Option<&str>, name: &str, file: FileKind) -> Result<SectionId, IgnoredReason> {
    match (file, prefix) {
        (FileKind::Config, Some(prefix)) => {
            if !is_identifier(name) {
                return Err(IgnoredReason::InvalidSectionName);
            }
            Ok(match prefix {
                PROFILE_PREFIX => SectionId::Profile(name.to_string()),
                SSO_SESSION_PREFIX => SectionId::SsoSession(name.to_string()),
                kind => SectionId::Other {
                    kind: kind.to_string(),
                    name: name.to_string(),
                },
            })
        }
        (FileKind::Config, None) if name == DEFAULT => Ok(SectionId::Profile(DEFAULT.to_string())),
        (FileKind::Config, None) => Err(IgnoredReason::MissingProfilePrefix),
        (FileKind::Credentials, Some(PROFILE_PREFIX)) => {
            Err(IgnoredReason::ProfilePrefixInCredentials)
        }
        (FileKind::Credentials, Some(_)) => Err(IgnoredReason::SectionNotAllowedInCredentials),
        (FileKind::Credentials, None) if is_identifier(name) => {
            Ok(SectionId::Profile(name.to_string()))
        }
        (FileKind::Credentials, None) => Err(IgnoredReason::InvalidSectionName),
    }
}

/// The naming pass: drops what the SDKs drop and records why.
fn normalize(raw: Vec<RawSection<'_>>, file: FileKind) -> ParsedFile {
    let mut ignored = Vec::new();
    let mut kept = Vec::new();
    for section in raw {
        let (prefix, name) = split_header(section.header);
        match classify(prefix, name, file) {
            Ok(id) => {
                let unprefixed_default = prefix.is_none() && name == DEFAULT;
                let prefixed_default = prefix == Some(PROFILE_PREFIX) && name == DEFAULT;
                kept.push((id, unprefixed_default, prefixed_default, section));
            }
            Err(reason) => ignored.push(skipped(file, section.line, section.header, reason)),
        }
    }
    // `[profile default]` anywhere in a file replaces every `[default]` of
    // that file, rather than merging with it.
    let shadow_default = kept
        .iter()
        .any(|(_, _, prefixed_default, _)| *prefixed_default);
    let mut sections = Vec::new();
    for (id, unprefixed_default, _, section) in kept {
        if shadow_default && unprefixed_default {
            ignored.push(skipped(
                file,
                section.line,
                section.header,
                IgnoredReason::ShadowedDefault,
            ));
            continue;
        }
        let mut properties = Vec::new();
        for property in section.properties {
            if is_identifier(&property.name) {
                let value = Property::new(property.value.into_owned(), file, property.line);
                properties.push((property.name.into_owned(), value));
            } else {
                ignored.push(skipped(
                    file,
                    property.line,
                    section.header,
                    IgnoredReason::InvalidPropertyName,
                ));
            }
        }
        sections.push(ParsedSection { id, properties });
    }
    ParsedFile { sections, ignored }
}

fn skipped(file: FileKind, line: usize, header: &str, reason: IgnoredReason) -> Ignored {
    Ignored {
        file,
        line,
        section: header.trim_matches(WHITESPACE).to_string(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str, file: FileKind) -> ProfileError {
        parse(text, file).err().expect("a syntax error")
    }

    fn ids(text: &str, file: FileKind) -> Vec<SectionId> {
        parse(text, file)
            .unwrap()
            .sections
            .into_iter()
            .map(|s| s.id)
            .collect()
    }

    fn profile(name: &str) -> SectionId {
        SectionId::Profile(name.into())
    }

    #[test]
    fn comments_in_property_lines_need_whitespace_before_them() {
        assert_eq!(strip_comment("name = value # c # d", true), "name = value");
        assert_eq!(strip_comment("name = a;b#c ;d", true), "name = a;b#c");
        assert_eq!(strip_comment("[profile foo]# c", false), "[profile foo]");
        assert_eq!(strip_comment("[profile f#oo]", false), "[profile f");
        assert_eq!(strip_comment("name = a\u{a0}# c", true), "name = a\u{a0}");
    }

    #[test]
    fn property_lines_split_on_the_first_equals_sign() {
        let ok = |line| split_property(line).ok();
        assert_eq!(ok("a = b"), Some(("a".into(), "b")));
        assert_eq!(ok("  ABc\t=\t DEF = x "), Some(("abc".into(), "DEF = x")));
        assert_eq!(ok("token=aGVsbG8=="), Some(("token".into(), "aGVsbG8==")));
        assert_eq!(ok("a ="), Some(("a".into(), "")));
        assert!(matches!(
            split_property("a b"),
            Err(PropertyProblem::NoEquals)
        ));
        assert!(matches!(
            split_property(" = b"),
            Err(PropertyProblem::NoName)
        ));
    }

    #[test]
    fn headers_split_on_the_first_blank() {
        assert_eq!(split_header(" profile \t dev "), (Some("profile"), "dev"));
        assert_eq!(split_header("profile\tdev"), (Some("profile"), "dev"));
        assert_eq!(split_header("  default "), (None, "default"));
        assert_eq!(split_header("profiledev"), (None, "profiledev"));
        assert_eq!(split_header("profile my dev"), (Some("profile"), "my dev"));
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("some-thing:long/the_one%only.foo@bar+"));
        for bad in ["foo!bar", "in valid", "é", "a=b"] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }

    #[test]
    fn each_file_has_its_own_section_rules() {
        let text = "[default]\n[profile a]\n[b]\n[sso-session s]\n[services x]\n[profile c d]\n";
        assert_eq!(
            ids(text, FileKind::Config),
            vec![
                profile("default"),
                profile("a"),
                SectionId::SsoSession("s".into()),
                SectionId::Other {
                    kind: "services".into(),
                    name: "x".into()
                },
            ]
        );
        assert_eq!(
            ids(text, FileKind::Credentials),
            vec![profile("default"), profile("b")]
        );
        let ignored = parse(text, FileKind::Credentials).unwrap().ignored;
        let reasons: Vec<_> = ignored.iter().map(|i| (i.line, i.reason)).collect();
        assert_eq!(
            reasons,
            vec![
                (2, IgnoredReason::ProfilePrefixInCredentials),
                (4, IgnoredReason::SectionNotAllowedInCredentials),
                (5, IgnoredReason::SectionNotAllowedInCredentials),
                (6, IgnoredReason::ProfilePrefixInCredentials),
            ]
        );
    }

    #[test]
    fn prefixed_default_shadows_the_plain_one_in_the_same_file() {
        let parsed = parse(
            "[default]\na = 1\n[profile default]\nb = 2\n",
            FileKind::Config,
        )
        .unwrap();
        assert_eq!(parsed.sections.len(), 1);
        assert_eq!(parsed.sections[0].properties[0].0, "b");
        assert_eq!(parsed.ignored[0].reason, IgnoredReason::ShadowedDefault);
        assert_eq!(parsed.ignored[0].line, 1);
    }

    #[test]
    fn continuation_and_sub_property_lines() {
        let parsed = parse(
            "[default]\na = 1\n  2 # kept\ns3 =\n  x = y\n\n  z = w\n",
            FileKind::Config,
        )
        .unwrap();
        let values: Vec<_> = parsed.sections[0]
            .properties
            .iter()
            .map(|(k, p)| (k.as_str(), p.value(), p.line()))
            .collect();
        assert_eq!(
            values,
            vec![("a", "1\n2 # kept", 2), ("s3", "\nx = y\nz = w", 4)]
        );
        assert_eq!(
            error("[default]\ns3 =\n  x\n", FileKind::Config).problem,
            SyntaxError::SubPropertyWithoutEquals
        );
        assert_eq!(
            error("[default]\ns3 =\n  =x\n", FileKind::Config).problem,
            SyntaxError::SubPropertyWithoutName
        );
        // An indented comment is a continuation line, as in the SDKs.
        assert_eq!(
            error("[default]\ns3 =\n  # x\n", FileKind::Config).problem,
            SyntaxError::SubPropertyWithoutEquals
        );
    }

    #[test]
    fn errors_carry_file_and_line() {
        let e = error("# c\n\n[default\n", FileKind::Config);
        assert_eq!(
            (e.file, e.line, e.problem),
            (FileKind::Config, 3, SyntaxError::UnclosedSectionHeader)
        );
        let e = error(
            "[default]\r\nok = 1\r\n  more\r\nbad\r\n",
            FileKind::Credentials,
        );
        assert_eq!(
            (e.file, e.line, e.problem),
            (FileKind::Credentials, 4, SyntaxError::PropertyWithoutEquals)
        );
        assert_eq!(
            error("  x", FileKind::Config).problem,
            SyntaxError::ContinuationOutsideSection
        );
        assert_eq!(
            error("x = 1", FileKind::Config).problem,
            SyntaxError::PropertyOutsideSection
        );
        assert_eq!(
            error("[a]\n x", FileKind::Config).problem,
            SyntaxError::ContinuationOutsideProperty
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        assert_eq!(
            ids("\u{feff}[default]\nregion = x\n", FileKind::Config),
            vec![profile("default")]
        );
    }

    #[test]
    fn invalid_property_names_are_recorded_without_the_name() {
        let parsed = parse("[default]\nin valid = x\nok = y\n", FileKind::Config).unwrap();
        assert_eq!(parsed.sections[0].properties.len(), 1);
        let ignored = &parsed.ignored[0];
        assert_eq!(
            (ignored.line, ignored.reason),
            (2, IgnoredReason::InvalidPropertyName)
        );
        assert!(!ignored.to_string().contains("in valid"), "{ignored}");
    }
}
