//! Files only the current user can plant or read: directories created 0700
//! under random names, files created with `O_EXCL` and `O_NOFOLLOW`, and the
//! ownership check that tells a file this user wrote from one someone else
//! could have.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// `n` random bytes from the operating system, as lower-case hex.
pub(crate) fn random_hex(n: usize) -> io::Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(io::Error::other)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A new directory `prefix` + 128 random bits inside `parent`, mode 0700.
/// It cannot exist yet (the creation fails rather than reuse one), so nobody
/// can have prepared it.
pub(crate) fn create_private_dir(parent: &Path, prefix: &str) -> io::Result<PathBuf> {
    let dir = parent.join(format!("{prefix}{}", random_hex(16)?));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(dir)
}

/// A file that did not exist (`O_CREAT | O_EXCL`, which also refuses a
/// symlink in its place), with `mode`, for writing.
pub(crate) fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// Opens `path` for reading without following a symlink at its end.
pub(crate) fn open_no_follow(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// Why a file or directory is not this user's own, or `None` when it is:
/// owned by the effective user, and writable by nobody else (`forbidden`
/// names the permission bits that must be clear: `0o022` for "no group or
/// other write", `0o077` for "nobody else at all").
pub(crate) fn not_private(metadata: &Metadata, forbidden: u32) -> Option<String> {
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if metadata.uid() != me {
        return Some(format!(
            "owned by uid {}, not by this user (uid {me})",
            metadata.uid()
        ));
    }
    let mode = metadata.mode() & 0o777;
    if mode & forbidden != 0 {
        return Some(format!("open to other users (mode {mode:o})"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_dirs_are_0700_and_never_reused() {
        let parent = std::env::temp_dir();
        let dir = create_private_dir(&parent, "bedrock-private-test-").unwrap();
        let metadata = std::fs::metadata(&dir).unwrap();
        assert_eq!(metadata.permissions().mode() & 0o777, 0o700);
        assert_eq!(not_private(&metadata, 0o077), None);
        let file = dir.join("f");
        create_new(&file, 0o600).unwrap();
        assert!(create_new(&file, 0o600).is_err(), "O_EXCL");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o722)).unwrap();
        let metadata = std::fs::metadata(&dir).unwrap();
        assert_eq!(
            not_private(&metadata, 0o022).unwrap(),
            "open to other users (mode 722)"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_symlink_is_neither_created_through_nor_opened() {
        let dir = create_private_dir(&std::env::temp_dir(), "bedrock-private-test-").unwrap();
        let target = dir.join("target");
        std::fs::write(&target, "x").unwrap();
        let link = dir.join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(create_new(&link, 0o600).is_err());
        assert!(open_no_follow(&link).is_err());
        assert!(open_no_follow(&target).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
