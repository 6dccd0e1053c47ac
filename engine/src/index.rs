//! Blocking indexes built once per run, read by every pass in parallel.
//!
//! The reference index maps the hash of an invoice's reference key to the
//! item. Keys are pre-hashed 64-bit values, so the table uses an identity
//! hasher: one multiply-free probe per lookup instead of SipHash over a
//! string. PERF: see `benches/stages.rs` (`reference_index`).

use crate::model::{Batch, ItemIdx};
use crate::normalize::{key_equals_tokens, KeyHasher};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `Hasher` for keys that are already well-mixed 64-bit hashes.
#[derive(Default, Clone, Copy)]
pub struct PrehashedKey(u64);

impl Hasher for PrehashedKey {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed through this type; fold anything else so
        // the hasher stays total.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// `HashMap` keyed by pre-hashed `u64`.
pub type PrehashedMap<V> = HashMap<u64, V, BuildHasherDefault<PrehashedKey>>;

/// Marks a key shared by several items (see [`ReferenceIndex::shared`]).
const SHARED: ItemIdx = ItemIdx::MAX;

/// Invoice reference key → open item.
#[derive(Debug, Default)]
pub struct ReferenceIndex {
    by_key: PrehashedMap<ItemIdx>,
    /// Items whose keys collide after normalisation (e.g. `INV-1` and `INV1`
    /// both open). A reference to such a key is ambiguous.
    shared: PrehashedMap<Vec<ItemIdx>>,
}

impl ReferenceIndex {
    /// Indexes every open item by its invoice id.
    pub fn build(batch: &Batch) -> Self {
        let mut by_key: PrehashedMap<ItemIdx> =
            PrehashedMap::with_capacity_and_hasher(batch.open_items.len(), Default::default());
        let mut shared: PrehashedMap<Vec<ItemIdx>> = PrehashedMap::default();
        for (i, item) in batch.open_items.iter().enumerate() {
            let idx = i as ItemIdx;
            let mut h = KeyHasher::new();
            h.push_token(item.invoice_id());
            let key = h.finish();
            match by_key.get_mut(&key) {
                None => {
                    by_key.insert(key, idx);
                }
                Some(existing) => {
                    let list = shared.entry(key).or_default();
                    if *existing != SHARED {
                        list.push(*existing);
                        *existing = SHARED;
                    }
                    list.push(idx);
                }
            }
        }
        ReferenceIndex { by_key, shared }
    }

    /// Items whose key hashes to `key`; more than one when ambiguous.
    pub fn lookup(&self, key: u64) -> &[ItemIdx] {
        match self.by_key.get(&key) {
            None => &[],
            Some(&SHARED) => self.shared.get(&key).map_or(&[], Vec::as_slice),
            Some(idx) => std::slice::from_ref(idx),
        }
    }

    /// Finds open items whose invoice id is spelled by one to `window_max`
    /// consecutive tokens of `text`, in order of appearance, without
    /// duplicates. `found` is cleared first; the caller reuses it.
    pub fn find_in_text(
        &self,
        batch: &Batch,
        text: &str,
        window_max: usize,
        found: &mut Vec<ItemIdx>,
    ) {
        found.clear();
        let mut toks: [&str; 64] = [""; 64];
        let mut n = 0;
        // Remittance fields are at most a few hundred characters; a cap of 64
        // tokens keeps the scratch on the stack and bounds hostile input.
        for t in crate::normalize::tokens(text) {
            if n == toks.len() {
                break;
            }
            toks[n] = t;
            n += 1;
        }
        for start in 0..n {
            let mut h = KeyHasher::new();
            for end in start..n.min(start + window_max) {
                h.push_token(toks[end]);
                for &item in self.lookup(h.finish()) {
                    let invoice_id = &batch.open_items.get(item as usize).invoice_id();
                    if key_equals_tokens(invoice_id, &toks[start..=end]) && !found.contains(&item) {
                        found.push(item);
                    }
                }
            }
        }
    }

    /// Distinct keys indexed.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// True when no open item was indexed.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}
