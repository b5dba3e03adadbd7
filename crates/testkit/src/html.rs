//! Reading served HTML the way a test needs it: every element with its attributes and its text.
//!
//! A flat list rather than a tree: html5ever's tokenizer, an element stack (end tags close up to
//! the matching open element; void elements never open), and each text run appended to every
//! open element. Good enough for our own well-formed pages; not a browser's tree builder.
//!
//! ```
//! let page = vps_testkit::html::elements(r#"<p>See <span class="wikilink wikilink-unresolved">Gone</span><img src="/a.png"></p>"#);
//! let unresolved: Vec<&str> =
//!     page.iter().filter(|e| e.has_class("wikilink-unresolved")).map(|e| e.text.as_str()).collect();
//! assert_eq!(unresolved, ["Gone"]);
//! assert_eq!(page.iter().find(|e| e.name == "img").and_then(|e| e.attr("src")), Some("/a.png"));
//! ```

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};

const VOID: &[&str] =
    &["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"];

/// One element of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Lower-case tag name.
    pub name: String,
    /// Its attributes in source order, names lower-case, values entity-decoded.
    pub attrs: Vec<(String, String)>,
    /// Its text content, entities decoded (empty for void elements).
    pub text: String,
    /// Indices (into the list [`elements`] answers) of the elements it is inside, outermost first.
    pub ancestors: Vec<usize>,
}

impl Element {
    /// The value of attribute `name` (lower-case), if the element has it.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// Whether `class` is one of the words of its `class` attribute.
    pub fn has_class(&self, class: &str) -> bool {
        self.attr("class").is_some_and(|classes| classes.split_ascii_whitespace().any(|c| c == class))
    }

    /// Whether it is inside an element of `page` (the list it comes from) that `outer` accepts.
    pub fn is_inside(&self, page: &[Element], outer: impl Fn(&Element) -> bool) -> bool {
        self.ancestors.iter().any(|&i| outer(&page[i]))
    }
}

/// Every element of `html`, in document order.
pub fn elements(html: &str) -> Vec<Element> {
    let tokenizer = Tokenizer::new(Collector::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.state.into_inner().elements
}

#[derive(Default)]
struct Collector {
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    elements: Vec<Element>,
    /// Indices of the open elements.
    open: Vec<usize>,
}

impl State {
    fn text(&mut self, text: &str) {
        for &i in &self.open {
            self.elements[i].text.push_str(text);
        }
    }
}

impl TokenSink for Collector {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) => {
                let name = tag.name.to_string();
                match tag.kind {
                    TagKind::StartTag => {
                        let attrs = tag
                            .attrs
                            .iter()
                            .map(|attr| (attr.name.local.to_string(), attr.value.to_string()))
                            .collect();
                        let index = state.elements.len();
                        let void = VOID.contains(&name.as_str()) || tag.self_closing;
                        let ancestors = state.open.clone();
                        state.elements.push(Element { name, attrs, text: String::new(), ancestors });
                        if !void {
                            state.open.push(index);
                        }
                    }
                    TagKind::EndTag => {
                        let found = state.open.iter().rposition(|&i| state.elements[i].name == name);
                        if let Some(at) = found {
                            state.open.truncate(at);
                        }
                    }
                }
            }
            Token::CharacterTokens(text) => state.text(&text),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_nests_and_void_elements_do_not_open() {
        let page = elements(
            "<article><h1>T&amp;C</h1><p>a<br>b <img src='x.png' alt=\"y\"><em class='k z'>c</em></p></article><p>after",
        );
        let names: Vec<&str> = page.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["article", "h1", "p", "br", "img", "em", "p"]);
        assert_eq!(page[0].text, "T&Cab c");
        assert_eq!(page[2].text, "ab c");
        assert_eq!(page[4].attr("src"), Some("x.png"));
        assert!(page[5].has_class("z") && !page[5].has_class("k z"));
        assert_eq!(page[6].text, "after");
        assert_eq!(page[5].ancestors, [0, 2]);
        assert!(
            page[5].is_inside(&page, |e| e.name == "article") && !page[6].is_inside(&page, |e| e.name == "article")
        );
    }
}
