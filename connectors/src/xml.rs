//! A small element tree over quick-xml, for the XML sources (Personio, RSS, Atom).
//!
//! Bodies are already capped in size, so building a tree is cheap and keeps each parser
//! a plain lookup. Safety: DTD entities are never expanded (an unknown `&name;` is kept
//! as written, which also leaves HTML entities for the HTML layer) and nesting depth is
//! bounded, so neither "billion laughs" nor deep nesting can blow up memory or the stack.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Element {
    /// Qualified name as written (`content:encoded`, `feed`).
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

impl Element {
    /// The name without a namespace prefix.
    pub fn local(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// First child element with this qualified name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    /// First child element with this local name, whatever its prefix.
    pub fn child_local(&self, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.local() == local)
    }

    /// Concatenated text of this element and its descendants.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        for node in &self.children {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.collect_text(out),
            }
        }
    }

    /// Trimmed text of a child, `None` when absent or blank.
    pub fn child_text(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|e| e.text().trim().to_owned())
            .filter(|t| !t.is_empty())
    }

    /// The children serialised back to markup (Atom `type="xhtml"` content).
    pub fn inner_markup(&self) -> String {
        let mut out = String::new();
        for node in &self.children {
            write_node(node, &mut out);
        }
        out
    }
}

fn write_node(node: &Node, out: &mut String) {
    match node {
        Node::Text(t) => out.push_str(&html_escape::encode_text(t)),
        Node::Element(e) => {
            let name = e.local();
            out.push('<');
            out.push_str(name);
            for (k, v) in &e.attrs {
                out.push(' ');
                out.push_str(k);
                out.push_str("=\"");
                out.push_str(&html_escape::encode_double_quoted_attribute(v));
                out.push('"');
            }
            out.push('>');
            for child in &e.children {
                write_node(child, out);
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
    }
}

/// Parses a document and returns its root element.
pub(crate) fn parse(body: &[u8]) -> Result<Element, String> {
    let mut reader = Reader::from_reader(body);
    let mut buf = Vec::new();
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("invalid XML: {e}"))?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err("XML nested too deeply".into());
                }
                stack.push(element(&start)?);
            }
            Event::Empty(start) => {
                let el = element(&start)?;
                attach(&mut stack, &mut root, el);
            }
            Event::End(_) => {
                let el = stack.pop().ok_or("unbalanced XML")?;
                attach(&mut stack, &mut root, el);
            }
            Event::Text(text) => {
                let t = text
                    .decode()
                    .map_err(|e| format!("invalid XML text: {e}"))?;
                push_text(&mut stack, &t);
            }
            Event::CData(cdata) => {
                let t = String::from_utf8_lossy(&cdata);
                push_text(&mut stack, &t);
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = reference
                            .decode()
                            .map_err(|e| format!("invalid XML entity: {e}"))?;
                        match name.as_ref() {
                            "lt" => "<".to_owned(),
                            "gt" => ">".to_owned(),
                            "amp" => "&".to_owned(),
                            "apos" => "'".to_owned(),
                            "quot" => "\"".to_owned(),
                            other => format!("&{other};"),
                        }
                    }
                };
                push_text(&mut stack, &resolved);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err("XML ended inside an element".into());
    }
    root.ok_or_else(|| "empty XML document".to_owned())
}

fn element(start: &BytesStart<'_>) -> Result<Element, String> {
    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| format!("invalid XML attribute: {e}"))?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .map_err(|e| format!("invalid XML attribute: {e}"))?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
    })
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(el)),
        None => {
            if root.is_none() {
                *root = Some(el);
            }
        }
    }
}

fn push_text(stack: &mut [Element], text: &str) {
    let Some(parent) = stack.last_mut() else {
        return;
    };
    if let Some(Node::Text(last)) = parent.children.last_mut() {
        last.push_str(text);
    } else {
        parent.children.push(Node::Text(text.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_tree_with_entities_and_cdata() {
        let root = parse(
            br#"<?xml version="1.0"?><r a="1 &amp; 2"><x>a &lt;b&gt; &#233; &nbsp;</x><y><![CDATA[<p>hi</p>]]></y><z/></r>"#,
        )
        .unwrap();
        assert_eq!(root.attr("a"), Some("1 & 2"));
        assert_eq!(root.child_text("x").as_deref(), Some("a <b> é &nbsp;"));
        assert_eq!(root.child_text("y").as_deref(), Some("<p>hi</p>"));
        assert!(root.child("z").is_some());
    }

    #[test]
    fn refuses_broken_documents() {
        assert!(parse(b"<r><x></r>").is_err());
        assert!(parse(b"<r>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"{\"json\": true}").is_err());
    }

    #[test]
    fn does_not_expand_dtd_entities() {
        let doc =
            br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY lol "lollollollol">]><r>&lol;</r>"#;
        assert_eq!(parse(doc).unwrap().text(), "&lol;");
    }

    #[test]
    fn bounds_nesting() {
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn reserialises_xhtml_content() {
        let root = parse(br#"<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>a &amp; b</p></div></content>"#).unwrap();
        assert_eq!(
            root.inner_markup(),
            r#"<div xmlns="http://www.w3.org/1999/xhtml"><p>a &amp; b</p></div>"#
        );
    }
}
