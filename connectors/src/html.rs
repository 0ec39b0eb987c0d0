//! Job descriptions: sanitised HTML for display and plain text for search and scoring.

use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};

/// Raw HTML beyond this is cut before sanitising (the sanitiser closes what the cut left
/// open). A description is stored in one DynamoDB item, which cannot exceed 400 KB.
const MAX_HTML_INPUT_BYTES: usize = 200 * 1024;

/// The allow-list sanitiser, built once. ammonia's defaults already drop `script`,
/// `style`, `iframe` (with their content), every `on*` attribute and any URL scheme outside
/// http(s)/mailto/... (so `javascript:`). On top of that:
/// - no `img`: a description must not make a tenant's browser call third-party hosts;
/// - relative links are dropped: they would resolve against jobmon's own origin;
/// - links get `nofollow` besides ammonia's `noopener noreferrer`.
static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::default();
    builder
        .rm_tags(["img"])
        .url_relative(UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true);
    builder
});

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Description {
    pub html: String,
    pub text: String,
}

/// From HTML of unknown trust.
pub(crate) fn from_html(raw: &str) -> Description {
    let html = SANITIZER.clean(clip(raw, MAX_HTML_INPUT_BYTES)).to_string();
    let text = to_text(&html);
    Description {
        html: html.trim().to_owned(),
        text,
    }
}

/// From HTML that was entity-escaped once more (Greenhouse's `content`:
/// `&lt;p&gt;Hello&lt;/p&gt;`). Decoding first and sanitising after is the safe order:
/// whatever the decoding reveals still goes through the sanitiser.
pub(crate) fn from_escaped_html(raw: &str) -> Description {
    from_html(&html_escape::decode_html_entities(raw))
}

/// From plain text: escaped and split into paragraphs at blank lines.
pub(crate) fn from_text(raw: &str) -> Description {
    let raw = clip(raw, MAX_HTML_INPUT_BYTES);
    let html = raw
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            format!(
                "<p>{}</p>",
                html_escape::encode_text(p).replace('\n', "<br>")
            )
        })
        .collect::<String>();
    Description {
        html,
        text: tidy_text(raw),
    }
}

fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Elements after which text continues on a new line.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "hr",
    "dd",
    "dt",
    "dl",
];

/// Plain text from sanitised HTML. The input is the sanitiser's serialisation, so tags are
/// well formed and attribute values quoted; a small scanner is enough.
fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut chars = html.chars();
    while let Some(c) = chars.next() {
        if c != '<' {
            out.push(if c.is_whitespace() { ' ' } else { c });
            continue;
        }
        let mut tag = String::new();
        let mut quote: Option<char> = None;
        for t in chars.by_ref() {
            match (quote, t) {
                (Some(q), _) if t == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(t),
                (None, '>') => break,
                (None, _) => tag.push(t),
            }
        }
        let name = tag
            .trim_start_matches('/')
            .split(|ch: char| ch.is_whitespace() || ch == '/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if name == "li" {
            // A bullet opens each item; the closing tag adds nothing, so items stay on
            // consecutive lines.
            if !tag.starts_with('/') {
                out.push_str("\n• ");
            }
        } else if BLOCK_TAGS.contains(&name.as_str()) {
            out.push('\n');
        }
    }
    tidy_text(&html_escape::decode_html_entities(&out))
}

/// Collapses runs of spaces within lines and runs of blank lines, trims the ends.
fn tidy_text(s: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in s.lines() {
        let collapsed = line
            .split(|c: char| c.is_whitespace())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let blank = collapsed.is_empty();
        if blank && lines.last().is_none_or(String::is_empty) {
            continue;
        }
        lines.push(collapsed);
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_scripts_handlers_and_javascript_urls() {
        let d = from_html(
            r#"<p onclick="steal()">Hi <script>alert(1)</script><a href="javascript:alert(2)">x</a>
               <iframe src="https://evil.example"></iframe><style>p{}</style><img src="https://t.example/p.gif"></p>"#,
        );
        for banned in [
            "script",
            "onclick",
            "javascript:",
            "iframe",
            "style",
            "alert",
            "img",
        ] {
            assert!(!d.html.contains(banned), "{banned} survived in {}", d.html);
            assert!(!d.text.contains("alert"), "{}", d.text);
        }
        assert!(d.html.starts_with("<p>Hi"));
    }

    #[test]
    fn keeps_safe_links_with_rel() {
        let d =
            from_html(r#"<a href="https://example.com/apply">Apply</a><a href="/relative">r</a>"#);
        assert!(
            d.html.contains(r#"href="https://example.com/apply""#),
            "{}",
            d.html
        );
        assert!(d.html.contains("nofollow"));
        assert!(!d.html.contains("/relative"));
    }

    #[test]
    fn decodes_escaped_html_before_sanitising() {
        let d = from_escaped_html(
            "&lt;p&gt;Build &amp;amp; ship&lt;/p&gt;&lt;script&gt;bad()&lt;/script&gt;",
        );
        assert_eq!(d.html, "<p>Build &amp; ship</p>");
        assert_eq!(d.text, "Build & ship");
    }

    #[test]
    fn text_keeps_paragraphs_and_list_items_apart() {
        let d = from_html(
            "<h2>Role</h2><p>Build   things.</p><ul><li>Rust</li><li>AWS &amp; more</li></ul>",
        );
        assert_eq!(d.text, "Role\n\nBuild things.\n\n• Rust\n• AWS & more");
    }

    #[test]
    fn plain_text_is_escaped_into_paragraphs() {
        let d = from_text("a < b\n\nsecond\nline");
        assert_eq!(d.html, "<p>a &lt; b</p><p>second<br>line</p>");
        assert_eq!(d.text, "a < b\n\nsecond\nline");
    }

    #[test]
    fn huge_input_is_clipped() {
        let big = format!("<p>{}</p>", "é".repeat(MAX_HTML_INPUT_BYTES));
        let d = from_html(&big);
        assert!(d.html.len() <= MAX_HTML_INPUT_BYTES + 16);
        assert!(d.html.ends_with("</p>"));
    }
}
