//! Mapping the field names and values of files from outside onto onemap's properties.
//!
//! GIS staff's files name things their own way: a village code is `XZQDM`, `CJDM` or
//! `村代码`, a grid kind is `基础网格`, a camera is online when it says `在线`. Each layer has
//! a table of the names seen in practice (county and township GIS offices, GB/T 28181
//! platform exports, the comprehensive-governance data standard's Chinese column names);
//! matching ignores case, `_`, `-` and spaces, and accepts the first ten bytes of a name (the
//! DBF limit of Shapefiles). Values that name an enum in Chinese are turned into onemap's
//! names. What a file does not carry gets the defaults in [`default_value`].

use serde_json::{Map, Value};

use super::mapping::{Mapping, ValueCounts};
use crate::model::{Category, Layer, Step};

/// One onemap property and the other names files give it (already normalised: lower case,
/// no `_`, `-` or spaces).
struct Field {
    name: &'static str,
    aliases: &'static [&'static str],
}

const fn f(name: &'static str, aliases: &'static [&'static str]) -> Field {
    Field { name, aliases }
}

/// The key column of each layer: the feature id.
fn id_aliases(layer: Layer) -> &'static [&'static str] {
    match layer {
        Layer::Admin => &[
            "code",
            "xzqdm",
            "xzqhdm",
            "xzdm",
            "qhdm",
            "adcode",
            "dm",
            "gb",
            "行政区划代码",
            "区划代码",
            "行政区代码",
            "代码",
            "编码",
            "id",
        ],
        Layer::Grids => &[
            "code",
            "gridcode",
            "wgbm",
            "wgdm",
            "wgbh",
            "网格编码",
            "网格代码",
            "网格编号",
            "编码",
            "id",
        ],
        Layer::Cameras => &[
            "id",
            "deviceid",
            "gbid",
            "sbbm",
            "sbbh",
            "设备编码",
            "国标编码",
            "设备编号",
            "code",
            "编码",
        ],
        Layer::Incidents => &["id", "eventid", "sjbh", "事件编号", "编号", "code"],
        Layer::Patrols => &["id", "trackid", "xlbh", "轨迹编号", "编号"],
        Layer::Workers => &["id", "workerid", "wgybh", "网格员编号", "编号", "code"],
        Layer::Centers => &["code", "id", "zxbm", "中心编码", "编码"],
    }
}

const NAME: &[&str] = &[
    "name",
    "mc",
    "xzqmc",
    "wgmc",
    "sbmc",
    "zxmc",
    "名称",
    "设备名称",
    "网格名称",
    "行政区名称",
    "单位名称",
    "中心名称",
    "点位名称",
];

/// Every property of `layer` with its aliases.
#[allow(clippy::too_many_lines)] // one table
fn fields(layer: Layer) -> &'static [Field] {
    match layer {
        Layer::Admin => {
            const F: &[Field] = &[
                f("name", NAME),
                f("level", &["level", "jb", "级别", "层级"]),
                f(
                    "parent",
                    &[
                        "parent",
                        "parentcode",
                        "sjdm",
                        "sjxzqdm",
                        "上级代码",
                        "上级编码",
                    ],
                ),
            ];
            F
        }
        Layer::Grids => {
            const F: &[Field] = &[
                f("name", NAME),
                f(
                    "village",
                    &[
                        "village",
                        "villagecode",
                        "cjdm",
                        "cdm",
                        "sqdm",
                        "村代码",
                        "村居代码",
                        "社区代码",
                        "所属村居",
                    ],
                ),
                f("kind", &["kind", "type", "wglx", "网格类型", "类型"]),
                f("workers", &["workers", "wgy", "网格员"]),
                f("households", &["households", "hs", "户数"]),
                f("population", &["population", "rk", "rks", "人口", "人口数"]),
                f("valid_from", &["validfrom", "sxrq", "生效日期"]),
                f("valid_to", &["validto", "sxjsrq", "失效日期"]),
                f("revision", &["revision", "bb", "版本"]),
            ];
            F
        }
        Layer::Cameras => {
            const F: &[Field] = &[
                f("name", NAME),
                f(
                    "ptz_type",
                    &["ptztype", "sxjlx", "摄像机类型", "设备类型", "类型"],
                ),
                f("position_type", &["positiontype", "azwz", "安装位置"]),
                f("direction", &["direction", "fx", "方向", "朝向"]),
                f("azimuth_deg", &["azimuthdeg", "azimuth", "方位角"]),
                f("fov_deg", &["fovdeg", "fov", "视场角"]),
                f("range_m", &["rangem", "range", "可视距离"]),
                f("status", &["status", "zt", "zxzt", "在线状态", "状态"]),
            ];
            F
        }
        Layer::Incidents => {
            const F: &[Field] = &[
                f(
                    "category",
                    &["category", "sjlx", "sjdl", "事件类型", "事件大类", "大类"],
                ),
                f(
                    "subcategory",
                    &["subcategory", "xl", "sjxl", "事件小类", "小类"],
                ),
                f(
                    "source",
                    &["source", "ly", "sjly", "来源", "事件来源", "上报渠道"],
                ),
                f("people", &["people", "sjrs", "涉及人数"]),
                f("status", &["status", "zt", "状态"]),
                f("deadline", &["deadline", "blsx", "办理时限"]),
                f("supervision", &["supervision", "dbjb", "督办级别"]),
                f(
                    "reported_at",
                    &["reportedat", "sbsj", "上报时间", "发生时间", "报告时间"],
                ),
                f("accepted_at", &["acceptedat"]),
                f("filed_at", &["filedat"]),
                f("dispatched_at", &["dispatchedat"]),
                f("handling_at", &["handlingat"]),
                f("verifying_at", &["verifyingat"]),
                f("closed_at", &["closedat", "bjsj", "办结时间", "结案时间"]),
                f("cancelled_at", &["cancelledat"]),
                f("postponed_at", &["postponedat"]),
                f("sent_back_at", &["sentbackat"]),
                f("description", &["description", "sjms", "事件描述", "描述"]),
                f("reporter", &["reporter", "sbr", "上报人"]),
                // Where a row without coordinates is placed (not stored).
                f(
                    "grid",
                    &[
                        "grid",
                        "gridcode",
                        "wgbm",
                        "wgdm",
                        "网格编码",
                        "网格代码",
                        "所属网格",
                    ],
                ),
                f(
                    "village",
                    &[
                        "village",
                        "villagecode",
                        "cjdm",
                        "sqdm",
                        "村代码",
                        "村居代码",
                        "社区代码",
                        "所属村居",
                    ],
                ),
            ];
            F
        }
        Layer::Patrols => {
            const F: &[Field] = &[
                f(
                    "worker",
                    &[
                        "worker",
                        "workerid",
                        "wgy",
                        "wgybh",
                        "网格员",
                        "网格员编号",
                        "巡查人",
                    ],
                ),
                f(
                    "start",
                    &["start", "starttime", "startat", "kssj", "开始时间"],
                ),
                f("end", &["end", "endtime", "endat", "jssj", "结束时间"]),
                f("times", &["times", "m"]),
            ];
            F
        }
        Layer::Workers => {
            const F: &[Field] = &[
                f("name", &["name", "xm", "姓名", "网格员姓名"]),
                f(
                    "phone",
                    &[
                        "phone",
                        "dh",
                        "lxdh",
                        "sjhm",
                        "电话",
                        "联系电话",
                        "手机",
                        "手机号",
                        "手机号码",
                    ],
                ),
                f(
                    "grids",
                    &[
                        "grids",
                        "grid",
                        "gridcode",
                        "gridcodes",
                        "wgbm",
                        "所属网格",
                        "网格编码",
                        "负责网格",
                    ],
                ),
                f("seen_at", &["seenat", "dwsj", "定位时间"]),
            ];
            F
        }
        Layer::Centers => {
            const F: &[Field] = &[
                f("level", &["level", "jb", "级别", "层级"]),
                f("name", NAME),
            ];
            F
        }
    }
}

/// The names of `layer`'s properties (without the key `id`).
pub(super) fn property_names(layer: Layer) -> impl Iterator<Item = &'static str> {
    fields(layer).iter().map(|fd| fd.name)
}

/// Lower case without `_`, `-` and spaces: `GRID_CODE` and `gridCode` are one name.
fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '\u{3000}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where each onemap property of one layer is found in one file.
#[derive(Debug, Clone)]
pub struct FieldMap {
    /// The file's key column, if found.
    id: Option<String>,
    /// (onemap property, the file's key), for the properties the file has.
    found: Vec<(&'static str, String)>,
}

impl FieldMap {
    /// Matches the file's `keys` (every attribute name the file uses) to `layer`'s properties.
    #[must_use]
    pub fn new<'a>(layer: Layer, keys: impl IntoIterator<Item = &'a str>) -> Self {
        let keys: Vec<(&str, String)> = keys.into_iter().map(|k| (k, normalise(k))).collect();
        let find = |canonical: &str, aliases: &[&str]| -> Option<String> {
            // The exact name wins; then the aliases in order; then a 10-byte DBF cut.
            if let Some((k, _)) = keys.iter().find(|(k, _)| *k == canonical) {
                return Some((*k).to_owned());
            }
            let canon = normalise(canonical);
            for alias in std::iter::once(canon.as_str()).chain(aliases.iter().copied()) {
                if let Some((k, _)) = keys.iter().find(|(_, n)| n == alias) {
                    return Some((*k).to_owned());
                }
            }
            keys.iter()
                .find(|(k, _)| k.len() == 10 && canonical.len() > 10 && canonical.starts_with(k))
                .map(|(k, _)| (*k).to_owned())
        };
        let id = find("id", id_aliases(layer));
        let found = fields(layer)
            .iter()
            .filter_map(|fd| {
                let k = find(fd.name, fd.aliases)?;
                (Some(&k) != id.as_ref()).then_some((fd.name, k))
            })
            .collect();
        Self { id, found }
    }

    /// Matches the attribute names of `source` (its first 10,000 features: enough to see
    /// every column of a real file, cheap for a million-row one).
    #[must_use]
    pub fn for_source(layer: Layer, source: &crate::source::Source) -> Self {
        let keys: std::collections::BTreeSet<&str> = source
            .features
            .iter()
            .take(10_000)
            .flat_map(|f| f.properties.keys().map(String::as_str))
            .collect();
        Self::new(layer, keys)
    }

    /// Puts a mapping file's `columns` (file column -> onemap property) over what the
    /// aliases found: an explicit column wins, and a column it names is read as nothing
    /// else. The geometry columns (`lon`, `lat`, `wkt`) are the reader's, not here.
    pub fn apply_columns(
        &mut self,
        layer: Layer,
        columns: &std::collections::BTreeMap<String, String>,
    ) {
        for (column, property) in columns {
            if property == "id" {
                self.found.retain(|(_, k)| k != column);
                self.id = Some(column.clone());
                continue;
            }
            let Some(name) = fields(layer)
                .iter()
                .map(|fd| fd.name)
                .find(|n| n == property)
            else {
                continue;
            };
            self.found.retain(|(n, k)| *n != name && k != column);
            if self.id.as_ref() == Some(column) {
                self.id = None;
            }
            self.found.push((name, column.clone()));
        }
    }

    /// The onemap property the file's column `column` is read as (`id` for the key).
    #[must_use]
    pub fn property_of(&self, column: &str) -> Option<&'static str> {
        if self.id.as_deref() == Some(column) {
            return Some("id");
        }
        self.found
            .iter()
            .find(|(_, k)| k == column)
            .map(|(n, _)| *n)
    }

    /// The file's key column, if any.
    #[must_use]
    pub fn id_column(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The file column read for onemap property `name`.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<&str> {
        self.found
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, k)| k.as_str())
    }

    /// The feature's key: the key column's value, else the file's own feature id.
    #[must_use]
    pub fn id_of(&self, props: &Map<String, Value>, fid: Option<&str>) -> Option<String> {
        let from_column = self.id.as_ref().and_then(|k| match props.get(k) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        });
        from_column.or_else(|| fid.map(str::to_owned))
    }

    /// The feature's properties under onemap's names, values translated, defaults filled in.
    #[must_use]
    pub fn canonical(
        &self,
        layer: Layer,
        props: &Map<String, Value>,
        defaults: &Defaults,
    ) -> Map<String, Value> {
        self.canonical_mapped(layer, props, defaults, None, &mut ValueCounts::new())
    }

    /// [`FieldMap::canonical`] with a mapping file's values replaced first (and counted
    /// in `counts`): the onemap value a mapping gives is then read as a file's would be,
    /// so it may be a Chinese name. An incident category keeps the file's value, which
    /// [`super::LoadOptions::categories`] maps (with its subcategory).
    pub(super) fn canonical_mapped(
        &self,
        layer: Layer,
        props: &Map<String, Value>,
        defaults: &Defaults,
        mapping: Option<&Mapping>,
        counts: &mut ValueCounts,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for (name, key) in &self.found {
            if let Some(v) = props.get(key) {
                if !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()) {
                    let value = match mapping.and_then(|m| m.value(name, v)) {
                        Some(to) => {
                            let from = match v {
                                Value::String(s) => s.trim().to_owned(),
                                other => other.to_string(),
                            };
                            *counts.entry((name, from)).or_default() += 1;
                            if (layer, *name) == (Layer::Incidents, "category") {
                                v.clone()
                            } else {
                                translate(layer, name, &Value::from(to))
                            }
                        }
                        None => translate(layer, name, v),
                    };
                    out.insert((*name).to_owned(), value);
                }
            }
        }
        for fd in fields(layer) {
            if !out.contains_key(fd.name) {
                if let Some(v) = default_value(layer, fd.name, defaults) {
                    out.insert(fd.name.to_owned(), v);
                }
            }
        }
        out
    }

    /// The onemap properties the layer needs that the file lacks and that get a default;
    /// the report says so once per file.
    #[must_use]
    pub fn defaulted(&self, layer: Layer, defaults: &Defaults) -> Vec<(&'static str, Value)> {
        fields(layer)
            .iter()
            .filter(|fd| self.column(fd.name).is_none())
            .filter_map(|fd| default_value(layer, fd.name, defaults).map(|v| (fd.name, v)))
            .collect()
    }
}

/// Values used for what a file does not carry.
#[derive(Debug, Clone)]
pub struct Defaults {
    /// The time of the import, RFC 3339: a grid's `valid_from` when the file has none.
    pub now: String,
}

/// The default of `layer`'s property `name`, if it has one.
#[must_use]
pub fn default_value(layer: Layer, name: &str, defaults: &Defaults) -> Option<Value> {
    Some(match (layer, name) {
        (Layer::Grids, "kind") => "basic".into(),
        (Layer::Grids, "valid_from") => defaults.now.clone().into(),
        // Revision 1 is the first drawing; GB/T 28181 position and direction codes start at 1.
        (Layer::Grids, "revision") | (Layer::Cameras, "position_type" | "direction") => 1.into(),
        // A vendor list without these still places the camera; the sector is flagged
        // estimated anyway.
        (Layer::Cameras, "ptz_type") => "fixed_bullet".into(),
        (Layer::Cameras, "status") => "online".into(),
        _ => return None,
    })
}

/// onemap's name for a value written in Chinese (or as a GB/T 28181 number).
pub(super) fn translate(layer: Layer, name: &str, v: &Value) -> Value {
    // Shapefile and FlatGeobuf measures are floats; a vertex time is whole seconds.
    if let (Layer::Patrols, "times", Value::Array(items)) = (layer, name, v) {
        return Value::Array(
            items
                .iter()
                .map(|x| match x.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => Value::from(f as i64),
                    _ => x.clone(),
                })
                .collect(),
        );
    }
    let Some(s) = v.as_str().map(str::trim) else {
        // GB/T 28181 PTZType is a number 1-4.
        if let (Layer::Cameras, "ptz_type", Some(n)) = (layer, name, v.as_u64()) {
            if let Some(p) = ptz_by_number(n) {
                return p.into();
            }
        }
        return v.clone();
    };
    let mapped: Option<&str> = match (layer, name) {
        (Layer::Admin | Layer::Centers, "level") => match s {
            "省" | "省级" => Some("province"),
            "市" | "地级" | "市级" | "州" => Some("prefecture"),
            "县" | "区" | "县级" | "区县" => Some("county"),
            "乡" | "镇" | "乡镇" | "街道" | "乡级" => Some("township"),
            "村" | "社区" | "村居" | "村级" => Some("village"),
            _ => None,
        },
        (Layer::Grids, "kind") => match s {
            "基础网格" | "基础" | "综合网格" => Some("basic"),
            "学校" | "学校网格" => Some("school"),
            "企业" | "企业网格" => Some("enterprise"),
            "市场" | "市场网格" => Some("market"),
            "医院" | "医院网格" => Some("hospital"),
            "景区" | "景区网格" => Some("scenic"),
            // Vendors' name for every non-basic grid; the site type is not said.
            "专属网格" | "专属" | "专业网格" | "专项网格" | "专门网格" | "特殊网格"
            | "dedicated" => Some("dedicated"),
            _ => None,
        },
        (Layer::Cameras, "ptz_type") => match s {
            "球机" => Some("dome"),
            "半球" | "半球机" => Some("hemisphere"),
            "枪机" | "固定枪机" => Some("fixed_bullet"),
            "遥控枪机" => Some("remote_bullet"),
            _ => s.parse().ok().and_then(ptz_by_number),
        },
        (Layer::Cameras, "status") => match s {
            "在线" | "ON" | "on" | "1" | "正常" => Some("online"),
            "离线" | "OFF" | "off" | "0" | "故障" => Some("offline"),
            _ => None,
        },
        (Layer::Incidents, "category") => Category::ALL
            .into_iter()
            .find(|c| c.name_zh() == s)
            .map(Category::as_str),
        (Layer::Incidents, "status") => Step::ALL
            .into_iter()
            .find(|c| c.name_zh() == s)
            .map(Step::as_str),
        _ => None,
    };
    mapped.map_or_else(|| v.clone(), Value::from)
}

fn ptz_by_number(n: u64) -> Option<&'static str> {
    Some(match n {
        1 => "dome",
        2 => "hemisphere",
        3 => "fixed_bullet",
        4 => "remote_bullet",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defaults() -> Defaults {
        Defaults {
            now: "2026-11-29T00:00:00Z".into(),
        }
    }

    #[test]
    fn chinese_and_upper_case_columns_are_found() {
        let m = FieldMap::new(
            Layer::Grids,
            ["WGBM", "WGMC", "网格类型", "CJDM", "Shape_Area"],
        );
        assert_eq!(m.id_column(), Some("WGBM"));
        assert_eq!(m.column("name"), Some("WGMC"));
        assert_eq!(m.column("kind"), Some("网格类型"));
        assert_eq!(m.column("village"), Some("CJDM"));
        let props = json!({"WGBM": "433101001001001", "WGMC": "第1网格", "网格类型": "学校网格", "CJDM": 433_101_001_001_u64});
        let props = props.as_object().cloned().unwrap_or_default();
        let c = m.canonical(Layer::Grids, &props, &defaults());
        assert_eq!(c["kind"], "school");
        assert_eq!(c["revision"], 1);
        assert_eq!(c["valid_from"], "2026-11-29T00:00:00Z");
        assert_eq!(m.id_of(&props, None).as_deref(), Some("433101001001001"));
    }

    #[test]
    fn dbf_cut_names_and_exact_names_win() {
        let m = FieldMap::new(
            Layer::Cameras,
            ["id", "position_t", "azimuth_de", "name", "MC"],
        );
        assert_eq!(m.column("position_type"), Some("position_t"));
        assert_eq!(m.column("azimuth_deg"), Some("azimuth_de"));
        assert_eq!(m.column("name"), Some("name"));
    }

    #[test]
    fn camera_values_translate() {
        assert_eq!(translate(Layer::Cameras, "ptz_type", &json!(1)), "dome");
        assert_eq!(
            translate(Layer::Cameras, "ptz_type", &json!("枪机")),
            "fixed_bullet"
        );
        assert_eq!(
            translate(Layer::Cameras, "status", &json!("离线")),
            "offline"
        );
        assert_eq!(translate(Layer::Cameras, "status", &json!("坏")), "坏");
    }
}
