//! The HTTP API's throttling as the template sets it (`DefaultRouteSettings` and
//! `RouteSettings` of the `AWS::Serverless::HttpApi`): a token bucket per route, `burst`
//! deep and refilled at `rate` per second, as API Gateway applies them: a route's own
//! settings, else the default route settings, each route counted on its own. Over the
//! limit the request is refused before any function runs: 429 with `Retry-After`, so
//! tests see the limits.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use jobmon_template::{Bindings, Expr, Template};
use serde_json::Value as Json;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Requests per second, steady.
    pub rate: f64,
    pub burst: f64,
}

#[derive(Debug)]
struct Bucket {
    limit: Limit,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(limit: Limit, now: Instant) -> Self {
        Self {
            limit,
            tokens: limit.burst,
            at: now,
        }
    }

    /// Takes a token; otherwise the whole seconds until one is back.
    fn take(&mut self, now: Instant) -> Result<(), u64> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.limit.rate).min(self.limit.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - self.tokens) / self.limit.rate).ceil().max(1.0) as u64)
        }
    }
}

#[derive(Debug, Default)]
pub struct Throttle {
    default: Option<Limit>,
    routes: BTreeMap<String, Limit>,
    buckets: Mutex<BTreeMap<String, Bucket>>,
}

impl Throttle {
    pub fn new(default: Option<Limit>, routes: BTreeMap<String, Limit>) -> Self {
        Self {
            default,
            routes,
            buckets: Mutex::default(),
        }
    }

    /// The HTTP API's settings, with parameters resolved as the stack's functions see them.
    pub fn from_template(t: &Template, b: &Bindings) -> Result<Self, String> {
        let Some(api) = t
            .resources()
            .values()
            .find(|r| r.resource_type == jobmon_template::types::HTTP_API)
        else {
            return Ok(Self::default());
        };
        let limit = |e: &Expr, path: &str| limit_of(t, b, e).map_err(|e| format!("{path}: {e}"));
        let default = match api.properties.get("DefaultRouteSettings") {
            Some(e) => limit(e, "DefaultRouteSettings")?,
            None => None,
        };
        let mut routes = BTreeMap::new();
        if let Some(settings) = api.properties.get("RouteSettings").and_then(Expr::as_map) {
            // A route key is a string here: renamed or removed on its function, API Gateway
            // would refuse the deploy ("Unable to find Route by key"), so the local stack does
            // too, at start.
            let known: Vec<String> = t.http_routes().iter().map(|r| r.key()).collect();
            for (key, e) in settings {
                if !known.contains(key) {
                    return Err(format!(
                        "RouteSettings.{key}: no function of the template has this route"
                    ));
                }
                if let Some(l) = limit(e, &format!("RouteSettings.{key}"))? {
                    routes.insert(key.clone(), l);
                }
            }
        }
        Ok(Self::new(default, routes))
    }

    /// `Err(retry_after_secs)` when `route_key` is over its limit.
    pub fn admit(&self, route_key: &str) -> Result<(), u64> {
        let Some(limit) = self.routes.get(route_key).or(self.default.as_ref()) else {
            return Ok(());
        };
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        buckets
            .entry(route_key.to_owned())
            .or_insert_with(|| Bucket::new(*limit, now))
            .take(now)
    }
}

fn limit_of(t: &Template, b: &Bindings, settings: &Expr) -> Result<Option<Limit>, String> {
    let number = |key: &str| -> Result<Option<f64>, String> {
        let Some(e) = settings.get(key) else {
            return Ok(None);
        };
        let value = t.resolve(e, b).map_err(|e| e.to_string())?;
        let n = match value {
            Some(Json::Number(n)) => n.as_f64(),
            Some(Json::String(s)) => s.parse().ok(),
            _ => None,
        };
        match n {
            Some(n) if n > 0.0 => Ok(Some(n)),
            _ => Err(format!("{key} must be a positive number")),
        }
    };
    match (
        number("ThrottlingRateLimit")?,
        number("ThrottlingBurstLimit")?,
    ) {
        (Some(rate), Some(burst)) => Ok(Some(Limit { rate, burst })),
        (None, None) => Ok(None),
        _ => Err("set both ThrottlingRateLimit and ThrottlingBurstLimit".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let start = Instant::now();
        let mut b = Bucket::new(
            Limit {
                rate: 2.0,
                burst: 3.0,
            },
            start,
        );
        for _ in 0..3 {
            assert_eq!(b.take(start), Ok(()));
        }
        assert_eq!(b.take(start), Err(1));
        assert_eq!(b.take(start + Duration::from_millis(500)), Ok(()));
        assert_eq!(b.take(start + Duration::from_millis(500)), Err(1));
        let slow = Limit {
            rate: 0.1,
            burst: 1.0,
        };
        let mut s = Bucket::new(slow, start);
        assert_eq!(s.take(start), Ok(()));
        assert_eq!(s.take(start), Err(10));
    }

    #[test]
    fn each_route_has_its_own_bucket_with_its_own_or_the_default_limit() {
        let one = Limit {
            rate: 0.001,
            burst: 1.0,
        };
        let three = Limit {
            rate: 0.001,
            burst: 3.0,
        };
        let t = Throttle::new(
            Some(three),
            BTreeMap::from([("POST /v1/auth/login".to_owned(), one)]),
        );
        assert_eq!(t.admit("POST /v1/auth/login"), Ok(()));
        assert!(t.admit("POST /v1/auth/login").is_err());
        for _ in 0..3 {
            assert_eq!(t.admit("GET /v1/jobs"), Ok(()));
        }
        assert!(t.admit("GET /v1/jobs").is_err());
        assert_eq!(
            t.admit("GET /v1/sources"),
            Ok(()),
            "routes count on their own"
        );
        assert_eq!(Throttle::default().admit("GET /v1/jobs"), Ok(()));
    }

    #[test]
    fn jobmons_template_throttles_every_route_and_the_auth_routes_tighter() {
        let t = Template::from_file(Template::locate().unwrap()).unwrap();
        let throttle = Throttle::from_template(&t, &Bindings::new("us-east-1")).unwrap();
        assert_eq!(
            throttle.default,
            Some(Limit {
                rate: 100.0,
                burst: 200.0
            })
        );
        let auth = Limit {
            rate: 5.0,
            burst: 10.0,
        };
        for route in [
            "POST /v1/auth/login",
            "POST /v1/auth/register",
            "POST /v1/auth/refresh",
            "POST /v1/auth/password/forgot",
        ] {
            assert_eq!(throttle.routes.get(route), Some(&auth), "{route}");
        }
        for _ in 0..10 {
            assert_eq!(throttle.admit("POST /v1/auth/login"), Ok(()));
        }
        assert_eq!(throttle.admit("POST /v1/auth/login"), Err(1));
    }

    #[test]
    fn route_settings_for_a_route_no_function_has_are_refused() {
        let yaml = r#"
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      RouteSettings:
        "POST /v1/auth/logon":
          ThrottlingRateLimit: 5
          ThrottlingBurstLimit: 10
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Login:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Path: /v1/auth/login
            Method: POST
"#;
        let t = Template::parse(yaml).unwrap();
        let err = Throttle::from_template(&t, &Bindings::new("us-east-1")).unwrap_err();
        assert!(err.contains("RouteSettings.POST /v1/auth/logon"), "{err}");
    }
}
