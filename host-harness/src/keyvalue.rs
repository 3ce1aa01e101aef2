//! `wasi:keyvalue/store`, backed by one in-memory map per [`Host`](crate::Host).
//!
//! Every call runs on a fresh instance, so whatever the guest wants to keep
//! from one call to the next (discovery results, temporary credentials) must
//! live in the host. The guest reaches it through the standard
//! `wasi:keyvalue/store` interface rather than a home-made import, so the same
//! component runs unchanged in other hosts (jco, Spin, wasmCloud).
//!
//! Unlike `wasmtime-wasi-keyvalue`, whose in-memory buckets are copied into
//! each store (nothing written would outlive the instance), every store of a
//! host opens the same [`KeyValueStore`]. A host made with
//! [`Host::with_policy`](crate::Host::with_policy) gets a store of its own:
//! another environment means other credentials, whose cached state must not
//! leak across.
//!
//! The store is bounded ([`MAX_KEYS`], [`MAX_BYTES`], [`MAX_KEY_LEN`]): a
//! guest cannot grow the host without limit. A `set` beyond the bounds fails
//! with `error::other`; the guest treats the store as a cache and copes.

use crate::bindings::wasi::keyvalue::store;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use wasmtime::component::{HasData, Resource, ResourceTable, ResourceTableError};

/// Most keys one store holds.
pub(crate) const MAX_KEYS: usize = 1024;
/// Most bytes of keys and values together one store holds.
pub(crate) const MAX_BYTES: usize = 16 * 1024 * 1024;
/// Longest key, in bytes.
pub(crate) const MAX_KEY_LEN: usize = 1024;

/// The shared map behind every bucket a host's guests open.
#[derive(Default)]
pub(crate) struct KeyValueStore {
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Vec<u8>>,
    /// Sum of the lengths of every key and value in `map`.
    bytes: usize,
}

impl KeyValueStore {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The map. Every operation leaves it consistent before it can panic, so
    /// a poisoned lock is still safe to use.
    fn entries(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.entries().map.get(key).cloned()
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.entries().map.contains_key(key)
    }

    /// Stores `value` under `key`, replacing any previous value, unless that
    /// would break a bound: then the store is left as it was and the error
    /// says which bound.
    pub(crate) fn set(&self, key: String, value: Vec<u8>) -> Result<(), String> {
        if key.len() > MAX_KEY_LEN {
            return Err(format!(
                "key too long: {} bytes (at most {MAX_KEY_LEN})",
                key.len()
            ));
        }
        let mut entries = self.entries();
        let replaced = entries.map.get(&key).map(|old| key.len() + old.len());
        if replaced.is_none() && entries.map.len() >= MAX_KEYS {
            return Err(format!("cache full: {MAX_KEYS} keys already stored"));
        }
        let bytes = entries.bytes - replaced.unwrap_or(0) + key.len() + value.len();
        if bytes > MAX_BYTES {
            return Err(format!(
                "cache full: storing {} bytes under this key would exceed {} MiB in total",
                value.len(),
                MAX_BYTES / (1024 * 1024)
            ));
        }
        entries.bytes = bytes;
        entries.map.insert(key, value);
        Ok(())
    }

    /// Removes `key`; removing a missing key is not an error.
    pub(crate) fn delete(&self, key: &str) {
        let mut entries = self.entries();
        if let Some(old) = entries.map.remove(key) {
            entries.bytes -= key.len() + old.len();
        }
    }

    /// Every key, sorted (so that cursors are stable offsets).
    pub(crate) fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.entries().map.keys().cloned().collect();
        keys.sort_unstable();
        keys
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries().map.len()
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.entries().bytes
    }
}

/// The `bucket` resource: a handle on the store of the instance's host. It
/// holds nothing itself; [`KeyValue`] knows which store it is.
pub struct Bucket {
    _private: (),
}

/// How a store operation fails: an error the guest receives, or a trap.
pub enum Error {
    Store(store::Error),
    /// A host-side fault (an unknown resource handle): the call traps.
    Trap(wasmtime::Error),
}

impl From<ResourceTableError> for Error {
    fn from(error: ResourceTableError) -> Self {
        Error::Trap(wasmtime::Error::from(error))
    }
}

/// One store's view for the generated `Host` traits: the host-wide map and
/// the store's resource table.
pub(crate) struct KeyValue<'a> {
    pub(crate) store: &'a KeyValueStore,
    pub(crate) table: &'a mut ResourceTable,
}

/// Ties [`KeyValue`] to the generated `add_to_linker`.
pub(crate) struct HasKeyValue;

impl HasData for HasKeyValue {
    type Data<'a> = KeyValue<'a>;
}

impl KeyValue<'_> {
    /// Checks that `bucket` is a live handle of this store.
    fn bucket(&self, bucket: &Resource<Bucket>) -> Result<(), Error> {
        self.table.get(bucket)?;
        Ok(())
    }
}

impl store::Host for KeyValue<'_> {
    fn open(&mut self, identifier: String) -> Result<Resource<Bucket>, Error> {
        // Only the default store exists: the guest namespaces its own keys.
        if !identifier.is_empty() {
            return Err(Error::Store(store::Error::NoSuchStore));
        }
        Ok(self.table.push(Bucket { _private: () })?)
    }

    fn convert_error(&mut self, error: Error) -> wasmtime::Result<store::Error> {
        match error {
            Error::Store(error) => Ok(error),
            Error::Trap(trap) => Err(trap),
        }
    }
}

impl store::HostBucket for KeyValue<'_> {
    fn get(&mut self, bucket: Resource<Bucket>, key: String) -> Result<Option<Vec<u8>>, Error> {
        self.bucket(&bucket)?;
        Ok(self.store.get(&key))
    }

    fn set(&mut self, bucket: Resource<Bucket>, key: String, value: Vec<u8>) -> Result<(), Error> {
        self.bucket(&bucket)?;
        self.store
            .set(key, value)
            .map_err(|message| Error::Store(store::Error::Other(message)))
    }

    fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> Result<(), Error> {
        self.bucket(&bucket)?;
        self.store.delete(&key);
        Ok(())
    }

    fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> Result<bool, Error> {
        self.bucket(&bucket)?;
        Ok(self.store.contains(&key))
    }

    /// All the keys from `cursor` (an offset into the sorted keys) in one
    /// page: the store holds at most [`MAX_KEYS`] of them.
    fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<u64>,
    ) -> Result<store::KeyResponse, Error> {
        self.bucket(&bucket)?;
        let mut keys = self.store.keys();
        let start = usize::try_from(cursor.unwrap_or(0))
            .unwrap_or(usize::MAX)
            .min(keys.len());
        keys.drain(..start);
        Ok(store::KeyResponse { keys, cursor: None })
    }

    fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use store::{Host as _, HostBucket as _};

    /// What one instance's store holds: its own resource table, the host's map.
    struct Instance {
        store: Arc<KeyValueStore>,
        table: ResourceTable,
    }

    impl Instance {
        fn of(store: &Arc<KeyValueStore>) -> Self {
            Self {
                store: store.clone(),
                table: ResourceTable::new(),
            }
        }

        fn kv(&mut self) -> KeyValue<'_> {
            KeyValue {
                store: &self.store,
                table: &mut self.table,
            }
        }

        fn open(&mut self) -> Resource<Bucket> {
            match self.kv().open(String::new()) {
                Ok(bucket) => bucket,
                Err(_) => panic!("the default store should open"),
            }
        }
    }

    fn same(bucket: &Resource<Bucket>) -> Resource<Bucket> {
        Resource::new_borrow(bucket.rep())
    }

    fn store_error(result: Result<impl Sized, Error>) -> store::Error {
        match result {
            Err(Error::Store(error)) => error,
            Err(Error::Trap(trap)) => panic!("expected a store error, got a trap: {trap}"),
            Ok(_) => panic!("expected a store error"),
        }
    }

    fn ok<T>(result: Result<T, Error>) -> T {
        match result {
            Ok(value) => value,
            Err(Error::Store(error)) => panic!("unexpected store error: {error:?}"),
            Err(Error::Trap(trap)) => panic!("unexpected trap: {trap}"),
        }
    }

    #[test]
    fn what_one_instance_writes_the_next_reads() {
        let shared = Arc::new(KeyValueStore::new());
        let mut first = Instance::of(&shared);
        let bucket = first.open();
        ok(first.kv().set(same(&bucket), "k".into(), b"v1".to_vec()));
        ok(first.kv().drop(bucket).map_err(Error::Trap));
        drop(first);

        let mut second = Instance::of(&shared);
        let bucket = second.open();
        assert_eq!(
            ok(second.kv().get(same(&bucket), "k".into())),
            Some(b"v1".to_vec())
        );
        assert!(ok(second.kv().exists(same(&bucket), "k".into())));
        ok(second.kv().set(same(&bucket), "k".into(), b"v2".to_vec()));
        ok(second.kv().set(same(&bucket), "a".into(), Vec::new()));
        let page = ok(second.kv().list_keys(same(&bucket), None));
        assert_eq!(page.keys, ["a", "k"]);
        assert_eq!(page.cursor, None);
        let page = ok(second.kv().list_keys(same(&bucket), Some(1)));
        assert_eq!(page.keys, ["k"]);
        let page = ok(second.kv().list_keys(same(&bucket), Some(u64::MAX)));
        assert!(page.keys.is_empty());
        ok(second.kv().delete(same(&bucket), "a".into()));
        ok(second.kv().delete(same(&bucket), "never set".into()));
        assert!(!ok(second.kv().exists(same(&bucket), "a".into())));
        assert_eq!(ok(second.kv().get(same(&bucket), "a".into())), None);

        // A store of another host (another `with_policy`) sees none of it.
        let mut other = Instance::of(&Arc::new(KeyValueStore::new()));
        let bucket = other.open();
        assert_eq!(ok(other.kv().get(same(&bucket), "k".into())), None);
        assert_eq!(shared.get("k"), Some(b"v2".to_vec()));
    }

    #[test]
    fn only_the_default_store_opens() {
        let mut instance = Instance::of(&Arc::new(KeyValueStore::new()));
        for identifier in ["cache", " ", "default"] {
            let error = store_error(instance.kv().open(identifier.into()));
            assert_eq!(error, store::Error::NoSuchStore, "{identifier:?}");
        }
    }

    #[test]
    fn a_stale_handle_traps() {
        let mut instance = Instance::of(&Arc::new(KeyValueStore::new()));
        let bucket = instance.open();
        let stale = same(&bucket);
        ok(instance.kv().drop(bucket).map_err(Error::Trap));
        match instance.kv().get(stale, "k".into()) {
            Err(Error::Trap(_)) => {}
            _ => panic!("a dropped bucket should trap"),
        }
    }

    #[test]
    fn keys_are_bounded_in_length_and_number() {
        let store = KeyValueStore::new();
        let long = "k".repeat(MAX_KEY_LEN + 1);
        let error = store.set(long.clone(), vec![1]).unwrap_err();
        assert!(error.contains("key too long"), "{error}");
        assert_eq!(store.get(&long), None);
        store.set("k".repeat(MAX_KEY_LEN), vec![1]).unwrap();
        store.delete(&"k".repeat(MAX_KEY_LEN));

        for i in 0..MAX_KEYS {
            store.set(format!("key-{i}"), vec![0; 8]).unwrap();
        }
        let error = store.set("one more".into(), vec![]).unwrap_err();
        assert!(error.starts_with("cache full"), "{error}");
        assert_eq!(store.len(), MAX_KEYS);
        // Replacing a value is not a new key; deleting one makes room.
        store.set("key-0".into(), vec![1; 16]).unwrap();
        store.delete("key-1");
        store.set("one more".into(), vec![]).unwrap();
        assert_eq!(store.len(), MAX_KEYS);
    }

    #[test]
    fn bytes_are_bounded_and_accounted() {
        let store = KeyValueStore::new();
        let half = MAX_BYTES / 2;
        store.set("a".into(), vec![0; half - 1]).unwrap();
        assert_eq!(store.bytes(), half);
        let error = store.set("b".into(), vec![0; half]).unwrap_err();
        assert!(error.starts_with("cache full"), "{error}");
        assert_eq!(store.get("b"), None, "a refused set leaves nothing behind");
        store.set("b".into(), vec![0; half - 1]).unwrap();
        assert_eq!(store.bytes(), MAX_BYTES);
        // Shrinking a value frees its bytes; growing one past the bound fails
        // and keeps the old value.
        store.set("a".into(), vec![7; 9]).unwrap();
        assert_eq!(store.bytes(), half + 10);
        let error = store.set("a".into(), vec![0; half]).unwrap_err();
        assert!(error.starts_with("cache full"), "{error}");
        assert_eq!(store.get("a"), Some(vec![7; 9]));
        store.delete("a");
        store.delete("b");
        assert_eq!(store.bytes(), 0);
        assert_eq!(store.len(), 0);
    }

    #[test]
    fn a_full_store_is_an_error_the_guest_sees() {
        let shared = Arc::new(KeyValueStore::new());
        let mut instance = Instance::of(&shared);
        let bucket = instance.open();
        let error = store_error(
            instance
                .kv()
                .set(same(&bucket), "big".into(), vec![0; MAX_BYTES]),
        );
        match error {
            store::Error::Other(message) => assert!(message.starts_with("cache full"), "{message}"),
            other => panic!("expected error::other, got {other:?}"),
        }
    }
}
