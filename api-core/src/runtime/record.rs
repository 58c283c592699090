//! [`Record`]: how a spec struct or an action's request is read from a JSON object, with one
//! generic visitor for all of them.
//!
//! The generator writes, per struct, only what differs: its keys, the type of each field's
//! slot, and how the slots make the value. The loop over the object, matching keys, reading
//! each value (leniently or not), duplicate and missing fields, and keeping unlisted keys are
//! here, once.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use api_lenient::{Lenient, LenientSeed};

/// The keys of an object that a [`Record`] does not list, when it keeps them (a struct's
/// `extra`).
pub type Unlisted = Map<String, Value>;

/// The keys a [`Record`] reads, each with the index of its slot.
pub type Keys = &'static [(&'static str, usize)];

/// A struct read field by field from a JSON object; the runtime's `deserialize_record!` gives
/// it the `Deserialize` that does so.
///
/// Implemented by the generated structs (which keep unlisted keys in `extra`) and requests
/// (which skip them, as NapCat does).
pub trait Record: Sized {
    /// What a wrong shape is reported as expecting (`struct Friend`).
    const EXPECTING: &'static str;
    /// Each key read into a slot, with that slot's index in [`Record::Fields`]: first each
    /// slot's wire name in slot order (so `KEYS[i].0` names slot `i` in errors), then aliases.
    const KEYS: Keys;
    /// Whether unlisted keys are kept and handed to [`Record::build`] (a struct's `extra`);
    /// a request skips them.
    const KEEPS_UNLISTED: bool = false;
    /// The slots the values are read into: a tuple of [`Field`] and [`LenientField`].
    type Fields: Slots;
    /// [`Record::KEYS`] by a hash of their text, made when compiling.
    const INDEX: KeyIndex = KeyIndex::new(Self::KEYS);

    /// The value from the slots read and the unlisted keys (empty unless they are kept).
    fn build(fields: Self::Fields, unlisted: Unlisted) -> Result<Self, Missing>;
}

/// `Deserialize` for a [`Record`]: reads a JSON object, each listed key into its slot.
pub fn decode_record<'de, D: Deserializer<'de>, T: Record>(d: D) -> Result<T, D::Error> {
    d.deserialize_map(RecordVisitor(PhantomData))
}

/// How many buckets a [`KeyIndex`] has, and how many keys one holds.
const BUCKETS: usize = 64;
const PER_BUCKET: usize = 4;

/// A record's keys by a cheap hash of their text (length, first and last byte), so that a key
/// is found with one or two comparisons rather than by trying every key. Made in a `const`;
/// a record whose keys crowd a bucket (or that has over 255) is searched key by key instead.
pub struct KeyIndex {
    /// Per bucket, the positions in `KEYS` plus one of the keys that hash to it (0: none).
    buckets: [[u8; PER_BUCKET]; BUCKETS],
    /// Whether some key did not fit: then every key is tried.
    crowded: bool,
}

impl KeyIndex {
    /// The index of `keys`.
    pub const fn new(keys: Keys) -> Self {
        let mut buckets = [[0u8; PER_BUCKET]; BUCKETS];
        let mut crowded = keys.len() > u8::MAX as usize;
        let mut k = 0;
        while k < keys.len() && !crowded {
            let bucket = &mut buckets[hash(keys[k].0.as_bytes())];
            let mut i = 0;
            while i < PER_BUCKET && bucket[i] != 0 {
                i += 1;
            }
            if i == PER_BUCKET {
                crowded = true;
            } else {
                bucket[i] = k as u8 + 1;
            }
            k += 1;
        }
        KeyIndex { buckets, crowded }
    }

    /// The slot of `key` among `keys` (the keys this index was made of).
    fn find(&self, keys: Keys, key: &str) -> Option<usize> {
        if self.crowded {
            return keys
                .iter()
                .find(|(k, _)| same(k, key))
                .map(|&(_, slot)| slot);
        }
        self.buckets[hash(key.as_bytes())]
            .iter()
            .take_while(|&&at| at != 0)
            .map(|&at| keys[at as usize - 1])
            .find(|(k, _)| same(k, key))
            .map(|(_, slot)| slot)
    }
}

/// Whether two keys are the same text, compared in place a word at a time (the first and
/// last eight bytes, overlapping, then any middle): keys are short, and a call to `memcmp` for
/// each would cost more than the comparison.
#[inline]
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    let half = |s: &[u8], at: usize| u32::from_ne_bytes(s[at..at + 4].try_into().expect("4 bytes"));
    match n {
        0..4 => a == b,
        4..8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => {
            word(a, 0) == word(b, 0)
                && word(a, n - 8) == word(b, n - 8)
                && (n <= 16 || a[8..n - 8] == b[8..n - 8])
        }
    }
}

/// A key's bucket: from its length and its first and last bytes.
const fn hash(key: &[u8]) -> usize {
    let (first, last) = match key {
        [] => (0, 0),
        [first, .., last] => (*first as usize, *last as usize),
        [only] => (*only as usize, *only as usize),
    };
    (key.len().wrapping_mul(31) ^ first.wrapping_mul(7) ^ last) % BUCKETS
}

/// What [`KeySeed`] gives for a key no slot reads: the record keeps it (in its `unlisted`
/// text) or skips it.
const UNLISTED: usize = usize::MAX;

/// Matches a key against a record's listed keys, giving its slot's index, without allocating
/// for it (an unlisted key the record keeps is written to `kept`). The slot after the last one
/// read is tried first: NapCat sends a struct's fields in the order the spec lists them, so
/// most keys match at once.
struct KeySeed<'a> {
    keys: Keys,
    index: &'static KeyIndex,
    next: usize,
    kept: Option<&'a mut String>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        if let Some(&(key, index)) = self.keys.get(self.next)
            && same(key, v)
        {
            return Ok(index);
        }
        Ok(self.look_up(v))
    }
}

impl KeySeed<'_> {
    /// A key that is not the next slot's: found through the index. Kept out of line, so that
    /// the common case above stays small enough to be inlined into the reading loop.
    #[inline(never)]
    fn look_up(self, v: &str) -> usize {
        if let Some(index) = self.index.find(self.keys, v) {
            return index;
        }
        if let Some(kept) = self.kept {
            v.clone_into(kept);
        }
        UNLISTED
    }
}

struct RecordVisitor<T>(PhantomData<T>);

impl<'de, T: Record> Visitor<'de> for RecordVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut fields = T::Fields::EMPTY;
        let mut unlisted = Unlisted::new();
        let mut kept = String::new();
        let mut next = 0;
        loop {
            let keys = KeySeed {
                keys: T::KEYS,
                index: &T::INDEX,
                next,
                kept: T::KEEPS_UNLISTED.then_some(&mut kept),
            };
            match map.next_key_seed(keys)? {
                None => break,
                Some(UNLISTED) if T::KEEPS_UNLISTED => {
                    unlisted.insert(std::mem::take(&mut kept), map.next_value()?);
                }
                Some(UNLISTED) => {
                    map.next_value::<IgnoredAny>()?;
                }
                Some(index) => {
                    if !fields.read(index, &mut map)? {
                        return Err(de::Error::duplicate_field(T::KEYS[index].0));
                    }
                    next = index + 1;
                }
            }
        }
        T::build(fields, unlisted).map_err(Missing::into_error)
    }
}

/// What [`Record::build`] reports when a required field did not come.
#[derive(Debug)]
pub struct Missing(MissingKind);

#[derive(Debug)]
enum MissingKind {
    /// The field with this wire name.
    Field(&'static str),
    /// None of an either-or parameter's keys: what was expected.
    OneOf(&'static str),
}

impl Missing {
    fn into_error<E: de::Error>(self) -> E {
        match self.0 {
            MissingKind::Field(wire) => E::missing_field(wire),
            MissingKind::OneOf(expected) => E::custom(expected),
        }
    }
}

/// The slot of a field read with its own `Deserialize`.
pub struct Field<T>(Option<T>);

/// The slot of a scalar NapCat sends either as a number or as text ([`Lenient`]).
pub struct LenientField<T>(Option<T>);

macro_rules! slot_methods {
    ($slot:ident) => {
        impl<T> $slot<T> {
            /// The value read, if any.
            pub fn value(self) -> Option<T> {
                self.0
            }

            /// The value of a required field, or [`Missing`] naming its wire name.
            pub fn required(self, wire: &'static str) -> Result<T, Missing> {
                self.0.ok_or(Missing(MissingKind::Field(wire)))
            }

            /// The value, or `default` when the field did not come.
            pub fn or(self, default: T) -> T {
                self.0.unwrap_or(default)
            }

            /// The value, or `default()` when the field did not come.
            pub fn or_else(self, default: impl FnOnce() -> T) -> T {
                self.0.unwrap_or_else(default)
            }
        }

        impl<T> $slot<Option<T>> {
            /// The value of an optional field: `None` when it did not come or was `null`.
            pub fn optional(self) -> Option<T> {
                self.0.flatten()
            }
        }
    };
}

slot_methods!(Field);
slot_methods!(LenientField);

/// The first either-or key that came, as its variant; [`Missing`] with `expected` when none
/// did.
pub fn one_of<T, const N: usize>(
    variants: [Option<T>; N],
    expected: &'static str,
) -> Result<T, Missing> {
    variants
        .into_iter()
        .flatten()
        .next()
        .ok_or(Missing(MissingKind::OneOf(expected)))
}

/// One slot of a [`Record`]: reads a value from the map it comes from.
pub trait Slot {
    /// Nothing read yet.
    const EMPTY: Self;

    /// Reads the value; `Ok(false)` when the slot already holds one (a duplicate key).
    fn read<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<bool, A::Error>;
}

impl<T: for<'de> Deserialize<'de>> Slot for Field<T> {
    const EMPTY: Self = Field(None);

    fn read<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<bool, A::Error> {
        if self.0.is_some() {
            return Ok(false);
        }
        self.0 = Some(map.next_value()?);
        Ok(true)
    }
}

impl<T: Lenient> Slot for LenientField<T> {
    const EMPTY: Self = LenientField(None);

    fn read<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<bool, A::Error> {
        if self.0.is_some() {
            return Ok(false);
        }
        self.0 = Some(map.next_value_seed(LenientSeed(PhantomData))?);
        Ok(true)
    }
}

/// A [`Record`]'s slots: a tuple of up to [`MAX_TUPLE`] [`Slot`]s, or a [`Split`] of more,
/// read by index.
pub trait Slots {
    /// How many slots.
    const LEN: usize;
    /// Nothing read yet.
    const EMPTY: Self;

    /// Reads the value of slot `index`; `Ok(false)` for a duplicate key.
    fn read<'de, A: MapAccess<'de>>(&mut self, index: usize, map: &mut A)
    -> Result<bool, A::Error>;
}

/// The most slots a tuple holds; a record with more has them in a [`Split`].
pub const MAX_TUPLE: usize = 32;

/// The slots of a record with more than [`MAX_TUPLE`] fields: the first `MAX_TUPLE` in a
/// tuple, the rest after them (a tuple, or another `Split`).
pub struct Split<A, B>(pub A, pub B);

impl<A: Slots, B: Slots> Slots for Split<A, B> {
    const LEN: usize = A::LEN + B::LEN;
    const EMPTY: Self = Split(A::EMPTY, B::EMPTY);

    fn read<'de, M: MapAccess<'de>>(
        &mut self,
        index: usize,
        map: &mut M,
    ) -> Result<bool, M::Error> {
        if index < A::LEN {
            self.0.read(index, map)
        } else {
            self.1.read(index - A::LEN, map)
        }
    }
}

/// `Slots` for the tuple of the slots listed, and for each shorter one (every prefix).
macro_rules! slots_for_tuples {
    ([$($done:ident $di:tt)*]) => {
        slots_for_tuples!(@tuple $($done $di)*);
    };
    ([$($done:ident $di:tt)*] $t:ident $i:tt $($rest:tt)*) => {
        slots_for_tuples!(@tuple $($done $di)*);
        slots_for_tuples!([$($done $di)* $t $i] $($rest)*);
    };
    (@tuple $($t:ident $i:tt)*) => {
        impl<$($t: Slot),*> Slots for ($($t,)*) {
            const LEN: usize = <[&str]>::len(&[$(stringify!($t)),*]);
            const EMPTY: Self = ($($t::EMPTY,)*);

            #[allow(unused_variables)]
            fn read<'de, M: MapAccess<'de>>(
                &mut self,
                index: usize,
                map: &mut M,
            ) -> Result<bool, M::Error> {
                match index {
                    $($i => self.$i.read(map),)*
                    _ => unreachable!("a record's keys name its slots"),
                }
            }
        }
    };
}

slots_for_tuples! {
    [] S0 0 S1 1 S2 2 S3 3 S4 4 S5 5 S6 6 S7 7 S8 8 S9 9 S10 10 S11 11 S12 12 S13 13 S14 14 S15 15
    S16 16 S17 17 S18 18 S19 19 S20 20 S21 21 S22 22 S23 23 S24 24 S25 25 S26 26 S27 27 S28 28
    S29 29 S30 30 S31 31
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: Keys = &[("user_id", 0), ("nickname", 1), ("remark", 2), ("nick", 1)];

    #[test]
    fn every_key_is_found_by_its_bucket() {
        let index = KeyIndex::new(KEYS);
        assert!(!index.crowded);
        for &(key, slot) in KEYS {
            assert_eq!(index.find(KEYS, key), Some(slot), "{key}");
        }
        for unknown in ["", "user", "user_ID", "remarks", "n"] {
            assert_eq!(index.find(KEYS, unknown), None, "{unknown}");
        }
    }

    #[test]
    fn keys_compare_as_text_at_every_length() {
        let texts = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
        ];
        let longer = [
            "abcdefghijklmnop",
            "abcdefghijklmnopq",
            "abcdefghijklmnopqrstuvwxyz",
        ];
        for t in texts.iter().chain(&longer) {
            assert!(same(t, t), "{t}");
            for (i, _) in t.char_indices() {
                let mut other = t.to_string().into_bytes();
                other[i] ^= 1;
                assert!(!same(t, std::str::from_utf8(&other).unwrap()), "{t} at {i}");
            }
            assert!(!same(t, &format!("{t}x")));
        }
    }

    #[test]
    fn keys_that_crowd_a_bucket_are_searched_one_by_one() {
        // Same length, first and last byte: one bucket.
        const SAME: Keys = &[("a0z", 0), ("a1z", 1), ("a2z", 2), ("a3z", 3), ("a4z", 4)];
        let index = KeyIndex::new(SAME);
        assert!(index.crowded);
        for &(key, slot) in SAME {
            assert_eq!(index.find(SAME, key), Some(slot));
        }
        assert_eq!(index.find(SAME, "a5z"), None);
    }

    /// A record with an alias, an optional field and unlisted keys kept, read from JSON.
    #[derive(Debug, PartialEq)]
    struct Probe {
        id: i64,
        name: Option<String>,
        extra: Unlisted,
    }

    impl Record for Probe {
        const EXPECTING: &'static str = "struct Probe";
        const KEYS: Keys = &[("id", 0), ("name", 1), ("nick", 1)];
        const KEEPS_UNLISTED: bool = true;
        type Fields = (LenientField<i64>, Field<Option<String>>);
        fn build(fields: Self::Fields, unlisted: Unlisted) -> Result<Self, Missing> {
            Ok(Probe {
                id: fields.0.required("id")?,
                name: fields.1.optional(),
                extra: unlisted,
            })
        }
    }

    fn probe(json: &str) -> Result<Probe, String> {
        decode_record(&mut serde_json::Deserializer::from_str(json)).map_err(|e| e.to_string())
    }

    #[test]
    fn a_record_reads_its_fields_keeps_the_rest_and_names_what_is_wrong() {
        let p = probe(r#"{"x": 1, "nick": "a", "id": "7"}"#).unwrap();
        assert_eq!((p.id, p.name.as_deref()), (7, Some("a")));
        assert_eq!(p.extra["x"], 1);
        assert_eq!(probe(r#"{"id": 1, "name": null}"#).unwrap().name, None);
        let missing = probe(r#"{"name": "a"}"#).unwrap_err();
        assert!(missing.contains("missing field `id`"), "{missing}");
        let twice = probe(r#"{"id": 1, "name": "a", "nick": "b"}"#).unwrap_err();
        assert!(twice.contains("duplicate field `name`"), "{twice}");
        let shape = probe("[1]").unwrap_err();
        assert!(shape.contains("expected struct Probe"), "{shape}");
    }
}
