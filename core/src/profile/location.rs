//! Where the shared files are, and which profile is selected.
//!
//! The rules of the AWS SDKs (smithy-rs's `aws-runtime`, pinned by the shared
//! `file-location-tests.json`):
//!
//! * `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config`
//!   and `~/.aws/credentials`;
//! * a leading `~` component is the home directory: `HOME`, then on Windows
//!   `USERPROFILE`, then `HOMEDRIVE` + `HOMEPATH`; with no home the `~` stays,
//!   so the file is simply not found;
//! * the profile is the explicit option, else `AWS_PROFILE`, else `default`.
//!
//! Paths are plain strings joined with the separator of the [`Os`] the files
//! live on, so the rules are tested for Windows on any machine. A guest
//! compiled to WASI sees POSIX-style paths: [`Os::current`] is then `Unix`.

use super::{DEFAULT_PROFILE, FileKind};
use crate::env::Environment;

/// Overrides the config file's path.
pub const CONFIG_FILE_VAR: &str = "AWS_CONFIG_FILE";
/// Overrides the credentials file's path.
pub const CREDENTIALS_FILE_VAR: &str = "AWS_SHARED_CREDENTIALS_FILE";
/// Selects the profile when no explicit option does.
pub const PROFILE_VAR: &str = "AWS_PROFILE";

/// Which family of operating system the paths are for: it decides the path
/// separator and whether the Windows home variables count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    Unix,
    Windows,
}

impl Os {
    /// The system this code runs on (`Unix` under WASI).
    pub fn current() -> Os {
        if cfg!(windows) { Os::Windows } else { Os::Unix }
    }

    fn separator(self) -> char {
        match self {
            Os::Unix => '/',
            Os::Windows => '\\',
        }
    }

    fn is_separator(self, c: char) -> bool {
        c == '/' || (self == Os::Windows && c == '\\')
    }
}

/// Where one of the two files is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileLocation {
    pub kind: FileKind,
    /// The path to read, `~` expanded.
    pub path: String,
    /// The path as configured, for messages: `~/.aws/credentials`, or the
    /// variable's value.
    pub shown: String,
    /// The variable that set the path; `None` for the default location.
    ///
    /// The SDKs read a missing file as an empty one either way, but warn when
    /// a path the user chose does not exist.
    pub from_env: Option<&'static str>,
}

/// How the profile was chosen; a profile the user named explicitly that
/// does not exist deserves a louder message than a missing `default`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileSource {
    /// The caller's own option.
    Explicit,
    /// `AWS_PROFILE`.
    Environment,
    /// Nothing chose one: `default`.
    Default,
}

/// Both files and the selected profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locations {
    pub config: FileLocation,
    pub credentials: FileLocation,
    pub profile: String,
    pub profile_source: ProfileSource,
}

/// Where the files are and which profile is selected, from the environment
/// and an explicit profile option (blank counts as unset).
pub fn locate(env: &Environment, explicit_profile: Option<&str>, os: Os) -> Locations {
    let home = home_dir(env, os);
    let file = |kind, var: &'static str, default: &str| {
        let (shown, from_env) = match env.get(var) {
            Some(path) => (path.to_string(), Some(var)),
            None => (default.to_string(), None),
        };
        FileLocation {
            kind,
            path: expand_home(&shown, home.as_deref(), os),
            shown,
            from_env,
        }
    };
    let explicit = explicit_profile.map(str::trim).filter(|p| !p.is_empty());
    let (profile, profile_source) = match (explicit, env.get(PROFILE_VAR)) {
        (Some(p), _) => (p, ProfileSource::Explicit),
        (None, Some(p)) => (p, ProfileSource::Environment),
        (None, None) => (DEFAULT_PROFILE, ProfileSource::Default),
    };
    Locations {
        config: file(FileKind::Config, CONFIG_FILE_VAR, "~/.aws/config"),
        credentials: file(
            FileKind::Credentials,
            CREDENTIALS_FILE_VAR,
            "~/.aws/credentials",
        ),
        profile: profile.to_string(),
        profile_source,
    }
}

/// The home directory: `HOME`, then on Windows only `USERPROFILE`, then
/// `HOMEDRIVE` followed by `HOMEPATH` (both needed).
pub fn home_dir(env: &Environment, os: Os) -> Option<String> {
    if let Some(home) = env.get("HOME") {
        return Some(home.to_string());
    }
    if os == Os::Windows {
        if let Some(home) = env.get("USERPROFILE") {
            return Some(home.to_string());
        }
        if let (Some(drive), Some(path)) = (env.get("HOMEDRIVE"), env.get("HOMEPATH")) {
            return Some(format!("{drive}{path}"));
        }
    }
    None
}

/// Replaces a leading `~` component (`~`, `~/...`, and on Windows `~\...`)
/// with `home`, joining the rest with `os`'s separator; `~user/...` and
/// every other path are returned unchanged.
///
/// Like `PathBuf` in the SDKs, the rest is rebuilt from its components:
/// repeated separators and `.` components go. With no home, `~` stays.
pub fn expand_home(path: &str, home: Option<&str>, os: Os) -> String {
    let Some(rest) = path.strip_prefix('~') else {
        return path.to_string();
    };
    if !rest.is_empty() && !rest.starts_with(|c| os.is_separator(c)) {
        return path.to_string();
    }
    let mut out = home.unwrap_or("~").to_string();
    for component in rest
        .split(|c| os.is_separator(c))
        .filter(|c| !c.is_empty() && *c != ".")
    {
        if !out.ends_with(|c| os.is_separator(c)) {
            out.push(os.separator());
        }
        out.push_str(component);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Environment {
        Environment::from_vars(vars.iter().copied())
    }

    #[test]
    fn defaults_under_home() {
        let l = locate(&env(&[("HOME", "/home/u")]), None, Os::Unix);
        assert_eq!(l.config.path, "/home/u/.aws/config");
        assert_eq!(l.config.shown, "~/.aws/config");
        assert_eq!(l.config.from_env, None);
        assert_eq!(l.credentials.path, "/home/u/.aws/credentials");
        assert_eq!(
            (l.profile.as_str(), l.profile_source),
            ("default", ProfileSource::Default)
        );
    }

    #[test]
    fn variables_override_and_expand() {
        let e = env(&[
            ("HOME", "/home/u"),
            ("AWS_CONFIG_FILE", "~/cfg/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", " "),
            ("AWS_PROFILE", "dev"),
        ]);
        let l = locate(&e, None, Os::Unix);
        assert_eq!(l.config.path, "/home/u/cfg/config");
        assert_eq!(
            (l.config.shown.as_str(), l.config.from_env),
            ("~/cfg/config", Some("AWS_CONFIG_FILE"))
        );
        assert_eq!(
            l.credentials.path, "/home/u/.aws/credentials",
            "blank counts as unset"
        );
        assert_eq!(
            (l.profile.as_str(), l.profile_source),
            ("dev", ProfileSource::Environment)
        );
        let l = locate(&e, Some(" prod "), Os::Unix);
        assert_eq!(
            (l.profile.as_str(), l.profile_source),
            ("prod", ProfileSource::Explicit)
        );
        let l = locate(&e, Some(""), Os::Unix);
        assert_eq!(l.profile, "dev");
    }

    #[test]
    fn windows_home_variables_count_only_on_windows() {
        let e = env(&[("USERPROFILE", "C:\\Users\\u")]);
        assert_eq!(home_dir(&e, Os::Windows).as_deref(), Some("C:\\Users\\u"));
        assert_eq!(home_dir(&e, Os::Unix), None);
        let e = env(&[("HOMEDRIVE", "D:")]);
        assert_eq!(home_dir(&e, Os::Windows), None, "HOMEPATH is needed too");
    }

    #[test]
    fn home_expansion() {
        assert_eq!(
            expand_home("~/.aws/config", Some("/home/u"), Os::Unix),
            "/home/u/.aws/config"
        );
        assert_eq!(
            expand_home("~/.aws/config", Some("/"), Os::Unix),
            "/.aws/config"
        );
        assert_eq!(expand_home("~//a/./b/", Some("/h/"), Os::Unix), "/h/a/b");
        assert_eq!(expand_home("~", Some("/h"), Os::Unix), "/h");
        assert_eq!(
            expand_home("~aws/config", Some("/h"), Os::Unix),
            "~aws/config"
        );
        assert_eq!(expand_home("/etc/~/x", Some("/h"), Os::Unix), "/etc/~/x");
        assert_eq!(
            expand_home("~\\x", Some("/h"), Os::Unix),
            "~\\x",
            "a backslash is a name on Unix"
        );
        assert_eq!(expand_home("~/config", None, Os::Unix), "~/config");
        assert_eq!(
            expand_home("~/.aws/config", Some("C:\\Users\\u"), Os::Windows),
            "C:\\Users\\u\\.aws\\config"
        );
        assert_eq!(
            expand_home("~\\cfg\\config", Some("C:\\Users\\u"), Os::Windows),
            "C:\\Users\\u\\cfg\\config"
        );
        assert_eq!(expand_home("~/config", None, Os::Windows), "~\\config");
    }
}
