//! The page around a note's HTML: a minimal, dependency-free layout that works without
//! JavaScript. (The full reader's site — navigation, backlinks, themes — replaces it later.)

/// A whole HTML document for one page. `content` is already sanitised HTML.
pub fn page(site_name: &str, title: &str, content: &str, show_title: bool) -> String {
    let site_name = escape(site_name);
    let title = escape(title);
    let heading = if show_title { format!("<h1>{title}</h1>\n") } else { String::new() };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {site_name}</title>
<style>body{{max-width:46rem;margin:2rem auto;padding:0 1rem;font:1rem/1.6 system-ui,sans-serif}}img,video{{max-width:100%;height:auto}}.wikilink-unresolved{{color:#888;text-decoration:underline dotted}}pre{{overflow-x:auto}}</style>
</head>
<body>
<header><a href="/">{site_name}</a></header>
<main>
{heading}{content}
</main>
</body>
</html>
"#
    )
}

/// The 404 page.
pub fn not_found(site_name: &str) -> String {
    page(site_name, "Page not found", "<p>There is no page at this address.</p>", true)
}

/// Escapes text for HTML element content and attribute values.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_escaped() {
        let html = page("My <site>", "a \"b\" & <c>", "<p>x</p>", true);
        assert!(html.contains("<h1>a &quot;b&quot; &amp; &lt;c&gt;</h1>"));
        assert!(html.contains("<a href=\"/\">My &lt;site&gt;</a>"));
    }
}
