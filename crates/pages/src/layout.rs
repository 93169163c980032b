//! The frame every page shares: head, stylesheet, header, and the script
//! that refreshes the page's main part.

use crate::html::Html;

/// Served with every page: scripts, styles and requests only from the
/// server itself, nothing inline. An injected `<script>`, handler or
/// style would not run even if escaping failed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     connect-src 'self'; style-src 'self'; img-src 'self' data:; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The pages' stylesheet: readable on a phone (one column, tables scroll
/// sideways in their own box, charts shrink to the screen).
pub const STYLE: &str = r#"
:root { --fg:#1b1f24; --muted:#5b6570; --line:#dde2e7; --bg:#f6f8fa; --ok:#1a7f37; --bad:#c62828; --warn:#9a6700; --accent:#1f77b4; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header { background:#fff; border-bottom:1px solid var(--line); padding:10px 16px; display:flex; flex-wrap:wrap; gap:4px 16px; align-items:baseline; }
header h1 { font-size:18px; margin:0; }
header .sub { color:var(--muted); font-size:13px; word-break:break-all; }
main { max-width:1100px; margin:0 auto; padding:12px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 14px; margin:0 0 14px; }
h2 { font-size:17px; margin:0 0 8px; word-break:break-all; }
h3 { font-size:15px; margin:14px 0 6px; }
.facts { display:grid; grid-template-columns:repeat(auto-fit,minmax(180px,1fr)); gap:8px 16px; margin:0; }
.facts div { min-width:0; }
.facts dt { color:var(--muted); font-size:12px; }
.facts dd { margin:0; overflow-wrap:anywhere; }
.scroll { overflow-x:auto; -webkit-overflow-scrolling:touch; }
.scroll > table { min-width:600px; }
table { border-collapse:collapse; width:100%; font-size:14px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:12px; white-space:nowrap; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.ok { color:var(--ok); } .bad { color:var(--bad); } .warn { color:var(--warn); } .muted { color:var(--muted); }
.pill { display:inline-block; padding:0 7px; border-radius:10px; font-size:12px; border:1px solid currentColor; white-space:nowrap; }
figure.chart { margin:8px 0; }
figure.chart svg { width:100%; height:auto; max-width:640px; display:block; }
.charts { display:grid; grid-template-columns:repeat(auto-fit,minmax(300px,1fr)); gap:8px 16px; }
code, .key { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:13px; overflow-wrap:anywhere; }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
nav.pages { margin-top:8px; display:flex; gap:12px; }
ul.errors { margin:0; padding-left:18px; }
@media (max-width:600px) { main { padding:6px; } section { padding:10px; } th, td { padding:4px 6px; } .facts { grid-template-columns:repeat(2,minmax(0,1fr)); } }
"#;

/// Refreshes the page's `<main>` every `data-refresh` seconds by fetching
/// the same URL again (the server is the only origin the page may reach).
/// A failed fetch keeps what is shown and marks it stale.
pub const REFRESH_SCRIPT: &str = r#"(function () {
  var main = document.querySelector('main[data-refresh]');
  if (!main) return;
  var every = Math.max(1, parseInt(main.getAttribute('data-refresh'), 10) || 5) * 1000;
  function tick() {
    fetch(location.href, { headers: { 'Accept': 'text/html' }, cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, 'text/html');
        var fresh = doc.querySelector('main');
        if (fresh) { main.innerHTML = fresh.innerHTML; }
        document.body.removeAttribute('data-stale');
      })
      .catch(function () { document.body.setAttribute('data-stale', 'true'); })
      .finally(function () { setTimeout(tick, every); });
  }
  setTimeout(tick, every);
})();
"#;

/// A whole page: `title` (escaped) in the head and header, `subtitle`
/// under it, and `main`; refreshed every `refresh_secs` if set.
pub fn page(title: &str, subtitle: &str, refresh_secs: Option<u32>, main: Html) -> String {
    let mut html = Html::new();
    html.raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .raw("<title>")
        .text(title)
        .raw(
            "</title><link rel=\"stylesheet\" href=\"/assets/pages.css\"></head><body><header><h1>",
        )
        .text(title)
        .raw("</h1><span class=\"sub\">")
        .text(subtitle)
        .raw("</span></header>");
    match refresh_secs {
        Some(secs) => html.raw("<main data-refresh=\"").text(secs).raw("\">"),
        None => html.raw("<main>"),
    };
    let mut out = html.finish();
    out.push_str(&main.finish());
    out.push_str("</main><script src=\"/assets/refresh.js\"></script></body></html>");
    out
}
