//! The routes of the functions' `HttpApi` events. Which route API Gateway picks for a request
//! (precedence, path parameters) is decided by `jobmon_template::select`, the one matcher the
//! test events use too.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::Method;
use jobmon_template::{HttpApiEvent, RoutePattern, select};

use crate::functions::Function;

pub struct Route {
    /// Method and path template; `None` for `$default`.
    pattern: Option<RoutePattern>,
    /// `GET /v1/jobs/{id}` or `$default`.
    pub route_key: String,
    pub function: Arc<Function>,
    pub payload_format_version: String,
}

#[derive(Default)]
pub struct Routes {
    routes: Vec<Route>,
    default: Option<Route>,
}

impl Routes {
    /// Adds the template's route `event`, served by `function`.
    pub fn add(&mut self, event: &HttpApiEvent, function: Arc<Function>) -> Result<(), String> {
        let route_key = event.route_key();
        let payload_format_version = event.payload_format_version.clone();
        let (Some(method), Some(path)) = (&event.method, &event.path) else {
            if self.default.is_some() {
                return Err("two functions declare the $default HttpApi route".into());
            }
            self.default = Some(Route {
                pattern: None,
                route_key,
                function,
                payload_format_version,
            });
            return Ok(());
        };
        if self.routes.iter().any(|r| r.route_key == route_key) {
            return Err(format!("route {route_key} is declared twice"));
        }
        self.routes.push(Route {
            pattern: Some(RoutePattern::new(method, path)),
            route_key,
            function,
            payload_format_version,
        });
        Ok(())
    }

    pub fn first_segments(&self) -> std::collections::BTreeSet<String> {
        self.routes
            .iter()
            .filter_map(|r| r.pattern.as_ref()?.first_literal().map(str::to_owned))
            .collect()
    }

    pub fn route_keys(&self) -> Vec<String> {
        self.routes
            .iter()
            .chain(self.default.as_ref())
            .map(|r| format!("{} -> {}", r.route_key, r.function.cfg.logical_id))
            .collect()
    }

    /// The route API Gateway would pick (see [`jobmon_template::select`]) and its path
    /// parameters.
    pub(super) fn find(
        &self,
        method: &Method,
        path: &str,
    ) -> Option<(&Route, BTreeMap<String, String>)> {
        let patterns = self
            .routes
            .iter()
            .filter_map(|r| Some((r.pattern.as_ref()?, r)));
        select(patterns, method.as_str(), path)
    }

    pub(super) fn default_route(&self) -> Option<&Route> {
        self.default.as_ref()
    }
}
