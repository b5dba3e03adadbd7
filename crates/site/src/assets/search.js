// Search-as-you-type for the header search box. Optional: without this script the form submits
// to the search page and the server answers with a full results page. Every URL comes from the
// form's action, which the page writes relative to itself: the site works under any path prefix.
(function () {
  "use strict";
  var form = document.querySelector("form.site-search");
  if (!form || !window.fetch) return;
  var input = form.querySelector('input[name="q"]');
  if (!input) return;
  // The search page's absolute URL (`https://host/notes/search`), as the browser resolved it.
  var searchUrl = form.action;
  if (typeof searchUrl !== "string" || !searchUrl) return;
  // The site's words, in its language, from the form (the page writes them from its table).
  var noResults = form.getAttribute("data-no-results") || "No results";
  var allResults = form.getAttribute("data-all-results") || "All results";

  var box = document.createElement("div");
  box.className = "search-suggest";
  box.id = "search-suggest";
  box.hidden = true;
  form.appendChild(box);
  input.setAttribute("aria-controls", box.id);
  input.setAttribute("aria-expanded", "false");

  var timer = 0;
  var latest = 0;

  function hide() {
    box.hidden = true;
    box.textContent = "";
    input.setAttribute("aria-expanded", "false");
  }

  // The absolute URL of a result on this site, or null. `href` is relative to the search page;
  // resolving it there and comparing origins catches every way out (`//host`, `/\host`,
  // `https:`, tabs in the scheme), and the link gets the absolute URL, which no browser can
  // read as another origin.
  function localHref(href) {
    if (typeof href !== "string" || !href) return null;
    var url;
    try {
      url = new URL(href, searchUrl);
    } catch (error) {
      return null;
    }
    return url.origin === window.location.origin ? url.href : null;
  }

  function searchHref(query, json) {
    var url = new URL(searchUrl);
    url.search = (json ? "format=json&" : "") + "q=" + encodeURIComponent(query);
    return url.href;
  }

  function show(hits, query) {
    box.textContent = "";
    if (!hits.length) {
      var empty = document.createElement("p");
      empty.textContent = noResults;
      box.appendChild(empty);
    } else {
      var list = document.createElement("ul");
      hits.slice(0, 8).forEach(function (hit) {
        var href = localHref(hit.href);
        if (!href) return;
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = href;
        var title = document.createElement("span");
        title.className = "search-suggest-title";
        title.dir = "auto";
        title.textContent = hit.title;
        link.appendChild(title);
        if (hit.snippet) {
          // The server escapes the text; the snippet's only markup is <mark>.
          var snippet = document.createElement("span");
          snippet.className = "search-suggest-snippet";
          snippet.dir = "auto";
          snippet.innerHTML = hit.snippet;
          link.appendChild(snippet);
        }
        item.appendChild(link);
        list.appendChild(item);
      });
      var all = document.createElement("li");
      var more = document.createElement("a");
      more.href = searchHref(query, false);
      more.textContent = allResults;
      all.appendChild(more);
      list.appendChild(all);
      box.appendChild(list);
    }
    box.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var query = input.value.trim();
    if (query.length < 2) {
      hide();
      return;
    }
    timer = setTimeout(function () {
      var mine = ++latest;
      fetch(searchHref(query, true), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (hits) { if (mine === latest) show(Array.isArray(hits) ? hits : [], query); })
        .catch(hide);
    }, 200);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      hide();
    } else if (event.key === "ArrowDown" && !box.hidden) {
      var first = box.querySelector("a");
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  });

  box.addEventListener("keydown", function (event) {
    var links = Array.prototype.slice.call(box.querySelectorAll("a"));
    var index = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && index < links.length - 1) {
      event.preventDefault();
      links[index + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (index > 0 ? links[index - 1] : input).focus();
    } else if (event.key === "Escape") {
      hide();
      input.focus();
    }
  });

  document.addEventListener("click", function (event) {
    if (!form.contains(event.target)) hide();
  });
})();
