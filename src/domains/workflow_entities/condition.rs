//! Workflow-entity condition trees: the `condition` JSON shape (groups of rules), its validation with
//! every problem keyed by path, evaluation against a sample `message` with a per-rule trace, and the
//! `{{message.x}}` placeholder rendering used by entity arguments. Pure logic, no I/O.

use std::collections::BTreeMap;
use std::fmt;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Deepest allowed tree (a single rule is depth 1).
pub const MAX_DEPTH: usize = 10;
/// Most nodes (groups and rules) allowed in one tree.
pub const MAX_NODES: usize = 500;
/// Longest `matches` pattern, in characters.
pub const MAX_PATTERN_LEN: usize = 500;
/// Compiled-program and lazy-DFA size limit for `matches` patterns, in bytes.
pub const REGEX_SIZE_LIMIT: usize = 64 * 1024;
/// Path prefix used by [`evaluate`] traces and by serde deserialization errors.
pub const DEFAULT_ROOT: &str = "condition";

/// A node of a condition tree: `{"type":"group",...}` or `{"type":"rule",...}`.
///
/// Deserializing goes through [`parse`], so a deserialized tree is always valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", try_from = "Value")]
pub enum Condition {
    /// `{"type":"group","operator":"AND"|"OR","conditions":[...]}`.
    Group { operator: Operator, conditions: Vec<Condition> },
    /// `{"type":"rule","field":"message.x","comparison":"equals","value":...}`; `value` is omitted
    /// when null (only `exists` / `not_exists` allow that).
    Rule {
        field: String,
        comparison: Comparison,
        #[serde(default, skip_serializing_if = "Value::is_null")]
        value: Value,
    },
}

/// How a group combines its children. An empty `AND` is true, an empty `OR` is false.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operator {
    And,
    Or,
}

macro_rules! comparisons {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// The comparison a rule applies between the message field (actual) and `value` (expected).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Comparison {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl Comparison {
            /// Every comparison, in documentation order.
            pub const ALL: [Comparison; 15] = [$(Self::$variant),*];

            /// The wire name (`"not_equals"`, ...).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }

            /// Looks a comparison up by its wire name.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

comparisons! {
    Equals => "equals", NotEquals => "not_equals", Contains => "contains", NotContains => "not_contains",
    StartsWith => "starts_with", EndsWith => "ends_with", GreaterThan => "greater_than", LessThan => "less_than",
    GreaterOrEqual => "greater_or_equal", LessOrEqual => "less_or_equal", In => "in", NotIn => "not_in",
    Exists => "exists", NotExists => "not_exists", Matches => "matches",
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<Value> for Condition {
    type Error = String;

    fn try_from(value: Value) -> Result<Self, String> {
        parse(&value, DEFAULT_ROOT)
            .map_err(|errors| errors.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; "))
    }
}

/// Outcome of [`evaluate`]: the boolean result and one trace entry per rule, in tree order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    pub result: bool,
    pub trace: Vec<RuleTrace>,
}

/// What one rule saw. `path` is the rule's position (`condition.conditions[0]`); `actual` is absent
/// when the field is missing from the message (and `null` when it is present but null).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleTrace {
    pub path: String,
    pub field: String,
    pub comparison: String,
    pub expected: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<Value>,
    pub passed: bool,
}

/// Validates a condition tree and builds it, or returns every problem found keyed by its path under
/// `root` (e.g. `condition.conditions[0].comparison`). Tree-wide limits (depth, node count) are
/// reported at `root` itself.
pub fn parse(value: &Value, root: &str) -> Result<Condition, BTreeMap<String, String>> {
    let mut parser = Parser { root, errors: BTreeMap::new(), nodes: 0 };
    let parsed = parser.node(value, root, 1);
    match parsed {
        Some(condition) if parser.errors.is_empty() => Ok(condition),
        _ => Err(parser.errors),
    }
}

struct Parser<'a> {
    root: &'a str,
    errors: BTreeMap<String, String>,
    nodes: usize,
}

impl Parser<'_> {
    fn error(&mut self, path: String, message: impl Into<String>) {
        self.errors.entry(path).or_insert_with(|| message.into());
    }

    fn fail<T>(&mut self, path: String, message: impl Into<String>) -> Option<T> {
        self.error(path, message);
        None
    }

    fn node(&mut self, value: &Value, path: &str, depth: usize) -> Option<Condition> {
        if depth > MAX_DEPTH {
            return self.fail(self.root.to_owned(), format!("depth exceeds {MAX_DEPTH}"));
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return self.fail(self.root.to_owned(), format!("node count exceeds {MAX_NODES}"));
        }
        let Some(object) = value.as_object() else { return self.fail(path.to_owned(), "must be an object") };
        let allowed: &[&str] = match object.get("type") {
            Some(Value::String(t)) if t == "group" => &["type", "operator", "conditions"],
            Some(Value::String(t)) if t == "rule" => &["type", "field", "comparison", "value"],
            None => return self.fail(join(path, "type"), "is required"),
            Some(other) => {
                return self
                    .fail(join(path, "type"), format!("unknown type {}; expected one of group, rule", show(other)));
            }
        };
        for key in object.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.error(join(path, key), "unknown key");
        }
        if allowed.contains(&"operator") { self.group(object, path, depth) } else { self.rule(object, path) }
    }

    fn group(&mut self, object: &serde_json::Map<String, Value>, path: &str, depth: usize) -> Option<Condition> {
        let operator = match object.get("operator") {
            Some(Value::String(s)) if s == "AND" => Some(Operator::And),
            Some(Value::String(s)) if s == "OR" => Some(Operator::Or),
            None => self.fail(join(path, "operator"), "is required"),
            Some(other) => {
                self.fail(join(path, "operator"), format!("unknown operator {}; expected AND or OR", show(other)))
            }
        };
        let Some(Value::Array(items)) = object.get("conditions") else {
            return self.fail(join(path, "conditions"), "must be an array");
        };
        let mut conditions = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let child = self.node(item, &format!("{}[{i}]", join(path, "conditions")), depth + 1);
            conditions.extend(child);
            if self.nodes > MAX_NODES {
                break;
            }
        }
        (conditions.len() == items.len()).then_some(Condition::Group { operator: operator?, conditions })
    }

    fn rule(&mut self, object: &serde_json::Map<String, Value>, path: &str) -> Option<Condition> {
        match object.get("field") {
            Some(Value::String(f)) if f.trim().is_empty() => self.error(join(path, "field"), "must not be empty"),
            Some(Value::String(f)) if f.split('.').any(str::is_empty) => {
                self.error(join(path, "field"), format!("invalid field path `{f}`"))
            }
            Some(Value::String(_)) => (),
            None => self.error(join(path, "field"), "is required"),
            Some(_) => self.error(join(path, "field"), "must be a string"),
        }
        let comparison = match object.get("comparison") {
            Some(Value::String(name)) => Comparison::from_name(name).or_else(|| {
                let names: Vec<&str> = Comparison::ALL.iter().map(|c| c.as_str()).collect();
                let message = format!("unknown comparison `{name}`; expected one of {}", names.join(", "));
                self.fail(join(path, "comparison"), message)
            }),
            None => self.fail(join(path, "comparison"), "is required"),
            Some(_) => self.fail(join(path, "comparison"), "must be a string"),
        };
        let value = object.get("value").cloned().unwrap_or(Value::Null);
        if let Some(c) = comparison
            && let Err(message) = check_value(c, &value)
        {
            self.error(join(path, "value"), message);
        }
        let field = object.get("field").and_then(Value::as_str)?.to_owned();
        Some(Condition::Rule { field, comparison: comparison?, value })
    }
}

fn check_value(c: Comparison, value: &Value) -> Result<(), String> {
    use Comparison::*;
    match (c, value) {
        (Exists | NotExists, _) => Ok(()),
        (_, Value::Null) => Err(format!("is required for {c}")),
        (StartsWith | EndsWith, v) if !v.is_string() => Err(format!("must be a string for {c}")),
        (GreaterThan | LessThan | GreaterOrEqual | LessOrEqual, v) if !(v.is_number() || v.is_string()) => {
            Err(format!("must be a number or string for {c}"))
        }
        (In | NotIn, v) if !v.is_array() => Err(format!("must be an array for {c}")),
        (Matches, Value::String(pattern)) => build_regex(pattern).map(drop),
        (Matches, _) => Err(format!("must be a string for {c}")),
        _ => Ok(()),
    }
}

fn build_regex(pattern: &str) -> Result<Regex, String> {
    if pattern.chars().count() > MAX_PATTERN_LEN {
        return Err(format!("invalid regex: pattern longer than {MAX_PATTERN_LEN} characters"));
    }
    RegexBuilder::new(pattern).size_limit(REGEX_SIZE_LIMIT).dfa_size_limit(REGEX_SIZE_LIMIT).build().map_err(|e| {
        format!(
            "invalid regex: {}",
            e.to_string().lines().last().unwrap_or_default().trim().trim_start_matches("error: ")
        )
    })
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

/// Runs the tree against `message`. Every rule is evaluated and traced (no short-circuit); trace
/// paths start at [`DEFAULT_ROOT`].
pub fn evaluate(c: &Condition, message: &Value) -> Evaluation {
    let mut trace = Vec::new();
    let result = eval_node(c, message, DEFAULT_ROOT, &mut trace);
    Evaluation { result, trace }
}

fn eval_node(c: &Condition, message: &Value, path: &str, trace: &mut Vec<RuleTrace>) -> bool {
    match c {
        Condition::Group { operator, conditions } => {
            let results: Vec<bool> = conditions
                .iter()
                .enumerate()
                .map(|(i, child)| eval_node(child, message, &format!("{path}.conditions[{i}]"), trace))
                .collect();
            match operator {
                Operator::And => results.iter().all(|r| *r),
                Operator::Or => results.iter().any(|r| *r),
            }
        }
        Condition::Rule { field, comparison, value } => {
            let path_in_message = if field == "message" { "" } else { field.strip_prefix("message.").unwrap_or(field) };
            let actual = lookup(message, path_in_message);
            let passed = compare(*comparison, actual, value);
            trace.push(RuleTrace {
                path: path.to_owned(),
                field: field.clone(),
                comparison: comparison.as_str().to_owned(),
                expected: value.clone(),
                actual: actual.cloned(),
                passed,
            });
            passed
        }
    }
}

/// Resolves a dotted path (`customer.tier`, `items.0.sku`) in `message`; `""` is the message itself.
fn lookup<'a>(message: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(message);
    }
    path.split('.').try_fold(message, |current, segment| match current {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

fn compare(c: Comparison, actual: Option<&Value>, expected: &Value) -> bool {
    use Comparison::*;
    let Some(actual) = actual else {
        return matches!(c, NotExists | NotEquals | NotContains | NotIn);
    };
    match c {
        Equals => json_eq(actual, expected),
        NotEquals => !json_eq(actual, expected),
        Contains => contains(actual, expected),
        NotContains => !contains(actual, expected),
        StartsWith => matches!((actual, expected), (Value::String(a), Value::String(e)) if a.starts_with(e.as_str())),
        EndsWith => matches!((actual, expected), (Value::String(a), Value::String(e)) if a.ends_with(e.as_str())),
        GreaterThan => order(actual, expected).is_some_and(|o| o.is_gt()),
        LessThan => order(actual, expected).is_some_and(|o| o.is_lt()),
        GreaterOrEqual => order(actual, expected).is_some_and(|o| o.is_ge()),
        LessOrEqual => order(actual, expected).is_some_and(|o| o.is_le()),
        In => expected.as_array().is_some_and(|items| items.iter().any(|e| json_eq(actual, e))),
        NotIn => !expected.as_array().is_some_and(|items| items.iter().any(|e| json_eq(actual, e))),
        Exists => !actual.is_null(),
        NotExists => actual.is_null(),
        Matches => match (actual, expected) {
            (Value::String(a), Value::String(pattern)) => build_regex(pattern).is_ok_and(|re| re.is_match(a)),
            _ => false,
        },
    }
}

/// JSON equality where numbers compare by value (`1 == 1.0`) but types never coerce (`"1" != 1`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => order(a, b).is_some_and(|o| o.is_eq()),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => a.contains(e.as_str()),
        (Value::Array(items), e) => items.iter().any(|item| json_eq(item, e)),
        _ => false,
    }
}

/// Orders two numbers, or two strings lexicographically (fits RFC 3339 timestamps in one format).
fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
            (Some(i), Some(j), _, _) => Some(i.cmp(&j)),
            (_, _, Some(i), Some(j)) => Some(i.cmp(&j)),
            _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
        },
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Replaces each `{{message.x.y}}` (whitespace inside the braces allowed; `{{message}}` is the whole
/// message) with the value found there: strings raw, anything else as compact JSON. Returns the text
/// and the trimmed paths of placeholders that could not be resolved (missing, or not starting with
/// `message`), in order of first appearance; those are left in the text as written.
pub fn render(template: &str, message: &Value) -> (String, Vec<String>) {
    let mut out = String::with_capacity(template.len());
    let mut unresolved: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else { break };
        let (before, placeholder) = (&rest[..start], &rest[start..start + 2 + len + 2]);
        out.push_str(before);
        let inner = placeholder[2..placeholder.len() - 2].trim();
        let path = if inner == "message" { Some("") } else { inner.strip_prefix("message.").filter(|p| !p.is_empty()) };
        match path.and_then(|p| lookup(message, p)) {
            Some(Value::String(s)) => out.push_str(s),
            Some(other) => out.push_str(&other.to_string()),
            None => {
                out.push_str(placeholder);
                if !unresolved.iter().any(|u| u == inner) {
                    unresolved.push(inner.to_owned());
                }
            }
        }
        rest = &rest[start + placeholder.len()..];
    }
    out.push_str(rest);
    (out, unresolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(field: &str, comparison: &str, value: Value) -> Value {
        json!({"type": "rule", "field": field, "comparison": comparison, "value": value})
    }

    fn errors(value: Value) -> BTreeMap<String, String> {
        parse(&value, "condition").expect_err("should be rejected")
    }

    fn check(comparison: &str, field: &str, value: Value, message: &Value) -> bool {
        let c = parse(&rule(field, comparison, value), "condition").expect("valid rule");
        evaluate(&c, message).result
    }

    fn nested(depth: usize) -> Value {
        (1..depth).fold(
            rule("a", "exists", Value::Null),
            |inner, _| json!({"type": "group", "operator": "AND", "conditions": [inner]}),
        )
    }

    fn sample() -> Value {
        json!({
            "type": "user.signup", "priority": 3, "score": 2.5, "name": "Ada Lovelace", "nothing": null,
            "tags": ["vip", "beta"], "ids": [1, 2],
            "customer": {"tier": "gold", "since": "2024-03-01T10:00:00Z"},
            "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}]
        })
    }

    #[test]
    fn every_comparison_true_and_false() {
        let m = sample();
        let since = "2024-03-01T10:00:00Z";
        // (comparison, field, a value that passes, a value that fails)
        let cases: Vec<(&str, &str, Value, Value)> = vec![
            ("equals", "message.type", json!("user.signup"), json!("user.login")),
            ("equals", "priority", json!(3.0), json!("3")),
            ("equals", "tags", json!(["vip", "beta"]), json!(["beta", "vip"])),
            ("equals", "customer", json!({"since": since, "tier": "gold"}), json!({"tier": "gold"})),
            ("equals", "items.1.sku", json!("B-2"), json!("A-1")),
            ("equals", "message.items.0.qty", json!(2), json!(1)),
            ("not_equals", "priority", json!(4), json!(3)),
            ("contains", "name", json!("Love"), json!("love")),
            ("contains", "tags", json!("vip"), json!("alpha")),
            ("contains", "ids", json!(1.0), json!("1")),
            ("not_contains", "tags", json!("alpha"), json!("vip")),
            ("not_contains", "name", json!("xyz"), json!("Ada")),
            ("starts_with", "name", json!("Ada"), json!("Love")),
            ("ends_with", "name", json!("lace"), json!("Ada")),
            ("greater_than", "priority", json!(2), json!(3)),
            ("greater_than", "score", json!(2), json!("2")),
            ("greater_than", "customer.since", json!("2024-01-01T00:00:00Z"), json!(since)),
            ("less_than", "score", json!(3), json!(2.5)),
            ("less_than", "customer.since", json!("2025-01-01T00:00:00Z"), json!("2023-12-31T00:00:00Z")),
            ("greater_or_equal", "priority", json!(3), json!(4)),
            ("less_or_equal", "priority", json!(3), json!(2)),
            ("in", "customer.tier", json!(["gold", "platinum"]), json!(["silver"])),
            ("in", "priority", json!([1, 3.0]), json!([1, "3"])),
            ("not_in", "customer.tier", json!(["silver"]), json!(["gold"])),
            ("matches", "name", json!("^Ada\\s+L"), json!("^Lovelace")),
            ("equals", "message", m.clone(), json!({})),
        ];
        for (comparison, field, pass, fail) in cases {
            assert!(check(comparison, field, pass.clone(), &m), "{field} {comparison} {pass}");
            assert!(!check(comparison, field, fail.clone(), &m), "not {field} {comparison} {fail}");
        }
        assert!(check("exists", "customer.tier", Value::Null, &m) && !check("exists", "nothing", Value::Null, &m));
        assert!(check("not_exists", "nothing", Value::Null, &m) && !check("not_exists", "name", Value::Null, &m));
        assert!(!check("matches", "priority", json!("3"), &m) && !check("starts_with", "tags", json!("vip"), &m));
        assert!(check("equals", "message.message", json!("hi"), &json!({"message": "hi"})));
    }

    #[test]
    fn missing_fields_only_pass_negative_comparisons() {
        let m = sample();
        for c in Comparison::ALL {
            use Comparison::*;
            let value = if matches!(c, In | NotIn) { json!(["x"]) } else { json!("x") };
            let want = matches!(c, NotExists | NotEquals | NotContains | NotIn);
            for field in ["missing", "customer.missing.deeper", "items.9.sku", "tags.x", "name.first"] {
                assert_eq!(check(c.as_str(), field, value.clone(), &m), want, "{c} on {field}");
            }
        }
        let c = parse(&rule("missing", "equals", json!(1)), "condition").unwrap();
        let trace = &evaluate(&c, &m).trace[0];
        assert_eq!(trace.actual, None);
        assert!(serde_json::to_value(trace).unwrap().get("actual").is_none());
    }

    #[test]
    fn nested_groups_trace_every_rule() {
        let tree = json!({"type": "group", "operator": "OR", "conditions": [
            rule("priority", "greater_than", json!(5)),
            {"type": "group", "operator": "AND", "conditions": [
                rule("message.customer.tier", "equals", json!("gold")),
                rule("tags", "contains", json!("vip")),
            ]},
            rule("missing", "exists", Value::Null),
        ]});
        let eval = evaluate(&parse(&tree, "condition").unwrap(), &sample());
        assert!(eval.result);
        let paths: Vec<_> = eval.trace.iter().map(|t| format!("{}={}", t.path, t.passed)).collect();
        let want = ["[0]=false", "[1].conditions[0]=true", "[1].conditions[1]=true", "[2]=false"];
        assert_eq!(paths, want.map(|w| format!("condition.conditions{w}")));
        let json = serde_json::to_value(&eval.trace[1]).unwrap();
        assert_eq!(
            json,
            json!({"path": "condition.conditions[1].conditions[0]", "field": "message.customer.tier",
                "comparison": "equals", "expected": "gold", "actual": "gold", "passed": true})
        );
        let and_false = json!({"type": "group", "operator": "AND", "conditions": [
            rule("priority", "equals", json!(3)), rule("priority", "equals", json!(4))]});
        assert!(!evaluate(&parse(&and_false, "c").unwrap(), &sample()).result);
        let empty = |op| parse(&json!({"type": "group", "operator": op, "conditions": []}), "c").unwrap();
        assert!(evaluate(&empty("AND"), &sample()).result);
        assert!(!evaluate(&empty("OR"), &sample()).result);
    }

    #[test]
    fn depth_and_node_limits() {
        assert!(parse(&nested(10), "condition").is_ok());
        let e = errors(nested(11));
        assert_eq!(e.get("condition").map(String::as_str), Some("depth exceeds 10"));
        assert_eq!(e.len(), 1);
        let many: Vec<Value> = (0..500).map(|_| rule("a", "exists", Value::Null)).collect();
        let e = errors(json!({"type": "group", "operator": "AND", "conditions": many}));
        assert_eq!(e.get("condition").map(String::as_str), Some("node count exceeds 500"));
        let ok: Vec<Value> = (0..499).map(|_| rule("a", "exists", Value::Null)).collect();
        assert!(parse(&json!({"type": "group", "operator": "AND", "conditions": ok}), "condition").is_ok());
    }

    #[test]
    fn regex_validation() {
        let e = errors(rule("name", "matches", json!("(unclosed")));
        assert!(e["condition.value"].starts_with("invalid regex: "), "{e:?}");
        let e = errors(rule("name", "matches", json!("a".repeat(501))));
        assert!(e["condition.value"].contains("longer than 500"), "{e:?}");
        assert!(parse(&rule("name", "matches", json!("a".repeat(500))), "condition").is_ok());
        let e = errors(rule("name", "matches", json!("\\w{1000}\\w{1000}")));
        assert!(e["condition.value"].starts_with("invalid regex: "), "{e:?}");
        let e = errors(rule("name", "matches", json!(5)));
        assert_eq!(e["condition.value"], "must be a string for matches");
    }

    #[test]
    fn reports_every_problem_with_its_path() {
        let tree = json!({"type": "group", "operator": "AND", "extra": 1, "conditions": [
            rule("priority", "equalz", json!(1)),
            rule("", "equals", json!(1)),
            rule("name", "matches", json!("[")),
            rule("tier", "in", json!("gold")),
            {"type": "rule", "field": "x", "comparison": "equals"},
            {"type": "rulez"},
            {"type": "group", "operator": "XOR", "conditions": []},
            {"type": "group", "operator": "OR"},
            "not an object",
            {"field": "a", "comparison": "exists"},
            rule("a..b", "greater_than", json!([1])),
            rule("a", "starts_with", json!(1)),
        ]});
        let e = errors(tree);
        let c = |i: usize, k: &str| format!("condition.conditions[{i}]{k}");
        assert!(
            e[&c(0, ".comparison")].starts_with("unknown comparison `equalz`; expected one of equals, not_equals,")
        );
        assert!(e[&c(0, ".comparison")].ends_with("not_exists, matches"));
        assert_eq!(e[&c(1, ".field")], "must not be empty");
        assert!(e[&c(2, ".value")].starts_with("invalid regex:"));
        assert_eq!(e[&c(3, ".value")], "must be an array for in");
        assert_eq!(e[&c(4, ".value")], "is required for equals");
        assert_eq!(e[&c(5, ".type")], "unknown type `rulez`; expected one of group, rule");
        assert_eq!(e[&c(6, ".operator")], "unknown operator `XOR`; expected AND or OR");
        assert_eq!(e[&c(7, ".conditions")], "must be an array");
        assert_eq!(e[&c(8, "")], "must be an object");
        assert_eq!(e[&c(9, ".type")], "is required");
        assert_eq!(e[&c(10, ".field")], "invalid field path `a..b`");
        assert_eq!(e[&c(10, ".value")], "must be a number or string for greater_than");
        assert_eq!(e[&c(11, ".value")], "must be a string for starts_with");
        assert_eq!(e["condition.extra"], "unknown key");
        assert_eq!(e.len(), 14, "{e:#?}");
        let e = errors(json!({"type": "rule", "comparison": 3, "value": 1, "other": true}));
        assert_eq!(e["condition.field"], "is required");
        assert_eq!(e["condition.comparison"], "must be a string");
        assert_eq!(e["condition.other"], "unknown key");
        let e = errors(json!({"type": "rule", "field": "a", "comparison": "in"}));
        assert_eq!(e["condition.value"], "is required for in");
    }

    #[test]
    fn round_trip_and_serde() {
        let tree = json!({"type": "group", "operator": "OR", "conditions": [
            {"type": "rule", "field": "message.type", "comparison": "equals", "value": "user.signup"},
            {"type": "rule", "field": "customer", "comparison": "not_exists"},
            {"type": "group", "operator": "AND", "conditions": [
                {"type": "rule", "field": "ids", "comparison": "not_in", "value": [1, {"a": [true]}]},
                {"type": "rule", "field": "name", "comparison": "matches", "value": "^A"},
            ]},
        ]});
        let parsed = parse(&tree, "condition").unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), tree);
        let via_serde: Condition = serde_json::from_value(tree).unwrap();
        assert_eq!(via_serde, parsed);
        let err = serde_json::from_value::<Condition>(rule("a", "nope", json!(1))).unwrap_err();
        assert!(err.to_string().contains("condition.comparison: unknown comparison `nope`"), "{err}");
    }

    #[test]
    fn render_placeholders() {
        let m = sample();
        let (text, missing) =
            render("Hi {{message.name}} ({{ message.customer.tier }}), sku {{message.items.1.sku}}", &m);
        assert_eq!(text, "Hi Ada Lovelace (gold), sku B-2");
        assert!(missing.is_empty());
        let (text, _) = render("{{message.priority}}|{{message.tags}}|{{message.items.0}}|{{message.nothing}}", &m);
        assert_eq!(text, r#"3|["vip","beta"]|{"qty":2,"sku":"A-1"}|null"#);
        let (text, missing) = render("{{message.nope}} {{ userName }} {{message.nope}} {{message.tags.5}} {{ open", &m);
        assert_eq!(text, "{{message.nope}} {{ userName }} {{message.nope}} {{message.tags.5}} {{ open");
        assert_eq!(missing, ["message.nope", "userName", "message.tags.5"]);
        assert_eq!(render("no placeholders }} {{", &m), ("no placeholders }} {{".to_owned(), vec![]));
        assert_eq!(render("{{message}}", &json!({"a": 1})).0, r#"{"a":1}"#);
        assert_eq!(render("{{message.message}}|{{message.}}", &json!({"message": "hi"})).0, "hi|{{message.}}");
    }
}
