//! `AWS::DynamoDB::Table`: key schema, indexes, capacity and TTL.

use std::collections::BTreeSet;

use super::Resource;
use super::props::Props;
use crate::error::TemplateError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub logical_id: String,
    pub attributes: Vec<AttributeDefinition>,
    pub key_schema: Vec<KeyElement>,
    pub global_indexes: Vec<IndexSpec>,
    pub local_indexes: Vec<IndexSpec>,
    pub billing_mode: BillingMode,
    /// Table throughput for `PROVISIONED` billing.
    pub throughput: Option<Throughput>,
    pub ttl: Option<TtlSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeDefinition {
    pub name: String,
    /// `S`, `N` or `B`.
    pub attribute_type: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Hash,
    Range,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyElement {
    pub name: String,
    pub key_type: KeyType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: String,
    pub key_schema: Vec<KeyElement>,
    pub projection: Projection,
    pub throughput: Option<Throughput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: String,
    pub non_key_attributes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingMode {
    PayPerRequest,
    Provisioned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throughput {
    pub read: i64,
    pub write: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtlSpec {
    pub attribute: String,
    pub enabled: bool,
}

pub(super) fn parse_key_schema(
    p: &Props<'_>,
    defined: &BTreeSet<String>,
) -> Result<Vec<KeyElement>, TemplateError> {
    let list = p.list("KeySchema")?;
    let mut out = Vec::new();
    for (i, k) in list.iter().enumerate() {
        let kp = p.nested(&format!("KeySchema[{i}]"), k)?;
        let name = kp.required_string("AttributeName")?;
        let key_type = match kp.required_string("KeyType")?.as_str() {
            "HASH" => KeyType::Hash,
            "RANGE" => KeyType::Range,
            other => return Err(kp.invalid("KeyType", format!("{other:?} is not HASH or RANGE"))),
        };
        if !defined.contains(&name) {
            return Err(kp.invalid(
                "AttributeName",
                format!("{name:?} is not in AttributeDefinitions"),
            ));
        }
        out.push(KeyElement { name, key_type });
    }
    match out.as_slice() {
        [
            KeyElement {
                key_type: KeyType::Hash,
                ..
            },
        ]
        | [
            KeyElement {
                key_type: KeyType::Hash,
                ..
            },
            KeyElement {
                key_type: KeyType::Range,
                ..
            },
        ] => Ok(out),
        [] => Err(TemplateError::missing(p.id, &p.path("KeySchema"))),
        _ => Err(p.invalid(
            "KeySchema",
            "must be one HASH key, optionally followed by one RANGE key",
        )),
    }
}

pub(super) fn parse_throughput(p: &Props<'_>) -> Result<Option<Throughput>, TemplateError> {
    let Some(t) = p.get("ProvisionedThroughput") else {
        return Ok(None);
    };
    let tp = p.nested("ProvisionedThroughput", t)?;
    let read = tp
        .int("ReadCapacityUnits", 1, i64::MAX)?
        .ok_or_else(|| TemplateError::missing(p.id, &tp.path("ReadCapacityUnits")))?;
    let write = tp
        .int("WriteCapacityUnits", 1, i64::MAX)?
        .ok_or_else(|| TemplateError::missing(p.id, &tp.path("WriteCapacityUnits")))?;
    Ok(Some(Throughput { read, write }))
}

pub(super) fn parse_table(r: &Resource) -> Result<TableSpec, TemplateError> {
    let p = Props::of(&r.logical_id, &r.properties, "")?;
    let mut attributes = Vec::new();
    for (i, a) in p.list("AttributeDefinitions")?.iter().enumerate() {
        let ap = p.nested(&format!("AttributeDefinitions[{i}]"), a)?;
        let name = ap.required_string("AttributeName")?;
        let attribute_type = ap.required_string("AttributeType")?;
        if !matches!(attribute_type.as_str(), "S" | "N" | "B") {
            return Err(ap.invalid(
                "AttributeType",
                format!("{attribute_type:?} is not S, N or B"),
            ));
        }
        attributes.push(AttributeDefinition {
            name,
            attribute_type,
        });
    }
    if attributes.is_empty() {
        return Err(TemplateError::missing(
            &r.logical_id,
            "AttributeDefinitions",
        ));
    }
    let defined: BTreeSet<String> = attributes.iter().map(|a| a.name.clone()).collect();
    let key_schema = parse_key_schema(&p, &defined)?;
    let billing_mode = match p.string("BillingMode")?.as_deref() {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        Some("PROVISIONED") | None => BillingMode::Provisioned,
        Some(other) => {
            return Err(p.invalid(
                "BillingMode",
                format!("{other:?} is not PAY_PER_REQUEST or PROVISIONED"),
            ));
        }
    };
    let throughput = parse_throughput(&p)?;
    if billing_mode == BillingMode::Provisioned && throughput.is_none() {
        return Err(p.invalid(
            "ProvisionedThroughput",
            "required when BillingMode is PROVISIONED (the default)",
        ));
    }
    let global_indexes =
        parse_indexes(&p, "GlobalSecondaryIndexes", false, &defined, billing_mode)?;
    let local_indexes = parse_indexes(&p, "LocalSecondaryIndexes", true, &defined, billing_mode)?;
    let ttl = match p.get("TimeToLiveSpecification") {
        None => None,
        Some(t) => {
            let tp = p.nested("TimeToLiveSpecification", t)?;
            let enabled = tp.bool("Enabled")?.unwrap_or(false);
            let attribute = tp.string("AttributeName")?;
            match (enabled, attribute) {
                (true, None) => {
                    return Err(TemplateError::missing(
                        &r.logical_id,
                        "TimeToLiveSpecification.AttributeName",
                    ));
                }
                (enabled, attribute) => attribute.map(|attribute| TtlSpec { attribute, enabled }),
            }
        }
    };
    Ok(TableSpec {
        logical_id: r.logical_id.clone(),
        attributes,
        key_schema,
        global_indexes,
        local_indexes,
        billing_mode,
        throughput,
        ttl,
    })
}

/// `GlobalSecondaryIndexes` or (`local`) `LocalSecondaryIndexes` of a table.
fn parse_indexes(
    p: &Props<'_>,
    key: &str,
    local: bool,
    defined: &BTreeSet<String>,
    billing_mode: BillingMode,
) -> Result<Vec<IndexSpec>, TemplateError> {
    let mut out = Vec::new();
    for (i, g) in p.list(key)?.iter().enumerate() {
        let gp = p.nested(&format!("{key}[{i}]"), g)?;
        let name = gp.required_string("IndexName")?;
        let key_schema = parse_key_schema(&gp, defined)?;
        let proj = gp.required("Projection")?;
        let pp = gp.nested("Projection", proj)?;
        let projection_type = pp.string("ProjectionType")?.unwrap_or_else(|| "ALL".into());
        if !matches!(projection_type.as_str(), "ALL" | "KEYS_ONLY" | "INCLUDE") {
            return Err(pp.invalid(
                "ProjectionType",
                format!("{projection_type:?} is not ALL, KEYS_ONLY or INCLUDE"),
            ));
        }
        let non_key_attributes = pp
            .list("NonKeyAttributes")?
            .iter()
            .map(|e| e.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| pp.invalid("NonKeyAttributes", "must be a list of names"))?;
        let throughput = if local { None } else { parse_throughput(&gp)? };
        if !local && billing_mode == BillingMode::Provisioned && throughput.is_none() {
            return Err(gp.invalid(
                "ProvisionedThroughput",
                "required for an index of a PROVISIONED table",
            ));
        }
        out.push(IndexSpec {
            name,
            key_schema,
            projection: Projection {
                projection_type,
                non_key_attributes,
            },
            throughput,
        });
    }
    Ok(out)
}
