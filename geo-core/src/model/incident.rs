use geo_types::Point;
use serde::{Deserialize, Serialize};

use super::UnixTime;

/// An incident's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IncidentId(pub u64);

/// Major incident class, after the practice of GB/T 31000 basic governance data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 矛盾纠纷
    Dispute,
    /// 治安
    PublicSecurity,
    /// 消防隐患
    FireHazard,
    /// 安全隐患
    SafetyHazard,
    /// 环境
    Environment,
    /// 信访
    Petition,
    /// 其他
    Other,
}

impl Category {
    /// Every major class, in code order.
    pub const ALL: [Category; 7] = [
        Category::Dispute,
        Category::PublicSecurity,
        Category::FireHazard,
        Category::SafetyHazard,
        Category::Environment,
        Category::Petition,
        Category::Other,
    ];

    /// The class's name in the API and the store.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Dispute => "dispute",
            Category::PublicSecurity => "public_security",
            Category::FireHazard => "fire_hazard",
            Category::SafetyHazard => "safety_hazard",
            Category::Environment => "environment",
            Category::Petition => "petition",
            Category::Other => "other",
        }
    }

    /// The Chinese name.
    #[must_use]
    pub const fn name_zh(self) -> &'static str {
        match self {
            Category::Dispute => "矛盾纠纷",
            Category::PublicSecurity => "治安",
            Category::FireHazard => "消防隐患",
            Category::SafetyHazard => "安全隐患",
            Category::Environment => "环境",
            Category::Petition => "信访",
            Category::Other => "其他",
        }
    }

    /// The English name.
    #[must_use]
    pub const fn name_en(self) -> &'static str {
        match self {
            Category::Dispute => "Dispute",
            Category::PublicSecurity => "Public security",
            Category::FireHazard => "Fire hazard",
            Category::SafetyHazard => "Safety hazard",
            Category::Environment => "Environment",
            Category::Petition => "Petition",
            Category::Other => "Other",
        }
    }

    /// The minor classes of this major class, as `(api name, Chinese name)`.
    #[must_use]
    pub const fn subcategories(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Category::Dispute => &[
                ("family", "婚姻家庭纠纷"),
                ("neighbourhood", "邻里纠纷"),
                ("land", "土地山林纠纷"),
                ("labour", "劳动争议"),
                ("property", "物业纠纷"),
                ("construction", "征地拆迁纠纷"),
                ("medical", "医疗纠纷"),
                ("traffic", "交通事故纠纷"),
            ],
            Category::PublicSecurity => &[
                ("theft", "盗窃"),
                ("fight", "打架斗殴"),
                ("fraud", "诈骗"),
                ("gambling", "赌博"),
                ("drugs", "涉毒"),
            ],
            Category::FireHazard => &[
                ("blocked_exit", "消防通道堵塞"),
                ("wiring", "电线私拉乱接"),
                ("ebike_charging", "电动车违规充电"),
                ("extinguisher", "消防设施缺失"),
            ],
            Category::SafetyHazard => &[
                ("building", "危房"),
                ("geological", "地质灾害隐患"),
                ("road", "道路交通隐患"),
                ("gas", "燃气安全隐患"),
                ("drowning", "防溺水"),
            ],
            Category::Environment => &[
                ("garbage", "垃圾乱堆"),
                ("sewage", "污水排放"),
                ("noise", "噪声扰民"),
                ("burning", "露天焚烧"),
            ],
            Category::Petition => &[("collective", "集体访"), ("individual", "个人访")],
            Category::Other => &[("other", "其他")],
        }
    }

    /// Parses the name written by [`Category::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Who reported the incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 网格员上报
    GridWorker,
    /// 热线 (12345)
    Hotline,
    /// 视频发现
    Video,
    /// 群众上报
    Public,
}

impl Source {
    /// Every source, in code order.
    pub const ALL: [Source; 4] = [
        Source::GridWorker,
        Source::Hotline,
        Source::Video,
        Source::Public,
    ];

    /// The source's name in the API and the store.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::GridWorker => "grid_worker",
            Source::Hotline => "hotline",
            Source::Video => "video",
            Source::Public => "public",
        }
    }

    /// Parses the name written by [`Source::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A lifecycle step; also the status an incident is in after reaching it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 上报
    Reported,
    /// 受理
    Accepted,
    /// 立案
    Filed,
    /// 派遣
    Dispatched,
    /// 处置
    Handling,
    /// 核查
    Verifying,
    /// 结案
    Closed,
    /// 作废
    Cancelled,
    /// 延期
    Postponed,
    /// 退回
    SentBack,
}

/// The status of an incident is the last step it reached.
pub type IncidentStatus = Step;

impl Step {
    /// Every step, in lifecycle order.
    pub const ALL: [Step; 10] = [
        Step::Reported,
        Step::Accepted,
        Step::Filed,
        Step::Dispatched,
        Step::Handling,
        Step::Verifying,
        Step::Closed,
        Step::Cancelled,
        Step::Postponed,
        Step::SentBack,
    ];

    /// The step's name in the API and the store.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Step::Reported => "reported",
            Step::Accepted => "accepted",
            Step::Filed => "filed",
            Step::Dispatched => "dispatched",
            Step::Handling => "handling",
            Step::Verifying => "verifying",
            Step::Closed => "closed",
            Step::Cancelled => "cancelled",
            Step::Postponed => "postponed",
            Step::SentBack => "sent_back",
        }
    }

    /// The Chinese name (of the step, and of the status after it).
    #[must_use]
    pub const fn name_zh(self) -> &'static str {
        match self {
            Step::Reported => "上报",
            Step::Accepted => "受理",
            Step::Filed => "立案",
            Step::Dispatched => "派遣",
            Step::Handling => "处置",
            Step::Verifying => "核查",
            Step::Closed => "结案",
            Step::Cancelled => "作废",
            Step::Postponed => "延期",
            Step::SentBack => "退回",
        }
    }

    /// The English name.
    #[must_use]
    pub const fn name_en(self) -> &'static str {
        match self {
            Step::Reported => "Reported",
            Step::Accepted => "Accepted",
            Step::Filed => "Filed",
            Step::Dispatched => "Dispatched",
            Step::Handling => "Handling",
            Step::Verifying => "Verifying",
            Step::Closed => "Closed",
            Step::Cancelled => "Cancelled",
            Step::Postponed => "Postponed",
            Step::SentBack => "Sent back",
        }
    }

    /// Parses the name written by [`Step::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Position in [`Step::ALL`].
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Supervision (督办) level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Supervision {
    /// Not supervised.
    None,
    /// 乡镇督办
    Township,
    /// 县级督办
    County,
    /// 州市级督办
    Prefecture,
}

impl Supervision {
    /// Every level, lowest first.
    pub const ALL: [Supervision; 4] = [
        Supervision::None,
        Supervision::Township,
        Supervision::County,
        Supervision::Prefecture,
    ];

    /// The level's name in the API and the store.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Supervision::None => "none",
            Supervision::Township => "township",
            Supervision::County => "county",
            Supervision::Prefecture => "prefecture",
        }
    }

    /// Parses the name written by [`Supervision::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// When each lifecycle step happened: the report time and, per later step, an offset in
/// seconds (compact: an incident must cost well under 200 bytes of RAM).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// When the incident was reported.
    pub reported_at: UnixTime,
    /// Seconds after `reported_at` for steps 1.. of [`Step::ALL`]; `u32::MAX` = not reached.
    offsets: [u32; 9],
}

impl Lifecycle {
    const NOT_REACHED: u32 = u32::MAX;

    /// A lifecycle that has only been reported.
    #[must_use]
    pub const fn reported(at: UnixTime) -> Self {
        Self {
            reported_at: at,
            offsets: [Self::NOT_REACHED; 9],
        }
    }

    /// When `step` happened, if it did.
    #[must_use]
    pub fn at(&self, step: Step) -> Option<UnixTime> {
        match step.index() {
            0 => Some(self.reported_at),
            i => {
                let off = self.offsets[i - 1];
                (off != Self::NOT_REACHED).then(|| self.reported_at + i64::from(off))
            }
        }
    }

    /// Records that `step` happened at `t`; times before the report or more than
    /// 136 years after it are refused.
    pub fn set(&mut self, step: Step, t: UnixTime) -> Result<(), crate::Error> {
        let i = step.index();
        if i == 0 {
            self.reported_at = t;
            return Ok(());
        }
        let off = t - self.reported_at;
        match u32::try_from(off) {
            Ok(o) if o != Self::NOT_REACHED => {
                self.offsets[i - 1] = o;
                Ok(())
            }
            _ => Err(crate::Error::Invalid(format!(
                "step {} at {t} is before the report at {} or too far after it",
                step.as_str(),
                self.reported_at
            ))),
        }
    }

    /// Steps reached, with their times, in lifecycle order.
    pub fn steps(&self) -> impl Iterator<Item = (Step, UnixTime)> + '_ {
        Step::ALL
            .into_iter()
            .filter_map(|s| self.at(s).map(|t| (s, t)))
    }
}

/// The subcategory of an incident whose report named none: shown and exported as `other`
/// (其他) in every category.
pub const UNSPECIFIED_SUBCATEGORY: u8 = u8::MAX;

/// An incident's operational record: what the in-memory core keeps for maps and figures.
/// Personal data lives in [`IncidentDetails`], read from the store on demand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Id.
    pub id: IncidentId,
    /// Where it happened, lon/lat.
    pub location: Point<f64>,
    /// Major class.
    pub category: Category,
    /// Index into `category.subcategories()`.
    pub subcategory: u8,
    /// Who reported it.
    pub source: Source,
    /// People involved.
    pub people: u16,
    /// Current status (the last step reached).
    pub status: IncidentStatus,
    /// Times of each step.
    pub lifecycle: Lifecycle,
    /// When it is due for closure.
    pub deadline: UnixTime,
    /// Supervision level.
    pub supervision: Supervision,
}

impl Incident {
    /// When it occurred (was reported).
    #[must_use]
    pub fn occurred_at(&self) -> UnixTime {
        self.lifecycle.reported_at
    }

    /// The minor class as `(api name, Chinese name)`.
    #[must_use]
    pub fn subcategory_names(&self) -> (&'static str, &'static str) {
        self.category
            .subcategories()
            .get(usize::from(self.subcategory))
            .copied()
            .unwrap_or(("other", "其他"))
    }
}

/// The personal and free-text part of an incident (operator role and above only).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IncidentDetails {
    /// Free-text description.
    pub description: String,
    /// Reporter's name and contact.
    pub reporter: String,
}
