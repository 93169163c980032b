//! Markup that cannot carry injected markup: literal tags only from
//! `&'static str` (written in this crate's source), everything else escaped.

use std::fmt::{Display, Write};

use crate::chart::Chart;

/// `text` with the five characters that matter in HTML text and quoted
/// attribute values replaced by entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An HTML document or fragment under construction.
#[derive(Default)]
pub struct Html {
    out: String,
}

impl Html {
    pub fn new() -> Self {
        Self::default()
    }

    /// Literal markup, from this crate's source.
    pub fn raw(&mut self, markup: &'static str) -> &mut Self {
        self.out.push_str(markup);
        self
    }

    /// Text, escaped (also safe inside a quoted attribute value).
    pub fn text(&mut self, text: impl Display) -> &mut Self {
        let mut plain = String::new();
        // Writing into a String cannot fail.
        let _ = write!(plain, "{text}");
        self.out.push_str(&escape(&plain));
        self
    }

    /// `<tag class="class">…</tag>` around what `inner` writes.
    pub fn el(
        &mut self,
        open: &'static str,
        close: &'static str,
        inner: impl FnOnce(&mut Self),
    ) -> &mut Self {
        self.raw(open);
        inner(self);
        self.raw(close)
    }

    /// A table cell holding `text`.
    pub fn td(&mut self, text: impl Display) -> &mut Self {
        self.raw("<td>").text(text).raw("</td>")
    }

    /// A link to a page of this site: `href` is a path built from
    /// escaped parts, `text` is escaped.
    pub fn link(&mut self, href: &str, text: impl Display) -> &mut Self {
        self.raw("<a href=\"")
            .text(href)
            .raw("\">")
            .text(text)
            .raw("</a>")
    }

    /// A chart's SVG, as `plotters` drew it.
    pub fn chart(&mut self, chart: &Chart) -> &mut Self {
        self.out.push_str(chart.svg());
        self
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_inert() {
        let attack = r#"<script>alert("x")</script><img src=x onerror='y'>&"#;
        let mut html = Html::new();
        html.raw("<p title=\"")
            .text(attack)
            .raw("\">")
            .text(attack)
            .raw("</p>");
        let out = html.finish();
        assert!(!out.contains("<script>"));
        assert!(!out.contains("<img"));
        assert!(!out.contains("'y'"));
        assert_eq!(
            out.matches('<').count(),
            2,
            "only the literal <p> and </p>: {out}"
        );
        assert!(out.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
        assert!(out.contains("onerror=&#39;y&#39;&gt;&amp;"));
    }

    #[test]
    fn links_escape_their_path_and_text() {
        let mut html = Html::new();
        html.link("/task/a\"b", "<b>");
        assert_eq!(html.finish(), "<a href=\"/task/a&quot;b\">&lt;b&gt;</a>");
    }
}
