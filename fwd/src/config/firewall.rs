//! The firewall menus in YAML: each item a map of RouterOS properties whose scalar values
//! are turned into RouterOS text and applied with the item's own `set`, so that YAML and
//! RouterOS commands share one parser. The value is set from inside its deserializer, so a
//! bad value's error carries its position and `section[index].property` path.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeSeed, Error, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::firewall::Item;

/// One item of a firewall section.
pub(super) struct ItemDe<T>(pub T);

impl<'de, T: Item> Deserialize<'de> for ItemDe<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ItemVisitor(PhantomData))
    }
}

/// A section's list of items (`None` for an empty section).
pub(super) fn items<'de, T: Item, A: MapAccess<'de>>(map: &mut A) -> Result<Vec<T>, A::Error> {
    let list: Option<Vec<ItemDe<T>>> = map.next_value()?;
    Ok(list
        .unwrap_or_default()
        .into_iter()
        .map(|ItemDe(i)| i)
        .collect())
}

/// A settings section: one map of properties (`None` for an empty section: defaults).
pub(super) fn item<'de, T: Item, A: MapAccess<'de>>(map: &mut A) -> Result<T, A::Error> {
    let one: Option<ItemDe<T>> = map.next_value()?;
    Ok(one.map(|ItemDe(i)| i).unwrap_or_default())
}

struct ItemVisitor<T>(PhantomData<T>);

impl<'de, T: Item> Visitor<'de> for ItemVisitor<T> {
    type Value = ItemDe<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of properties")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut item = T::default();
        let mut seen: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let twice = seen.contains(&key);
            map.next_value_seed(SetProperty {
                item: &mut item,
                key: &key,
                twice,
            })?;
            seen.push(key);
        }
        Ok(ItemDe(item))
    }
}

/// Deserializes one value and sets it on the item.
struct SetProperty<'a, T> {
    item: &'a mut T,
    key: &'a str,
    twice: bool,
}

impl<'de, T: Item> DeserializeSeed<'de> for SetProperty<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<T: Item> SetProperty<'_, T> {
    fn apply<E: Error>(self, text: &str) -> Result<(), E> {
        if self.twice {
            return Err(E::custom(format!("property '{}' is given twice", self.key)));
        }
        self.item.set(self.key, text).map_err(E::custom)
    }
}

impl<T: Item> Visitor<'_> for SetProperty<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a value for {} (a string, number or yes/no)", self.key)
    }
    fn visit_str<E: Error>(self, s: &str) -> Result<(), E> {
        self.apply(s)
    }
    fn visit_bool<E: Error>(self, b: bool) -> Result<(), E> {
        self.apply(if b { "yes" } else { "no" })
    }
    fn visit_i64<E: Error>(self, v: i64) -> Result<(), E> {
        self.apply(&v.to_string())
    }
    fn visit_u64<E: Error>(self, v: u64) -> Result<(), E> {
        self.apply(&v.to_string())
    }
    fn visit_f64<E: Error>(self, v: f64) -> Result<(), E> {
        self.apply(&v.to_string())
    }
    fn visit_unit<E: Error>(self) -> Result<(), E> {
        Err(E::custom(format!(
            "property '{}' has no value (write {}: VALUE)",
            self.key, self.key
        )))
    }
}
