//! Blocking indexes built once per run, read by every pass in parallel.
//!
//! The reference index maps the hash of an invoice's reference key to the
//! item. Keys are pre-hashed 64-bit values, so the table is an
//! open-addressed array behind a presence bitmap, probed with the key's own
//! bits (no hashing, no SipHash over a string). PERF: see
//! `benches/stages.rs` (`reference_index`).

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
/// Marks an empty slot of the open-addressed table (item indices stop
/// below it: `SHARED` is the only larger value).
const EMPTY: ItemIdx = ItemIdx::MAX - 1;
/// Presence bits per indexed key (rounded up to a power of two): about one
/// in eight absent keys passes the filter and probes the table.
const FILTER_BITS_PER_KEY: usize = 8;

/// One slot of the table: a key and its item, 16 bytes, four per cache line.
#[derive(Debug, Clone, Copy)]
struct Slot {
    key: u64,
    item: ItemIdx,
}

/// Invoice reference key → open item.
///
/// Reference extraction probes this ~40 times per payment (every token
/// window of the remittance text), and almost every probe misses. The
/// layout is for those misses: a presence bitmap (one bit per hash prefix,
/// 2 MiB at 1.3M keys, so it stays in the L2/L3 cache) answers most of them
/// without touching the table; the rest probe a linear open-addressed array
/// of 16-byte slots at most 3/4 full, where a hit or a miss is one cache
/// line in the common case (`docs/PERFORMANCE.md`: a hash join at 10M
/// loses on cache misses, not on hashing). Keys are already well-mixed
/// 64-bit hashes (`KeyHasher::finish`): the low bits pick the slot, the
/// high bits the filter bit.
#[derive(Debug)]
pub struct ReferenceIndex {
    slots: Vec<Slot>,
    /// `slots.len() - 1` (a power of two minus one).
    mask: usize,
    /// Presence bitmap over the top `filter_bits` bits of each key.
    filter: Vec<u64>,
    filter_shift: u32,
    len: usize,
    /// Items whose keys collide after normalisation (e.g. `INV-1` and `INV1`
    /// both open). A reference to such a key is ambiguous.
    shared: PrehashedMap<Vec<ItemIdx>>,
}

impl Default for ReferenceIndex {
    fn default() -> Self {
        ReferenceIndex::with_capacity(0)
    }
}

impl ReferenceIndex {
    fn with_capacity(keys: usize) -> Self {
        // At most 3/4 full: linear probing stays short (a miss reads ~2.5
        // slots on average at that load).
        let slots = (keys * 4 / 3 + 1).next_power_of_two().max(16);
        let filter_bits = (keys * FILTER_BITS_PER_KEY).next_power_of_two().max(64);
        ReferenceIndex {
            slots: vec![
                Slot {
                    key: 0,
                    item: EMPTY
                };
                slots
            ],
            mask: slots - 1,
            filter: vec![0; filter_bits / 64],
            filter_shift: 64 - filter_bits.trailing_zeros(),
            len: 0,
            shared: PrehashedMap::default(),
        }
    }

    #[inline]
    fn filter_bit(&self, key: u64) -> usize {
        (key >> self.filter_shift) as usize
    }

    #[inline]
    fn may_contain(&self, key: u64) -> bool {
        let b = self.filter_bit(key);
        self.filter[b / 64] & (1 << (b % 64)) != 0
    }

    /// The slot holding `key`, or the empty slot where it would go.
    #[inline]
    fn slot_of(&self, key: u64) -> usize {
        let mut s = key as usize & self.mask;
        loop {
            let slot = &self.slots[s];
            if slot.item == EMPTY || slot.key == key {
                return s;
            }
            s = (s + 1) & self.mask;
        }
    }

    /// Indexes every open item by its invoice id.
    pub fn build(batch: &Batch) -> Self {
        let mut index = ReferenceIndex::with_capacity(batch.open_items.len());
        for (i, item) in batch.open_items.iter().enumerate() {
            let idx = i as ItemIdx;
            debug_assert!(idx < EMPTY, "item indices stay below the slot markers");
            let mut h = KeyHasher::new();
            h.push_token(item.invoice_id());
            let key = h.finish();
            index.insert(key, idx);
        }
        index
    }

    fn insert(&mut self, key: u64, idx: ItemIdx) {
        let s = self.slot_of(key);
        let existing = self.slots[s].item;
        if existing == EMPTY {
            self.slots[s] = Slot { key, item: idx };
            self.len += 1;
            let b = self.filter_bit(key);
            self.filter[b / 64] |= 1 << (b % 64);
        } else {
            let list = self.shared.entry(key).or_default();
            if existing != SHARED {
                list.push(existing);
                self.slots[s].item = SHARED;
            }
            list.push(idx);
        }
    }

    /// Items whose key hashes to `key`; more than one when ambiguous.
    #[inline]
    pub fn lookup(&self, key: u64) -> &[ItemIdx] {
        if !self.may_contain(key) {
            return &[];
        }
        let slot = &self.slots[self.slot_of(key)];
        match slot.item {
            EMPTY => &[],
            SHARED => self.shared.get(&key).map_or(&[], Vec::as_slice),
            _ => std::slice::from_ref(&slot.item),
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
        self.len
    }

    /// True when no open item was indexed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table answers exactly what a `HashMap` of lists answers, for
    /// present, shared and absent keys, including keys that share slots
    /// (low bits) or filter bits (high bits).
    #[test]
    fn lookups_agree_with_a_hash_map() {
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for n in [0usize, 1, 7, 1000, 20_000] {
            let mut index = ReferenceIndex::with_capacity(n);
            let mut model: HashMap<u64, Vec<ItemIdx>> = HashMap::new();
            let mut keys = Vec::new();
            for i in 0..n {
                let key = match i % 5 {
                    // A key seen before: shared by several items.
                    0 if !keys.is_empty() => keys[(next() as usize) % keys.len()],
                    // Same slot bits as an earlier key, other high bits.
                    1 if !keys.is_empty() => {
                        (keys[(next() as usize) % keys.len()] & 0xffff) | (next() << 16)
                    }
                    // Zero is a key like any other.
                    2 if i == 2 => 0,
                    _ => next(),
                };
                keys.push(key);
                index.insert(key, i as ItemIdx);
                model.entry(key).or_default().push(i as ItemIdx);
            }
            assert_eq!(index.len(), model.len());
            for (key, items) in &model {
                assert_eq!(index.lookup(*key), items.as_slice(), "key {key:#x}");
            }
            for _ in 0..10_000 {
                let key = next();
                let want = model.get(&key).map_or(&[][..], Vec::as_slice);
                assert_eq!(index.lookup(key), want);
            }
        }
    }
}
