//! Single files for the guest, through directories that hold nothing else.
//!
//! WASI 0.2 preopens are directories, and wasmtime-wasi opens a preopen with
//! `cap-std`, which keeps the guest inside it but offers no way to show one
//! file of a directory and hide its neighbours. So the host copies each file
//! the credential chain reads (see [`policy::files`](crate::policy)) into a
//! private directory of its own (mode 0700, a random name, under
//! `$XDG_RUNTIME_DIR` when there is one, else the temporary directory) and
//! preopens that at the file's parent path: the guest opening
//! `/var/run/secrets/token` finds the copy, and `/etc/passwd`,
//! `/proc/self/environ` or `~/.ssh/id_ed25519` find nothing, whatever
//! directory the token lives in.
//!
//! The copies are refreshed for the next call whenever a source file changes
//! (size, modification or status-change time, inode: one `stat` per file per
//! call), so a rotated token or an edited credentials file is read by the
//! next call, as it would be without the copy. A set of copies lives as long
//! as the calls that opened it and is removed after the last one.
//! Directories that hold nothing but what the chain reads (the SSO token
//! cache, [`HostConfig::extra_dirs`](crate::HostConfig::extra_dirs)) are
//! preopened as they are. Hard links were the other candidate: they cannot
//! cross filesystems and keep pointing at the old file after a rotation by
//! rename (Kubernetes' projected tokens), so copies it is.

use crate::private_fs;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// Most bytes copied of one file: the chain refuses larger files (1 MiB) and
/// needs one byte more to notice.
const MAX_COPY_BYTES: u64 = 1024 * 1024 + 1;

/// The files and directories a host's calls may read, and the copies in use.
#[derive(Debug)]
pub(crate) struct FileViews {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    current: Mutex<Option<Arc<Snapshot>>>,
}

/// One call's preopens: `(host directory, guest path)`, and the copies they
/// point into, kept until the call ends.
pub(crate) struct CallFiles {
    pub(crate) preopens: Vec<(PathBuf, String)>,
    _snapshot: Option<Arc<Snapshot>>,
}

impl CallFiles {
    /// What the guest would see through these preopens: equal for two calls
    /// that got the same copies and the same directories. Event streams
    /// share an instance only while this stays the same, so that a rotated
    /// file reaches the next stream as it reaches the next call.
    pub(crate) fn view(&self) -> String {
        let copies = self._snapshot.as_ref().map(Arc::as_ptr);
        format!("{copies:?} {:?}", self.preopens)
    }
}

/// What a source file looked like when it was copied.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
    Some(Stamp {
        dev: m.dev(),
        ino: m.ino(),
        len: m.len(),
        mtime: (m.mtime(), m.mtime_nsec()),
        ctime: (m.ctime(), m.ctime_nsec()),
    })
}

/// Copies of the files as they were at `stamps`, under `root`.
#[derive(Debug)]
struct Snapshot {
    root: Option<PathBuf>,
    stamps: Vec<Option<Stamp>>,
    preopens: Vec<(PathBuf, String)>,
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        if let Some(root) = &self.root {
            let _ = std::fs::remove_dir_all(root);
        }
    }
}

impl FileViews {
    /// Views of `files` (absolute paths) and `dirs`. A file inside one of
    /// `dirs` is readable through it and is not copied.
    pub(crate) fn new(files: Vec<PathBuf>, dirs: Vec<PathBuf>) -> Self {
        let files = files
            .into_iter()
            .filter(|f| !dirs.iter().any(|d| f.starts_with(d)))
            .collect();
        Self {
            files,
            dirs,
            current: Mutex::new(None),
        }
    }

    /// The preopens of a new call: the current copies (made again if a file
    /// changed since), and the directories that exist now. A copy that cannot
    /// be made leaves the file unreadable for this call and is reported.
    pub(crate) fn for_call(&self) -> CallFiles {
        let stamps: Vec<Option<Stamp>> = self.files.iter().map(|f| stamp(f)).collect();
        let snapshot = {
            let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
            match current.as_ref() {
                Some(s) if s.stamps == stamps => Some(s.clone()),
                _ if stamps.iter().all(Option::is_none) => {
                    *current = None;
                    None
                }
                _ => match copy(&self.files, stamps) {
                    Ok(fresh) => {
                        let fresh = Arc::new(fresh);
                        *current = Some(fresh.clone());
                        Some(fresh)
                    }
                    Err(error) => {
                        eprintln!(
                            "bedrock-host: warning: cannot copy the credential files for the plugin ({error}); \
                             it will not see them"
                        );
                        *current = None;
                        None
                    }
                },
            }
        };
        let mut preopens = snapshot
            .as_ref()
            .map(|s| s.preopens.clone())
            .unwrap_or_default();
        preopens.extend(
            self.dirs
                .iter()
                .filter(|d| d.is_dir())
                .filter_map(|d| Some((d.clone(), d.to_str()?.to_string()))),
        );
        CallFiles {
            preopens,
            _snapshot: snapshot,
        }
    }
}

/// Where the copies go: `$XDG_RUNTIME_DIR` (per user, in memory on most
/// systems), else the temporary directory.
fn copies_parent() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute() && d.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}

/// Copies the existing `files` into a new private directory, one
/// subdirectory per source directory.
fn copy(files: &[PathBuf], stamps: Vec<Option<Stamp>>) -> std::io::Result<Snapshot> {
    let root = private_fs::create_private_dir(&copies_parent(), "bedrock-host-files-")?;
    let mut snapshot = Snapshot {
        root: Some(root.clone()),
        stamps,
        preopens: Vec::new(),
    };
    for (file, stamp) in files.iter().zip(&snapshot.stamps) {
        let (Some(_), Some(parent), Some(name)) = (stamp, file.parent(), file.file_name()) else {
            continue;
        };
        let Some(guest) = parent.to_str() else {
            continue;
        };
        let view = match snapshot.preopens.iter().find(|(_, g)| g == guest) {
            Some((view, _)) => view.clone(),
            None => {
                let view = root.join(snapshot.preopens.len().to_string());
                std::fs::create_dir(&view)?;
                snapshot.preopens.push((view.clone(), guest.to_string()));
                view
            }
        };
        let mut contents = Vec::new();
        match std::fs::File::open(file) {
            Ok(source) => source.take(MAX_COPY_BYTES).read_to_end(&mut contents)?,
            // Gone since the stamp: the next call will see it changed.
            Err(_) => continue,
        };
        let mut copy = private_fs::create_new(&view.join(name), 0o400)?;
        std::io::Write::write_all(&mut copy, &contents)?;
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("bedrock-snapshot-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn read(call: &CallFiles, guest_file: &Path) -> Option<String> {
        let (host, guest) = call
            .preopens
            .iter()
            .find(|(_, g)| Path::new(g) == guest_file.parent().unwrap())?;
        assert_eq!(Path::new(guest), guest_file.parent().unwrap());
        std::fs::read_to_string(host.join(guest_file.file_name().unwrap())).ok()
    }

    #[test]
    fn only_the_named_file_is_in_its_view() {
        let scratch = Scratch::new("only");
        let token = scratch.0.join("token");
        std::fs::write(&token, "jwt").unwrap();
        std::fs::write(scratch.0.join("id_ed25519"), "private key").unwrap();
        let views = FileViews::new(vec![token.clone()], vec![]);
        let call = views.for_call();
        assert_eq!(call.preopens.len(), 1);
        let (host, guest) = &call.preopens[0];
        assert_eq!(Path::new(guest), scratch.0);
        let names: Vec<_> = std::fs::read_dir(host)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["token"]);
        assert_eq!(read(&call, &token).as_deref(), Some("jwt"));
    }

    #[test]
    fn a_rotated_file_is_copied_again_and_old_copies_go_with_their_calls() {
        let scratch = Scratch::new("rotate");
        let token = scratch.0.join("token");
        std::fs::write(&token, "first").unwrap();
        let views = FileViews::new(vec![token.clone(), scratch.0.join("missing")], vec![]);
        let first = views.for_call();
        let again = views.for_call();
        assert_eq!(first.preopens, again.preopens, "unchanged: the same copies");
        // Rotation by rename, as Kubernetes does it.
        let next = scratch.0.join("token.next");
        std::fs::write(&next, "second, longer").unwrap();
        std::fs::rename(&next, &token).unwrap();
        let second = views.for_call();
        assert_ne!(first.preopens, second.preopens);
        assert_eq!(read(&second, &token).as_deref(), Some("second, longer"));
        assert_eq!(
            read(&first, &token).as_deref(),
            Some("first"),
            "a running call keeps its copy"
        );
        let old_root = first.preopens[0].0.parent().unwrap().to_path_buf();
        drop((first, again));
        assert!(!old_root.exists(), "removed after its last call");
        let new_root = second.preopens[0].0.parent().unwrap().to_path_buf();
        drop(second);
        assert!(new_root.exists(), "still the current copies");
        drop(views);
        assert!(!new_root.exists());
    }

    #[test]
    fn directories_are_shown_when_they_exist_and_files_inside_them_are_not_copied() {
        let scratch = Scratch::new("dirs");
        let cache = scratch.0.join("sso-cache");
        std::fs::create_dir(&cache).unwrap();
        let inside = cache.join("t.json");
        std::fs::write(&inside, "{}").unwrap();
        let views = FileViews::new(vec![inside], vec![cache.clone(), scratch.0.join("absent")]);
        let call = views.for_call();
        assert_eq!(
            call.preopens,
            vec![(cache.clone(), cache.to_str().unwrap().to_string())]
        );
    }
}
