//! Deadlines by category: how long a center has to close an incident of each major class,
//! the policy a report or an import without a deadline gets its deadline from.

use serde::{Deserialize, Serialize};

use super::{Category, UnixTime};

/// Days to closure per major class (a center's policy; onemap's defaults below).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePolicy {
    /// Days per category, in [`Category::ALL`] order.
    pub days: [u16; Category::ALL.len()],
}

impl Default for DeadlinePolicy {
    /// Public-security cases and fire hazards are urgent (3 and 2 days), disputes and
    /// safety hazards a week or less, petitions follow the 15-day rule for a reply.
    fn default() -> Self {
        Self {
            // dispute, public_security, fire_hazard, safety_hazard, environment, petition, other
            days: [7, 3, 2, 5, 7, 15, 7],
        }
    }
}

impl DeadlinePolicy {
    /// The deadline of an incident of `category` reported at `reported_at`.
    #[must_use]
    pub fn deadline(&self, category: Category, reported_at: UnixTime) -> UnixTime {
        reported_at + i64::from(self.days[category as usize]) * 86_400
    }

    /// Reads a policy from JSON such as `{"dispute": 7, "petition": 15}`; categories not
    /// named keep the default.
    pub fn from_json(text: &str) -> Result<Self, crate::Error> {
        let map: std::collections::BTreeMap<String, u16> = serde_json::from_str(text)?;
        let mut policy = Self::default();
        for (name, days) in map {
            let c = Category::parse(&name).ok_or_else(|| {
                crate::Error::Invalid(format!(
                    "deadline policy: {name:?} is not a category (one of {})",
                    Category::ALL.map(Category::as_str).join(", ")
                ))
            })?;
            policy.days[c as usize] = days;
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let p = DeadlinePolicy::default();
        assert_eq!(p.deadline(Category::FireHazard, 0), 2 * 86_400);
        let p = DeadlinePolicy::from_json(r#"{"fire_hazard": 1}"#).unwrap();
        assert_eq!(p.deadline(Category::FireHazard, 10), 10 + 86_400);
        assert_eq!(p.deadline(Category::Petition, 0), 15 * 86_400);
        assert!(DeadlinePolicy::from_json(r#"{"traffic": 3}"#).is_err());
    }
}
