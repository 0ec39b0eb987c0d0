//! Typed access to one resource's properties.

use std::collections::BTreeMap;

use super::scalar_string;
use crate::error::TemplateError;
use crate::expr::Expr;

/// Reads properties of one resource, with errors that name it.
pub(super) struct Props<'a> {
    pub(super) id: &'a str,
    /// Path prefix for nested properties, e.g. `Events.Health.Properties.`.
    prefix: String,
    pub(super) map: &'a BTreeMap<String, Expr>,
}

impl<'a> Props<'a> {
    pub(super) fn of(id: &'a str, e: &'a Expr, prefix: &str) -> Result<Props<'a>, TemplateError> {
        match e {
            Expr::Map(map) => Ok(Props {
                id,
                prefix: prefix.to_owned(),
                map,
            }),
            _ => Err(TemplateError::invalid(
                id,
                prefix.trim_end_matches('.'),
                "must be a mapping",
            )),
        }
    }
    pub(super) fn path(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
    pub(super) fn invalid(&self, key: &str, why: impl Into<String>) -> TemplateError {
        TemplateError::invalid(self.id, &self.path(key), why)
    }
    pub(super) fn get(&self, key: &str) -> Option<&'a Expr> {
        self.map.get(key)
    }
    pub(super) fn required(&self, key: &str) -> Result<&'a Expr, TemplateError> {
        self.map
            .get(key)
            .ok_or_else(|| TemplateError::missing(self.id, &self.path(key)))
    }
    pub(super) fn string(&self, key: &str) -> Result<Option<String>, TemplateError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(e) => scalar_string(e)
                .map(Some)
                .ok_or_else(|| self.invalid(key, "must be a literal string")),
        }
    }
    pub(super) fn required_string(&self, key: &str) -> Result<String, TemplateError> {
        self.string(key)?
            .ok_or_else(|| TemplateError::missing(self.id, &self.path(key)))
    }
    pub(super) fn int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, TemplateError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(e) => match e.as_i64() {
                Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
                Some(v) => Err(self.invalid(key, format!("{v} is not in {min}..={max}"))),
                None => Err(self.invalid(key, "must be a literal integer")),
            },
        }
    }
    pub(super) fn bool(&self, key: &str) -> Result<Option<bool>, TemplateError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(e) => e
                .as_bool()
                .map(Some)
                .ok_or_else(|| self.invalid(key, "must be true or false")),
        }
    }
    pub(super) fn list(&self, key: &str) -> Result<&'a [Expr], TemplateError> {
        match self.map.get(key) {
            None => Ok(&[]),
            Some(Expr::List(l)) => Ok(l),
            Some(_) => Err(self.invalid(key, "must be a list")),
        }
    }
    pub(super) fn nested(&self, key: &str, e: &'a Expr) -> Result<Props<'a>, TemplateError> {
        Props::of(self.id, e, &format!("{}{key}.", self.prefix))
    }
}
