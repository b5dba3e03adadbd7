// media: an image of a page opens full size in a lightbox. Optional: the renderer wraps every
// image that is not already in a link in `<a class="image-link" href="<full-size file>">`, so
// without this script a click still shows the image whole. The lightbox is a modal <dialog>,
// made when an image is opened and removed when it closes (the page keeps no empty image): the
// browser keeps focus inside it and closes it on Escape; a click anywhere closes it too, and
// focus returns to the image's link.
(function () {
  "use strict";
  var links = document.querySelectorAll(".markdown-body a.image-link");
  if (!links.length || typeof document.createElement("dialog").showModal !== "function") return;

  function open(link) {
    var thumbnail = link.querySelector("img");
    var dialog = document.createElement("dialog");
    dialog.className = "lightbox";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "lightbox-close";
    close.setAttribute("aria-label", "Close");
    close.textContent = "\u00d7";
    var image = document.createElement("img");
    image.className = "lightbox-image";
    image.alt = thumbnail ? thumbnail.alt : "";
    image.src = link.href;
    dialog.setAttribute("aria-label", image.alt);
    dialog.appendChild(close);
    dialog.appendChild(image);
    dialog.addEventListener("click", function () {
      dialog.close();
    });
    dialog.addEventListener("close", function () {
      dialog.remove();
      link.focus();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    close.focus();
  }

  Array.prototype.forEach.call(links, function (link) {
    link.addEventListener("click", function (event) {
      // A click with a modifier opens the file as the reader asked (new tab, download...).
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      open(link);
    });
  });
})();
