// The reader's theme: light, dark or the system's, remembered in localStorage. Loaded without
// `defer` at the top of <head>, so the theme is applied before anything is painted (no flash of
// the wrong theme). The stylesheet follows <html data-theme>: "light", "dark", or absent for the
// system's preference. The site's default comes from <html data-default-theme> (written by the
// server); the toggle in the header cycles system → light → dark and is shown only with this
// script, since it cannot work without it.
(function () {
  "use strict";
  var root = document.documentElement;
  var KEY = "vps-publish-theme";
  var STATES = ["system", "light", "dark"];
  var ICONS = { system: "\u25d0", light: "\u2600", dark: "\u263e" };

  function stored() {
    try {
      return window.localStorage.getItem(KEY);
    } catch (e) {
      return null; // storage disabled: the default applies
    }
  }
  function choice() {
    var value = stored();
    if (STATES.indexOf(value) >= 0) return value;
    var fallback = root.getAttribute("data-default-theme");
    return STATES.indexOf(fallback) >= 0 ? fallback : "system";
  }
  function apply(state) {
    if (state === "light" || state === "dark") root.setAttribute("data-theme", state);
    else root.removeAttribute("data-theme");
  }
  var current = choice();
  apply(current);
  // The toggle takes its place in the header before the first paint (the stylesheet shows it
  // under this class): shown later, it would push the page down on a phone, where it wraps the
  // header onto a second line.
  root.classList.add("theme-toggle-on");

  function show(button, state) {
    var label = button.getAttribute("data-label-" + state) || state;
    button.textContent = ICONS[state];
    button.setAttribute("aria-label", label);
    button.setAttribute("title", label);
    button.setAttribute("data-state", state);
  }
  function wire() {
    var button = document.querySelector("button.theme-toggle");
    if (!button) return;
    show(button, current);
    button.hidden = false;
    button.addEventListener("click", function () {
      current = STATES[(STATES.indexOf(current) + 1) % STATES.length];
      try {
        window.localStorage.setItem(KEY, current);
      } catch (e) {
        // not remembered, still applied to this page
      }
      apply(current);
      show(button, current);
    });
    // Another tab changed it.
    window.addEventListener("storage", function (event) {
      if (event.key === KEY) {
        var current = choice();
  apply(current);
        show(button, choice());
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
