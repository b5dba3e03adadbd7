//! The search of a site: [`Site::search`] over the site's search index (each page's `search::IndexedPage`), and the
//! pages that show it (`/search?q=`, HTML and JSON).

use vps_core::url::encode_path;

use crate::escape::escape;
use crate::layout::{Document, Served};
use crate::search::{
    HEADING_WEIGHT, IndexedPage, SearchHit, TEXT_WEIGHT, TITLE_WEIGHT, contains_term, query_terms, snippet,
};
use crate::site::Site;
use crate::url::relative_url;

/// Where the search page and its JSON are served.
const SEARCH_PATH: &str = "/search";

impl Site {
    /// Searches titles (weight 3), headings (2) and text (1), ignoring case and accents. Every
    /// term of the query must start a word somewhere in the page (`ete` finds `Été` and
    /// `étendu`, not `complete`); a term scores the weight of each field it occurs in. Best first, ties by title; at most `limit` hits.
    /// An unlisted page ([`PageInfo::unlisted`](crate::PageInfo::unlisted)) is never found.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        let terms = query_terms(query);
        if terms.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut scored: Vec<(u32, usize, &IndexedPage)> = Vec::new();
        // Unlisted pages have no `search` part: they are not in the index to be found.
        let indexed = self.derived.iter().enumerate().filter_map(|(at, derived)| Some((at, derived.search.as_ref()?)));
        'documents: for (index, document) in indexed {
            let mut score = 0;
            for term in &terms {
                let term_score = u32::from(contains_term(&document.title, term)) * TITLE_WEIGHT
                    + u32::from(contains_term(&document.headings, term)) * HEADING_WEIGHT
                    + u32::from(document.text_contains(term)) * TEXT_WEIGHT;
                if term_score == 0 {
                    continue 'documents;
                }
                score += term_score;
            }
            scored.push((score, index, document));
        }
        scored.sort_by(|&(score_a, a, _), &(score_b, b, _)| score_b.cmp(&score_a).then_with(|| self.title_cmp(a, b)));
        scored
            .into_iter()
            .take(limit)
            .map(|(score, index, document)| {
                let page = &self.pages[index];
                SearchHit {
                    route: self.public_path(&page.route).to_owned(),
                    title: page.title.clone(),
                    snippet_html: snippet(&page.text, &document.text, &terms),
                    score,
                }
            })
            .collect()
    }

    /// The `/search?q=` page: a search form holding the query, and the hits with their snippets.
    /// Not indexed, and without a canonical URL; its links are relative to `/search`.
    pub fn search_page(&self, query: &str, hits: &[SearchHit]) -> String {
        let words = self.words;
        let query = query.trim();
        let mut main = format!("<header class=\"page-header\"><h1>{}</h1></header>\n", escape(words.search_title));
        main.push_str(&format!(
            "<form class=\"search-form\" action=\"/search\" method=\"get\" role=\"search\">\
<input type=\"search\" name=\"q\" value=\"{}\" aria-label=\"{}\" dir=\"auto\">\
<button type=\"submit\">{}</button></form>\n",
            escape(query),
            escape(words.search_label),
            escape(words.search_button)
        ));
        if !query.is_empty() {
            // The query goes in escaped; the table's words are plain text without markup.
            let count = (words.search_count)(hits.len(), &escape(query));
            main.push_str(&format!("<p class=\"search-count\" role=\"status\">{count}</p>\n"));
        }
        if !hits.is_empty() {
            main.push_str("<ol class=\"listing search-results\">");
            for hit in hits {
                main.push_str(&format!(
                    "<li><a href=\"{}\" dir=\"auto\">{}</a>",
                    escape(&encode_path(&hit.route)),
                    escape(&hit.title)
                ));
                if !hit.snippet_html.is_empty() {
                    main.push_str(&format!("<p class=\"snippet\" dir=\"auto\">{}</p>", hit.snippet_html));
                }
                main.push_str("</li>");
            }
            main.push_str("</ol>\n");
        }
        let title = if query.is_empty() { words.search_title.to_owned() } else { (words.search_title_for)(query) };
        self.render_document(&Document {
            title: Some(&title),
            description: (words.search_description)(&self.info.name),
            path: None,
            served: Served::At(SEARCH_PATH),
            og_type: "website",
            image: None,
            noindex: true,
            nav_current: None,
            query,
            main,
        })
    }

    /// The hits as JSON for the search-as-you-type script: `[{"route","href","title","snippet"}]`,
    /// where `route` is the site path (percent-encoded), `href` the same relative to `/search`
    /// (the URL the JSON is asked at, under any path prefix) and `snippet` the escaped HTML
    /// snippet.
    pub fn search_json(hits: &[SearchHit]) -> String {
        let items: Vec<serde_json::Value> = hits
            .iter()
            .map(|hit| {
                let route = encode_path(&hit.route);
                let href = relative_url(SEARCH_PATH, &route);
                serde_json::json!({"route": route, "href": href, "title": hit.title, "snippet": hit.snippet_html})
            })
            .collect();
        serde_json::Value::Array(items).to_string()
    }
}
