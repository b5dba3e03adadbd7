// canvas: the page of a `.canvas` file laid out as drawn. Optional: without it the page lists the
// cards in reading order and the connections after them. The renderer writes each card's place
// (`data-x`, `data-y`, `data-width`, `data-height`, canvas units) and each connection's ends
// (`data-from`/`data-to`: the `data-node` of its cards, sides, arrow ends); this part positions
// the cards, draws the connections as SVG paths with arrowheads and labels, and lets the reader
// pan (drag, arrow keys) and zoom (wheel, pinch, the + and − buttons, "Fit", the keys + − 0).
(function () {
  "use strict";
  var roots = document.querySelectorAll(".canvas[data-canvas]");
  if (!roots.length) return;
  var SVG = "http://www.w3.org/2000/svg";
  var PAD = 60;
  var MIN_SCALE = 0.05;
  var MAX_SCALE = 4;
  var NORMAL = { top: [0, -1], bottom: [0, 1], left: [-1, 0], right: [1, 0] };

  function num(el, name) {
    var value = parseFloat(el.getAttribute("data-" + name));
    return isFinite(value) ? value : 0;
  }

  function svg(name, attributes) {
    var el = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) {
      el.setAttribute(key, attributes[key]);
    });
    return el;
  }

  function colour(from, to) {
    for (var i = 1; i <= 6; i++) {
      if (from.classList.contains("canvas-color-" + i)) to.classList.add("canvas-color-" + i);
    }
    var hex = from.getAttribute("data-color");
    if (hex && /^#[0-9a-f]{6}$/.test(hex)) to.style.setProperty("--canvas-color", hex);
  }

  function sides(a, b) {
    var dx = b.x + b.w / 2 - (a.x + a.w / 2);
    var dy = b.y + b.h / 2 - (a.y + a.h / 2);
    if (Math.abs(dx) > Math.abs(dy)) return dx > 0 ? ["right", "left"] : ["left", "right"];
    return dy > 0 ? ["bottom", "top"] : ["top", "bottom"];
  }

  function anchor(node, side) {
    if (side === "top") return [node.x + node.w / 2, node.y];
    if (side === "bottom") return [node.x + node.w / 2, node.y + node.h];
    if (side === "left") return [node.x, node.y + node.h / 2];
    return [node.x + node.w, node.y + node.h / 2];
  }

  function arrow(point, side) {
    // Points into the node, at the side's outward normal.
    var n = NORMAL[side];
    var size = 14;
    var tip = point;
    var base = [point[0] + n[0] * size, point[1] + n[1] * size];
    var half = [-n[1] * size * 0.5, n[0] * size * 0.5];
    return svg("polygon", {
      class: "canvas-edge-arrow",
      points: [tip, [base[0] + half[0], base[1] + half[1]], [base[0] - half[0], base[1] - half[1]]]
        .map(function (p) {
          return p[0] + "," + p[1];
        })
        .join(" "),
    });
  }

  function setup(root) {
    var board = root.querySelector(".canvas-board");
    if (!board) return;
    var originX = num(root, "min-x") - PAD;
    var originY = num(root, "min-y") - PAD;
    var width = num(root, "max-x") - originX + PAD;
    var height = num(root, "max-y") - originY + PAD;
    var nodes = {};
    root.classList.add("canvas-live");
    board.querySelectorAll(".canvas-node[data-node]").forEach(function (el) {
      var node = { x: num(el, "x"), y: num(el, "y"), w: num(el, "width"), h: num(el, "height") };
      nodes[el.getAttribute("data-node")] = node;
      // Placed in the nearest positioned box around it: its group, or the board.
      var group = el.parentElement.closest(".canvas-group[data-node]");
      var left = group ? num(group, "x") : originX;
      var top = group ? num(group, "y") : originY;
      el.style.left = node.x - left + "px";
      el.style.top = node.y - top + "px";
      el.style.width = node.w + "px";
      el.style.height = node.h + "px";
      // Cards overlap as in the file: a later node above an earlier one (edges below them all).
      if (!el.classList.contains("canvas-group")) el.style.zIndex = String(2 + Number(el.getAttribute("data-node")));
      colour(el, el);
    });
    board.style.width = width + "px";
    board.style.height = height + "px";

    var layer = svg("svg", { class: "canvas-edges", width: width, height: height, "aria-hidden": "true" });
    root.querySelectorAll(".canvas-edge[data-from][data-to]").forEach(function (li) {
      var a = nodes[li.getAttribute("data-from")];
      var b = nodes[li.getAttribute("data-to")];
      if (!a || !b) return;
      var auto = sides(a, b);
      var fromSide = NORMAL[li.getAttribute("data-from-side")] ? li.getAttribute("data-from-side") : auto[0];
      var toSide = NORMAL[li.getAttribute("data-to-side")] ? li.getAttribute("data-to-side") : auto[1];
      var p0 = anchor(a, fromSide);
      var p3 = anchor(b, toSide);
      p0 = [p0[0] - originX, p0[1] - originY];
      p3 = [p3[0] - originX, p3[1] - originY];
      var reach = Math.min(200, Math.max(40, Math.hypot(p3[0] - p0[0], p3[1] - p0[1]) / 3));
      var p1 = [p0[0] + NORMAL[fromSide][0] * reach, p0[1] + NORMAL[fromSide][1] * reach];
      var p2 = [p3[0] + NORMAL[toSide][0] * reach, p3[1] + NORMAL[toSide][1] * reach];
      var shape = svg("g", { class: "canvas-edge-shape" });
      colour(li, shape);
      shape.appendChild(
        svg("path", {
          class: "canvas-edge-line",
          d: "M" + p0.join(",") + " C" + p1.join(",") + " " + p2.join(",") + " " + p3.join(","),
        })
      );
      if (li.getAttribute("data-to-end") === "arrow") shape.appendChild(arrow(p3, toSide));
      if (li.getAttribute("data-from-end") === "arrow") shape.appendChild(arrow(p0, fromSide));
      var label = li.querySelector(".canvas-edge-label");
      if (label) {
        var text = svg("text", {
          class: "canvas-edge-text",
          x: 0.125 * p0[0] + 0.375 * p1[0] + 0.375 * p2[0] + 0.125 * p3[0],
          y: 0.125 * p0[1] + 0.375 * p1[1] + 0.375 * p2[1] + 0.125 * p3[1],
        });
        text.textContent = label.textContent;
        shape.appendChild(text);
      }
      layer.appendChild(shape);
    });
    board.insertBefore(layer, board.firstChild);

    var viewport = document.createElement("div");
    viewport.className = "canvas-viewport";
    viewport.tabIndex = 0;
    viewport.setAttribute("role", "region");
    viewport.setAttribute("aria-label", "Canvas: drag or use the arrow keys to move, + and − to zoom, 0 to fit");
    board.parentNode.insertBefore(viewport, board);
    viewport.appendChild(board);

    var view = { scale: 1, x: 0, y: 0 };
    function apply() {
      board.style.transform = "translate(" + view.x + "px," + view.y + "px) scale(" + view.scale + ")";
      root.setAttribute("data-scale", view.scale.toFixed(4));
    }
    function fit() {
      var w = viewport.clientWidth;
      var h = viewport.clientHeight;
      view.scale = Math.max(MIN_SCALE, Math.min(1, w / width, h / height));
      view.x = (w - width * view.scale) / 2;
      view.y = (h - height * view.scale) / 2;
      apply();
    }
    function zoom(factor, cx, cy) {
      if (cx === undefined) {
        cx = viewport.clientWidth / 2;
        cy = viewport.clientHeight / 2;
      }
      var scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, view.scale * factor));
      view.x = cx - ((cx - view.x) * scale) / view.scale;
      view.y = cy - ((cy - view.y) * scale) / view.scale;
      view.scale = scale;
      apply();
    }
    function pan(dx, dy) {
      view.x += dx;
      view.y += dy;
      apply();
    }

    var controls = document.createElement("div");
    controls.className = "canvas-controls";
    [
      ["+", "Zoom in", function () { zoom(1.25); }],
      ["\u2212", "Zoom out", function () { zoom(0.8); }],
      ["Fit", "Fit the canvas in view", fit],
    ].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = spec[0];
      button.setAttribute("aria-label", spec[1]);
      button.title = spec[1];
      button.addEventListener("click", spec[2]);
      controls.appendChild(button);
    });
    viewport.parentNode.insertBefore(controls, viewport);

    viewport.addEventListener(
      "wheel",
      function (event) {
        event.preventDefault();
        var box = viewport.getBoundingClientRect();
        zoom(Math.exp(-event.deltaY * (event.deltaMode ? 0.05 : 0.0015)), event.clientX - box.left, event.clientY - box.top);
      },
      { passive: false }
    );
    viewport.addEventListener("keydown", function (event) {
      var step = 60;
      var actions = {
        ArrowLeft: function () { pan(step, 0); },
        ArrowRight: function () { pan(-step, 0); },
        ArrowUp: function () { pan(0, step); },
        ArrowDown: function () { pan(0, -step); },
        "+": function () { zoom(1.25); },
        "=": function () { zoom(1.25); },
        "-": function () { zoom(0.8); },
        "0": fit,
      };
      if (event.target !== viewport || event.ctrlKey || event.metaKey || event.altKey || !actions[event.key]) return;
      event.preventDefault();
      actions[event.key]();
    });

    // Drag to pan with one pointer, pinch to zoom with two; links and controls inside cards
    // keep their clicks.
    var pointers = {};
    var pinch = null;
    function interactive(target) {
      return target.closest && target.closest("a, button, input, select, textarea, summary, audio, video, object");
    }
    viewport.addEventListener("pointerdown", function (event) {
      if (interactive(event.target) || event.button > 0) return;
      pointers[event.pointerId] = [event.clientX, event.clientY];
      viewport.setPointerCapture(event.pointerId);
      viewport.classList.add("canvas-dragging");
    });
    viewport.addEventListener("pointermove", function (event) {
      var last = pointers[event.pointerId];
      if (!last) return;
      var ids = Object.keys(pointers);
      pointers[event.pointerId] = [event.clientX, event.clientY];
      if (ids.length === 1) {
        pan(event.clientX - last[0], event.clientY - last[1]);
        return;
      }
      var a = pointers[ids[0]];
      var b = pointers[ids[1]];
      var distance = Math.hypot(a[0] - b[0], a[1] - b[1]);
      var box = viewport.getBoundingClientRect();
      if (pinch && distance > 0) zoom(distance / pinch, (a[0] + b[0]) / 2 - box.left, (a[1] + b[1]) / 2 - box.top);
      pinch = distance;
    });
    function release(event) {
      delete pointers[event.pointerId];
      pinch = null;
      if (!Object.keys(pointers).length) viewport.classList.remove("canvas-dragging");
    }
    viewport.addEventListener("pointerup", release);
    viewport.addEventListener("pointercancel", release);

    fit();
  }

  roots.forEach(setup);
})();
