//! Which provider component the CLI loads, when no path is typed by hand.
//!
//! An installed `bedrock-host` finds the plugin installed beside it: in the
//! executable's own directory, or in `<prefix>/share/bedrock-host/` for an
//! executable in `<prefix>/bin/` (where `scripts/install.sh` puts it next to
//! `cargo install`'s binary). The order: `--component`, `$BEDROCK_COMPONENT`,
//! beside the executable, `<exe>/../share/bedrock-host/`, then this build
//! tree's own release output, for `cargo run` in a checkout. An explicit path
//! (the option or the variable) is used as given; the others are searched,
//! and when none exists the error names every place looked at.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

/// The component's file name, as the guest crate builds it.
pub const FILE_NAME: &str = "bedrock_guest.wasm";

/// The directory under the install prefix that holds the component.
pub const SHARE_DIR: &str = "share/bedrock-host";

/// No component in any of the places searched.
#[derive(Debug)]
pub struct NotFound {
    pub searched: Vec<PathBuf>,
}

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "no provider component ({FILE_NAME}) found; looked in:")?;
        for path in &self.searched {
            writeln!(f, "  {}", path.display())?;
        }
        write!(
            f,
            "install it with scripts/install.sh, or pass --component PATH or set BEDROCK_COMPONENT"
        )
    }
}

impl std::error::Error for NotFound {}

/// The component to load: `explicit` (`--component`), else `from_env`
/// (`$BEDROCK_COMPONENT`), else the first of [`installed_candidates`] that is
/// a file.
pub fn locate(
    explicit: Option<&Path>,
    from_env: Option<OsString>,
    exe: Option<&Path>,
) -> Result<PathBuf, NotFound> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = from_env.filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let searched = installed_candidates(exe);
    searched
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .ok_or(NotFound { searched })
}

/// Where an installed component may be, in order: beside the executable,
/// then `<exe dir>/../share/bedrock-host/`, then the build tree.
pub fn installed_candidates(exe: Option<&Path>) -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(dir) = exe.and_then(Path::parent) {
        candidates.push(dir.join(FILE_NAME));
        if let Some(prefix) = dir.parent() {
            candidates.push(prefix.join(SHARE_DIR).join(FILE_NAME));
        }
    }
    candidates.push(build_tree());
    candidates
}

/// `<workspace>/target/wasm32-wasip2/release/bedrock_guest.wasm`, where
/// `scripts/build-component.sh` leaves it in the checkout this CLI was
/// built from.
fn build_tree() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .unwrap_or(manifest_dir)
        .join("target/wasm32-wasip2/release")
        .join(FILE_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "bedrock-cli-component-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        dir
    }

    #[test]
    fn explicit_paths_win_and_are_used_as_given() {
        let exe = Path::new("/nowhere/bin/bedrock-host");
        let given = Path::new("/given.wasm");
        assert_eq!(
            locate(Some(given), Some("/env.wasm".into()), Some(exe)).unwrap(),
            given
        );
        assert_eq!(
            locate(None, Some("/env.wasm".into()), Some(exe)).unwrap(),
            Path::new("/env.wasm")
        );
    }

    #[test]
    fn beside_the_executable_then_under_share() {
        let prefix = temp_dir("order");
        let exe = prefix.join("bin/bedrock-host");
        let shared = prefix.join(SHARE_DIR).join(FILE_NAME);
        std::fs::create_dir_all(shared.parent().unwrap()).unwrap();
        std::fs::write(&shared, b"\0asm").unwrap();
        // A blank variable counts as unset.
        assert_eq!(locate(None, Some("".into()), Some(&exe)).unwrap(), shared);
        let beside = prefix.join("bin").join(FILE_NAME);
        std::fs::write(&beside, b"\0asm").unwrap();
        assert_eq!(locate(None, None, Some(&exe)).unwrap(), beside);
        std::fs::remove_dir_all(&prefix).unwrap();
    }

    #[test]
    fn the_error_lists_every_place_looked_at() {
        let prefix = temp_dir("missing");
        let exe = prefix.join("bin/bedrock-host");
        let candidates = installed_candidates(Some(&exe));
        assert_eq!(
            candidates[..2],
            [
                prefix.join("bin").join(FILE_NAME),
                prefix.join("share/bedrock-host").join(FILE_NAME)
            ]
        );
        assert_eq!(candidates[2], build_tree());
        if build_tree().is_file() {
            // A built checkout: the build tree is the fallback.
            assert_eq!(locate(None, None, Some(&exe)).unwrap(), build_tree());
        } else {
            let error = locate(None, None, Some(&exe)).unwrap_err().to_string();
            for place in &candidates {
                assert!(error.contains(&place.display().to_string()), "{error}");
            }
            assert!(error.contains("scripts/install.sh"), "{error}");
        }
        std::fs::remove_dir_all(&prefix).unwrap();
    }
}
