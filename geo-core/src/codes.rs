//! Typed administrative codes, grid codes and GB/T 28181 camera ids.
//!
//! Codes nest as digit strings: a grid's first 12 digits are its village, a village's
//! first 9 its township, a township's first 6 its county (GB/T 2260). They are parsed
//! once at the edge and carried as small integers so that a prefix is a division.
//!
//! ```
//! use geo_core::codes::{GridCode, VillageCode};
//! let grid: GridCode = "433101001001003".parse().unwrap();
//! assert_eq!(grid.village(), "433101001001".parse::<VillageCode>().unwrap());
//! assert_eq!(grid.village().township().county().to_string(), "433101");
//! assert!("43310100100100".parse::<GridCode>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a code could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodeError {
    /// The text has the wrong number of digits for this kind of code.
    #[error("{kind} {value:?} has {got} digits; a {kind} has {expected}")]
    Length {
        kind: &'static str,
        value: String,
        got: usize,
        expected: usize,
    },
    /// The text holds something other than ASCII digits.
    #[error("{kind} {value:?} must be ASCII digits only")]
    NotDigits { kind: &'static str, value: String },
    /// The code starts with 0, which no GB/T 2260 division does.
    #[error("{kind} {value:?} starts with 0; GB/T 2260 codes start with 1-9")]
    LeadingZero { kind: &'static str, value: String },
}

fn parse_digits(kind: &'static str, s: &str, expected: usize) -> Result<u64, CodeError> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeError::NotDigits {
            kind,
            value: s.to_owned(),
        });
    }
    if s.len() != expected {
        return Err(CodeError::Length {
            kind,
            value: s.to_owned(),
            got: s.len(),
            expected,
        });
    }
    if s.starts_with('0') {
        return Err(CodeError::LeadingZero {
            kind,
            value: s.to_owned(),
        });
    }
    // Up to 15 digits always fit in u64; the checks above make this parse infallible.
    s.parse::<u64>().map_err(|_| CodeError::NotDigits {
        kind,
        value: s.to_owned(),
    })
}

macro_rules! numeric_code {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $digits:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u64);

        impl $name {
            /// Number of digits in this kind of code.
            pub const DIGITS: usize = $digits;

            /// The code as an integer (its digits read as a decimal number).
            #[must_use]
            pub const fn as_u64(self) -> u64 {
                self.0
            }

            /// Builds the code from its integer value, checking the digit count.
            pub fn from_u64(value: u64) -> Result<Self, CodeError> {
                value.to_string().parse()
            }
        }

        impl FromStr for $name {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_digits($kind, s, $digits).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<str>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

numeric_code!(
    /// A 6-digit GB/T 2260 division code: province (`xx0000`), prefecture (`xxxx00`) or county.
    DivisionCode,
    "division code",
    6
);
numeric_code!(
    /// A 9-digit township (town, township or sub-district) statistical code.
    TownshipCode,
    "township code",
    9
);
numeric_code!(
    /// A 12-digit village or community statistical code.
    VillageCode,
    "village code",
    12
);
numeric_code!(
    /// A 15-digit grid code: the 12-digit village code and a 3-digit sequence.
    GridCode,
    "grid code",
    15
);

/// A county-level division code; the same 6-digit form as [`DivisionCode`].
pub type CountyCode = DivisionCode;

/// The level of a 6-digit division code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DivisionLevel {
    /// `xx0000`
    Province,
    /// `xxxx00`
    Prefecture,
    /// anything else
    County,
}

impl DivisionCode {
    /// Whether this is a province, prefecture or county code.
    #[must_use]
    pub const fn level(self) -> DivisionLevel {
        if self.0 % 10_000 == 0 {
            DivisionLevel::Province
        } else if self.0 % 100 == 0 {
            DivisionLevel::Prefecture
        } else {
            DivisionLevel::County
        }
    }

    /// The enclosing division (county -> prefecture -> province), or `None` for a province.
    #[must_use]
    pub const fn parent(self) -> Option<Self> {
        match self.level() {
            DivisionLevel::Province => None,
            DivisionLevel::Prefecture => Some(Self(self.0 / 10_000 * 10_000)),
            DivisionLevel::County => Some(Self(self.0 / 100 * 100)),
        }
    }
}

impl TownshipCode {
    /// The county this township belongs to.
    #[must_use]
    pub const fn county(self) -> CountyCode {
        DivisionCode(self.0 / 1_000)
    }
}

impl VillageCode {
    /// The township this village belongs to.
    #[must_use]
    pub const fn township(self) -> TownshipCode {
        TownshipCode(self.0 / 1_000)
    }

    /// The grid code with the given 3-digit sequence number (1-999).
    #[must_use]
    pub fn grid(self, sequence: u16) -> Option<GridCode> {
        (1..=999)
            .contains(&sequence)
            .then(|| GridCode(self.0 * 1_000 + u64::from(sequence)))
    }
}

impl GridCode {
    /// The village this grid belongs to.
    #[must_use]
    pub const fn village(self) -> VillageCode {
        VillageCode(self.0 / 1_000)
    }

    /// The 3-digit sequence within the village.
    #[must_use]
    pub const fn sequence(self) -> u16 {
        (self.0 % 1_000) as u16
    }
}

impl TownshipCode {
    /// The village code with the given 3-digit sequence number (1-999).
    #[must_use]
    pub fn village(self, sequence: u16) -> Option<VillageCode> {
        (1..=999)
            .contains(&sequence)
            .then(|| VillageCode(self.0 * 1_000 + u64::from(sequence)))
    }
}

/// Any administrative code: a 6-digit division, a township or a village.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AdminCode {
    /// Province, prefecture or county (6 digits).
    Division(DivisionCode),
    /// Township (9 digits).
    Township(TownshipCode),
    /// Village or community (12 digits).
    Village(VillageCode),
}

/// The level of an admin unit or a governance center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminLevel {
    /// Province (`xx0000`).
    Province,
    /// Prefecture (`xxxx00`).
    Prefecture,
    /// County (6 digits).
    County,
    /// Township (9 digits).
    Township,
    /// Village or community (12 digits).
    Village,
}

impl AdminLevel {
    /// The level's name as used in the API and the store.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::Prefecture => "prefecture",
            Self::County => "county",
            Self::Township => "township",
            Self::Village => "village",
        }
    }
}

impl FromStr for AdminLevel {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "province" => Self::Province,
            "prefecture" => Self::Prefecture,
            "county" => Self::County,
            "township" => Self::Township,
            "village" => Self::Village,
            _ => {
                return Err(CodeError::NotDigits {
                    kind: "admin level",
                    value: s.to_owned(),
                })
            }
        })
    }
}

impl AdminCode {
    /// The level this code denotes.
    #[must_use]
    pub const fn level(self) -> AdminLevel {
        match self {
            Self::Division(d) => match d.level() {
                DivisionLevel::Province => AdminLevel::Province,
                DivisionLevel::Prefecture => AdminLevel::Prefecture,
                DivisionLevel::County => AdminLevel::County,
            },
            Self::Township(_) => AdminLevel::Township,
            Self::Village(_) => AdminLevel::Village,
        }
    }

    /// The enclosing unit, or `None` for a province.
    #[must_use]
    pub const fn parent(self) -> Option<Self> {
        match self {
            Self::Division(d) => match d.parent() {
                Some(p) => Some(Self::Division(p)),
                None => None,
            },
            Self::Township(t) => Some(Self::Division(t.county())),
            Self::Village(v) => Some(Self::Township(v.township())),
        }
    }

    /// The code's digits as an integer.
    #[must_use]
    pub const fn as_u64(self) -> u64 {
        match self {
            Self::Division(c) => c.as_u64(),
            Self::Township(c) => c.as_u64(),
            Self::Village(c) => c.as_u64(),
        }
    }

    /// Whether `other` lies inside (or is) this unit, by code prefix.
    ///
    /// Province and prefecture codes compare by their significant digits (2 and 4).
    #[must_use]
    pub fn contains_code(self, other: &str) -> bool {
        let own = self.to_string();
        let significant = match self.level() {
            AdminLevel::Province => 2,
            AdminLevel::Prefecture => 4,
            AdminLevel::County => 6,
            AdminLevel::Township => 9,
            AdminLevel::Village => 12,
        };
        other.len() >= significant
            && other.as_bytes()[..significant] == own.as_bytes()[..significant]
    }
}

impl FromStr for AdminCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.len() {
            9 => s.parse().map(Self::Township),
            12 => s.parse().map(Self::Village),
            6 => s.parse().map(Self::Division),
            got => {
                if !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(CodeError::NotDigits {
                        kind: "admin code",
                        value: s.to_owned(),
                    });
                }
                Err(CodeError::Length {
                    kind: "admin code",
                    value: s.to_owned(),
                    got,
                    expected: 6,
                })
            }
        }
    }
}

impl fmt::Display for AdminCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Division(c) => c.fmt(f),
            Self::Township(c) => c.fmt(f),
            Self::Village(c) => c.fmt(f),
        }
    }
}

impl From<DivisionCode> for AdminCode {
    fn from(c: DivisionCode) -> Self {
        Self::Division(c)
    }
}
impl From<TownshipCode> for AdminCode {
    fn from(c: TownshipCode) -> Self {
        Self::Township(c)
    }
}
impl From<VillageCode> for AdminCode {
    fn from(c: VillageCode) -> Self {
        Self::Village(c)
    }
}

impl Serialize for AdminCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AdminCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A 20-digit GB/T 28181 device id (8-digit center code, 2 industry, 3 type, 1 network, 6 serial).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CameraId([u8; 20]);

impl CameraId {
    /// Number of digits in a GB/T 28181 id.
    pub const DIGITS: usize = 20;

    /// The id's digits as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored, so this cannot fail; fall back to "" to stay panic-free.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The 3-digit device type (131 camera, 132 IP camera, ...).
    #[must_use]
    pub fn device_type(&self) -> u16 {
        self.0[10..13]
            .iter()
            .fold(0, |acc, d| acc * 10 + u16::from(d - b'0'))
    }

    /// The 8-digit center code prefix (the administrative division the device belongs to).
    #[must_use]
    pub fn center_code(&self) -> &str {
        &self.as_str()[..8]
    }
}

impl FromStr for CameraId {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const KIND: &str = "camera id";
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::NotDigits {
                kind: KIND,
                value: s.to_owned(),
            });
        }
        let bytes: [u8; 20] = s.as_bytes().try_into().map_err(|_| CodeError::Length {
            kind: KIND,
            value: s.to_owned(),
            got: s.len(),
            expected: Self::DIGITS,
        })?;
        Ok(Self(bytes))
    }
}

impl fmt::Display for CameraId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CameraId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CameraId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_are_prefixes() {
        let g: GridCode = "433101001001003".parse().unwrap();
        assert_eq!(g.sequence(), 3);
        assert_eq!(g.village().to_string(), "433101001001");
        assert_eq!(g.village().township().to_string(), "433101001");
        let county = g.village().township().county();
        assert_eq!(county.to_string(), "433101");
        assert_eq!(county.level(), DivisionLevel::County);
        assert_eq!(county.parent().unwrap().to_string(), "433100");
        assert_eq!(
            county.parent().unwrap().parent().unwrap().to_string(),
            "430000"
        );
        assert_eq!(county.parent().unwrap().parent().unwrap().parent(), None);
    }

    #[test]
    fn malformed_codes_say_what_is_wrong() {
        let e = "43310110120".parse::<GridCode>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "grid code \"43310110120\" has 11 digits; a grid code has 15"
        );
        assert!(matches!(
            "43310100100a".parse::<VillageCode>(),
            Err(CodeError::NotDigits { .. })
        ));
        assert!(matches!(
            "033101".parse::<DivisionCode>(),
            Err(CodeError::LeadingZero { .. })
        ));
        assert!("".parse::<AdminCode>().is_err());
        assert!("４３３１０１".parse::<AdminCode>().is_err());
        assert!("1234567890123456789".parse::<CameraId>().is_err());
    }

    #[test]
    fn admin_code_dispatches_on_length() {
        let c: AdminCode = "433101001".parse().unwrap();
        assert_eq!(c.level(), AdminLevel::Township);
        assert_eq!(c.parent().unwrap().to_string(), "433101");
        assert!(c.contains_code("433101001002"));
        assert!(!c.contains_code("433101002002"));
        let p: AdminCode = "433100".parse().unwrap();
        assert!(p.contains_code("433130101001001"));
        assert!(!p.contains_code("433200"));
    }

    #[test]
    fn camera_id_parts() {
        let id: CameraId = "43310100001320000001".parse().unwrap();
        assert_eq!(id.device_type(), 132);
        assert_eq!(id.center_code(), "43310100");
        assert_eq!(id.to_string(), "43310100001320000001");
    }

    #[test]
    fn serde_round_trip() {
        let g: GridCode = "433101001001003".parse().unwrap();
        let json = serde_json::to_string(&g).unwrap();
        assert_eq!(json, "\"433101001001003\"");
        assert_eq!(serde_json::from_str::<GridCode>(&json).unwrap(), g);
        assert!(serde_json::from_str::<GridCode>("\"12\"").is_err());
    }
}
