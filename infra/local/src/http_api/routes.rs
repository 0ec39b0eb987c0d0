//! The routes of the functions' `HttpApi` events and API Gateway's matching rules.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::Method;

use crate::functions::Function;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Static(String),
    Param(String),
    Greedy(String),
}

pub struct Route {
    /// `None` for `ANY`.
    method: Option<Method>,
    segments: Vec<Segment>,
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
    /// Adds a route; `path`/`method` `None` is the `$default` route.
    pub fn add(
        &mut self,
        method: Option<&str>,
        path: Option<&str>,
        function: Arc<Function>,
        payload_format_version: &str,
    ) -> Result<(), String> {
        let (Some(method), Some(path)) = (method, path) else {
            if self.default.is_some() {
                return Err("two functions declare the $default HttpApi route".into());
            }
            self.default = Some(Route {
                method: None,
                segments: Vec::new(),
                route_key: "$default".into(),
                function,
                payload_format_version: payload_format_version.to_owned(),
            });
            return Ok(());
        };
        let route_key = format!("{method} {path}");
        if self.routes.iter().any(|r| r.route_key == route_key) {
            return Err(format!("route {route_key} is declared twice"));
        }
        let segments = parse_segments(path);
        let method = match method {
            "ANY" => None,
            m => Some(Method::from_bytes(m.as_bytes()).map_err(|e| e.to_string())?),
        };
        self.routes.push(Route {
            method,
            segments,
            route_key,
            function,
            payload_format_version: payload_format_version.to_owned(),
        });
        Ok(())
    }

    pub fn first_segments(&self) -> std::collections::BTreeSet<String> {
        self.routes
            .iter()
            .filter_map(|r| match r.segments.first() {
                Some(Segment::Static(s)) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn route_keys(&self) -> Vec<String> {
        self.routes
            .iter()
            .chain(self.default.as_ref())
            .map(|r| format!("{} -> {}", r.route_key, r.function.cfg.logical_id))
            .collect()
    }

    /// API Gateway's precedence: the most specific path wins (segment by segment: static,
    /// then `{param}`, then `{greedy+}`), then a declared method over `ANY`.
    pub(super) fn find(
        &self,
        method: &Method,
        path: &str,
    ) -> Option<(&Route, BTreeMap<String, String>)> {
        let parts: Vec<&str> = path.split('/').skip(1).collect();
        let mut best: Option<(Vec<u8>, &Route, BTreeMap<String, String>)> = None;
        for r in &self.routes {
            if r.method.as_ref().is_some_and(|m| m != method) {
                continue;
            }
            let Some((mut rank, params)) = match_path(&r.segments, &parts) else {
                continue;
            };
            rank.push(u8::from(r.method.is_none()));
            if best.as_ref().is_none_or(|(b, _, _)| rank < *b) {
                best = Some((rank, r, params));
            }
        }
        best.map(|(_, r, p)| (r, p))
    }

    pub(super) fn default_route(&self) -> Option<&Route> {
        self.default.as_ref()
    }
}

fn parse_segments(path: &str) -> Vec<Segment> {
    path.split('/')
        .skip(1)
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(p) => match p.strip_suffix('+') {
                    Some(g) => Segment::Greedy(g.to_owned()),
                    None => Segment::Param(p.to_owned()),
                },
                None => Segment::Static(s.to_owned()),
            },
        )
        .collect()
}

fn match_path(segments: &[Segment], parts: &[&str]) -> Option<(Vec<u8>, BTreeMap<String, String>)> {
    let mut rank = Vec::new();
    let mut params = BTreeMap::new();
    for (i, seg) in segments.iter().enumerate() {
        match seg {
            Segment::Greedy(name) => {
                let rest = parts.get(i..).filter(|r| !r.is_empty() && r != &[""])?;
                params.insert(name.clone(), percent_decode(&rest.join("/")));
                rank.push(2);
                return Some((rank, params));
            }
            Segment::Static(s) => {
                if parts.get(i) != Some(&s.as_str()) {
                    return None;
                }
                rank.push(0);
            }
            Segment::Param(name) => {
                let p = parts.get(i).filter(|p| !p.is_empty())?;
                params.insert(name.clone(), percent_decode(p));
                rank.push(1);
            }
        }
    }
    (parts.len() == segments.len()).then_some((rank, params))
}

pub(super) fn percent_decode(s: &str) -> String {
    let hexval = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hexval(bytes[i + 1]), hexval(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(route: &str, path: &str) -> Option<(Vec<u8>, BTreeMap<String, String>)> {
        let parts: Vec<&str> = path.split('/').skip(1).collect();
        match_path(&parse_segments(route), &parts)
    }

    #[test]
    fn path_matching_and_precedence() {
        assert!(m("/v1/health", "/v1/health").is_some());
        assert!(m("/v1/health", "/v1/health/x").is_none());
        let (_, p) = m("/v1/jobs/{id}", "/v1/jobs/a%20b").unwrap();
        assert_eq!(p["id"], "a b");
        assert!(m("/v1/jobs/{id}", "/v1/jobs/").is_none());
        let (_, p) = m("/files/{proxy+}", "/files/a/b/c").unwrap();
        assert_eq!(p["proxy"], "a/b/c");
        assert!(m("/files/{proxy+}", "/files").is_none());
        let stat = m("/v1/jobs/export", "/v1/jobs/export").unwrap().0;
        let param = m("/v1/jobs/{id}", "/v1/jobs/export").unwrap().0;
        assert!(stat < param);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb%3d"), "a/b=");
        assert_eq!(percent_decode("bad%zz%"), "bad%zz%");
    }
}
