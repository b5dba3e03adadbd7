// Link previews: hovering or focusing a link to another page of the site shows that page's title
// and the start of its first section (or of the linked heading's), fetched from the server's
// `_preview` (which answers only for pages this reader may see). Escape or moving away closes it.
// The text is written as text, never as markup. Optional: links work the same without it.
(function () {
  "use strict";
  if (!window.fetch || !window.URL) return;
  var siteLink = document.querySelector("a.site-name");
  var root = new URL(siteLink ? siteLink.getAttribute("href") : "/", window.location.href);
  // Paths of the site that are not pages.
  var NOT_PAGES = /^(_|assets\/|tags(\/|$)|search$|feed\.xml$|sitemap\.xml$|graph$|publish\.css$|favicon\.svg$)/;
  var AREAS = ".markdown-body, .backlinks, .graph-neighbours, .site-nav, .listing, .search-results";
  var DELAY = 350;
  var cache = new Map();
  var box = null;
  var showing = null;
  var timer = 0;
  var hideTimer = 0;

  // The page a link leads to, as `{path, anchor}` from the site's root, or null.
  function target(link) {
    if (!link.closest(AREAS) || link.closest(".link-preview")) return null;
    var href = link.getAttribute("href");
    if (!href || href.charAt(0) === "#") return null;
    var url;
    try {
      url = new URL(href, window.location.href);
    } catch (e) {
      return null;
    }
    if (url.origin !== root.origin || url.pathname.indexOf(root.pathname) !== 0) return null;
    var rest = url.pathname.slice(root.pathname.length);
    if (NOT_PAGES.test(rest)) return null;
    var here = window.location.pathname === url.pathname;
    if (here && !url.hash) return null;
    return { path: "/" + rest, anchor: url.hash ? url.hash.slice(1) : "" };
  }

  function load(page) {
    var key = page.path + "#" + page.anchor;
    if (!cache.has(key)) {
      var query = "path=" + encodeURIComponent(page.path) + (page.anchor ? "&anchor=" + encodeURIComponent(page.anchor) : "");
      var request = window
        .fetch(new URL("_preview?" + query, root).href, { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .catch(function () {
          return null;
        });
      if (cache.size >= 100) cache.delete(cache.keys().next().value);
      cache.set(key, request);
    }
    return cache.get(key);
  }

  function hide() {
    window.clearTimeout(timer);
    window.clearTimeout(hideTimer);
    if (showing) showing.removeAttribute("aria-describedby");
    showing = null;
    if (box) box.hidden = true;
  }

  function show(link, preview) {
    if (!box) {
      box = document.createElement("div");
      box.className = "link-preview";
      box.id = "link-preview";
      box.setAttribute("role", "tooltip");
      box.hidden = true;
      box.addEventListener("mouseenter", function () {
        window.clearTimeout(hideTimer);
      });
      box.addEventListener("mouseleave", scheduleHide);
      document.body.appendChild(box);
    }
    box.textContent = "";
    var title = document.createElement("p");
    title.className = "link-preview-title";
    title.textContent = preview.heading ? preview.title + " › " + preview.heading : preview.title;
    title.setAttribute("dir", "auto");
    var text = document.createElement("p");
    text.className = "link-preview-text";
    text.textContent = preview.text;
    text.setAttribute("dir", "auto");
    box.appendChild(title);
    if (preview.text) box.appendChild(text);
    var rect = link.getBoundingClientRect();
    box.hidden = false;
    var left = Math.max(8, Math.min(rect.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - box.offsetWidth - 8));
    var below = rect.bottom + window.scrollY + 6;
    var above = rect.top + window.scrollY - box.offsetHeight - 6;
    var fitsBelow = rect.bottom + box.offsetHeight + 12 < window.innerHeight;
    box.style.left = left + "px";
    box.style.top = (fitsBelow || above < window.scrollY ? below : above) + "px";
    link.setAttribute("aria-describedby", box.id);
    showing = link;
  }

  function scheduleHide() {
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(hide, 200);
  }

  function begin(event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || link === showing) {
      if (link) window.clearTimeout(hideTimer);
      return;
    }
    var page = target(link);
    if (!page) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(
      function () {
        load(page).then(function (preview) {
          // Still wanted: the pointer or focus is on the link.
          if (preview && (link.matches(":hover") || document.activeElement === link)) show(link, preview);
        });
      },
      event.type === "focusin" ? 0 : DELAY
    );
  }

  function end(event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link) return;
    window.clearTimeout(timer);
    if (link === showing) scheduleHide();
  }

  document.addEventListener("mouseover", begin);
  document.addEventListener("focusin", begin);
  document.addEventListener("mouseout", end);
  document.addEventListener("focusout", end);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && showing) hide();
  });
  window.addEventListener("scroll", function () {
    if (showing && !showing.matches(":hover")) hide();
  }, { passive: true });
})();
