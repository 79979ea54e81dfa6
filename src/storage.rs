//! Data tables too large for a link, kept in the browser's `localStorage` under their hash
//! ([`UserTable::hash`]): a link carries the hash, and opens the table only in a browser that
//! has stored it. At most [`MAX_STORED_TABLES`] tables are kept; storing one more forgets the
//! one used longest ago.

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

fn local_storage() -> Result<web_sys::Storage, StorageError> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten()).ok_or(StorageError::Unavailable)
}

fn index(storage: &web_sys::Storage) -> Vec<String> {
    storage
        .get_item(INDEX_KEY)
        .ok()
        .flatten()
        .and_then(|t| serde_json::from_str::<Vec<String>>(&t).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|h| is_hash(h))
        .collect()
}

fn set(storage: &web_sys::Storage, key: &str, value: &str) -> Result<(), StorageError> {
    storage
        .set_item(key, value)
        .map_err(|e| StorageError::Refused(e.as_string().unwrap_or_else(|| "quota exceeded".to_string())))
}

/// Stores `table`'s canonical text under its hash and marks it most recently used, forgetting
/// the least recently used tables beyond [`MAX_STORED_TABLES`].
///
/// # Errors
/// [`StorageError`] when there is no storage or the browser refuses the write.
pub fn store_table(table: &UserTable) -> Result<(), StorageError> {
    let storage = local_storage()?;
    let hash = table.hash().to_string();
    let mut hashes = index(&storage);
    hashes.retain(|h| *h != hash);
    hashes.push(hash.clone());
    while hashes.len() > MAX_STORED_TABLES {
        let old = hashes.remove(0);
        let _ = storage.remove_item(&format!("{TABLE_KEY_PREFIX}{old}"));
    }
    set(&storage, &format!("{TABLE_KEY_PREFIX}{hash}"), table.text())?;
    set(&storage, INDEX_KEY, &serde_json::to_string(&hashes).unwrap_or_default())
}

/// The text stored under `hash`, if this browser has it (and marks it most recently used).
pub fn stored_text(hash: &str) -> Option<String> {
    let storage = local_storage().ok()?;
    let text = storage.get_item(&format!("{TABLE_KEY_PREFIX}{hash}")).ok().flatten()?;
    let mut hashes = index(&storage);
    if hashes.last().map(String::as_str) != Some(hash) {
        hashes.retain(|h| h != hash);
        hashes.push(hash.to_string());
        let _ = set(&storage, INDEX_KEY, &serde_json::to_string(&hashes).unwrap_or_default());
    }
    Some(text)
}

/// The hashes stored, least recently used first.
pub fn stored_hashes() -> Vec<String> {
    local_storage().map(|s| index(&s)).unwrap_or_default()
}
