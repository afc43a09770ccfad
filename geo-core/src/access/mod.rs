//! Who may see and change what: users, roles, access tokens and the region [`Scope`] every
//! query and tile is cut to (SPEC section 11).
//!
//! A user is bound to one admin unit; what they see is that unit's features, selected by
//! code prefix (polygons by their own code, points by the grid they lie in). The scope is a
//! value the core's queries and the tile renderer take as an argument, so that no route
//! can forget to cut its answer.

use serde::{Deserialize, Serialize};

use crate::codes::{AdminCode, AdminLevel, GridCode};
use crate::model::UnixTime;

pub mod token;

/// What a user may do, from least to most (each role may do what the ones before it may).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sees the map and figures of the unit, no personal fields.
    Viewer,
    /// Also personal fields; runs the incident workflow.
    Operator,
    /// Also edits grid boundaries.
    Planner,
    /// Also imports and exports files.
    Gis,
    /// Everything, users included.
    Admin,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 5] = [
        Role::Viewer,
        Role::Operator,
        Role::Planner,
        Role::Gis,
        Role::Admin,
    ];

    /// The role's name in the CLI, the API and the store.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Planner => "planner",
            Role::Gis => "gis",
            Role::Admin => "admin",
        }
    }

    /// Parses the name written by [`Role::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A person (or device) who signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Unique login name.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// The admin unit they are bound to; `None` only for the open local demo's anonymous
    /// caller, never for a stored user.
    pub unit: Option<AdminCode>,
    /// A disabled user's tokens are refused.
    pub disabled: bool,
    /// When the user was created.
    pub created_at: UnixTime,
}

/// A stored access token: never the token itself, only its id and a slow hash of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Public id, the part of the token before its secret (looked up, then verified).
    pub id: String,
    /// The user the token signs in.
    pub user: String,
    /// PHC string of the secret's hash (argon2id).
    pub hash: String,
    /// When it was issued.
    pub created_at: UnixTime,
    /// When it stops working, if ever.
    pub expires_at: Option<UnixTime>,
    /// A revoked token is refused.
    pub revoked: bool,
    /// What it is for ("cli", "web login", "gps device 12"...).
    pub label: String,
}

/// The region a caller sees: every feature, or one admin unit's (by code prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Scope {
    unit: Option<AdminCode>,
}

impl Scope {
    /// Everything (the open local demo, or a user bound to the whole store's root unit).
    pub const ALL: Scope = Scope { unit: None };

    /// The features of `unit` only.
    #[must_use]
    pub const fn unit(unit: AdminCode) -> Self {
        Self { unit: Some(unit) }
    }

    /// The unit this scope is cut to, `None` for everything.
    #[must_use]
    pub const fn admin_unit(&self) -> Option<AdminCode> {
        self.unit
    }

    /// Whether this scope sees everything.
    #[must_use]
    pub const fn is_all(&self) -> bool {
        self.unit.is_none()
    }

    /// Whether a feature with this admin or grid code (digits as text) is inside the scope.
    #[must_use]
    pub fn contains_code(&self, code: &str) -> bool {
        self.unit.is_none_or(|u| u.contains_code(code))
    }

    /// Whether the code `value` of `digits` digits (6 division, 9 township, 12 village, 15
    /// grid) is inside the scope: [`Scope::contains_code`] on integers, with no string built
    /// (this runs per feature of a scoped tile).
    #[must_use]
    pub const fn contains_number(&self, value: u64, digits: u32) -> bool {
        let Some(unit) = self.unit else {
            return true;
        };
        let (own, significant) = match unit.level() {
            AdminLevel::Province => (6, 2),
            AdminLevel::Prefecture => (6, 4),
            AdminLevel::County => (6, 6),
            AdminLevel::Township => (9, 9),
            AdminLevel::Village => (12, 12),
        };
        digits >= significant
            && value / 10u64.pow(digits - significant)
                == unit.as_u64() / 10u64.pow(own - significant)
    }

    /// Whether an admin unit is inside the scope (the unit itself and everything under it).
    #[must_use]
    pub const fn contains_admin(&self, code: AdminCode) -> bool {
        let digits = match code {
            AdminCode::Division(_) => 6,
            AdminCode::Township(_) => 9,
            AdminCode::Village(_) => 12,
        };
        self.contains_number(code.as_u64(), digits)
    }

    /// Whether a grid is inside the scope.
    #[must_use]
    pub const fn contains_grid(&self, code: GridCode) -> bool {
        self.contains_number(code.as_u64(), 15)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The integer tests agree with the code-prefix test on text.
    #[test]
    fn number_and_text_prefixes_agree() {
        let units = ["430000", "433100", "433101", "433101001", "433101001002"];
        let codes = [
            "430000",
            "433100",
            "433101",
            "433102",
            "433201",
            "433101001",
            "433101002",
            "433102001",
            "433101001002",
            "433101001003",
            "433101002002",
        ];
        let grids = ["433101001002001", "433101001003001", "433102001002001"];
        for u in units {
            let scope = Scope::unit(u.parse().unwrap());
            for c in codes {
                let code: AdminCode = c.parse().unwrap();
                assert_eq!(
                    scope.contains_admin(code),
                    scope.contains_code(c),
                    "{u} {c}"
                );
            }
            for g in grids {
                let code: GridCode = g.parse().unwrap();
                assert_eq!(scope.contains_grid(code), scope.contains_code(g), "{u} {g}");
            }
        }
        let t = Scope::unit("433101001".parse().unwrap());
        assert!(t.contains_grid("433101001002001".parse().unwrap()));
        assert!(!t.contains_grid("433101002002001".parse().unwrap()));
        assert!(!t.contains_admin("433101".parse().unwrap()));
        assert!(Scope::ALL.contains_grid("433101002002001".parse().unwrap()));
    }
}
