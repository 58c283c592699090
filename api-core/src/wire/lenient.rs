//! Lenient decoding for reply fields: NapCat sends ids as numbers where docs say text, and
//! numbers as text in places. Used by the generated `Deserialize` impls through
//! [`LenientSeed`], together with [`Key`] for their field names.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{self, Visitor};

/// A type that decodes from the JSON shapes NapCat uses for it.
pub trait Lenient: Sized {
    /// Decodes `Self` leniently.
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

/// `deserialize_with` form of [`Lenient`] (generated request structs use it).
pub fn lenient<'de, D: Deserializer<'de>, T: Lenient>(d: D) -> Result<T, D::Error> {
    T::lenient(d)
}

struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or a number")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

impl Lenient for String {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct BoolVisitor;

impl Visitor<'_> for BoolVisitor {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a boolean, 0/1 or \"true\"/\"false\"")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
        }
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        self.visit_i64(v.min(2) as i64)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        match v {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

impl Lenient for bool {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BoolVisitor)
    }
}

struct NumberVisitor<T>(PhantomData<T>);

macro_rules! lenient_number {
    ($($t:ty),*) => {$(
        impl Visitor<'_> for NumberVisitor<$t> {
            type Value = $t;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a {} as a number or numeric text", stringify!($t))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<$t, E> {
                <$t>::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<$t, E> {
                <$t>::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<$t, E> {
                let n = v as $t;
                if n as f64 == v {
                    Ok(n)
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<$t, E> {
                v.trim().parse().map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }

        impl Lenient for $t {
            fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(NumberVisitor::<$t>(PhantomData))
            }
        }
    )*};
}

lenient_number!(i32, i64, u32, u64);

impl Visitor<'_> for NumberVisitor<f64> {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or numeric text")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        v.trim()
            .parse()
            .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

impl Lenient for f64 {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumberVisitor::<f64>(PhantomData))
    }
}

struct OptionVisitor<T>(PhantomData<T>);

impl<'de, T: Lenient> Visitor<'de> for OptionVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        T::lenient(d).map(Some)
    }
}

impl<T: Lenient> Lenient for Option<T> {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_option(OptionVisitor(PhantomData))
    }
}

/// What an open enum does with a value it does not list.
pub enum EnumFallback<T> {
    /// A closed enum: the value is an error.
    None,
    /// An open enum sent as integers: unknown integers are kept.
    Int(fn(i64) -> T),
    /// An open enum sent as text: unknown texts (and numbers, as text) are kept.
    Text(fn(String) -> T),
}

struct EnumVisitor<T> {
    name: &'static str,
    from_wire: fn(i64) -> Option<T>,
    from_text: fn(&str) -> Option<T>,
    fallback: EnumFallback<T>,
}

impl<T> Visitor<'_> for EnumVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} as its wire value or text", self.name)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        if let Some(t) = (self.from_wire)(v) {
            return Ok(t);
        }
        match self.fallback {
            EnumFallback::Int(keep) => Ok(keep(v)),
            EnumFallback::Text(keep) => Ok(keep(v.to_string())),
            EnumFallback::None => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
        }
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        match i64::try_from(v) {
            Ok(i) => self.visit_i64(i),
            Err(_) => match self.fallback {
                EnumFallback::Text(keep) => Ok(keep(v.to_string())),
                _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
            },
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        if let Some(t) = (self.from_text)(v) {
            return Ok(t);
        }
        match self.fallback {
            EnumFallback::Text(keep) => Ok(keep(v.to_owned())),
            EnumFallback::Int(keep) => v
                .trim()
                .parse()
                .map(keep)
                .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self)),
            EnumFallback::None => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

/// Decodes a spec enum from its wire value, numeric text, label, name or server alias; an
/// open enum keeps a value it does not list through `fallback`.
pub fn deserialize_enum<'de, D: Deserializer<'de>, T>(
    d: D,
    name: &'static str,
    from_wire: fn(i64) -> Option<T>,
    from_text: fn(&str) -> Option<T>,
    fallback: EnumFallback<T>,
) -> Result<T, D::Error> {
    d.deserialize_any(EnumVisitor {
        name,
        from_wire,
        from_text,
        fallback,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Probe {
        #[serde(deserialize_with = "lenient")]
        text: String,
        #[serde(deserialize_with = "lenient")]
        id: i64,
        #[serde(default, deserialize_with = "lenient")]
        maybe: Option<u32>,
        #[serde(deserialize_with = "lenient")]
        flag: bool,
    }

    #[test]
    fn numbers_and_text_cross_over() {
        let p: Probe =
            serde_json::from_str(r#"{"text":123,"id":"456","maybe":null,"flag":"true"}"#).unwrap();
        assert_eq!(
            p,
            Probe {
                text: "123".into(),
                id: 456,
                maybe: None,
                flag: true
            }
        );
        let p: Probe = serde_json::from_str(r#"{"text":"a","id":7,"flag":false}"#).unwrap();
        assert_eq!(p.maybe, None);
        let p: Probe = serde_json::from_str(r#"{"text":"a","id":7,"maybe":"9","flag":1}"#).unwrap();
        assert_eq!(p.maybe, Some(9));
    }

    #[test]
    fn rejects_what_does_not_fit() {
        for bad in [
            r#"{"text":"a","id":"x7","flag":true}"#,
            r#"{"text":"a","id":1.5,"flag":true}"#,
            r#"{"text":"a","id":1,"flag":"yes"}"#,
            r#"{"text":"a","id":1,"maybe":-1,"flag":true}"#,
            r#"{"text":{},"id":1,"flag":true}"#,
        ] {
            assert!(serde_json::from_str::<Probe>(bad).is_err(), "{bad}");
        }
    }
}

/// A map key of a generated struct: the index of a listed field, or an unlisted name.
#[derive(Debug)]
pub enum Key {
    /// The field at this index of the struct's wire names.
    Known(usize),
    /// A key the spec does not list; kept in `extra`.
    Unknown(String),
}

/// Decodes a value with [`Lenient`], as a seed for `MapAccess::next_value_seed`.
pub struct LenientSeed<T>(pub PhantomData<T>);

impl<'de, T: Lenient> de::DeserializeSeed<'de> for LenientSeed<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::lenient(d)
    }
}

/// A map key of a `{tag, content}` union such as a message segment.
#[derive(Debug)]
pub enum UnionKey {
    /// The tag's key (`type`).
    Tag,
    /// The content's key (`data`).
    Content,
    /// Any other key, kept for a tag the union does not list.
    Other(String),
}

/// Tells a `{tag, content}` union's keys apart without allocating for the two it expects.
pub struct UnionKeySeed {
    /// The tag's key.
    pub tag: &'static str,
    /// The content's key.
    pub content: &'static str,
}

impl<'de> de::DeserializeSeed<'de> for UnionKeySeed {
    type Value = UnionKey;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<UnionKey, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for UnionKeySeed {
    type Value = UnionKey;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<UnionKey, E> {
        Ok(if v == self.tag {
            UnionKey::Tag
        } else if v == self.content {
            UnionKey::Content
        } else {
            UnionKey::Other(v.to_owned())
        })
    }
}

/// The tag of a `{tag, content}` union as read from the wire.
#[derive(Debug)]
pub enum TagValue {
    /// The listed tag at this index.
    Listed(usize),
    /// Text the union does not list.
    Other(String),
    /// Not text at all, kept as it came.
    NotText(serde_json::Value),
}

/// Reads a `{tag, content}` union's tag, matching it against the listed tags without
/// allocating for them.
pub struct TagSeed {
    /// The listed tags, in the order of the union's variants.
    pub tags: &'static [&'static str],
}

impl<'de> de::DeserializeSeed<'de> for TagSeed {
    type Value = TagValue;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<TagValue, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TagSeed {
    type Value = TagValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a tag")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<TagValue, E> {
        Ok(match self.tags.iter().position(|t| *t == v) {
            Some(i) => TagValue::Listed(i),
            None => TagValue::Other(v.to_owned()),
        })
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<TagValue, E> {
        Ok(TagValue::NotText(v.into()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<TagValue, E> {
        Ok(TagValue::NotText(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<TagValue, E> {
        Ok(TagValue::NotText(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<TagValue, E> {
        Ok(TagValue::NotText(v.into()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<TagValue, E> {
        Ok(TagValue::NotText(serde_json::Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<TagValue, E> {
        self.visit_unit()
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<TagValue, A::Error> {
        serde::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))
            .map(TagValue::NotText)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<TagValue, A::Error> {
        serde::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))
            .map(TagValue::NotText)
    }
}
