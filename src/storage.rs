//! Data tables too large for a link, kept under their hash ([`UserTable::hash`]): a link
//! carries the hash, and opens the table only where it was stored. At most
//! [`MAX_STORED_TABLES`] tables are kept; storing one more forgets the one used longest ago.
//!
//! The parameters read stored tables through the [`TableStore`] they are given: the page's is
//! [`BROWSER_TABLES`], this browser's `localStorage`; tests use [`Tables`] over a
//! [`MemoryStorage`]. The bookkeeping (the hash index, least recently used first) is the same
//! for both ([`Tables`] over any [`KeyValue`]).

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::params::table::{is_hash, UserTable};

/// Most tables kept.
pub const MAX_STORED_TABLES: usize = 16;
/// Prefix of a stored table's key (followed by its hash).
pub const TABLE_KEY_PREFIX: &str = "wide-explorer/table/";
/// Key of the list of stored hashes, least recently used first (JSON array).
pub const INDEX_KEY: &str = "wide-explorer/tables";

/// Why a table could not be stored or read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// No `localStorage` (disabled, or a sandboxed frame).
    #[error("this browser does not let the page store data")]
    Unavailable,
    /// The browser refused the write (quota).
    #[error("the browser refused to store the table ({0})")]
    Refused(String),
}

/// Where the tables too large for a link are kept, by hash.
pub trait TableStore {
    /// Stores `table`'s canonical text under its hash and marks it most recently used,
    /// forgetting the least recently used tables beyond [`MAX_STORED_TABLES`].
    ///
    /// # Errors
    /// [`StorageError`] when there is no storage or it refuses the write.
    fn store(&self, table: &UserTable) -> Result<(), StorageError>;

    /// The text stored under `hash`, if it is here (and marks it most recently used).
    fn stored_text(&self, hash: &str) -> Option<String>;

    /// The hashes stored, least recently used first.
    fn stored_hashes(&self) -> Vec<String>;
}

/// Text kept under keys: the browser's `localStorage` ([`LocalStorage`]) or a map
/// ([`MemoryStorage`]).
pub trait KeyValue {
    /// The text under `key` (`Ok(None)` if there is none or it cannot be read).
    ///
    /// # Errors
    /// [`StorageError::Unavailable`] when there is no storage at all.
    fn get(&self, key: &str) -> Result<Option<String>, StorageError>;

    /// Keeps `value` under `key`.
    ///
    /// # Errors
    /// [`StorageError`] when there is no storage or it refuses the write.
    fn set(&self, key: &str, value: &str) -> Result<(), StorageError>;

    /// Forgets `key` (nothing if it is not there).
    fn remove(&self, key: &str);
}

/// This browser's `localStorage` (none outside a browser window).
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalStorage;

impl LocalStorage {
    fn storage() -> Result<web_sys::Storage, StorageError> {
        web_sys::window().and_then(|w| w.local_storage().ok().flatten()).ok_or(StorageError::Unavailable)
    }
}

impl KeyValue for LocalStorage {
    fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        Ok(Self::storage()?.get_item(key).ok().flatten())
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        Self::storage()?
            .set_item(key, value)
            .map_err(|e| StorageError::Refused(e.as_string().unwrap_or_else(|| "quota exceeded".to_string())))
    }

    fn remove(&self, key: &str) {
        if let Ok(storage) = Self::storage() {
            let _ = storage.remove_item(key);
        }
    }
}

/// Text kept in memory, for as long as the value lives.
#[derive(Clone, Debug, Default)]
pub struct MemoryStorage {
    entries: RefCell<BTreeMap<String, String>>,
}

impl KeyValue for MemoryStorage {
    fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        Ok(self.entries.borrow().get(key).cloned())
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        self.entries.borrow_mut().insert(key.to_string(), value.to_string());
        Ok(())
    }

    fn remove(&self, key: &str) {
        self.entries.borrow_mut().remove(key);
    }
}

/// A store that keeps nothing: for states that name no stored table (a link a result file
/// describes, the width view's).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTables;

impl TableStore for NoTables {
    fn store(&self, _table: &UserTable) -> Result<(), StorageError> {
        Err(StorageError::Unavailable)
    }

    fn stored_text(&self, _hash: &str) -> Option<String> {
        None
    }

    fn stored_hashes(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Tables kept in a [`KeyValue`] storage: each text under [`TABLE_KEY_PREFIX`] and its hash,
/// the hashes under [`INDEX_KEY`], least recently used first.
#[derive(Clone, Debug, Default)]
pub struct Tables<K>(pub K);

/// The page's tables: this browser's `localStorage`.
pub const BROWSER_TABLES: Tables<LocalStorage> = Tables(LocalStorage);

impl<K: KeyValue> Tables<K> {
    /// The stored hashes, least recently used first (entries that are not hashes dropped).
    fn index(&self) -> Result<Vec<String>, StorageError> {
        let text = self.0.get(INDEX_KEY)?;
        Ok(text
            .and_then(|t| serde_json::from_str::<Vec<String>>(&t).ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|h| is_hash(h))
            .collect())
    }

    fn set_index(&self, hashes: &[String]) -> Result<(), StorageError> {
        self.0.set(INDEX_KEY, &serde_json::to_string(hashes).unwrap_or_default())
    }
}

impl<K: KeyValue> TableStore for Tables<K> {
    fn store(&self, table: &UserTable) -> Result<(), StorageError> {
        let hash = table.hash().to_string();
        let mut hashes = self.index()?;
        hashes.retain(|h| *h != hash);
        hashes.push(hash.clone());
        while hashes.len() > MAX_STORED_TABLES {
            let old = hashes.remove(0);
            self.0.remove(&format!("{TABLE_KEY_PREFIX}{old}"));
        }
        self.0.set(&format!("{TABLE_KEY_PREFIX}{hash}"), table.text())?;
        self.set_index(&hashes)
    }

    fn stored_text(&self, hash: &str) -> Option<String> {
        let text = self.0.get(&format!("{TABLE_KEY_PREFIX}{hash}")).ok().flatten()?;
        let mut hashes = self.index().unwrap_or_default();
        if hashes.last().map(String::as_str) != Some(hash) {
            hashes.retain(|h| h != hash);
            hashes.push(hash.to_string());
            let _ = self.set_index(&hashes);
        }
        Some(text)
    }

    fn stored_hashes(&self) -> Vec<String> {
        self.index().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_keeps_the_most_recently_used_tables() {
        let store = Tables(MemoryStorage::default());
        let tables: Vec<UserTable> =
            (0..MAX_STORED_TABLES + 3).map(|i| UserTable::from_csv(&format!("{i},1\n")).unwrap()).collect();
        for t in &tables[..MAX_STORED_TABLES] {
            store.store(t).unwrap();
        }
        // Using the oldest makes it the newest; three more push out tables 1, 2, 3.
        assert!(store.stored_text(tables[0].hash()).is_some());
        for t in &tables[MAX_STORED_TABLES..] {
            store.store(t).unwrap();
        }
        let kept = store.stored_hashes();
        assert_eq!(kept.len(), MAX_STORED_TABLES);
        assert!(kept.contains(&tables[0].hash().to_string()));
        for gone in &tables[1..4] {
            assert!(store.stored_text(gone.hash()).is_none());
        }
        for kept in &tables[4..] {
            assert_eq!(store.stored_text(kept.hash()).as_deref(), Some(kept.text()));
        }
    }

    #[test]
    fn a_damaged_index_keeps_only_hashes_and_storing_again_repairs_it() {
        let store = Tables(MemoryStorage::default());
        store.0.set(INDEX_KEY, "[\"not a hash\", 3]").unwrap();
        assert!(store.stored_hashes().is_empty());
        store.0.set(INDEX_KEY, &format!("[\"x\", \"{}\"]", "0".repeat(32))).unwrap();
        assert_eq!(store.stored_hashes(), vec!["0".repeat(32)]);
        let t = UserTable::from_csv("1,2\n").unwrap();
        store.store(&t).unwrap();
        assert_eq!(store.stored_hashes(), vec!["0".repeat(32), t.hash().to_string()]);
    }
}
