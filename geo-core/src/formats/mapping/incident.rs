//! Incidents: id = incident id, properties category, subcategory (api name), source, people,
//! status, deadline, supervision, one `<step>_at` per lifecycle step (null when not
//! reached) and, when asked, description and reporter.

use geo_types::Geometry;
use geojson::{GeometryValue, JsonObject};

use super::props::{int, opt_time_value, required, text, time, time_value, Properties};
use super::{put, FeatureMapping};
use crate::formats::geometry::expect_point;
use crate::formats::FeatureError;
use crate::model::{
    Category, Incident, IncidentDetails, IncidentId, Layer, Lifecycle, Source, Step, Supervision,
};

/// An incident with its personal data when known: the unit the incidents layer maps.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRecord {
    /// The operational record.
    pub incident: Incident,
    /// Description and reporter; `None` when not asked for or not in the input.
    pub details: Option<IncidentDetails>,
}

/// `<step>_at` property names, in [`Step::ALL`] order.
const STEP_KEYS: [&str; 10] = [
    "reported_at",
    "accepted_at",
    "filed_at",
    "dispatched_at",
    "handling_at",
    "verifying_at",
    "closed_at",
    "cancelled_at",
    "postponed_at",
    "sent_back_at",
];

fn one_of<T: Copy>(
    key: &str,
    v: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, FeatureError> {
    all.iter().copied().find(|x| name(*x) == v).ok_or_else(|| {
        let names: Vec<_> = all.iter().map(|x| name(*x)).collect();
        FeatureError::attribute(format!(
            "property {key}: {v:?} is not one of {}",
            names.join(", ")
        ))
    })
}

impl FeatureMapping for IncidentRecord {
    const LAYER: Layer = Layer::Incidents;
    const PROPERTIES: &'static [&'static str] = &[
        "category",
        "subcategory",
        "source",
        "people",
        "status",
        "deadline",
        "supervision",
        "reported_at",
        "accepted_at",
        "filed_at",
        "dispatched_at",
        "handling_at",
        "verifying_at",
        "closed_at",
        "cancelled_at",
        "postponed_at",
        "sent_back_at",
        "description",
        "reporter",
    ];
    const PERSONAL: &'static [&'static str] = &["description", "reporter"];

    fn key(&self) -> String {
        self.incident.id.0.to_string()
    }

    fn geometry_value(&self) -> GeometryValue {
        GeometryValue::from(&self.incident.location)
    }

    fn properties(&self, personal: bool) -> JsonObject {
        let i = &self.incident;
        let mut m = JsonObject::new();
        put(&mut m, "category", i.category.as_str());
        put(&mut m, "subcategory", i.subcategory_names().0);
        put(&mut m, "source", i.source.as_str());
        put(&mut m, "people", i.people);
        put(&mut m, "status", i.status.as_str());
        put(&mut m, "deadline", time_value(i.deadline));
        put(&mut m, "supervision", i.supervision.as_str());
        for (step, key) in Step::ALL.into_iter().zip(STEP_KEYS) {
            put(&mut m, key, opt_time_value(i.lifecycle.at(step)));
        }
        if personal {
            let d = self.details.as_ref();
            put(&mut m, "description", d.map(|d| d.description.as_str()));
            put(&mut m, "reporter", d.map(|d| d.reporter.as_str()));
        }
        m
    }

    fn from_parts(
        id: &str,
        geometry: Geometry<f64>,
        props: &impl Properties,
    ) -> Result<Self, FeatureError> {
        let id = id.parse::<u64>().map(IncidentId).map_err(|_| {
            FeatureError::attribute(format!("incident id {id:?} is not a whole number"))
        })?;
        let category = one_of(
            "category",
            &required("category", text(props, "category")?)?,
            &Category::ALL,
            Category::as_str,
        )?;
        let sub = required("subcategory", text(props, "subcategory")?)?;
        let subcategory = category
            .subcategories()
            .iter()
            .position(|(api, _)| *api == sub)
            .map(|i| i as u8)
            // `other` in a category without one: a report that named no subcategory.
            .or_else(|| (sub == "other").then_some(crate::model::UNSPECIFIED_SUBCATEGORY))
            .ok_or_else(|| {
                let names: Vec<_> = category.subcategories().iter().map(|(a, _)| *a).collect();
                FeatureError::attribute(format!(
                    "property subcategory: {sub:?} is not a subcategory of {} ({})",
                    category.as_str(),
                    names.join(", ")
                ))
            })?;
        let source = one_of(
            "source",
            &required("source", text(props, "source")?)?,
            &Source::ALL,
            Source::as_str,
        )?;
        let status = one_of(
            "status",
            &required("status", text(props, "status")?)?,
            &Step::ALL,
            Step::as_str,
        )?;
        let supervision = match text(props, "supervision")? {
            None => Supervision::None,
            Some(s) => one_of("supervision", &s, &Supervision::ALL, Supervision::as_str)?,
        };
        let mut lifecycle =
            Lifecycle::reported(required("reported_at", time(props, "reported_at")?)?);
        for (step, key) in Step::ALL.into_iter().zip(STEP_KEYS).skip(1) {
            if let Some(t) = time(props, key)? {
                lifecycle
                    .set(step, t)
                    .map_err(|e| FeatureError::attribute(format!("property {key}: {e}")))?;
            }
        }
        let personal = props.get("description").is_some() || props.get("reporter").is_some();
        let details = if personal {
            Some(IncidentDetails {
                description: text(props, "description")?.unwrap_or_default().into_owned(),
                reporter: text(props, "reporter")?.unwrap_or_default().into_owned(),
            })
        } else {
            None
        };
        Ok(Self {
            incident: Incident {
                id,
                location: expect_point(geometry, Self::LAYER)?,
                category,
                subcategory,
                source,
                people: int(props, "people")?.unwrap_or(0),
                status,
                lifecycle,
                deadline: required("deadline", time(props, "deadline")?)?,
                supervision,
            },
            details,
        })
    }
}
