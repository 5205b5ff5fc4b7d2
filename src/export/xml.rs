//! Escaping text for XML.

/// `text` with the five XML special characters replaced by entities, safe
/// both as element content and inside a double-quoted attribute.
///
/// Characters XML 1.0 forbids outright (control characters other than tab,
/// newline and carriage return) are replaced by U+FFFD, so the document
/// stays well-formed whatever a name contains.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn special_characters_become_entities() {
        // Hand-written expectation from the XML 1.0 predefined entities.
        assert_eq!(
            escape(r#"Tom & Jerry's <"peak">"#),
            "Tom &amp; Jerry&apos;s &lt;&quot;peak&quot;&gt;"
        );
        assert_eq!(escape("Sliabh\u{1}"), "Sliabh\u{FFFD}");
        assert_eq!(escape("Mont Ventoux ⛰"), "Mont Ventoux ⛰");
    }
}
