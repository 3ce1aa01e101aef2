//! The on-disk cache of compiled components.
//!
//! Compiling the component with cranelift takes about a second in a release
//! host and much longer in a debug one; loading the compiled code back takes
//! milliseconds. An entry is keyed by the SHA-256 of the component's bytes and
//! the engine's [compatibility hash](wasmtime::Engine::precompile_compatibility_hash)
//! (wasmtime's version, the target and every setting that shapes the code), so
//! a new build of either side never picks up stale code.
//!
//! Loading compiled code is `unsafe` in wasmtime: an entry is native code the
//! host runs, with the AWS credentials in reach. So nothing is loaded unless
//! this user's host provably wrote it:
//!
//! * the directory is created 0700, and is not used at all unless it belongs
//!   to the current user and nobody else may write to it;
//! * each entry ends with an HMAC-SHA256 (over its name and its bytes) under
//!   a 32-byte key kept in the directory (`key`, 0600, created once, refused
//!   if anyone else may read it), checked before wasmtime sees the bytes: a
//!   planted or swapped entry does not verify;
//! * an entry is opened with `O_NOFOLLOW` and must be a regular file of the
//!   current user that nobody else may write; it is read into memory and
//!   checked, then deserialized from those same bytes (no second open);
//! * entries are written under a random name with `O_CREAT | O_EXCL |
//!   O_NOFOLLOW`, mode 0600, then renamed into place, so no reader sees half
//!   an entry and no symlink is written through.
//!
//! An entry or a directory that fails a check is ignored (the component is
//! compiled) and reported as a warning on stderr; a cache that cannot be
//! used only costs a compile.

use crate::private_fs;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wasmtime::Engine;
use wasmtime::component::Component;

/// Entries kept: the newest ones, by modification time. A developer
/// rebuilding the guest adds one (a few MB) per build; a gateway uses one or
/// two.
const MAX_ENTRIES: usize = 16;
/// The key file's name, inside the cache directory.
const KEY_FILE: &str = "key";
const KEY_BYTES: usize = 32;
/// HMAC-SHA256's output, appended to each entry.
const TAG_BYTES: usize = 32;

/// Where compiled components are kept.
#[derive(Clone)]
pub(crate) struct CodeCache {
    dir: PathBuf,
    /// Where warnings go (stderr, outside tests).
    report: Arc<dyn Fn(&str) + Send + Sync>,
}

impl fmt::Debug for CodeCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeCache").field("dir", &self.dir).finish()
    }
}

/// Whether a load found the compiled code or had to compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeSource {
    /// Loaded from the on-disk cache.
    Cached,
    /// Compiled now (and written to the cache, when there is one).
    Compiled,
}

/// The cache directory, checked, and its key.
struct Opened<'a> {
    dir: &'a Path,
    key: [u8; KEY_BYTES],
}

impl CodeCache {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self::with_reporter(dir, |warning| eprintln!("bedrock-host: warning: {warning}"))
    }

    /// A cache whose warnings go to `report`.
    fn with_reporter(dir: PathBuf, report: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Self {
            dir,
            report: Arc::new(report),
        }
    }

    /// `$BEDROCK_HOST_CACHE_DIR`, else `$XDG_CACHE_HOME/bedrock-host`, else
    /// `~/.cache/bedrock-host`; `None` when none of them can be found.
    pub(crate) fn default_dir() -> Option<PathBuf> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(dir) = var("BEDROCK_HOST_CACHE_DIR") {
            return Some(PathBuf::from(dir));
        }
        let base = var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|home| Path::new(&home).join(".cache")))?;
        Some(base.join("bedrock-host"))
    }

    /// The entry's file name for `bytes` compiled by `engine`.
    fn entry_name(engine: &Engine, bytes: &[u8]) -> String {
        let mut key = Sha256::new();
        key.update(bytes);
        let mut engine_key = DigestHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut engine_key);
        key.update(engine_key.0.finalize());
        let key: String = key
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        format!("{key}.cwasm")
    }

    /// The compiled component for `bytes`: from the cache when it has an entry
    /// this user's host wrote and wasmtime accepts, else compiled (calling
    /// `compiling` first, so that a caller can show progress) and stored. A
    /// cache that cannot be used or written only costs the next load a compile.
    pub(crate) fn load(
        &self,
        engine: &Engine,
        bytes: &[u8],
        compiling: impl FnOnce(),
    ) -> anyhow::Result<(Component, CodeSource)> {
        let name = Self::entry_name(engine, bytes);
        let opened = match self.open() {
            Ok(opened) => Some(opened),
            Err(why) => {
                (self.report)(&format!(
                    "code cache {} not used: {why}; compiling",
                    self.dir.display()
                ));
                None
            }
        };
        if let Some(opened) = &opened {
            match opened.read(&name) {
                Ok(Some(code)) => {
                    // SAFETY: the bytes carry a valid MAC under this user's
                    // key, so they are what `store` below wrote: the output
                    // of `Component::serialize` for this component and
                    // engine configuration (the name says so). wasmtime
                    // checks the header and compatibility again.
                    match unsafe { Component::deserialize(engine, &code) } {
                        Ok(component) => return Ok((component, CodeSource::Cached)),
                        Err(error) => (self.report)(&format!(
                            "code cache entry {name} refused by wasmtime ({error}); compiling"
                        )),
                    }
                }
                Ok(None) => {}
                Err(why) => (self.report)(&format!(
                    "code cache entry {} ignored: {why}; compiling",
                    opened.dir.join(&name).display()
                )),
            }
        }
        compiling();
        let component = compile(engine, bytes)?;
        if let Some(opened) = &opened
            && let Err(error) = opened.store(&name, &component)
        {
            (self.report)(&format!(
                "cannot write the code cache {}: {error:#}",
                self.dir.display()
            ));
        }
        Ok((component, CodeSource::Compiled))
    }

    /// Creates the directory (0700) if needed, checks that it is this user's
    /// own, and reads or creates its key.
    fn open(&self) -> Result<Opened<'_>, String> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| format!("cannot create it ({e})"))?;
        let metadata = std::fs::metadata(&self.dir).map_err(|e| e.to_string())?;
        if !metadata.is_dir() {
            return Err("not a directory".into());
        }
        if let Some(why) = private_fs::not_private(&metadata, 0o022) {
            return Err(format!("the directory is {why}"));
        }
        Ok(Opened {
            dir: &self.dir,
            key: key(&self.dir)?,
        })
    }
}

/// The directory's MAC key: read, or created once (written under a random
/// name and linked into place, so a concurrent host never reads half a key).
fn key(dir: &Path) -> Result<[u8; KEY_BYTES], String> {
    let path = dir.join(KEY_FILE);
    for _ in 0..2 {
        match private_fs::open_no_follow(&path) {
            Ok(file) => return read_key(file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot open its key file ({e})")),
        }
        let mut key = [0u8; KEY_BYTES];
        getrandom::fill(&mut key).map_err(|e| format!("no randomness for a key ({e})"))?;
        let partial = dir.join(format!(
            ".key.{}.partial",
            private_fs::random_hex(8).map_err(|e| e.to_string())?
        ));
        let written = private_fs::create_new(&partial, 0o600)
            .and_then(|mut file| file.write_all(&key))
            .and_then(|()| std::fs::hard_link(&partial, &path));
        let _ = std::fs::remove_file(&partial);
        match written {
            Ok(()) => return Ok(key),
            // Another host made it first: read theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("cannot create its key file ({e})")),
        }
    }
    Err("its key file keeps disappearing".into())
}

fn read_key(mut file: std::fs::File) -> Result<[u8; KEY_BYTES], String> {
    let metadata = file.metadata().map_err(|e| e.to_string())?;
    if !metadata.is_file() {
        return Err("its key file is not a regular file".into());
    }
    if let Some(why) = private_fs::not_private(&metadata, 0o077) {
        return Err(format!("its key file is {why}"));
    }
    let mut key = [0u8; KEY_BYTES];
    let mut rest = Vec::new();
    file.read_exact(&mut key)
        .and_then(|()| file.read_to_end(&mut rest))
        .map_err(|e| format!("its key file cannot be read ({e})"))?;
    if !rest.is_empty() {
        return Err("its key file is longer than a key".into());
    }
    Ok(key)
}

impl Opened<'_> {
    fn mac(&self, name: &str, code: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(name.as_bytes());
        mac.update(&[0]);
        mac.update(code);
        mac
    }

    /// The compiled code of entry `name`, `None` when there is none, or why
    /// it may not be loaded.
    fn read(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        let mut file = match private_fs::open_no_follow(&self.dir.join(name)) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err("it is a symbolic link".into());
            }
            Err(e) => return Err(e.to_string()),
        };
        let metadata = file.metadata().map_err(|e| e.to_string())?;
        if !metadata.is_file() {
            return Err("not a regular file".into());
        }
        if let Some(why) = private_fs::not_private(&metadata, 0o022) {
            return Err(format!("it is {why}"));
        }
        let mut entry = Vec::new();
        file.read_to_end(&mut entry).map_err(|e| e.to_string())?;
        let Some(split) = entry.len().checked_sub(TAG_BYTES) else {
            return Err("too short to be an entry".into());
        };
        let (code, tag) = entry.split_at(split);
        self.mac(name, code).verify_slice(tag).map_err(|_| {
            "its MAC does not verify (not written by this user's host, or damaged)".to_string()
        })?;
        entry.truncate(split);
        Ok(Some(entry))
    }

    fn store(&self, name: &str, component: &Component) -> anyhow::Result<()> {
        let mut code = component.serialize().map_err(anyhow::Error::from)?;
        let tag = self.mac(name, &code).finalize().into_bytes();
        code.extend_from_slice(&tag);
        let partial = self
            .dir
            .join(format!(".{}.partial", private_fs::random_hex(16)?));
        let written = private_fs::create_new(&partial, 0o600)
            .and_then(|mut file| file.write_all(&code))
            .and_then(|()| std::fs::rename(&partial, self.dir.join(name)));
        if written.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        written?;
        self.prune();
        Ok(())
    }

    /// Removes all but the [`MAX_ENTRIES`] newest entries. A loaded entry is
    /// in memory, so removing it under a running host is harmless.
    fn prune(&self) {
        let Ok(dir) = std::fs::read_dir(self.dir) else {
            return;
        };
        let mut entries: Vec<(std::time::SystemTime, PathBuf)> = dir
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        entries.sort_by_key(|entry| std::cmp::Reverse(entry.0));
        for (_, stale) in entries.into_iter().skip(MAX_ENTRIES) {
            let _ = std::fs::remove_file(stale);
        }
    }
}

/// Compiles `bytes` without a cache.
pub(crate) fn compile(engine: &Engine, bytes: &[u8]) -> anyhow::Result<Component> {
    Component::from_binary(engine, bytes).map_err(anyhow::Error::from)
}

/// Feeds a `Hash` value into SHA-256, so that the key does not depend on
/// std's `DefaultHasher`, which may change between Rust releases.
struct DigestHasher(Sha256);

impl Hasher for DigestHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// Not used: the digest is the result.
    fn finish(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest component: the header alone.
    const EMPTY: &[u8] = b"\0asm\x0d\0\x01\0";

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("bedrock-code-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn compiles_once_then_loads_from_disk() {
        let dir = temp_dir("once");
        let cache = CodeCache::new(dir.clone());
        let engine = Engine::default();
        let mut compiles = 0;
        let (_, first) = cache.load(&engine, EMPTY, || compiles += 1).unwrap();
        let (_, second) = cache.load(&engine, EMPTY, || compiles += 1).unwrap();
        assert_eq!(
            (first, second, compiles),
            (CodeSource::Compiled, CodeSource::Cached, 1)
        );
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [CodeCache::entry_name(&engine, EMPTY), KEY_FILE.to_string()],
            "one entry and the key, no partial files left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_corrupt_entry_is_compiled_again_and_replaced() {
        let dir = temp_dir("corrupt");
        let cache = CodeCache::new(dir.clone());
        let engine = Engine::default();
        let entry = dir.join(CodeCache::entry_name(&engine, EMPTY));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&entry, b"not compiled code").unwrap();
        let (_, source) = cache.load(&engine, EMPTY, || {}).unwrap();
        assert_eq!(source, CodeSource::Compiled);
        let (_, source) = cache.load(&engine, EMPTY, || {}).unwrap();
        assert_eq!(source, CodeSource::Cached);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_key_depends_on_the_bytes_and_the_engine() {
        let engine = Engine::default();
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        let other_engine = Engine::new(&config).unwrap();
        let other_bytes = b"\0asm\x0d\0\x01\0\0";
        let key = CodeCache::entry_name(&engine, EMPTY);
        assert_eq!(key, CodeCache::entry_name(&engine, EMPTY));
        assert_ne!(key, CodeCache::entry_name(&engine, other_bytes));
        assert_ne!(key, CodeCache::entry_name(&other_engine, EMPTY));
    }

    #[test]
    fn only_the_newest_entries_are_kept() {
        let dir = temp_dir("prune");
        std::fs::create_dir_all(&dir).unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for i in 0..MAX_ENTRIES + 3 {
            let stale = std::fs::File::create(dir.join(format!("{i}.cwasm"))).unwrap();
            stale.set_modified(old).unwrap();
        }
        std::fs::write(dir.join("notes.txt"), "not an entry").unwrap();
        let cache = CodeCache::new(dir.clone());
        cache.load(&Engine::default(), EMPTY, || {}).unwrap();
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), MAX_ENTRIES + 2, "{names:?}");
        assert!(names.contains(&KEY_FILE.to_string()));
        assert!(names.contains(&"notes.txt".to_string()));
        let fresh = dir.join(CodeCache::entry_name(&Engine::default(), EMPTY));
        assert!(fresh.is_file(), "the new entry is kept");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unwritable_cache_still_compiles() {
        let file =
            std::env::temp_dir().join(format!("bedrock-code-cache-file-{}", std::process::id()));
        std::fs::write(&file, b"a file, not a directory").unwrap();
        let cache = CodeCache::new(file.clone());
        let (_, source) = cache.load(&Engine::default(), EMPTY, || {}).unwrap();
        assert_eq!(source, CodeSource::Compiled);
        std::fs::remove_file(&file).unwrap();
    }

    /// A cache whose warnings are kept, for the refusal tests.
    fn watched(dir: &Path) -> (CodeCache, Arc<std::sync::Mutex<Vec<String>>>) {
        let warnings = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = warnings.clone();
        let cache = CodeCache::with_reporter(dir.to_path_buf(), move |w| {
            sink.lock().unwrap().push(w.to_string())
        });
        (cache, warnings)
    }

    fn chmod(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// A cache with one good entry for `EMPTY`: the directory, its entry path.
    fn primed(name: &str) -> (PathBuf, PathBuf) {
        let dir = temp_dir(name);
        let (cache, warnings) = watched(&dir);
        cache.load(&Engine::default(), EMPTY, || {}).unwrap();
        assert!(warnings.lock().unwrap().is_empty());
        let entry = dir.join(CodeCache::entry_name(&Engine::default(), EMPTY));
        (dir, entry)
    }

    /// Loads `EMPTY` from `dir`: whether it came from the cache, and the warnings.
    fn load_from(dir: &Path) -> (CodeSource, Vec<String>) {
        let (cache, warnings) = watched(dir);
        let (_, source) = cache.load(&Engine::default(), EMPTY, || {}).unwrap();
        let warnings = warnings.lock().unwrap().clone();
        (source, warnings)
    }

    #[test]
    fn the_directory_is_created_private() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, entry) = primed("mode");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(KEY_FILE)), 0o600);
        assert_eq!(mode(&entry), 0o600);
        assert_eq!(load_from(&dir), (CodeSource::Cached, vec![]));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_others_may_write_is_not_used() {
        let (dir, _) = primed("shared");
        chmod(&dir, 0o777);
        let (source, warnings) = load_from(&dir);
        assert_eq!(source, CodeSource::Compiled, "nothing loaded from it");
        assert!(
            warnings[0].contains("not used") && warnings[0].contains("mode 777"),
            "{warnings:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_planted_entry_without_the_users_mac_is_ignored_and_replaced() {
        let (dir, entry) = primed("planted");
        // Valid compiled code, as another user could produce it, with a MAC
        // under another key.
        let (other, other_entry) = primed("planted-other");
        std::fs::copy(&other_entry, &entry).unwrap();
        let (source, warnings) = load_from(&dir);
        assert_eq!(source, CodeSource::Compiled);
        assert!(warnings[0].contains("MAC does not verify"), "{warnings:?}");
        assert_eq!(load_from(&dir), (CodeSource::Cached, vec![]), "replaced");
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&other).unwrap();
    }

    #[test]
    fn an_entry_others_may_write_is_ignored() {
        let (dir, entry) = primed("writable");
        chmod(&entry, 0o666);
        let (source, warnings) = load_from(&dir);
        assert_eq!(source, CodeSource::Compiled);
        assert!(warnings[0].contains("mode 666"), "{warnings:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_symlinked_entry_is_ignored() {
        let (dir, entry) = primed("symlink");
        let elsewhere = dir.with_extension("elsewhere");
        std::fs::rename(&entry, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
        let (source, warnings) = load_from(&dir);
        assert_eq!(source, CodeSource::Compiled);
        assert!(warnings[0].contains("symbolic link"), "{warnings:?}");
        assert!(entry.is_file() && !entry.is_symlink(), "replaced by a file");
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_file(&elsewhere).unwrap();
    }

    #[test]
    fn a_key_others_may_read_disables_the_cache() {
        let (dir, _) = primed("key");
        chmod(&dir.join(KEY_FILE), 0o644);
        let (source, warnings) = load_from(&dir);
        assert_eq!(source, CodeSource::Compiled);
        assert!(
            warnings[0].contains("key file is open to other users (mode 644)"),
            "{warnings:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_foreign_owned_entry_or_directory_is_refused() {
        let (dir, entry) = primed("foreign");
        // SAFETY: no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            // Only root can give a file away; the ownership check itself is
            // the one `private_fs` tests, on the modes.
            assert!(std::os::unix::fs::chown(&entry, Some(65534), None).is_err());
            std::fs::remove_dir_all(&dir).unwrap();
            return;
        }
        std::os::unix::fs::chown(&entry, Some(65534), None).unwrap();
        let (source, warnings) = load_from(&dir);
        assert_eq!(source, CodeSource::Compiled);
        assert!(warnings[0].contains("owned by uid 65534"), "{warnings:?}");
        std::os::unix::fs::chown(&dir, Some(65534), None).unwrap();
        let (source, warnings) = load_from(&dir);
        assert_eq!(source, CodeSource::Compiled);
        assert!(
            warnings[0].contains("not used") && warnings[0].contains("uid 65534"),
            "{warnings:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
