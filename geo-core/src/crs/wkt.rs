//! A reader for the bracket structure of CRS WKT (OGC WKT1, ESRI `.prj`, WKT2): keyword,
//! then `[...]` or `(...)` holding quoted text, numbers, bare words and nested nodes.
//!
//! It knows nothing of what the keywords mean ([`super::prj`] does); it only turns the text
//! into a tree so that "the AUTHORITY of the outermost CRS" or "the PARAMETER named
//! `central_meridian`" can be asked for exactly. The workspace's `wkt` crate reads geometry
//! WKT, not CRS WKT, and no maintained crate reads both WKT1 and WKT2 CRS text.

/// Nesting deeper than this is refused (real CRS WKT nests 5-6 deep), so hostile input
/// cannot exhaust the stack.
const MAX_DEPTH: usize = 32;

/// One `KEYWORD[...]` node.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    /// The keyword, upper-cased.
    pub keyword: String,
    /// The values inside the brackets, in order.
    pub args: Vec<Value>,
}

/// One value inside a node's brackets.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    /// A quoted string, with `""` unescaped.
    Text(String),
    /// A number.
    Number(f64),
    /// A bare word such as `EAST` or `Cartesian`.
    Word(String),
    /// A nested node.
    Node(Node),
}

impl Node {
    /// The first argument when it is text: the name of a CRS, datum, parameter, ...
    pub fn name(&self) -> Option<&str> {
        match self.args.first() {
            Some(Value::Text(t)) => Some(t),
            _ => None,
        }
    }

    /// The nested nodes, in order.
    pub fn children(&self) -> impl Iterator<Item = &Node> {
        self.args.iter().filter_map(|v| match v {
            Value::Node(n) => Some(n),
            _ => None,
        })
    }

    /// The first nested node with one of these keywords.
    pub fn child(&self, keywords: &[&str]) -> Option<&Node> {
        self.children()
            .find(|n| keywords.contains(&n.keyword.as_str()))
    }

    /// The `i`-th argument as a number (WKT1 AUTHORITY quotes its code, so text that
    /// parses counts too).
    pub fn number(&self, i: usize) -> Option<f64> {
        match self.args.get(i)? {
            Value::Number(n) => Some(*n),
            Value::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }
}

/// The tree of `text`, or `None` when it is not bracketed WKT.
pub(super) fn parse(text: &str) -> Option<Node> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let node = p.node(0)?;
    p.skip_space();
    (p.i == p.s.len()).then_some(node)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn word(&mut self) -> Option<String> {
        self.skip_space();
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn node(&mut self, depth: usize) -> Option<Node> {
        let keyword = self.word()?.to_ascii_uppercase();
        self.skip_space();
        let close = match self.s.get(self.i)? {
            b'[' => b']',
            b'(' => b')',
            _ => return None,
        };
        self.i += 1;
        self.rest_of_node(keyword, close, depth)
    }

    fn rest_of_node(&mut self, keyword: String, close: u8, depth: usize) -> Option<Node> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let mut args = Vec::new();
        loop {
            self.skip_space();
            if self.s.get(self.i) == Some(&close) && args.is_empty() {
                self.i += 1;
                return Some(Node { keyword, args });
            }
            args.push(self.value(depth)?);
            self.skip_space();
            match self.s.get(self.i)? {
                b',' => self.i += 1,
                b if *b == close => {
                    self.i += 1;
                    return Some(Node { keyword, args });
                }
                _ => return None,
            }
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        self.skip_space();
        match *self.s.get(self.i)? {
            b'"' => self.text().map(Value::Text),
            b'-' | b'+' | b'.' | b'0'..=b'9' => self.number().map(Value::Number),
            _ => {
                let word = self.word()?;
                self.skip_space();
                match self.s.get(self.i) {
                    Some(b'[') => {
                        self.i += 1;
                        self.rest_of_node(word.to_ascii_uppercase(), b']', depth + 1)
                            .map(Value::Node)
                    }
                    Some(b'(') => {
                        self.i += 1;
                        self.rest_of_node(word.to_ascii_uppercase(), b')', depth + 1)
                            .map(Value::Node)
                    }
                    _ => Some(Value::Word(word)),
                }
            }
        }
    }

    fn text(&mut self) -> Option<String> {
        self.i += 1; // the opening quote
        let mut out = Vec::new();
        loop {
            let b = *self.s.get(self.i)?;
            self.i += 1;
            if b == b'"' {
                if self.s.get(self.i) == Some(&b'"') {
                    out.push(b'"');
                    self.i += 1;
                } else {
                    return Some(String::from_utf8_lossy(&out).into_owned());
                }
            } else {
                out.push(b);
            }
        }
    }

    fn number(&mut self) -> Option<f64> {
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .parse()
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_wkt() {
        let n = parse(
            r#" PROJCS["A ""quoted"" name", GEOGCS["g",DATUM["d",SPHEROID["s",6378137.0,298.257]]],
                PARAMETER["central_meridian",108.0],AXIS["Easting",EAST],AUTHORITY["EPSG","4545"]] "#,
        )
        .unwrap();
        assert_eq!(n.keyword, "PROJCS");
        assert_eq!(n.name(), Some("A \"quoted\" name"));
        let p = n.child(&["PARAMETER"]).unwrap();
        assert_eq!(p.number(1), Some(108.0));
        assert_eq!(n.child(&["AUTHORITY"]).unwrap().number(1), Some(4545.0));
        let axis = n.child(&["AXIS"]).unwrap();
        assert_eq!(axis.args[1], Value::Word("EAST".into()));
        let s = n.child(&["GEOGCS"]).unwrap().child(&["DATUM"]).unwrap();
        assert_eq!(s.child(&["SPHEROID"]).unwrap().number(2), Some(298.257));
    }

    #[test]
    fn refuses_what_is_not_wkt() {
        for bad in [
            "",
            "EPSG:4490",
            "GEOGCS[",
            "GEOGCS[\"x\"",
            "GEOGCS[\"x\"]]",
            "GEOGCS[\"x\",]",
            "GEOGCS[\"x\"] trailing",
            "{\"type\":\"name\"}",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        let deep = "A[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(parse(&deep), None);
    }

    #[test]
    fn accepts_round_brackets_and_empty_nodes() {
        let n = parse("GEOGCS(\"x\",UNIT(\"degree\",0.0174532925199433),EXTRA[])").unwrap();
        assert_eq!(
            n.child(&["UNIT"]).unwrap().number(1),
            Some(0.017_453_292_519_943_3)
        );
        assert_eq!(n.child(&["EXTRA"]).unwrap().args, vec![]);
    }
}
