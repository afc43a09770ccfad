//! Synthetic personal names and obviously fake phone numbers, and the text templates of
//! incident descriptions. Surnames lean to those common in western Hunan (彭, 向, 田, 龙...).

use rand::Rng;

/// Surnames with rough weights.
const SURNAMES: [(&str, u32); 30] = [
    ("彭", 9),
    ("向", 8),
    ("田", 8),
    ("龙", 7),
    ("石", 6),
    ("杨", 7),
    ("吴", 6),
    ("张", 6),
    ("王", 5),
    ("李", 6),
    ("刘", 5),
    ("陈", 4),
    ("黄", 3),
    ("周", 3),
    ("唐", 3),
    ("滕", 2),
    ("麻", 2),
    ("梁", 2),
    ("符", 1),
    ("胡", 3),
    ("谭", 3),
    ("舒", 2),
    ("宋", 2),
    ("贾", 1),
    ("覃", 2),
    ("姚", 2),
    ("曾", 2),
    ("罗", 3),
    ("邓", 2),
    ("侯", 1),
];

/// Characters of given names.
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "红", "文", "建", "国", "志", "海",
    "林", "云", "春", "燕", "晨", "宇", "浩", "婷", "雪", "松", "慧", "凤", "湘",
];

/// A random Chinese name: a surname and one or two given-name characters.
pub fn person<R: Rng>(rng: &mut R) -> String {
    let total: u32 = SURNAMES.iter().map(|s| s.1).sum();
    let mut r = rng.random_range(0..total);
    let mut surname = SURNAMES[0].0;
    for (s, w) in SURNAMES {
        if r < w {
            surname = s;
            break;
        }
        r -= w;
    }
    let mut name = surname.to_owned();
    let chars = if rng.random_bool(0.7) { 2 } else { 1 };
    for _ in 0..chars {
        name.push_str(GIVEN[rng.random_range(0..GIVEN.len())]);
    }
    name
}

/// An obviously fake mobile number: the reserved-looking block 199-0000-xxxx.
pub fn phone<R: Rng>(rng: &mut R) -> String {
    format!("1990000{:04}", rng.random_range(0..10_000))
}

/// Places inside a village where incidents happen.
const PLACES: &[&str] = &[
    "村口",
    "菜市场",
    "学校门口",
    "小区内",
    "组居民点",
    "主干道旁",
    "集镇",
    "河边",
    "广场",
    "卫生院附近",
    "商铺",
    "出租屋",
    "建筑工地",
    "山林",
    "农贸市场",
];

/// What was seen, appended to the minor class.
const DETAILS: &[&str] = &[
    "群众反映，请求处理",
    "网格员巡查发现",
    "已初步劝导，需进一步跟进",
    "当事人情绪较激动",
    "现场已拍照取证",
    "涉及多户村民",
    "存在安全风险，需尽快处置",
    "多次反映未解决",
];

/// A short description: place, minor class and a detail.
pub fn description<R: Rng>(rng: &mut R, village: &str, minor: &str) -> String {
    let place = PLACES[rng.random_range(0..PLACES.len())];
    let detail = DETAILS[rng.random_range(0..DETAILS.len())];
    format!("{village}{place}{minor}：{detail}。")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn names_and_phones_have_the_expected_shape() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..200 {
            let n = person(&mut rng);
            assert!((2..=3).contains(&n.chars().count()), "{n}");
            let p = phone(&mut rng);
            assert_eq!(p.len(), 11);
            assert!(p.starts_with("1990000"));
        }
    }
}
