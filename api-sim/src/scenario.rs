//! Scenario files: the account a simulator starts with, written as JSON (JSON5 allowed:
//! comments, unquoted keys, trailing commas), for `napcat sim --scenario` and
//! [`Seed::from_scenario`]. A scenario is a [`Seed`]: a key it leaves out keeps the default
//! seed's value, so it says only what differs (`"friends": []` for none).

use std::collections::BTreeSet;

use crate::groups::Role;
use crate::state::Seed;

impl Seed {
    /// Reads a scenario: a JSON object with `Seed`'s keys. Unknown keys, values of the wrong
    /// type and a state the account could not be in (a group that does not list the bot
    /// among its members, two owners, a friend in a category that is not there, a file in a
    /// group that is not there) are errors that say where.
    pub fn from_scenario(text: &str) -> Result<Seed, String> {
        let value = crate::parse_json5(text.as_bytes())
            .ok_or("a scenario is JSON (or JSON5): it does not parse")?;
        let seed: Seed =
            serde_path_to_error::deserialize(value).map_err(|e| match e.path().to_string() {
                path if path == "." => e.inner().to_string(),
                path => format!("{path}: {}", e.inner()),
            })?;
        seed.check()?;
        Ok(seed)
    }

    fn check(&self) -> Result<(), String> {
        let categories: BTreeSet<i64> = self.categories.iter().map(|(id, _)| *id).collect();
        for f in &self.friends {
            if !categories.contains(&f.category_id) {
                return Err(format!(
                    "friends: {} is in category {}, which `categories` does not list",
                    f.user_id, f.category_id
                ));
            }
        }
        for (id, group) in &self.groups {
            let mut seen = BTreeSet::new();
            for m in &group.members {
                if !seen.insert(m.user_id) {
                    return Err(format!("groups.{id}: {} is listed twice", m.user_id));
                }
            }
            if !seen.contains(&self.self_id) {
                return Err(format!(
                    "groups.{id}: the bot ({}) is not among the members; list it with its role",
                    self.self_id
                ));
            }
            if group
                .members
                .iter()
                .filter(|m| m.role == Role::Owner)
                .count()
                > 1
            {
                return Err(format!("groups.{id}: a group has one owner"));
            }
        }
        for file in &self.files {
            let Some(g) = file.group_id else { continue };
            let Some(group) = self.groups.get(&g) else {
                return Err(format!(
                    "files: `{}` is in group {g}, which `groups` does not list",
                    file.name
                ));
            };
            if let Some(u) = file
                .uploader
                .filter(|u| group.members.iter().all(|m| m.user_id != *u))
            {
                return Err(format!(
                    "files: `{}` was uploaded by {u}, who is not a member of group {g}",
                    file.name
                ));
            }
        }
        Ok(())
    }
}
