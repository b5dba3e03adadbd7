//! The login page: a form that works without JavaScript, in the site's stylesheet. Served at
//! `/_login` and, with 401, at any page the visitor may not read (so its URLs are relative to
//! where it is served). Every text reaches the markup through [`vps_site::escape`].

use vps_site::{escape, relative_url, style_href};

/// What the login page shows.
pub(crate) struct LoginPage<'a> {
    pub site_name: &'a str,
    /// The logged-in reader's name, if any: then a logout button rather than the form.
    pub reader: Option<&'a str>,
    /// Where it is served (`/_login`, or the protected page's route): its URLs are relative to it.
    pub served_at: &'a str,
    /// Where to go after logging in.
    pub next: &'a str,
    /// The CSRF value of the form (its cookie is set with the page).
    pub csrf: &'a str,
    /// A line above the form (why it is shown, or that the last try failed).
    pub message: Option<&'a str>,
}

pub(crate) fn render(page: &LoginPage<'_>) -> String {
    let from = page.served_at;
    let style = escape(&relative_url(from, &style_href()));
    let login = escape(&relative_url(from, "/_login"));
    let logout = escape(&relative_url(from, "/_logout"));
    let home = escape(&relative_url(from, "/"));
    let site = escape(page.site_name);
    let message = page.message.map(|text| format!("<p class=\"login-message\" role=\"alert\">{}</p>\n", escape(text)));
    let body = match page.reader {
        Some(name) => format!(
            "<p>Logged in as <strong>{name}</strong>.</p>\n\
             <form method=\"post\" action=\"{logout}\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button type=\"submit\">Log out</button></form>\n\
             <p>Or log in as another reader:</p>\n{form}",
            name = escape(name),
            csrf = escape(page.csrf),
            form = form(&login, page),
        ),
        None => form(&login, page),
    };
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>Log in · {site}</title>\n\
         <link rel=\"stylesheet\" href=\"{style}\">\n</head>\n<body>\n\
         <main class=\"login\">\n<h1>Log in to <a href=\"{home}\">{site}</a></h1>\n{message}{body}</main>\n</body>\n</html>\n",
        message = message.unwrap_or_default(),
    )
}

fn form(action: &str, page: &LoginPage<'_>) -> String {
    format!(
        "<form method=\"post\" action=\"{action}\" class=\"login-form\">\n\
         <label>Name <input name=\"name\" autocomplete=\"username\" required autofocus></label>\n\
         <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\n\
         <button type=\"submit\">Log in</button>\n</form>\n",
        csrf = escape(page.csrf),
        next = escape(page.next),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_escapes_what_it_shows_and_posts_to_the_login_route() {
        let page = LoginPage {
            site_name: "<Notes>",
            reader: None,
            served_at: "/work/plan",
            next: "/work/\"plan\"",
            csrf: "abc",
            message: Some("<b>no</b>"),
        };
        let html = render(&page);
        assert!(html.contains("&lt;Notes&gt;") && !html.contains("<Notes>"));
        assert!(html.contains("&lt;b&gt;no&lt;/b&gt;"));
        assert!(html.contains("action=\"../_login\""), "{html}");
        assert!(html.contains("name=\"next\" value=\"/work/&quot;plan&quot;\""));
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"));
    }
}
