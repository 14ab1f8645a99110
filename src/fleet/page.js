// The device table and the timelines of presence-stack's fleet report. Reads the JSON in #fleet-data, keeps the
// view (filter, sort, page, selected device) in the URL's fragment, draws one page of rows at a time and each
// shown device's timeline as SVG. Sets data-rendered="ok" on <body> when a render finishes, and data-error on
// any error, so that a test in a headless browser can tell.
(function () {
  "use strict";
  var body = document.body;
  window.addEventListener("error", function (e) {
    body.setAttribute("data-error", String(e && e.message ? e.message : e));
  });

  var SVG = "http://www.w3.org/2000/svg";
  var PAGE = 50;
  var STATES = ["connected", "disconnected", "unknown"];
  var PALETTE = ["#1565c0", "#ef6c00", "#00838f", "#6d4c41", "#ad1457", "#558b2f", "#4527a0", "#9e9d24"];

  var raw = JSON.parse(document.getElementById("fleet-data").textContent);
  var START = raw.start;
  var AT = raw.at;
  var SPAN = Math.max(1, Math.floor((AT - START) / 1000));
  var REASONS = raw.reasons;
  var TAKEOVER = raw.takeover;
  var F = {};
  raw.fields.forEach(function (name, i) { F[name] = i; });

  var devices = raw.devices.map(function (a) {
    var d = {};
    raw.fields.forEach(function (name, i) { d[name] = a[i]; });
    d.stateName = STATES[d.state];
    d.reasonName = d.reason > 0 ? REASONS[d.reason - 1] : "";
    d.lower = d.id.toLowerCase();
    return d;
  });
  var byId = {};
  devices.forEach(function (d) { byId[d.id] = d; });

  function reasonColor(r) {
    if (r === TAKEOVER && r > 0) { return "#c62828"; }
    if (r <= 0) { return "#8a8f98"; }
    return PALETTE[(r - 1) % PALETTE.length];
  }

  function iso(ms) {
    return new Date(ms).toISOString();
  }

  // The same words as `status`: 4d 3h, 2h 5m, 3m 12s, 8s, 350ms.
  function duration(ms) {
    ms = Math.max(0, ms);
    var d = Math.floor(ms / 86400000);
    var h = Math.floor(ms / 3600000) % 24;
    var m = Math.floor(ms / 60000) % 60;
    var s = Math.floor(ms / 1000) % 60;
    if (d > 0) { return d + "d " + h + "h"; }
    if (h > 0) { return h + "h " + m + "m"; }
    if (m > 0) { return m + "m " + s + "s"; }
    if (s > 0) { return s + "s"; }
    return ms + "ms";
  }

  function minutes(ms) {
    if (ms === 60000) { return "1 minute"; }
    return ms % 60000 === 0 ? ms / 60000 + " minutes" : ms / 1000 + " seconds";
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); }); }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  function sv(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  // The intervals as absolute [start, end] seconds since the period's start.
  function intervals(d) {
    var out = [];
    var cursor = 0;
    for (var i = 0; i + 1 < d.intervals.length; i += 2) {
      var a = cursor + d.intervals[i];
      var b = a + d.intervals[i + 1];
      out.push([a, b]);
      cursor = b;
    }
    if (d.open && out.length) { out[out.length - 1][1] = SPAN; }
    return out;
  }

  function marks(d) {
    var out = [];
    var cursor = 0;
    for (var i = 0; i + 1 < d.marks.length; i += 2) {
      cursor += d.marks[i];
      out.push([cursor, d.marks[i + 1]]);
    }
    return out;
  }

  function failures(d) {
    var out = [];
    var cursor = 0;
    d.failures.forEach(function (g) { cursor += g; out.push(cursor); });
    return out;
  }

  // A device's timeline: connected bars, the unknown tail, flapping and conflict windows, disconnects by reason
  // (takeovers as red triangles), connect failures as dots. `big` adds a time axis and a title per mark.
  function timeline(d, width, height, big) {
    var top = big ? 14 : 2;
    var barH = height - top - (big ? 18 : 2);
    var svg = sv("svg", {
      "class": "timeline", viewBox: "0 0 " + width + " " + height, width: width, height: height,
      preserveAspectRatio: "none", role: "img"
    });
    var x = function (s) { return Math.max(0, Math.min(width, s / SPAN * width)); };
    svg.appendChild(sv("rect", { "class": "track", x: 0, y: top, width: width, height: barH }));
    var win = raw.flapping[1] / 1000;
    d.flapAt.forEach(function (t) {
      var a = x(t - win);
      svg.appendChild(sv("rect", { "class": "flapband", x: a, y: 0, width: Math.max(3, x(t) - a), height: height }));
    });
    var cwin = raw.conflict[1] / 1000;
    d.conflictAt.forEach(function (t) {
      var a = x(t - cwin);
      svg.appendChild(sv("rect", { "class": "confband", x: a, y: 0, width: Math.max(3, x(t) - a), height: height }));
    });
    intervals(d).forEach(function (iv) {
      var a = x(iv[0]);
      var r = sv("rect", { "class": "on", x: a, y: top, width: Math.max(0.6, x(iv[1]) - a), height: barH });
      if (big) {
        var t = sv("title", {});
        t.textContent = "connected " + iso(START + iv[0] * 1000) + " to " +
          (iv[1] >= SPAN && d.open ? "now (" + iso(AT) + ")" : iso(START + iv[1] * 1000)) +
          ", " + duration((iv[1] - iv[0]) * 1000);
        r.appendChild(t);
      }
      svg.appendChild(r);
    });
    if (d.unknownFrom >= 0) {
      var u = x(d.unknownFrom);
      svg.appendChild(sv("rect", { "class": "unk", x: u, y: top, width: Math.max(1.5, width - u), height: barH }));
    }
    marks(d).forEach(function (m) {
      var mx = x(m[0]);
      var color = reasonColor(m[1]);
      var node;
      if (m[1] === TAKEOVER && TAKEOVER > 0) {
        var s = big ? 6 : 4;
        node = sv("path", {
          d: "M" + (mx - s) + " " + (top - (big ? 2 : 0)) + "L" + (mx + s) + " " + (top - (big ? 2 : 0)) +
            "L" + mx + " " + (top + s * 1.4) + "Z",
          fill: color
        });
      } else {
        node = sv("rect", { x: mx - (big ? 0.75 : 0.5), y: top, width: big ? 1.5 : 1, height: barH, fill: color });
      }
      if (big) {
        var t = sv("title", {});
        t.textContent = "disconnect " + iso(START + m[0] * 1000) + ": " + (m[1] > 0 ? REASONS[m[1] - 1] : "no reason");
        node.appendChild(t);
      }
      svg.appendChild(node);
    });
    failures(d).forEach(function (f) {
      svg.appendChild(sv("circle", { "class": "fail", cx: x(f), cy: top + barH - 2, r: big ? 2.5 : 1.2 }));
    });
    if (big) {
      for (var k = 0; k <= 4; k++) {
        var tx = width * k / 4;
        svg.appendChild(sv("line", { "class": "tick", x1: tx, y1: top, x2: tx, y2: top + barH + 3 }));
        var label = sv("text", {
          "class": "axis", x: tx, y: height - 3,
          "text-anchor": k === 0 ? "start" : (k === 4 ? "end" : "middle")
        });
        label.textContent = iso(START + SPAN * 1000 * k / 4).slice(0, 16).replace("T", " ");
        svg.appendChild(label);
      }
    }
    return svg;
  }

  // The view, kept in the fragment: q, state, flap, conflict, sort, dir, page, device.
  var view = { q: "", state: "", flap: false, conflict: false, sort: "id", dir: "asc", page: 1, device: "" };

  function readHash() {
    var h = location.hash.replace(/^#/, "");
    var p = {};
    h.split("&").forEach(function (kv) {
      if (!kv) { return; }
      var i = kv.indexOf("=");
      var k = i < 0 ? kv : kv.slice(0, i);
      var v = i < 0 ? "" : kv.slice(i + 1);
      try { p[decodeURIComponent(k)] = decodeURIComponent(v.replace(/\+/g, " ")); } catch (e) { /* ignore */ }
    });
    view.q = p.q || "";
    view.state = STATES.indexOf(p.state) >= 0 ? p.state : "";
    view.flap = p.flap === "1";
    view.conflict = p.conflict === "1";
    view.sort = KEYS[p.sort] ? p.sort : "id";
    view.dir = p.dir === "desc" ? "desc" : "asc";
    view.page = Math.max(1, parseInt(p.page, 10) || 1);
    view.device = p.device || "";
  }

  function writeHash() {
    var parts = [];
    if (view.q) { parts.push("q=" + encodeURIComponent(view.q)); }
    if (view.state) { parts.push("state=" + view.state); }
    if (view.flap) { parts.push("flap=1"); }
    if (view.conflict) { parts.push("conflict=1"); }
    if (view.sort !== "id" || view.dir !== "asc") { parts.push("sort=" + view.sort, "dir=" + view.dir); }
    if (view.page > 1) { parts.push("page=" + view.page); }
    if (view.device) { parts.push("device=" + encodeURIComponent(view.device)); }
    var h = parts.length ? "#" + parts.join("&") : " ";
    try { history.replaceState(null, "", h === " " ? location.pathname + location.search : h); } catch (e) { /* a file: URL may refuse */ }
  }

  function cmp(a, b) { return a < b ? -1 : (a > b ? 1 : 0); }
  // Sort keys; a missing value sorts last whatever the direction.
  var KEYS = {
    id: function (d) { return d.id; },
    state: function (d) { return d.state; },
    since: function (d) { return d.since === null ? null : d.since; },
    "for": function (d) { return d.since === null ? null : -d.since; },
    session: function (d) { return d.session || null; },
    reason: function (d) { return d.reasonName || null; },
    disconnects: function (d) { return d.disconnects; }
  };

  function filtered() {
    var q = view.q.toLowerCase();
    var st = STATES.indexOf(view.state);
    var rows = devices.filter(function (d) {
      return (!q || d.lower.indexOf(q) >= 0) && (st < 0 || d.state === st) &&
        (!view.flap || d.flapEpisodes > 0) && (!view.conflict || d.conflictEpisodes > 0);
    });
    var key = KEYS[view.sort];
    var sign = view.dir === "desc" ? -1 : 1;
    rows.sort(function (a, b) {
      var ka = key(a);
      var kb = key(b);
      if (ka === null || kb === null) {
        if (ka === kb) { return cmp(a.id, b.id); }
        return ka === null ? 1 : -1;
      }
      return sign * cmp(ka, kb) || cmp(a.id, b.id);
    });
    return rows;
  }

  function cellSince(d) {
    if (d.since === null) { return el("td", null, "-"); }
    var guess = d.state === 2;
    var t = iso(START + d.since);
    return el("td", { "class": guess ? "guess" : "", title: (guess ? "best guess: " : "") + t },
      (guess ? "~" : "") + t.slice(0, 19).replace("T", " "));
  }

  function cellFor(d) {
    if (d.since === null) { return el("td", null, "-"); }
    var guess = d.state === 2;
    return el("td", guess ? { "class": "guess" } : null, (guess ? "~" : "") + duration(AT - (START + d.since)));
  }

  function row(d) {
    var tr = el("tr", { "data-client": d.id });
    if (d.id === view.device) { tr.className = "selected"; }
    var id = el("td", { "class": "id", title: d.id }, d.id);
    if (d.flapEpisodes > 0) { id.appendChild(el("span", { "class": "flag flap", title: d.flapEpisodes + " flapping episode(s)" }, "flapping")); }
    if (d.conflictEpisodes > 0) { id.appendChild(el("span", { "class": "flag conflict", title: d.conflictEpisodes + " conflict episode(s)" }, "conflict")); }
    tr.appendChild(id);
    var st = el("td");
    st.appendChild(el("span", { "class": "state " + d.stateName }, d.stateName));
    if (d.why) {
      var guess = d.guess === 1 ? " ~connected" : (d.guess === 2 ? " ~disconnected" : "");
      st.appendChild(el("span", { "class": "guess", title: d.detail + (guess ? "; best guess: " + guess.slice(2) : "") }, " " + d.why + guess));
    }
    tr.appendChild(st);
    tr.appendChild(cellSince(d));
    tr.appendChild(cellFor(d));
    tr.appendChild(el("td", { "class": "session" + (d.state === 2 && d.session ? " guess" : ""), title: d.session },
      d.session ? (d.state === 2 ? "~" : "") + d.session : "-"));
    var reason = el("td", null, d.reasonName || "");
    if (d.reason === TAKEOVER && TAKEOVER > 0) { reason.style.color = "#c62828"; }
    tr.appendChild(reason);
    tr.appendChild(el("td", { "class": "num" }, String(d.disconnects)));
    var tl = el("td", { "class": "tl" });
    tl.appendChild(timeline(d, 300, 16, false));
    tr.appendChild(tl);
    return tr;
  }

  function detail(d) {
    var box = document.getElementById("detail");
    box.textContent = "";
    if (!d) { box.hidden = true; return; }
    box.hidden = false;
    var close = el("button", { "class": "close", type: "button" }, "close");
    close.addEventListener("click", function () { view.device = ""; update(false); });
    box.appendChild(close);
    var h = el("h3", null, d.id + " ");
    h.appendChild(el("span", { "class": "state " + d.stateName }, d.stateName));
    box.appendChild(h);
    var dl = el("dl");
    function item(k, v) { dl.appendChild(el("dt", null, k)); dl.appendChild(el("dd", null, v)); }
    if (d.why) { item("why unknown", d.why + ": " + d.detail); }
    if (d.since !== null) {
      var g = d.state === 2 ? "~" : "";
      item(d.state === 2 ? "best guess" : "since", g + (d.guess === 1 ? "connected since " : (d.guess === 2 ? "disconnected since " : "")) +
        iso(START + d.since) + " (" + duration(AT - START - d.since) + ")");
    }
    if (d.session) { item("session", d.session + (d.version !== null ? ", versionNumber " + d.version : "")); }
    if (d.reasonName) { item("last disconnect", d.reasonName); }
    var ms = marks(d);
    var counts = {};
    ms.forEach(function (m) { counts[m[1]] = (counts[m[1]] || 0) + 1; });
    item("in the period", d.disconnects + " disconnect(s), " + d.takeovers + " takeover(s), " +
      d.failures.length + " connect failure(s), " + d.events + " event(s) read");
    if (d.flapEpisodes > 0) { item("flapping", d.flapEpisodes + " episode(s); at most " + d.flapPeak + " disconnects within " + minutes(raw.flapping[1])); }
    if (d.conflictEpisodes > 0) { item("client ID conflict", d.conflictEpisodes + " episode(s) of " + raw.conflict[0] + " takeovers within " + minutes(raw.conflict[1])); }
    box.appendChild(dl);
    box.appendChild(timeline(d, 1000, 64, true));
    var legend = el("div", { "class": "legend" });
    Object.keys(counts).map(Number).sort(function (a, b) { return a - b; }).forEach(function (r) {
      var span = el("span");
      var sw = el("span", { "class": "sw" });
      sw.style.background = reasonColor(r);
      span.appendChild(sw);
      span.appendChild(document.createTextNode((r > 0 ? REASONS[r - 1] : "no reason") + " \u00d7" + counts[r]));
      legend.appendChild(span);
    });
    var recent = ms.slice(-10).reverse();
    if (recent.length) {
      legend.appendChild(el("span", null, "latest: " + recent.map(function (m) {
        return iso(START + m[0] * 1000).slice(0, 19).replace("T", " ") + " " + (m[1] > 0 ? REASONS[m[1] - 1] : "-");
      }).join(" \u00b7 ")));
    }
    box.appendChild(legend);
  }

  function legend() {
    var box = document.getElementById("legend");
    box.textContent = "";
    function key(color, text, opacity) {
      var span = el("span");
      var sw = el("span", { "class": "sw" });
      sw.style.background = color;
      if (opacity) { sw.style.opacity = opacity; }
      span.appendChild(sw);
      span.appendChild(document.createTextNode(text));
      box.appendChild(span);
    }
    key("#2e7d32", "connected");
    key("#e0a100", "unknown from here", "0.55");
    key("#7b1fa2", "flapping window", "0.3");
    key("#c62828", "takeover (DUPLICATE_CLIENTID) \u25bc / conflict window");
    REASONS.forEach(function (r, i) {
      if (i + 1 !== TAKEOVER) { key(reasonColor(i + 1), r); }
    });
    key("#5c6370", "connect failure \u2022");
  }

  var current = [];
  function update(fromHash) {
    if (fromHash) { readHash(); }
    current = filtered();
    var pages = Math.max(1, Math.ceil(current.length / PAGE));
    view.page = Math.min(view.page, pages);
    var tbody = document.getElementById("rows");
    var frag = document.createDocumentFragment();
    current.slice((view.page - 1) * PAGE, view.page * PAGE).forEach(function (d) { frag.appendChild(row(d)); });
    tbody.textContent = "";
    tbody.appendChild(frag);
    document.getElementById("page").textContent = "page " + view.page + " of " + pages;
    document.getElementById("prev").disabled = view.page <= 1;
    document.getElementById("next").disabled = view.page >= pages;
    document.getElementById("shown").textContent = current.length === devices.length
      ? devices.length + " clients"
      : current.length + " of " + devices.length + " clients";
    Array.prototype.forEach.call(document.querySelectorAll("th[data-key]"), function (th) {
      if (th.getAttribute("data-key") === view.sort) {
        th.setAttribute("aria-sort", view.dir === "asc" ? "ascending" : "descending");
      } else {
        th.removeAttribute("aria-sort");
      }
    });
    document.getElementById("q").value = view.q;
    document.getElementById("state").value = view.state;
    document.getElementById("flap").checked = view.flap;
    document.getElementById("conflict").checked = view.conflict;
    detail(view.device ? byId[view.device] : null);
    if (!fromHash) { writeHash(); }
    body.setAttribute("data-rows", String(current.length));
    body.setAttribute("data-page", String(view.page));
    body.setAttribute("data-rendered", "ok");
  }

  document.getElementById("q").addEventListener("input", function (e) { view.q = e.target.value; view.page = 1; update(false); });
  document.getElementById("state").addEventListener("change", function (e) { view.state = e.target.value; view.page = 1; update(false); });
  document.getElementById("flap").addEventListener("change", function (e) { view.flap = e.target.checked; view.page = 1; update(false); });
  document.getElementById("conflict").addEventListener("change", function (e) { view.conflict = e.target.checked; view.page = 1; update(false); });
  document.getElementById("prev").addEventListener("click", function () { view.page -= 1; update(false); });
  document.getElementById("next").addEventListener("click", function () { view.page += 1; update(false); });
  Array.prototype.forEach.call(document.querySelectorAll("th[data-key]"), function (th) {
    var sortBy = function () {
      var k = th.getAttribute("data-key");
      if (view.sort === k) { view.dir = view.dir === "asc" ? "desc" : "asc"; } else { view.sort = k; view.dir = "asc"; }
      view.page = 1;
      update(false);
    };
    th.setAttribute("tabindex", "0");
    th.setAttribute("title", "sort by this column");
    th.addEventListener("click", sortBy);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(); } });
  });
  document.getElementById("rows").addEventListener("click", function (e) {
    var tr = e.target.closest("tr");
    if (!tr) { return; }
    var id = tr.getAttribute("data-client");
    view.device = view.device === id ? "" : id;
    update(false);
  });
  window.addEventListener("hashchange", function () {
    update(true);
    if (view.device) { document.getElementById("detail").scrollIntoView(); }
  });
  legend();
  update(true);
})();
