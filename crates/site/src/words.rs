//! The site's own words, one table per language: every word or phrase the site writes around
//! the notes (skip link, search, navigation, listings, tags, 404, dates).
//!
//! The table is chosen from [`SiteInfo::language`](crate::SiteInfo::language) by its primary
//! subtag, case-insensitively (`fr`, `fr-CA`, `FR` → French); an empty or unknown language gets
//! English. `<html lang>` gets the language tag itself when it is well-formed ([`lang_attribute`]).
//!
//! **Adding a language** is one table and one match arm: write a `pub(crate) static GERMAN: Words`
//! beside [`ENGLISH`] and [`FRENCH`] (every field is required, so the compiler lists what is
//! missing), then add `"de" => &GERMAN` to [`Words::for_language`]. Phrases that take a number
//! or a name are functions, so each language places them and chooses its plural forms.
//!
//! Texts of the table are plain text: the layout escapes them like any other text, except the
//! arguments documented as already escaped.

/// Every word and phrase the site writes, in one language.
#[derive(Debug)]
pub(crate) struct Words {
    /// The site name when none is configured.
    pub default_site_name: &'static str,
    /// The link that skips to the content, first in every page.
    pub skip_link: &'static str,
    /// The search box's placeholder.
    pub search_placeholder: &'static str,
    /// The search box's accessible label.
    pub search_label: &'static str,
    /// The search button.
    pub search_button: &'static str,
    /// The search page's heading and title without a query.
    pub search_title: &'static str,
    /// The search page's title with a query.
    pub search_title_for: fn(&str) -> String,
    /// The search page's description, given the site name.
    pub search_description: fn(&str) -> String,
    /// The count line of the search page, given the number of hits and the query **already
    /// escaped** (it is placed inside quotation marks as the language writes them).
    pub search_count: fn(usize, &str) -> String,
    /// The search-as-you-type box when nothing matches.
    pub no_results: &'static str,
    /// The search-as-you-type link to the full results page.
    pub all_results: &'static str,
    /// The toggle that opens the navigation on small screens, and the navigation's label.
    pub pages: &'static str,
    /// The link to the tag list, its title, and the label of a page's tags.
    pub tags: &'static str,
    /// The label of a tag page's sub-tags.
    pub sub_tags: &'static str,
    /// The footer link to the Atom feed.
    pub feed: &'static str,
    /// The heading of a page's backlinks.
    pub linked_from: &'static str,
    /// The heading of a page's local graph panel.
    pub connected_pages: &'static str,
    /// What that panel says when no page links with this one.
    pub no_connected_pages: &'static str,
    /// The link from the panel to the global graph.
    pub open_graph: &'static str,
    /// The global graph page's title.
    pub graph: &'static str,
    /// The global graph's switch for tag nodes.
    pub show_tags: &'static str,
    /// What the global graph page says to a reader without JavaScript.
    pub graph_needs_js: &'static str,
    /// The theme toggle's label, for each of its states.
    pub theme_system: &'static str,
    /// The theme toggle in its light state.
    pub theme_light: &'static str,
    /// The theme toggle in its dark state.
    pub theme_dark: &'static str,
    /// The heading of a page's table of contents.
    pub on_this_page: &'static str,
    /// Before the date a page changed (`Last updated 5 December 2026`).
    pub last_updated: &'static str,
    /// The 404 page's title and heading.
    pub page_not_found: &'static str,
    /// The 404 page's explanation.
    pub not_found_text: &'static str,
    /// The 404 page's link home.
    pub go_home: &'static str,
    /// The accessible label of the breadcrumbs.
    pub breadcrumbs: &'static str,
    /// The accessible label of a listing's pagination.
    pub pagination_label: &'static str,
    /// The link to the previous page of a listing.
    pub previous: &'static str,
    /// The link to the next page of a listing.
    pub next: &'static str,
    /// `Page 2 of 5`.
    pub page_of: fn(usize, usize) -> String,
    /// The description of a folder's index, given its label.
    pub pages_in: fn(&str) -> String,
    /// The description of the generated home page, given the site name.
    pub all_pages_of: fn(&str) -> String,
    /// The description of a tag's page, given the tag as shown (`#project`).
    pub pages_tagged: fn(&str) -> String,
    /// The description of the tag list, given the site name.
    pub all_tags_of: fn(&str) -> String,
    /// How many pages a tag has (`3 pages`).
    pub page_count: fn(usize) -> String,
    /// A folder with nothing in it.
    pub folder_empty: &'static str,
    /// The tag list of a site without tags.
    pub no_tags: &'static str,
    /// The heading of the generated home page's newest pages.
    pub recently_updated: &'static str,
    /// The title and heading of `/recent` and of a home note's list of the newest pages.
    pub recent_notes: &'static str,
    /// The description of `/recent`, given the site name.
    pub recent_description: fn(&str) -> String,
    /// The link from a home page's newest pages to `/recent`.
    pub all_recent_notes: &'static str,
    /// A page's reading time, given whole minutes (at least 1): `4 min read`.
    pub reading_time: fn(usize) -> String,
    /// The accessible label of a page's properties (its frontmatter, when shown).
    pub properties: &'static str,
    /// How many more entries a capped list (a page's backlinks) has (`12 more…`).
    pub more: fn(usize) -> String,
    /// The navigation's link to the rest of a folder's entries, on its folder page (no count:
    /// a page's navigation does not change when a far-away note joins the folder).
    pub nav_more: &'static str,
    /// Month names, January first, as written inside a date.
    pub months: [&'static str; 12],
    /// A date shown to readers, given year, month (1–12) and day.
    pub date: fn(&Words, &str, usize, u32) -> String,
}

impl Words {
    /// The table for a BCP 47 language tag: by primary subtag, case-insensitively; English for
    /// an empty or unknown language.
    pub(crate) fn for_language(language: &str) -> &'static Words {
        let primary = language.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        match primary.as_str() {
            "fr" => &FRENCH,
            _ => &ENGLISH,
        }
    }

    /// A date as readers of this language write it (`5 December 2026`, `5 décembre 2026`), from
    /// an ISO-8601 date or date-time (`2026-12-05`, `2026-12-05T10:00:00Z`). The ISO date's first
    /// ten characters as they are when it is not one.
    pub(crate) fn format_date(&self, iso: &str) -> String {
        let parts = iso.get(..10).and_then(|date| {
            let year = date.get(..4)?;
            let month: usize = date.get(5..7)?.parse().ok()?;
            let day: u32 = date.get(8..10)?.parse().ok()?;
            let valid =
                year.bytes().all(|b| b.is_ascii_digit()) && (1..=12).contains(&month) && (1..=31).contains(&day);
            valid.then_some((year, month, day))
        });
        match parts {
            Some((year, month, day)) => (self.date)(self, year, month, day),
            None => iso.chars().take(10).collect(),
        }
    }
}

/// The value of `<html lang>`: the site's language when it is a language tag
/// ([`vps_core::language::language_tag`]), else `en`.
pub(crate) fn lang_attribute(language: &str) -> &str {
    vps_core::language::language_tag(language).unwrap_or("en")
}

/// English: the default.
pub(crate) static ENGLISH: Words = Words {
    default_site_name: "Notes",
    skip_link: "Skip to content",
    search_placeholder: "Search…",
    search_label: "Search this site",
    search_button: "Search",
    search_title: "Search",
    search_title_for: |query| format!("Search: {query}"),
    search_description: |site| format!("Search {site}"),
    search_count: |count, query| match count {
        0 => format!("No pages match “{query}”."),
        1 => format!("1 result for “{query}”."),
        n => format!("{n} results for “{query}”."),
    },
    no_results: "No results",
    all_results: "All results",
    pages: "Pages",
    tags: "Tags",
    sub_tags: "Sub-tags",
    feed: "Feed",
    linked_from: "Linked from",
    connected_pages: "Connected pages",
    no_connected_pages: "No page links with this one.",
    open_graph: "Graph of the site",
    graph: "Graph",
    show_tags: "Show tags",
    graph_needs_js: "The graph is drawn with JavaScript. Every page can be reached from the navigation and the tags.",
    theme_system: "Theme: system",
    theme_light: "Theme: light",
    theme_dark: "Theme: dark",
    on_this_page: "On this page",
    last_updated: "Last updated",
    page_not_found: "Page not found",
    not_found_text: "There is no page at this address. It may have moved or been unpublished.",
    go_home: "Go to the home page",
    breadcrumbs: "Breadcrumb",
    pagination_label: "Pages of this listing",
    previous: "← Previous",
    next: "Next →",
    page_of: |number, count| format!("Page {number} of {count}"),
    pages_in: |folder| format!("Pages in {folder}"),
    all_pages_of: |site| format!("{site}: all pages"),
    pages_tagged: |tag| format!("Pages tagged {tag}"),
    all_tags_of: |site| format!("All tags of {site}"),
    page_count: |count| if count == 1 { "1 page".to_owned() } else { format!("{count} pages") },
    folder_empty: "This folder has no pages yet.",
    no_tags: "No page has a tag yet.",
    recently_updated: "Recently updated",
    recent_notes: "Recent notes",
    recent_description: |site| format!("The most recently updated pages of {site}"),
    all_recent_notes: "All recent notes →",
    reading_time: |minutes| format!("{minutes} min read"),
    properties: "Properties",
    more: |hidden| format!("{hidden} more…"),
    nav_more: "More…",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    date: |words, year, month, day| format!("{day} {} {year}", words.months[month - 1]),
};

/// French, with French typography: a no-break space (U+00A0) before `:` and inside « »,
/// the typographic apostrophe, `1er` for the first day of a month.
pub(crate) static FRENCH: Words = Words {
    default_site_name: "Notes",
    skip_link: "Aller au contenu",
    search_placeholder: "Rechercher…",
    search_label: "Rechercher dans ce site",
    search_button: "Rechercher",
    search_title: "Recherche",
    search_title_for: |query| format!("Recherche\u{a0}: {query}"),
    search_description: |site| format!("Rechercher dans {site}"),
    search_count: |count, query| match count {
        0 => format!("Aucune page ne correspond à «\u{a0}{query}\u{a0}»."),
        1 => format!("1 résultat pour «\u{a0}{query}\u{a0}»."),
        n => format!("{n} résultats pour «\u{a0}{query}\u{a0}»."),
    },
    no_results: "Aucun résultat",
    all_results: "Tous les résultats",
    pages: "Pages",
    tags: "Étiquettes",
    sub_tags: "Sous-étiquettes",
    feed: "Flux",
    linked_from: "Pages qui mènent ici",
    connected_pages: "Pages liées",
    no_connected_pages: "Aucune page n’est liée à celle-ci.",
    open_graph: "Graphe du site",
    graph: "Graphe",
    show_tags: "Afficher les étiquettes",
    graph_needs_js: "Le graphe est dessiné en JavaScript. Toutes les pages sont accessibles depuis la navigation et les étiquettes.",
    theme_system: "Thème : système",
    theme_light: "Thème : clair",
    theme_dark: "Thème : sombre",
    on_this_page: "Sur cette page",
    last_updated: "Mis à jour le",
    page_not_found: "Page introuvable",
    not_found_text: "Il n’y a pas de page à cette adresse. Elle a peut-être été déplacée ou retirée.",
    go_home: "Aller à la page d’accueil",
    breadcrumbs: "Fil d’Ariane",
    pagination_label: "Pages de cette liste",
    previous: "← Précédente",
    next: "Suivante →",
    page_of: |number, count| format!("Page {number} sur {count}"),
    pages_in: |folder| format!("Pages du dossier {folder}"),
    all_pages_of: |site| format!("{site}\u{a0}: toutes les pages"),
    pages_tagged: |tag| format!("Pages avec l’étiquette {tag}"),
    all_tags_of: |site| format!("Toutes les étiquettes de {site}"),
    // French singular covers 0 and 1.
    page_count: |count| if count <= 1 { format!("{count} page") } else { format!("{count} pages") },
    folder_empty: "Ce dossier n’a pas encore de page.",
    no_tags: "Aucune page n’a encore d’étiquette.",
    recently_updated: "Mises à jour récentes",
    recent_notes: "Notes récentes",
    recent_description: |site| format!("Les pages de {site} mises à jour le plus récemment"),
    all_recent_notes: "Toutes les notes récentes →",
    reading_time: |minutes| format!("{minutes}\u{a0}min de lecture"),
    properties: "Propriétés",
    more: |hidden| if hidden == 1 { "1 autre…".to_owned() } else { format!("{hidden} autres…") },
    nav_more: "Plus…",
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    date: |words, year, month, day| {
        let day = if day == 1 { "1er".to_owned() } else { day.to_string() };
        format!("{day} {} {year}", words.months[month - 1])
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_follows_the_primary_subtag_and_unknown_languages_get_english() {
        for tag in ["fr", "fr-CA", "FR", "fr_BE", " fr-fr "] {
            assert!(std::ptr::eq(Words::for_language(tag), &FRENCH), "{tag}");
        }
        for tag in ["", "en", "en-GB", "ja", "xx-unknown", "français", "<script>"] {
            assert!(std::ptr::eq(Words::for_language(tag), &ENGLISH), "{tag}");
        }
    }

    #[test]
    fn lang_attribute_keeps_only_well_formed_tags() {
        assert_eq!(lang_attribute("fr-CA"), "fr-CA");
        assert_eq!(lang_attribute(" ja "), "ja");
        assert_eq!(lang_attribute("zh-Hant-TW"), "zh-Hant-TW");
        for bad in ["", "fr\"><script>", "fr CA", "é", "-fr", "fr-", &"a".repeat(36)] {
            assert_eq!(lang_attribute(bad), "en", "{bad:?}");
        }
        assert_eq!(lang_attribute(&"a".repeat(35)), "a".repeat(35));
    }

    #[test]
    fn dates_are_written_as_the_language_writes_them() {
        assert_eq!(ENGLISH.format_date("2026-12-05T10:00:00Z"), "5 December 2026");
        assert_eq!(FRENCH.format_date("2026-12-05"), "5 décembre 2026");
        assert_eq!(FRENCH.format_date("2026-08-01"), "1er août 2026");
        assert_eq!(ENGLISH.format_date("2026-13-05"), "2026-13-05", "not a date: shown as it is");
    }

    #[test]
    fn french_uses_french_typography() {
        assert_eq!((FRENCH.search_title_for)("x"), "Recherche\u{a0}: x");
        assert_eq!((FRENCH.search_count)(2, "chat"), "2 résultats pour «\u{a0}chat\u{a0}».");
        assert_eq!((FRENCH.page_count)(0), "0 page");
        assert_eq!((ENGLISH.page_count)(0), "0 pages");
        assert!(!FRENCH.not_found_text.contains('\''), "typographic apostrophes");
    }
}
