//! How NapCat's loosely typed JSON scalars are read: ids as numbers or as numeric text, numbers
//! where text is declared (as their decimal text), `0`/`1` and `"true"`/`"false"` as booleans.
//!
//! One set of rules with two readers: the decoders `api-core` generates from the spec (through
//! its `runtime`, the contract of generated code), and `api-spec`'s load-time check that each
//! reply example in the spec decodes, which reads the example through these same impls. A rule
//! changed here changes both.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::Deserializer;
use serde::de::{self, Visitor};

/// A type that decodes from the JSON shapes NapCat uses for it.
pub trait Lenient: Sized {
    /// Decodes `Self` leniently.
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

/// `deserialize_with` form of [`Lenient`].
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

/// Decoded from whole seconds, as a number or numeric text.
impl Lenient for Duration {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u64::lenient(d).map(Duration::from_secs)
    }
}

impl<T: Lenient> Lenient for Option<T> {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_option(OptionVisitor(PhantomData))
    }
}

/// Decodes a value with [`Lenient`], as a seed for `MapAccess::next_value_seed`.
pub struct LenientSeed<T>(pub PhantomData<T>);

impl<'de, T: Lenient> de::DeserializeSeed<'de> for LenientSeed<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::lenient(d)
    }
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
