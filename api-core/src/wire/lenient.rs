//! Support for the generated `Deserialize` impls: enums read from their wire value or text
//! ([`deserialize_enum`]) and the keys and tags of unions (a struct's keys are read by the
//! runtime's `Record`). Their scalars are read leniently by `api_lenient`.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Visitor};

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
