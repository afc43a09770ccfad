//! Code checks: each code of the layer's form (parsed with [`crate::codes`]), no code twice,
//! and a declared parent that agrees with the code's prefix.

use std::collections::HashMap;

use crate::codes::{AdminCode, AdminLevel, CameraId, GridCode};
use crate::model::Layer;

use super::{Check, Finding, Severity};

/// What a well-formed code tells the other checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodeInfo {
    /// The parent's code by prefix (village of a grid, unit above an admin unit).
    pub(crate) parent: Option<String>,
    /// Features that may overlap only features of the same group (admin levels).
    pub(crate) group: u8,
}

/// The parent level's name, for messages.
pub(crate) fn parent_word(layer: Layer) -> &'static str {
    match layer {
        Layer::Grids => "village",
        _ => "parent unit",
    }
}

fn admin_group(level: AdminLevel) -> u8 {
    match level {
        AdminLevel::Province => 1,
        AdminLevel::Prefecture => 2,
        AdminLevel::County => 3,
        AdminLevel::Township => 4,
        AdminLevel::Village => 5,
    }
}

/// Parses an area's code for `layer`: `Ok(None)` when the layer has no code form to check.
pub(crate) fn parse_area_code(layer: Layer, code: &str) -> Result<Option<CodeInfo>, String> {
    match layer {
        Layer::Grids => code
            .parse::<GridCode>()
            .map(|g| {
                Some(CodeInfo {
                    parent: Some(g.village().to_string()),
                    group: 0,
                })
            })
            .map_err(|e| e.to_string()),
        Layer::Admin => code
            .parse::<AdminCode>()
            .map(|a| {
                Some(CodeInfo {
                    parent: a.parent().map(|p| p.to_string()),
                    group: admin_group(a.level()),
                })
            })
            .map_err(|e| e.to_string()),
        _ => Ok(None),
    }
}

/// The form check of a point feature's id for `layer`.
pub(crate) fn check_spot_code(layer: Layer, code: &str) -> Result<(), String> {
    match layer {
        Layer::Cameras => code
            .parse::<CameraId>()
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Layer::Centers => code
            .parse::<AdminCode>()
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Layer::Incidents | Layer::Patrols => code
            .parse::<u64>()
            .map(|_| ())
            .map_err(|_| format!("{layer} id {code:?} must be a whole number")),
        _ if code.trim().is_empty() => Err(format!("{layer} id is empty")),
        _ => Ok(()),
    }
}

/// A `malformed_code` finding for feature `index`.
pub(crate) fn malformed(index: usize, code: &str, why: &str) -> Finding {
    let message = if code.trim().is_empty() {
        "the feature has no code".to_owned()
    } else {
        why.to_owned()
    };
    Finding::new(Check::MalformedCode, Severity::Error, message).at_feature(index, Some(code))
}

/// One `duplicate_code` finding per repeated use of a code (the first use is `other`).
pub(crate) fn duplicates<'a>(codes: impl Iterator<Item = (usize, &'a str)>) -> Vec<Finding> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::new();
    for (index, code) in codes {
        let key = code.trim();
        if key.is_empty() {
            continue;
        }
        match first.get(key) {
            Some(&earlier) => {
                let mut f = Finding::new(
                    Check::DuplicateCode,
                    Severity::Error,
                    format!("code {key} is used by features {earlier} and {index}"),
                )
                .at_feature(index, Some(code));
                f.other = Some(key.to_owned());
                f.other_index = Some(earlier);
                out.push(f);
            }
            None => {
                first.insert(key, index);
            }
        }
    }
    out
}

/// A `code_village_mismatch` finding when the file's parent field disagrees with the code.
pub(crate) fn declared_parent(
    layer: Layer,
    index: usize,
    code: &str,
    by_code: &str,
    declared: &str,
) -> Option<Finding> {
    let declared = declared.trim();
    if declared.is_empty() || declared == by_code {
        return None;
    }
    let word = parent_word(layer);
    let mut f = Finding::new(
        Check::CodeVillageMismatch,
        Severity::Error,
        format!("code {code} says {word} {by_code}, but its {word} field says {declared}"),
    )
    .at_feature(index, Some(code));
    f.other = Some(declared.to_owned());
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_per_layer() {
        assert!(parse_area_code(Layer::Grids, "433101001001003").is_ok());
        let e = parse_area_code(Layer::Grids, "43310100100100").unwrap_err();
        assert!(e.contains("14 digits"), "{e}");
        let a = parse_area_code(Layer::Admin, "433101001").unwrap().unwrap();
        assert_eq!(a.parent.as_deref(), Some("433101"));
        assert!(parse_area_code(Layer::Admin, "4331010").is_err());
        assert!(check_spot_code(Layer::Cameras, "43310100001320000001").is_ok());
        assert!(check_spot_code(Layer::Cameras, "4331010000132000000").is_err());
    }

    #[test]
    fn each_repeat_is_one_finding() {
        let f = duplicates([(0, "a"), (1, "b"), (2, "a"), (3, "a")].into_iter());
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].index, f[0].other_index), (Some(2), Some(0)));
        assert_eq!((f[1].index, f[1].other_index), (Some(3), Some(0)));
    }
}
