//! Which files the guest may read: the ones the credential chain reads, each
//! on its own, never the directory around it.
//!
//! The chain reads the shared `config` and `credentials` files (where the
//! core's own `locate` finds them), the token files the environment names
//! (`AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`),
//! each profile's `web_identity_token_file`, and the IAM Identity Center token
//! cache `~/.aws/sso/cache`, a directory that holds nothing else. How single
//! files reach a WASI guest, whose preopens are directories, is
//! the host's business (its `snapshot` module: private copies, one
//! directory per source directory).

use bedrock_core::env::Environment;
use bedrock_core::profile::location::{Locations, Os, expand_home, home_dir};
use bedrock_core::profile::{ProfileSet, keys};
use std::path::{Component, Path, PathBuf};

/// Variables naming a file the chain reads (besides the shared files).
const TOKEN_FILE_VARS: [&str; 2] = [
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// What the guest may read, read-only, each at its own absolute path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readable {
    /// Single files, shown without their directory.
    pub files: Vec<PathBuf>,
    /// Whole directories: the SSO token cache and [`HostConfig::extra_dirs`](crate::HostConfig::extra_dirs).
    pub dirs: Vec<PathBuf>,
}

/// The files and directories of the chain, and the extra directories that
/// are not refused (see [`refusal`]); refusals go to `ignored`.
pub fn readable(
    env: &Environment,
    locations: &Locations,
    profiles: Option<&ProfileSet>,
    extra_dirs: &[PathBuf],
    ignored: &mut Vec<String>,
) -> Readable {
    let os = Os::current();
    let home = home_dir(env, os);
    let expand = |path: &str| PathBuf::from(expand_home(path.trim(), home.as_deref(), os));
    let named = TOKEN_FILE_VARS.iter().filter_map(|var| env.get(var));
    let in_profiles = profiles.into_iter().flat_map(|set| {
        set.profile_names()
            .filter_map(|name| set.get(name)?.value(keys::WEB_IDENTITY_TOKEN_FILE))
            .collect::<Vec<_>>()
    });
    let mut files: Vec<PathBuf> = Vec::new();
    let candidates = [
        locations.config.path.as_str(),
        locations.credentials.path.as_str(),
    ]
    .into_iter()
    .chain(named)
    .chain(in_profiles)
    .map(expand);
    for file in candidates {
        if file.is_absolute() && file.file_name().is_some() && !files.contains(&file) {
            files.push(file);
        }
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    let sso_cache = home.as_deref().map(|h| Path::new(h).join(".aws/sso/cache"));
    for dir in sso_cache.into_iter().chain(extra_dirs.iter().cloned()) {
        match refusal(&dir, home.as_deref().map(Path::new)) {
            Some(why) => ignored.push(format!("directory {}: {why}", dir.display())),
            None if !dirs.contains(&dir) => dirs.push(dir),
            None => {}
        }
    }
    Readable { files, dirs }
}

/// Why a directory may not be shown whole: not absolute, the root, the home
/// directory or one of its parents (every secret of the user is below it).
pub fn refusal(dir: &Path, home: Option<&Path>) -> Option<&'static str> {
    if !dir.is_absolute() {
        return Some("not an absolute path");
    }
    let dir = lexical(dir);
    if dir.parent().is_none() {
        return Some("refused: the root directory would expose every file of the machine");
    }
    if home.is_some_and(|home| lexical(home).starts_with(&dir)) {
        return Some(
            "refused: the home directory (or a parent of it) would expose ~/.ssh and every other secret of the user; \
             name the directory that holds only the files the plugin needs",
        );
    }
    None
}

/// `path` without `.` components, trailing slashes, or `..` (applied
/// lexically), so that `/home/u/..` is seen as `/home`.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_core::profile::location::locate;

    fn readable_for(
        vars: &[(&str, &str)],
        config: &str,
        extra: &[&str],
    ) -> (Readable, Vec<String>) {
        let env = Environment::from_vars(vars.iter().copied());
        let locations = locate(&env, None, Os::current());
        let set = ProfileSet::parse(Some(config), None).unwrap();
        let extra: Vec<PathBuf> = extra.iter().map(PathBuf::from).collect();
        let mut ignored = Vec::new();
        let r = readable(&env, &locations, Some(&set), &extra, &mut ignored);
        (r, ignored)
    }

    fn paths(list: &[&str]) -> Vec<PathBuf> {
        list.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn the_chains_files_and_never_their_directories() {
        let (r, ignored) = readable_for(
            &[
                ("HOME", "/home/u"),
                ("AWS_WEB_IDENTITY_TOKEN_FILE", "/token"),
                ("AWS_SHARED_CREDENTIALS_FILE", "~/creds"),
                (
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                    "/var/run/ecs/token",
                ),
            ],
            "[profile wi]\nrole_arn = r\nweb_identity_token_file = /var/run/eks/token\n",
            &[],
        );
        assert_eq!(
            r.files,
            paths(&[
                "/home/u/.aws/config",
                "/home/u/creds",
                "/token",
                "/var/run/ecs/token",
                "/var/run/eks/token",
            ])
        );
        assert_eq!(r.dirs, paths(&["/home/u/.aws/sso/cache"]));
        assert!(ignored.is_empty(), "{ignored:?}");
    }

    #[test]
    fn without_home_nothing_relative_is_granted() {
        let (r, _) = readable_for(&[("AWS_WEB_IDENTITY_TOKEN_FILE", "token")], "", &[]);
        assert_eq!(r, Readable::default());
    }

    #[test]
    fn root_and_home_are_refused_as_directories() {
        let (r, ignored) = readable_for(
            &[("HOME", "/home/u")],
            "",
            &[
                "/",
                "/home/u",
                "/home/u/",
                "/home",
                "/home/u/tokens/..",
                "/srv/tokens",
                "rel",
            ],
        );
        assert_eq!(r.dirs, paths(&["/home/u/.aws/sso/cache", "/srv/tokens"]));
        assert_eq!(ignored.len(), 6, "{ignored:?}");
        assert!(ignored[0].contains("root directory"), "{ignored:?}");
        assert!(ignored[1].contains("home directory"), "{ignored:?}");
    }
}
