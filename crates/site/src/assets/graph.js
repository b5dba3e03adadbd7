// The graph: each page's local graph (its neighbours to depth 1 or 2) and the global graph page,
// drawn on a <canvas> from the site's graph document (`data-graph`, fetched once per page). A
// force layout of our own (many-body repulsion with a Barnes–Hut quadtree, link springs, a weak
// pull to the centre) runs a few steps per frame, so the graph is drawn and usable at once and
// settles while the reader looks. Pan by dragging, zoom with the wheel or a pinch, click a node
// to open its page. Optional: without this script the panel lists the neighbours as links.
(function () {
  "use strict";
  var holders = document.querySelectorAll(".local-graph[data-graph], .global-graph[data-graph]");
  if (!holders.length || !window.fetch || !window.requestAnimationFrame || !window.URL) return;
  var siteLink = document.querySelector("a.site-name");
  // The site's root URL (the site name links to it, relative to this page): node paths are
  // resolved against it, so the graph works under any path prefix.
  var root = new URL(siteLink ? siteLink.getAttribute("href") : "/", window.location.href);
  var documents = {};
  window.vpsGraphs = [];

  function load(url) {
    if (!documents[url]) {
      documents[url] = window.fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) throw new Error("graph document: " + response.status);
        return response.json();
      });
    }
    return documents[url];
  }

  function pageUrl(path) {
    return new URL(path.replace(/^\/+/, ""), root).href;
  }

  // Undirected adjacency in compressed rows: neighbours of i are adj[start[i] .. start[i+1]).
  function adjacency(count, edges) {
    var degree = new Int32Array(count + 1);
    edges.forEach(function (e) {
      degree[e[0]]++;
      degree[e[1]]++;
    });
    var start = new Int32Array(count + 1);
    for (var i = 0; i < count; i++) start[i + 1] = start[i] + degree[i];
    var fill = start.slice(0, count);
    var adj = new Int32Array(start[count]);
    edges.forEach(function (e) {
      adj[fill[e[0]]++] = e[1];
      adj[fill[e[1]]++] = e[0];
    });
    return { start: start, adj: adj };
  }

  // The part of the graph to draw: the whole, or the neighbourhood of `centre` to `depth`.
  function subgraph(graph, rows, centre, depth, withTags) {
    var pick = [];
    var index = new Map();
    function add(i) {
      if (!index.has(i)) {
        index.set(i, pick.length);
        pick.push(i);
      }
    }
    if (centre < 0) {
      for (var i = 0; i < graph.nodes.length; i++) add(i);
    } else {
      add(centre);
      var frontier = [centre];
      for (var d = 0; d < depth; d++) {
        var next = [];
        frontier.forEach(function (n) {
          for (var k = rows.start[n]; k < rows.start[n + 1]; k++) {
            var m = rows.adj[k];
            if (!index.has(m)) {
              add(m);
              next.push(m);
            }
          }
        });
        frontier = next;
      }
    }
    var nodes = pick.map(function (i) {
      var node = graph.nodes[i];
      return { label: node.t, path: node.r, tag: false, degree: rows.start[i + 1] - rows.start[i] };
    });
    var links = [];
    graph.edges.forEach(function (e) {
      if (index.has(e[0]) && index.has(e[1])) links.push([index.get(e[0]), index.get(e[1])]);
    });
    if (withTags) {
      var tagNode = new Map();
      pick.forEach(function (i, n) {
        (graph.nodes[i].g || []).forEach(function (t) {
          if (!tagNode.has(t)) {
            tagNode.set(t, nodes.length);
            nodes.push({ label: "#" + graph.tags[t], path: null, tag: true, degree: 0 });
          }
          links.push([n, tagNode.get(t)]);
          nodes[tagNode.get(t)].degree++;
        });
      });
    }
    return { nodes: nodes, links: links };
  }

  // The quadtree's arrays for n nodes, made once per simulation (not per step).
  function Tree(n) {
    var capacity = 4 * n + 8;
    this.capacity = capacity;
    this.child = new Int32Array(capacity * 4);
    this.cx = new Float64Array(capacity);
    this.cy = new Float64Array(capacity);
    this.mass = new Float64Array(capacity);
    this.ox = new Float64Array(capacity);
    this.oy = new Float64Array(capacity);
    this.side = new Float64Array(capacity);
    this.stack = new Int32Array(capacity);
  }

  // A Barnes–Hut quadtree over the positions, in flat arrays; adds each node's repulsion to the
  // velocities.
  function repel(tree, x, y, vx, vy, n, strength) {
    if (n < 2) return;
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (var i = 0; i < n; i++) {
      if (x[i] < minX) minX = x[i];
      if (x[i] > maxX) maxX = x[i];
      if (y[i] < minY) minY = y[i];
      if (y[i] > maxY) maxY = y[i];
    }
    var size = Math.max(maxX - minX, maxY - minY) + 1;
    var capacity = tree.capacity;
    var child = tree.child.fill(-1); // cells: 4 children each; a leaf child is -2 - point
    var cx = tree.cx.fill(0), cy = tree.cy.fill(0), mass = tree.mass.fill(0);
    var ox = tree.ox, oy = tree.oy, side = tree.side;
    var cells = 1;
    ox[0] = minX;
    oy[0] = minY;
    side[0] = size;
    for (var p = 0; p < n; p++) {
      var cell = 0, depth = 0;
      for (;;) {
        mass[cell] += 1;
        cx[cell] += x[p];
        cy[cell] += y[p];
        var half = side[cell] / 2;
        var q = (x[p] >= ox[cell] + half ? 1 : 0) + (y[p] >= oy[cell] + half ? 2 : 0);
        var slot = cell * 4 + q;
        var c = child[slot];
        if (c === -1) {
          child[slot] = -2 - p;
          break;
        }
        if (c >= 0) {
          cell = c;
          depth++;
          continue;
        }
        // A leaf holds another point: split (points at one spot stay together past depth 40).
        var other = -2 - c;
        if (depth > 40 || cells >= capacity) {
          break;
        }
        var made = cells++;
        ox[made] = ox[cell] + (q & 1 ? half : 0);
        oy[made] = oy[cell] + (q & 2 ? half : 0);
        side[made] = half;
        child[slot] = made;
        var h2 = half / 2;
        var oq = (x[other] >= ox[made] + h2 ? 1 : 0) + (y[other] >= oy[made] + h2 ? 2 : 0);
        child[made * 4 + oq] = -2 - other;
        mass[made] = 1;
        cx[made] = x[other];
        cy[made] = y[other];
        cell = made;
        depth++;
      }
    }
    var stack = tree.stack;
    var theta2 = 0.81;
    for (var i2 = 0; i2 < n; i2++) {
      var top = 0;
      stack[top++] = 0;
      var fx = 0, fy = 0;
      while (top > 0) {
        var k = stack[--top];
        for (var s = 0; s < 4; s++) {
          var ch = child[k * 4 + s];
          if (ch === -1) continue;
          var dx, dy, m;
          if (ch <= -2) {
            var j = -2 - ch;
            if (j === i2) continue;
            dx = x[j] - x[i2];
            dy = y[j] - y[i2];
            m = 1;
          } else {
            dx = cx[ch] / mass[ch] - x[i2];
            dy = cy[ch] / mass[ch] - y[i2];
            var d2c = dx * dx + dy * dy;
            if (side[ch] * side[ch] >= theta2 * d2c) {
              stack[top++] = ch;
              continue;
            }
            m = mass[ch];
          }
          var d2 = dx * dx + dy * dy;
          if (d2 < 1) {
            dx = (Math.random() - 0.5) || 0.1;
            dy = (Math.random() - 0.5) || 0.1;
            d2 = 1;
          }
          var f = (strength * m) / d2;
          fx -= dx * f;
          fy -= dy * f;
        }
      }
      vx[i2] += fx;
      vy[i2] += fy;
    }
  }

  function Simulation(model, decay) {
    var n = model.nodes.length;
    this.n = n;
    this.links = model.links;
    this.x = new Float64Array(n);
    this.y = new Float64Array(n);
    this.vx = new Float64Array(n);
    this.vy = new Float64Array(n);
    var golden = Math.PI * (3 - Math.sqrt(5));
    for (var i = 0; i < n; i++) {
      var r = 12 * Math.sqrt(0.5 + i), a = i * golden;
      this.x[i] = r * Math.cos(a);
      this.y[i] = r * Math.sin(a);
    }
    this.tree = new Tree(n);
    this.decay = decay;
    this.alpha = 1;
    this.ticks = 0;
  }
  Simulation.prototype.step = function () {
    var x = this.x, y = this.y, vx = this.vx, vy = this.vy, n = this.n, alpha = this.alpha;
    repel(this.tree, x, y, vx, vy, n, 30 * alpha);
    var links = this.links;
    for (var l = 0; l < links.length; l++) {
      var a = links[l][0], b = links[l][1];
      var dx = x[b] + vx[b] - x[a] - vx[a], dy = y[b] + vy[b] - y[a] - vy[a];
      var d = Math.sqrt(dx * dx + dy * dy) || 1;
      var f = ((d - 30) / d) * 0.1 * alpha;
      vx[a] += dx * f;
      vy[a] += dy * f;
      vx[b] -= dx * f;
      vy[b] -= dy * f;
    }
    for (var i = 0; i < n; i++) {
      vx[i] -= x[i] * 0.002 * alpha;
      vy[i] -= y[i] * 0.002 * alpha;
      vx[i] *= 0.6;
      vy[i] *= 0.6;
      x[i] += vx[i];
      y[i] += vy[i];
    }
    this.alpha *= this.decay;
    this.ticks++;
    return this.alpha > 0.005;
  };

  function colours(element) {
    var style = window.getComputedStyle(element);
    function get(name, fallback) {
      return style.getPropertyValue(name).trim() || fallback;
    }
    return {
      node: get("--link", "#3f51b5"),
      current: get("--accent", "#5a4fcf"),
      tag: get("--text-muted", "#5d6570"),
      edge: get("--border", "#dde1e6"),
      text: get("--text", "#1f2328"),
    };
  }

  function draw(holder, graph) {
    var global = holder.classList.contains("global-graph");
    var box = holder.querySelector(".graph-canvas");
    if (!box) return;
    var started = window.performance.now();
    var rows = adjacency(graph.nodes.length, graph.edges);
    var here = holder.getAttribute("data-route");
    var centre = -1;
    if (!global) {
      for (var i = 0; i < graph.nodes.length; i++) {
        if (graph.nodes[i].r === here) centre = i;
      }
      if (centre < 0) return; // not in the graph (unlisted): the list stays
    }
    var depth = 1;
    var withTags = false;
    var model, sim, view, hover = -1, heavy = false;
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", (holder.querySelector("h1, h2") || {}).textContent || "Graph");
    box.appendChild(canvas);
    var label = document.createElement("div");
    label.className = "graph-label";
    label.hidden = true;
    box.appendChild(label);
    box.hidden = false;
    var context = canvas.getContext("2d");
    var palette = colours(holder);
    var handle = { holder: holder, canvas: canvas, centre: centre };
    window.vpsGraphs.push(handle);

    function rebuild() {
      model = subgraph(graph, rows, centre, depth, withTags);
      heavy = model.nodes.length + model.links.length > 6000;
      sim = new Simulation(model, heavy ? 0.97 : 0.985);
      view = { k: 1, tx: 0, ty: 0, fitted: false };
      hover = -1;
      holder.setAttribute("data-nodes", String(model.nodes.filter(function (n) { return !n.tag; }).length));
      handle.model = model;
      handle.sim = sim;
      schedule();
    }

    function size() {
      var ratio = window.devicePixelRatio || 1;
      var w = box.clientWidth, h = box.clientHeight;
      if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
        canvas.width = Math.round(w * ratio);
        canvas.height = Math.round(h * ratio);
      }
      return { w: w, h: h, ratio: ratio };
    }

    function fit(s) {
      var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
      for (var i = 0; i < sim.n; i++) {
        minX = Math.min(minX, sim.x[i]);
        maxX = Math.max(maxX, sim.x[i]);
        minY = Math.min(minY, sim.y[i]);
        maxY = Math.max(maxY, sim.y[i]);
      }
      var k = Math.min(s.w / (maxX - minX + 60), s.h / (maxY - minY + 60), 2);
      view.k = k;
      view.tx = s.w / 2 - ((minX + maxX) / 2) * k;
      view.ty = s.h / 2 - ((minY + maxY) / 2) * k;
    }

    function radius(i) {
      var node = model.nodes[i];
      return (node.tag ? 2.5 : 3 + Math.min(6, Math.sqrt(node.degree))) * (i === 0 && !global ? 1.5 : 1);
    }

    // A big graph's edges are drawn only when the layout rests and the view stands still: while
    // it moves, its nodes alone (a frame stays short), at most every 300 ms during the layout.
    function render(full) {
      var s = size();
      if (!view.fitted) fit(s);
      context.setTransform(s.ratio, 0, 0, s.ratio, 0, 0);
      context.clearRect(0, 0, s.w, s.h);
      context.save();
      context.translate(view.tx, view.ty);
      context.scale(view.k, view.k);
      if (full || !heavy) {
        context.lineWidth = 1 / view.k;
        context.strokeStyle = palette.edge;
        context.beginPath();
        model.links.forEach(function (l) {
          context.moveTo(sim.x[l[0]], sim.y[l[0]]);
          context.lineTo(sim.x[l[1]], sim.y[l[1]]);
        });
        context.stroke();
      }
      for (var pass = 0; pass < 3; pass++) {
        context.fillStyle = [palette.node, palette.tag, palette.current][pass];
        context.beginPath();
        for (var i = 0; i < sim.n; i++) {
          var node = model.nodes[i];
          var kind = !global && i === 0 ? 2 : node.tag ? 1 : 0;
          if (i === hover) kind = 2;
          if (kind !== pass) continue;
          var r = radius(i);
          if (r * view.k < 2) {
            context.rect(sim.x[i] - r, sim.y[i] - r, 2 * r, 2 * r); // a dot: a square is as good
          } else {
            context.moveTo(sim.x[i] + r, sim.y[i]);
            context.arc(sim.x[i], sim.y[i], r, 0, 2 * Math.PI);
          }
        }
        context.fill();
      }
      context.restore();
      // Names: all of them in a small graph, the larger nodes once zoomed in, never more than 300.
      context.fillStyle = palette.text;
      context.font = "12px system-ui, sans-serif";
      context.textAlign = "center";
      var shown = 0;
      for (var j = 0; j < sim.n && shown < 300; j++) {
        if (sim.n > 60 && radius(j) * view.k < 7 && j !== hover) continue;
        var px = sim.x[j] * view.k + view.tx, py = sim.y[j] * view.k + view.ty;
        if (px < -50 || py < -20 || px > s.w + 50 || py > s.h + 20) continue;
        context.fillText(model.nodes[j].label, px, py - radius(j) * view.k - 4);
        shown++;
      }
      if (!handle.drawnAt) {
        handle.drawnAt = window.performance.now() - started;
        holder.setAttribute("data-drawn-ms", String(Math.round(handle.drawnAt)));
        holder.setAttribute("data-drawn-at", String(Math.round(window.performance.now())));
      }
    }

    var frame = 0, lastRender = 0, rest = 0;
    // After a pan or zoom of a big graph: the whole drawing once the view stands still.
    function redraw() {
      render(false);
      if (heavy) {
        window.clearTimeout(rest);
        rest = window.setTimeout(function () {
          if (!frame) render(true);
        }, 150);
      }
    }
    function schedule() {
      if (!frame) frame = window.requestAnimationFrame(tick);
    }
    function tick() {
      frame = 0;
      var until = window.performance.now() + 10;
      var running = true;
      do {
        running = sim.step();
      } while (running && window.performance.now() < until);
      if (!view.fitted && sim.ticks > 40) {
        fit(size());
        view.fitted = true;
      }
      var now = window.performance.now();
      if (!running) render(true);
      else if (!heavy || !handle.drawnAt || now - lastRender > 300) {
        render(false);
        lastRender = now;
      }
      if (running) schedule();
      else {
        view.fitted = true;
        if (!handle.settledAt) {
          handle.settledAt = window.performance.now() - started;
          holder.setAttribute("data-settled-ms", String(Math.round(handle.settledAt)));
        }
      }
    }

    // The node under a point of the canvas (CSS pixels), or -1.
    function nodeAt(px, py) {
      var gx = (px - view.tx) / view.k, gy = (py - view.ty) / view.k;
      var best = -1, bestD = Infinity;
      for (var i = 0; i < sim.n; i++) {
        var dx = sim.x[i] - gx, dy = sim.y[i] - gy, d = dx * dx + dy * dy;
        var reach = radius(i) + 4 / view.k;
        if (d < reach * reach && d < bestD) {
          best = i;
          bestD = d;
        }
      }
      return best;
    }
    // Where node i is drawn, in client coordinates (for tests and the label).
    handle.nodePosition = function (i) {
      var rect = canvas.getBoundingClientRect();
      return { x: rect.left + sim.x[i] * view.k + view.tx, y: rect.top + sim.y[i] * view.k + view.ty };
    };
    handle.nodeIndex = function (path) {
      for (var i = 0; i < model.nodes.length; i++) if (model.nodes[i].path === path) return i;
      return -1;
    };

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    }
    var drag = null;
    canvas.addEventListener("pointerdown", function (event) {
      var p = point(event);
      drag = { x: p.x, y: p.y, tx: view.tx, ty: view.ty, moved: false, node: nodeAt(p.x, p.y) };
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointermove", function (event) {
      var p = point(event);
      if (drag) {
        if (Math.abs(p.x - drag.x) + Math.abs(p.y - drag.y) > 4) drag.moved = true;
        if (drag.moved) {
          view.tx = drag.tx + p.x - drag.x;
          view.ty = drag.ty + p.y - drag.y;
          view.fitted = true;
          redraw();
        }
        return;
      }
      var found = nodeAt(p.x, p.y);
      if (found !== hover) {
        hover = found;
        canvas.style.cursor = found >= 0 && model.nodes[found].path ? "pointer" : "";
        if (found >= 0) {
          label.textContent = model.nodes[found].label;
          label.style.left = Math.min(p.x + 12, box.clientWidth - 120) + "px";
          label.style.top = p.y + 12 + "px";
        }
        label.hidden = found < 0;
        redraw();
      }
    });
    canvas.addEventListener("pointerup", function (event) {
      var was = drag;
      drag = null;
      if (!was || was.moved) return;
      var p = point(event);
      var found = nodeAt(p.x, p.y);
      if (found >= 0 && found === was.node && model.nodes[found].path) {
        window.location.href = pageUrl(model.nodes[found].path);
      }
    });
    canvas.addEventListener("pointerleave", function () {
      hover = -1;
      label.hidden = true;
      redraw();
    });
    canvas.addEventListener(
      "wheel",
      function (event) {
        event.preventDefault();
        var p = point(event);
        var factor = Math.exp(-event.deltaY * 0.002);
        var k = Math.max(0.02, Math.min(8, view.k * factor));
        view.tx = p.x - ((p.x - view.tx) * k) / view.k;
        view.ty = p.y - ((p.y - view.ty) * k) / view.k;
        view.k = k;
        view.fitted = true;
        redraw();
      },
      { passive: false }
    );
    if (window.ResizeObserver) {
      new window.ResizeObserver(function () {
        if (sim) redraw();
      }).observe(box);
    }
    // The theme changed (toggle or system): colours again.
    new window.MutationObserver(function () {
      palette = colours(holder);
      redraw();
    }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });

    if (global) {
      var controls = holder.querySelector(".graph-controls");
      var tags = holder.querySelector("input.graph-show-tags");
      if (controls && tags && graph.tags.length) {
        controls.hidden = false;
        tags.addEventListener("change", function () {
          withTags = tags.checked;
          rebuild();
        });
      }
    } else if (rows.start[centre + 1] > rows.start[centre]) {
      var toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "graph-depth";
      toggle.textContent = "1";
      toggle.setAttribute("aria-label", "depth");
      toggle.addEventListener("click", function () {
        depth = depth === 1 ? 2 : 1;
        toggle.textContent = String(depth);
        rebuild();
      });
      box.appendChild(toggle);
    }
    rebuild();
  }

  holders.forEach(function (holder) {
    var url = new URL(holder.getAttribute("data-graph"), window.location.href).href;
    load(url).then(
      function (graph) {
        draw(holder, graph);
      },
      function () {
        // No graph document (or not for this reader): the list of links stays.
      }
    );
  });
})();
