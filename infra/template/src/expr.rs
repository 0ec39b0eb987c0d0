//! CloudFormation values with their intrinsic functions.
//!
//! serde_yaml 0.9 hands short-form tags (`!Ref X`, `!GetAtt A.B`, `!Sub "..."`) over as
//! `Value::Tagged`; the long form (`{"Fn::GetAtt": [A, B]}`) is a one-key mapping. Both become
//! the same [`Expr`], so nothing downstream cares which spelling the template used.

use std::collections::BTreeMap;

use serde_yaml::Value;

/// A template value: a literal or an intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Null,
    Bool(bool),
    Number(serde_yaml::Number),
    String(String),
    List(Vec<Expr>),
    Map(BTreeMap<String, Expr>),
    /// `!Ref Name`: a resource, a parameter or a pseudo parameter (`AWS::Region`).
    Ref(String),
    /// `!GetAtt Resource.Attribute`.
    GetAtt {
        resource: String,
        attribute: String,
    },
    /// `!Sub "text ${Name} ${Res.Attr}"`, optionally with its own variables.
    Sub {
        text: String,
        vars: BTreeMap<String, Expr>,
    },
    Join {
        delimiter: String,
        items: Box<Expr>,
    },
    Select {
        index: Box<Expr>,
        list: Box<Expr>,
    },
    Split {
        delimiter: String,
        source: Box<Expr>,
    },
    If {
        condition: String,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Equals(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    /// `!Condition Name` inside a condition expression.
    Condition(String),
    FindInMap {
        map: Box<Expr>,
        top: Box<Expr>,
        second: Box<Expr>,
    },
    /// An intrinsic the local stack has no meaning for (`Fn::ImportValue`, `Fn::GetAZs`, ...).
    /// Kept so that parsing never fails on valid CloudFormation; resolving it is an error.
    Unsupported {
        function: String,
    },
}

/// Why a value is not a well-formed intrinsic call. The caller adds where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError(pub String);

impl std::fmt::Display for ExprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

const LONG_FORMS: &[&str] = &[
    "Ref",
    "Condition",
    "Fn::GetAtt",
    "Fn::Sub",
    "Fn::Join",
    "Fn::Select",
    "Fn::Split",
    "Fn::If",
    "Fn::Equals",
    "Fn::Not",
    "Fn::And",
    "Fn::Or",
    "Fn::FindInMap",
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::GetAZs",
    "Fn::ImportValue",
    "Fn::Transform",
    "Fn::Length",
    "Fn::ToJsonString",
];

impl Expr {
    /// Converts a YAML value, recognising both spellings of every intrinsic function.
    pub fn from_yaml(value: &Value) -> Result<Expr, ExprError> {
        match value {
            Value::Null => Ok(Expr::Null),
            Value::Bool(b) => Ok(Expr::Bool(*b)),
            Value::Number(n) => Ok(Expr::Number(n.clone())),
            Value::String(s) => Ok(Expr::String(s.clone())),
            Value::Sequence(items) => items
                .iter()
                .map(Expr::from_yaml)
                .collect::<Result<_, _>>()
                .map(Expr::List),
            Value::Mapping(map) => {
                if map.len() == 1
                    && let Some((Value::String(key), arg)) = map.iter().next()
                    && LONG_FORMS.contains(&key.as_str())
                {
                    let name = key.strip_prefix("Fn::").unwrap_or(key);
                    return Expr::function(name, arg);
                }
                let mut out = BTreeMap::new();
                for (k, v) in map {
                    let key = scalar_key(k)
                        .ok_or_else(|| ExprError(format!("mapping key {k:?} is not a string")))?;
                    out.insert(key, Expr::from_yaml(v)?);
                }
                Ok(Expr::Map(out))
            }
            Value::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                let name = tag.trim_start_matches('!');
                Expr::function(name, &tagged.value)
            }
        }
    }

    fn function(name: &str, arg: &Value) -> Result<Expr, ExprError> {
        let boxed = |v: &Value| Expr::from_yaml(v).map(Box::new);
        match name {
            "Ref" => Ok(Expr::Ref(string_arg(name, arg)?)),
            "Condition" => Ok(Expr::Condition(string_arg(name, arg)?)),
            "GetAtt" => Expr::get_att(arg),
            "Sub" => Expr::sub(arg),
            "Join" => match arg {
                Value::Sequence(items) => match items.as_slice() {
                    [Value::String(d), list] => Ok(Expr::Join {
                        delimiter: d.clone(),
                        items: boxed(list)?,
                    }),
                    _ => Err(ExprError("!Join takes [delimiter, list]".into())),
                },
                _ => Err(ExprError("!Join takes [delimiter, list]".into())),
            },
            "Split" => match arg {
                Value::Sequence(items) => match items.as_slice() {
                    [Value::String(d), source] => Ok(Expr::Split {
                        delimiter: d.clone(),
                        source: boxed(source)?,
                    }),
                    _ => Err(ExprError("!Split takes [delimiter, string]".into())),
                },
                _ => Err(ExprError("!Split takes [delimiter, string]".into())),
            },
            "Select" => match arg {
                Value::Sequence(items) => match items.as_slice() {
                    [index, list] => Ok(Expr::Select {
                        index: boxed(index)?,
                        list: boxed(list)?,
                    }),
                    _ => Err(ExprError("!Select takes [index, list]".into())),
                },
                _ => Err(ExprError("!Select takes [index, list]".into())),
            },
            "If" => Expr::if_then_else(arg),
            "Equals" => match arg {
                Value::Sequence(items) => match items.as_slice() {
                    [a, b] => Ok(Expr::Equals(boxed(a)?, boxed(b)?)),
                    _ => Err(ExprError("!Equals takes [value, value]".into())),
                },
                _ => Err(ExprError("!Equals takes [value, value]".into())),
            },
            "Not" => match arg {
                Value::Sequence(items) => match items.as_slice() {
                    [a] => Ok(Expr::Not(boxed(a)?)),
                    _ => Err(ExprError("!Not takes [condition]".into())),
                },
                _ => Err(ExprError("!Not takes [condition]".into())),
            },
            "And" | "Or" => match arg {
                Value::Sequence(items) => {
                    let items = items
                        .iter()
                        .map(Expr::from_yaml)
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(if name == "And" {
                        Expr::And(items)
                    } else {
                        Expr::Or(items)
                    })
                }
                _ => Err(ExprError(format!("!{name} takes a list of conditions"))),
            },
            "FindInMap" => Expr::find_in_map(arg),
            "Base64" | "Cidr" | "GetAZs" | "ImportValue" | "Transform" | "Length"
            | "ToJsonString" => Ok(Expr::Unsupported {
                function: format!("Fn::{name}"),
            }),
            other => Err(ExprError(format!("unknown tag or function !{other}"))),
        }
    }

    /// `!GetAtt Resource.Attribute` or `[Resource, Attribute]`.
    fn get_att(arg: &Value) -> Result<Expr, ExprError> {
        match arg {
            Value::String(s) => match s.split_once('.') {
                Some((resource, attribute)) if !resource.is_empty() && !attribute.is_empty() => {
                    Ok(Expr::GetAtt {
                        resource: resource.to_owned(),
                        attribute: attribute.to_owned(),
                    })
                }
                _ => Err(ExprError(format!(
                    "!GetAtt {s:?} must be \"Resource.Attribute\""
                ))),
            },
            Value::Sequence(items) => match items.as_slice() {
                [Value::String(r), Value::String(a)] => Ok(Expr::GetAtt {
                    resource: r.clone(),
                    attribute: a.clone(),
                }),
                _ => Err(ExprError(
                    "!GetAtt takes [Resource, Attribute] as two strings".into(),
                )),
            },
            _ => Err(ExprError(
                "!GetAtt takes \"Resource.Attribute\" or [Resource, Attribute]".into(),
            )),
        }
    }

    /// `!Sub text` or `!Sub [text, {variables}]`.
    fn sub(arg: &Value) -> Result<Expr, ExprError> {
        match arg {
            Value::String(s) => Ok(Expr::Sub {
                text: s.clone(),
                vars: BTreeMap::new(),
            }),
            Value::Sequence(items) => match items.as_slice() {
                [Value::String(text), vars] => {
                    let vars = match Expr::from_yaml(vars)? {
                        Expr::Map(m) => m,
                        _ => {
                            return Err(ExprError(
                                "!Sub [text, variables]: variables must be a mapping".into(),
                            ));
                        }
                    };
                    Ok(Expr::Sub {
                        text: text.clone(),
                        vars,
                    })
                }
                _ => Err(ExprError("!Sub takes a string or [string, mapping]".into())),
            },
            _ => Err(ExprError("!Sub takes a string or [string, mapping]".into())),
        }
    }

    /// `!If [Condition, then, otherwise]`.
    fn if_then_else(arg: &Value) -> Result<Expr, ExprError> {
        let boxed = |v: &Value| Expr::from_yaml(v).map(Box::new);
        match arg {
            Value::Sequence(items) => match items.as_slice() {
                [Value::String(c), a, b] => Ok(Expr::If {
                    condition: c.clone(),
                    then: boxed(a)?,
                    otherwise: boxed(b)?,
                }),
                _ => Err(ExprError(
                    "!If takes [ConditionName, value_if_true, value_if_false]".into(),
                )),
            },
            _ => Err(ExprError(
                "!If takes [ConditionName, value_if_true, value_if_false]".into(),
            )),
        }
    }

    /// `!FindInMap [Map, TopKey, SecondKey]`.
    fn find_in_map(arg: &Value) -> Result<Expr, ExprError> {
        let boxed = |v: &Value| Expr::from_yaml(v).map(Box::new);
        match arg {
            Value::Sequence(items) => match items.as_slice() {
                [m, t, s] => Ok(Expr::FindInMap {
                    map: boxed(m)?,
                    top: boxed(t)?,
                    second: boxed(s)?,
                }),
                _ => Err(ExprError(
                    "!FindInMap takes [Map, TopKey, SecondKey]".into(),
                )),
            },
            _ => Err(ExprError(
                "!FindInMap takes [Map, TopKey, SecondKey]".into(),
            )),
        }
    }

    /// The literal string, if this is one (no intrinsic function).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Expr::String(s) => Some(s),
            _ => None,
        }
    }

    /// A literal integer, also accepting its string spelling (`"180"`), as CloudFormation does.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Expr::Number(n) => n.as_i64(),
            Expr::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A literal boolean, also accepting `"true"`/`"false"`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Expr::Bool(b) => Some(*b),
            Expr::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Expr::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Expr>> {
        match self {
            Expr::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Expr]> {
        match self {
            Expr::List(l) => Some(l),
            _ => None,
        }
    }

    /// Value at `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Expr> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// Every resource or parameter this value refers to: `(name, attribute)`, the attribute
    /// being `None` for a `Ref`. `${...}` placeholders inside `!Sub` count, minus the
    /// `!Sub` variables and `${!literal}` escapes.
    pub fn references(&self) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        self.collect_references(&mut out);
        out
    }

    fn collect_references(&self, out: &mut Vec<(String, Option<String>)>) {
        match self {
            Expr::Null | Expr::Bool(_) | Expr::Number(_) | Expr::String(_) => {}
            Expr::Unsupported { .. } | Expr::Condition(_) => {}
            Expr::List(items) | Expr::And(items) | Expr::Or(items) => {
                items.iter().for_each(|e| e.collect_references(out))
            }
            Expr::Map(m) => m.values().for_each(|e| e.collect_references(out)),
            Expr::Ref(name) => out.push((name.clone(), None)),
            Expr::GetAtt {
                resource,
                attribute,
            } => out.push((resource.clone(), Some(attribute.clone()))),
            Expr::Sub { text, vars } => {
                vars.values().for_each(|e| e.collect_references(out));
                for part in sub_parts(text) {
                    if let SubPart::Var(name) = part {
                        if vars.contains_key(name) {
                            continue;
                        }
                        match name.split_once('.') {
                            Some((r, a)) if !r.starts_with("AWS::") => {
                                out.push((r.to_owned(), Some(a.to_owned())))
                            }
                            _ => out.push((name.to_owned(), None)),
                        }
                    }
                }
            }
            Expr::Join { items, .. } => items.collect_references(out),
            Expr::Split { source, .. } => source.collect_references(out),
            Expr::Select { index, list } => {
                index.collect_references(out);
                list.collect_references(out);
            }
            Expr::If {
                then, otherwise, ..
            } => {
                then.collect_references(out);
                otherwise.collect_references(out);
            }
            Expr::Equals(a, b) => {
                a.collect_references(out);
                b.collect_references(out);
            }
            Expr::Not(a) => a.collect_references(out),
            Expr::FindInMap { map, top, second } => {
                map.collect_references(out);
                top.collect_references(out);
                second.collect_references(out);
            }
        }
    }
}

/// A piece of a `!Sub` string.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SubPart<'a> {
    Text(&'a str),
    /// `${Name}` or `${Name.Attr}`, without the braces.
    Var(&'a str),
    /// `${!Literal}`: written out as `${Literal}`.
    Escaped(&'a str),
}

/// Splits a `!Sub` string. An unterminated `${` is kept as text, as CloudFormation does.
pub(crate) fn sub_parts(text: &str) -> Vec<SubPart<'_>> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        if start > 0 {
            parts.push(SubPart::Text(&rest[..start]));
        }
        let inner = &rest[start + 2..start + len];
        match inner.strip_prefix('!') {
            Some(lit) => parts.push(SubPart::Escaped(lit)),
            None => parts.push(SubPart::Var(inner.trim())),
        }
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        parts.push(SubPart::Text(rest));
    }
    parts
}

fn string_arg(name: &str, arg: &Value) -> Result<String, ExprError> {
    match arg {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        _ => Err(ExprError(format!("!{name} takes a non-empty name"))),
    }
}

/// YAML allows non-string keys; CloudFormation keys are strings, numbers at most.
pub(crate) fn scalar_key(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(y: &str) -> Result<Expr, ExprError> {
        let v: Value = serde_yaml::from_str(y).map_err(|e| ExprError(e.to_string()))?;
        Expr::from_yaml(&v)
    }

    #[test]
    fn short_and_long_forms_are_the_same() {
        assert_eq!(parse("!Ref Table").unwrap(), parse("{Ref: Table}").unwrap());
        assert_eq!(
            parse("!GetAtt Q.Arn").unwrap(),
            parse("{'Fn::GetAtt': [Q, Arn]}").unwrap()
        );
        assert_eq!(
            parse("!GetAtt [Q, Arn]").unwrap(),
            parse("!GetAtt Q.Arn").unwrap()
        );
        assert_eq!(
            parse("!Join ['/', [a, !Ref B]]").unwrap(),
            parse("{'Fn::Join': ['/', [a, {Ref: B}]]}").unwrap()
        );
    }

    #[test]
    fn sub_references_skip_variables_and_escapes() {
        let e = parse("!Sub ['${A}-${B.Arn}-${!C}-${AWS::Region}-${V}', {V: !Ref D}]").unwrap();
        let refs = e.references();
        assert_eq!(
            refs,
            vec![
                ("D".to_owned(), None),
                ("A".to_owned(), None),
                ("B".to_owned(), Some("Arn".to_owned())),
                ("AWS::Region".to_owned(), None),
            ]
        );
    }

    #[test]
    fn malformed_calls_are_errors() {
        assert!(parse("!GetAtt NoDot").is_err());
        assert!(parse("!If [a, b]").is_err());
        assert!(parse("!Join 'x'").is_err());
        assert!(parse("!Ref ''").is_err());
        assert!(parse("!Frobnicate x").is_err());
        assert!(parse("!Sub [a, b]").is_err());
    }

    #[test]
    fn sub_parts_handle_edges() {
        assert_eq!(
            sub_parts("a${B}c${!D}${"),
            vec![
                SubPart::Text("a"),
                SubPart::Var("B"),
                SubPart::Text("c"),
                SubPart::Escaped("D"),
                SubPart::Text("${"),
            ]
        );
    }
}
