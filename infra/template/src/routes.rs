//! The HTTP API's routes as API Gateway sees them: every `HttpApi` event of the template's
//! functions, keyed `GET /v1/jobs/{id}` (or `$default`), and API Gateway's way of picking
//! the route for a request. `template.yaml` is the only route table: the functions dispatch
//! on the route key API Gateway sends, the local gateway routes with [`select`], and the
//! test events name their route the same way.

use std::collections::BTreeMap;

use crate::model::{FunctionSpec, HttpApiEvent, Template};

/// One `HttpApi` event of a function: a route and where it goes.
#[derive(Debug, Clone, Copy)]
pub struct HttpRoute<'t> {
    pub function: &'t FunctionSpec,
    pub event: &'t HttpApiEvent,
}

impl HttpRoute<'_> {
    /// API Gateway's route key (`routeKey` in the event).
    pub fn key(&self) -> String {
        self.event.route_key()
    }
}

impl HttpApiEvent {
    /// `METHOD /path/{param}` as API Gateway writes it, or `$default`.
    pub fn route_key(&self) -> String {
        match (&self.method, &self.path) {
            (Some(method), Some(path)) => format!("{method} {path}"),
            _ => "$default".into(),
        }
    }
}

impl Template {
    /// Every `HttpApi` route of every function, in template order.
    pub fn http_routes(&self) -> Vec<HttpRoute<'_>> {
        self.functions()
            .iter()
            .flat_map(|function| {
                function.events.iter().filter_map(move |e| match &e.kind {
                    crate::EventKind::HttpApi(event) => Some(HttpRoute { function, event }),
                    _ => None,
                })
            })
            .collect()
    }

    /// The route keys the template sends to the function `logical_id`.
    pub fn route_keys_of(&self, logical_id: &str) -> Vec<String> {
        self.http_routes()
            .iter()
            .filter(|r| r.function.logical_id == logical_id)
            .map(HttpRoute::key)
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Static(String),
    Param(String),
    Greedy(String),
}

/// A route's method and path template (`GET`, `/v1/jobs/{id}`), ready to match requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePattern {
    /// `None` for `ANY`.
    method: Option<String>,
    segments: Vec<Segment>,
}

/// How well a request matched a pattern (lower is more specific) and its path parameters,
/// percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    rank: Vec<u8>,
    pub params: BTreeMap<String, String>,
}

impl RoutePattern {
    /// `method` upper case as the template holds it (`ANY` matches every method); `path` with
    /// `{name}` and a last `{name+}` segment (the template parser checked their shape).
    pub fn new(method: &str, path: &str) -> Self {
        let segments = path
            .split('/')
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
            .collect();
        Self {
            method: (method != "ANY").then(|| method.to_owned()),
            segments,
        }
    }

    /// The first path segment when it is literal (`v1` of `/v1/jobs`).
    pub fn first_literal(&self) -> Option<&str> {
        match self.segments.first() {
            Some(Segment::Static(s)) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    /// Whether `method path` (path without the query string) is this route's.
    pub fn matches(&self, method: &str, path: &str) -> Option<RouteMatch> {
        if self.method.as_deref().is_some_and(|m| m != method) {
            return None;
        }
        let parts: Vec<&str> = path.split('/').skip(1).collect();
        let mut rank = Vec::new();
        let mut params = BTreeMap::new();
        for (i, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Greedy(name) => {
                    let rest = parts.get(i..).filter(|r| !r.is_empty() && r != &[""])?;
                    params.insert(name.clone(), percent_decode(&rest.join("/")));
                    rank.push(2);
                    rank.push(u8::from(self.method.is_none()));
                    return Some(RouteMatch { rank, params });
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
        rank.push(u8::from(self.method.is_none()));
        (parts.len() == self.segments.len()).then_some(RouteMatch { rank, params })
    }
}

/// API Gateway's choice for `method path` among `routes`: the most specific path wins
/// (segment by segment: static, then `{param}`, then `{greedy+}`), then a declared method
/// over `ANY`. The `$default` route is the caller's fallback, not a pattern.
pub fn select<'p, T>(
    routes: impl IntoIterator<Item = (&'p RoutePattern, T)>,
    method: &str,
    path: &str,
) -> Option<(T, BTreeMap<String, String>)> {
    let mut best: Option<(RouteMatch, T)> = None;
    for (pattern, route) in routes {
        let Some(found) = pattern.matches(method, path) else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _)| found.rank < b.rank) {
            best = Some((found, route));
        }
    }
    best.map(|(found, route)| (route, found.params))
}

/// `%XX` escapes of a URL path decoded, as API Gateway does for path parameters; a stray
/// `%` stays as it is.
pub fn percent_decode(s: &str) -> String {
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

    fn m(route: &str, path: &str) -> Option<RouteMatch> {
        RoutePattern::new("GET", route).matches("GET", path)
    }

    #[test]
    fn path_matching_and_precedence() {
        assert!(m("/v1/health", "/v1/health").is_some());
        assert!(m("/v1/health", "/v1/health/x").is_none());
        let p = m("/v1/jobs/{id}", "/v1/jobs/a%20b").unwrap().params;
        assert_eq!(p["id"], "a b");
        assert!(m("/v1/jobs/{id}", "/v1/jobs/").is_none());
        let p = m("/files/{proxy+}", "/files/a/b/c").unwrap().params;
        assert_eq!(p["proxy"], "a/b/c");
        assert!(m("/files/{proxy+}", "/files").is_none());
        let stat = m("/v1/jobs/export", "/v1/jobs/export").unwrap().rank;
        let param = m("/v1/jobs/{id}", "/v1/jobs/export").unwrap().rank;
        assert!(stat < param);
    }

    #[test]
    fn methods_and_selection() {
        let get = RoutePattern::new("GET", "/v1/jobs/{id}");
        let any = RoutePattern::new("ANY", "/v1/jobs/{id}");
        let export = RoutePattern::new("GET", "/v1/jobs/export");
        assert!(get.matches("POST", "/v1/jobs/1").is_none());
        assert!(any.matches("POST", "/v1/jobs/1").is_some());
        let routes = [(&get, "get"), (&any, "any"), (&export, "export")];
        assert_eq!(
            select(routes, "GET", "/v1/jobs/export").unwrap().0,
            "export"
        );
        assert_eq!(select(routes, "GET", "/v1/jobs/1").unwrap().0, "get");
        assert_eq!(select(routes, "DELETE", "/v1/jobs/1").unwrap().0, "any");
        assert!(select(routes, "GET", "/v1/other").is_none());
        assert_eq!(get.first_literal(), Some("v1"));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb%3d"), "a/b=");
        assert_eq!(percent_decode("bad%zz%"), "bad%zz%");
    }
}
