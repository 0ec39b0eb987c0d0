//! Matching a request's method and path against the routes a function serves. API
//! Gateway already routed the request here; this picks the handler inside the function.

/// Path parameters captured from `{name}` segments.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Matches `/v1/tenant/members/{userId}`-style patterns segment by segment.
pub fn match_path(pattern: &str, path: &str) -> Option<Params> {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let mut pattern_parts = pattern.split('/');
    let mut path_parts = path.split('/');
    let mut params = Vec::new();
    loop {
        match (pattern_parts.next(), path_parts.next()) {
            (None, None) => return Some(Params(params)),
            (Some(p), Some(s)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if s.is_empty() {
                        return None;
                    }
                    params.push((name.to_owned(), s.to_owned()));
                } else if p != s {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_literals_and_parameters() {
        assert!(match_path("/v1/auth/login", "/v1/auth/login").is_some());
        assert!(match_path("/v1/auth/login", "/v1/auth/login/").is_some());
        assert!(match_path("/v1/auth/login", "/v1/auth/logout").is_none());
        let p = match_path("/v1/tenant/members/{userId}", "/v1/tenant/members/01ABC").unwrap();
        assert_eq!(p.get("userId"), Some("01ABC"));
        assert!(match_path("/v1/tenant/members/{userId}", "/v1/tenant/members/").is_none());
        assert!(match_path("/v1/tenant/members/{userId}", "/v1/tenant/members/a/b").is_none());
        assert!(match_path("/v1/tenant", "/v1/tenant/members").is_none());
    }
}
