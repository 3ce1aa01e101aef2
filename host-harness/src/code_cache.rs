//! The on-disk cache of compiled components.
//!
//! Compiling the component with cranelift takes about a second in a release
//! host and much longer in a debug one; loading the compiled code back takes
//! milliseconds. An entry is keyed by the SHA-256 of the component's bytes and
//! the engine's [compatibility hash](wasmtime::Engine::precompile_compatibility_hash)
//! (wasmtime's version, the target and every setting that shapes the code), so
//! a new build of either side never picks up stale code.
//!
//! Loading compiled code is `unsafe` in wasmtime: the file is native code the
//! host will run. Entries are only written here, into the user's own cache
//! directory, through a temporary file and a rename so that no reader sees
//! half an entry; wasmtime checks each entry's header again when it loads, and
//! an entry it refuses is compiled again and replaced.

use anyhow::Context as _;
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Entries kept: the newest ones, by modification time. A developer
/// rebuilding the guest adds one (a few MB) per build; a gateway uses one or
/// two.
const MAX_ENTRIES: usize = 16;

/// Where compiled components are kept.
#[derive(Debug, Clone)]
pub(crate) struct CodeCache {
    dir: PathBuf,
}

/// Whether a load found the compiled code or had to compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeSource {
    /// Loaded from the on-disk cache.
    Cached,
    /// Compiled now (and written to the cache, when there is one).
    Compiled,
}

impl CodeCache {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self { dir }
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

    /// The entry for `bytes` compiled by `engine`.
    fn entry(&self, engine: &Engine, bytes: &[u8]) -> PathBuf {
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
        self.dir.join(format!("{key}.cwasm"))
    }

    /// The compiled component for `bytes`: from the cache when it has an entry
    /// wasmtime accepts, else compiled (calling `compiling` first, so that a
    /// caller can show progress) and stored. A cache that cannot be written
    /// only costs the next load a compile.
    pub(crate) fn load(
        &self,
        engine: &Engine,
        bytes: &[u8],
        compiling: impl FnOnce(),
    ) -> anyhow::Result<(Component, CodeSource)> {
        let entry = self.entry(engine, bytes);
        if entry.is_file() {
            // SAFETY: entries are only ever written by `store` below, from
            // `Component::serialize` of this same engine configuration (the
            // key says so), into the user's own cache directory; wasmtime
            // checks the header and compatibility of the file again.
            if let Ok(component) = unsafe { Component::deserialize_file(engine, &entry) } {
                return Ok((component, CodeSource::Cached));
            }
        }
        compiling();
        let component = compile(engine, bytes)?;
        let _ = self.store(&entry, &component);
        Ok((component, CodeSource::Compiled))
    }

    fn store(&self, entry: &Path, component: &Component) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        let code = component.serialize().map_err(anyhow::Error::from)?;
        // Unique per writer: two hosts compiling the same component at once
        // each rename a whole file into place.
        let partial = entry.with_extension(format!(
            "{}.{:?}.partial",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&partial, code).with_context(|| format!("writing {}", partial.display()))?;
        std::fs::rename(&partial, entry).inspect_err(|_| {
            let _ = std::fs::remove_file(&partial);
        })?;
        self.prune();
        Ok(())
    }

    /// Removes all but the [`MAX_ENTRIES`] newest entries. A loaded entry is
    /// mapped, not read, so removing it under a running host is harmless.
    fn prune(&self) {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut entries: Vec<(std::time::SystemTime, PathBuf)> = dir
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        entries.sort_by(|a, b| b.0.cmp(&a.0));
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
        let entries: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(entries.len(), 1, "one entry, no partial files left");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_corrupt_entry_is_compiled_again_and_replaced() {
        let dir = temp_dir("corrupt");
        let cache = CodeCache::new(dir.clone());
        let engine = Engine::default();
        let entry = cache.entry(&engine, EMPTY);
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
        let cache = CodeCache::new(PathBuf::from("/nonexistent"));
        let engine = Engine::default();
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        let other_engine = Engine::new(&config).unwrap();
        let other_bytes = b"\0asm\x0d\0\x01\0\0";
        let key = cache.entry(&engine, EMPTY);
        assert_eq!(key, cache.entry(&engine, EMPTY));
        assert_ne!(key, cache.entry(&engine, other_bytes));
        assert_ne!(key, cache.entry(&other_engine, EMPTY));
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
        assert_eq!(names.len(), MAX_ENTRIES + 1, "{names:?}");
        assert!(names.contains(&"notes.txt".to_string()));
        let fresh = cache.entry(&Engine::default(), EMPTY);
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
}
