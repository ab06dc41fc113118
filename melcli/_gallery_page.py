"""The gallery's page: HTML, CSS and JavaScript, with no external resource.

:func:`melcli.gallery.build_gallery` puts the run's summary (JSON with ``<``,
``>`` and ``&`` escaped) in place of ``/*MELCLI_DATA*/``. The script builds
every element with ``createElement`` and sets names, reasons and warnings as
``textContent``: nothing from OUT is ever parsed as markup.

Data pages (``data/page-NNNNN-TAG.js``; ``TAG``: the summary's ``data``) call
``melcliPage(kind, number, items)``; they are loaded with ``<script>`` elements, which work from ``file://``.
An item is ``{n: name, g: group, d: seconds, s: shape, sr: rate, w: warnings,
z: silent, pk/rm: peak and RMS level in dBFS (null: silence), c: clipped,
f: the run's figure, i/r/k: the page's thumbnails and this input's row of k,
a: audio, v: waveform envelope (:mod:`melcli.waveform`'s text), x: notes}``.
"""

# The page is HTML, CSS and JavaScript kept as written, not Python lines.
# ruff: noqa: E501

from __future__ import annotations

#: Inputs per page of cards (and per data file): with the run's figures (about
#: 70 kB each) a page's pictures stay under 2 MB. Here, not in melcli.gallery:
#: ``melcli gallery --help`` shows it without importing the builder.
PAGE_SIZE = 24

PAGE_TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self'; media-src *; connect-src 'none'">
<title>melcli gallery</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #f6f6f6; }
header { background: #fff; padding: 12px 20px; border-bottom: 1px solid #ddd; position: sticky; top: 0; z-index: 1; }
h1 { font-size: 18px; margin: 0 0 6px; }
#summary span { margin-right: 14px; }
#controls { margin-top: 8px; display: flex; gap: 10px; flex-wrap: wrap; align-items: center; }
#filter { width: 320px; padding: 4px 6px; }
.layout { display: flex; align-items: flex-start; }
nav#groups { width: 240px; flex: none; padding: 10px; max-height: calc(100vh - 120px); overflow: auto; position: sticky; top: 100px; }
nav#groups button { display: flex; justify-content: space-between; width: 100%; border: 0; background: none; text-align: left; padding: 3px 6px; cursor: pointer; }
nav#groups button.on { background: #dde8f5; }
nav#groups .count { color: #666; margin-left: 8px; }
main { flex: 1; padding: 10px; min-width: 0; }
#cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px; min-width: 0; }
.card.silent { border-color: #b58900; }
.card.warned { border-left: 4px solid #d33682; }
.card .spec { width: 100%; height: 150px; background: #000 no-repeat; image-rendering: pixelated; display: block; }
.card img.spec.figure { object-fit: contain; image-rendering: auto; background: #fff; }
.card canvas.wave { width: 100%; height: 40px; display: block; margin-top: 4px; }
.card audio { width: 100%; margin-top: 4px; }
.name { font-weight: 600; overflow-wrap: anywhere; unicode-bidi: isolate; }
.facts { color: #555; }
.group { color: #777; font-size: 12px; unicode-bidi: isolate; }
.badge { display: inline-block; font-size: 12px; padding: 0 6px; border-radius: 8px; background: #b58900; color: #fff; margin-right: 4px; }
.badge.clipped { background: #cb4b16; }
.warnings, .notes { margin: 4px 0 0; padding-left: 18px; color: #a0265f; overflow-wrap: anywhere; }
.notes { color: #666; }
.pager { margin: 12px 0; display: flex; gap: 10px; align-items: center; }
#problems table { border-collapse: collapse; width: 100%; background: #fff; }
#problems td, #problems th { border: 1px solid #ddd; padding: 3px 6px; text-align: left; overflow-wrap: anywhere; }
#problems th { overflow-wrap: normal; white-space: nowrap; }
#problems td.name { min-width: 14em; }
#status { color: #555; }
</style>
</head>
<body>
<header>
<h1>melcli gallery: <span id="title"></span></h1>
<div id="summary"></div>
<div id="controls">
<input id="filter" type="search" placeholder="Filter by name, folder or warning" aria-label="Filter">
<label>Show <select id="show"><option value="all">all inputs</option><option value="warned">with warnings</option><option value="silent">silent</option><option value="clipped">clipped</option></select></label>
<span id="status" role="status"></span>
</div>
</header>
<div class="layout">
<nav id="groups" aria-label="Groups"></nav>
<main>
<div id="cards"></div>
<div class="pager"><button id="prev" type="button">Previous</button><span id="where"></span><button id="next" type="button">Next</button></div>
<section id="problems"><h2>Failed and skipped inputs</h2><p id="reasons"></p><table><thead><tr><th>Input</th><th>Status</th><th>Reason</th></tr></thead><tbody id="problem-rows"></tbody></table><div class="pager"><button id="more-problems" type="button">More</button></div></section>
</main>
</div>
<script id="melcli-data" type="application/json">/*MELCLI_DATA*/</script>
<script>
"use strict";
(function () {
  const G = JSON.parse(document.getElementById("melcli-data").textContent);
  const $ = (id) => document.getElementById(id);
  const plural = (n, one, many) => n + " " + (n === 1 ? one : many);
  const pending = {};
  const loaded = {};
  window.melcliPage = function (kind, number, items) {
    const key = kind + "-" + number;
    loaded[key] = items;
    if (pending[key]) { pending[key].forEach((p) => p.resolve(items)); delete pending[key]; }
  };
  function load(kind, number) {
    const key = kind + "-" + number;
    if (loaded[key]) return Promise.resolve(loaded[key]);
    return new Promise(function (resolve, reject) {
      if (pending[key]) { pending[key].push({ resolve, reject }); return; }
      pending[key] = [{ resolve, reject }];
      const script = document.createElement("script");
      script.src = "data/" + kind + "-" + String(number).padStart(5, "0") + "-" + G.data + ".js";
      script.onerror = function () {
        (pending[key] || []).forEach((p) => p.reject(new Error("cannot load " + script.src)));
        delete pending[key];
      };
      document.head.appendChild(script);
    });
  }
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function facts(item) {
    const parts = [];
    if (item.d !== null && item.d !== undefined) parts.push(item.d.toFixed(2) + " s");
    if (item.s && item.s.length) parts.push(item.s.join(" \u00d7 "));
    if (item.sr) parts.push(item.sr + " Hz");
    const db = (v) => (v === null ? "-\u221e" : v.toFixed(1)) + " dBFS";
    if (item.pk !== undefined) parts.push("peak " + db(item.pk) + ", RMS " + db(item.rm));
    return parts.join(" \u00b7 ");
  }
  const SPRITE = /^thumbs\/p-[0-9a-f]{24}\.png$/;
  // (min, max) per column, one character each: its place here - 32 is the
  // level, -31..31 for -1..1 (melcli.waveform); anything else counts as 0.
  const LEVELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  function drawWave(canvas, text) {
    const n = Math.floor(text.length / 2);
    if (!n) return;
    const g = canvas.getContext("2d");
    const h = canvas.height / 2;
    const w = canvas.width / n;
    const level = (k) => { const v = LEVELS.indexOf(text[k]); return v < 1 ? 0 : (v - 32) / 31; };
    g.fillStyle = "#1f77b4";
    g.fillRect(0, h - 0.5, canvas.width, 1);
    for (let i = 0; i < n; i++) {
      const top = h - level(2 * i + 1) * h;
      const bottom = h - level(2 * i) * h;
      g.fillRect(i * w, top, Math.max(w, 1), Math.max(bottom - top, 1));
    }
  }
  function card(item) {
    const node = el("article", "card");
    node.dataset.name = item.n;
    if (item.z) node.classList.add("silent");
    if (item.c) node.classList.add("clipped");
    if (item.w.length) node.classList.add("warned");
    if (item.f) {
      const img = el("img", "spec figure");
      img.loading = "lazy";
      img.alt = "spectrogram of " + item.n;
      img.src = item.f;
      const link = el("a");
      link.href = item.f;
      link.target = "_blank";
      link.rel = "noopener";
      link.title = "the run's figure";
      link.appendChild(img);
      node.appendChild(link);
    } else if (item.i && SPRITE.test(item.i)) {
      // One row of the page's thumbnail picture.
      const cell = el("div", "spec sprite");
      cell.setAttribute("role", "img");
      cell.setAttribute("aria-label", "spectrogram of " + item.n);
      cell.style.backgroundImage = "url(\"" + item.i + "\")";
      cell.style.backgroundSize = "100% " + item.k * 100 + "%";
      cell.style.backgroundPosition = "0 " + (item.k > 1 ? (item.r / (item.k - 1)) * 100 : 0) + "%";
      node.appendChild(cell);
    }
    if (item.v) {
      const wave = el("canvas", "wave");
      wave.width = 320;
      wave.height = 40;
      wave.setAttribute("aria-label", "waveform of " + item.n);
      drawWave(wave, item.v);
      node.appendChild(wave);
    }
    if (item.a) {
      const audio = el("audio");
      audio.controls = true;
      audio.preload = "none";
      audio.src = item.a;
      // Linked as the manifest names it, not looked up (unless --read-sources):
      // one that cannot be played (moved since the run) is said so here.
      audio.addEventListener("error", () => {
        if (node.querySelector(".unplayable")) return;
        node.appendChild(el("div", "notes unplayable", "source file not found, or not playable"));
      });
      node.appendChild(audio);
    }
    const name = el("div", "name", item.n);
    name.dir = "auto";
    node.appendChild(name);
    const group = el("div", "group", item.g);
    group.dir = "auto";
    node.appendChild(group);
    const line = el("div", "facts");
    if (item.z) line.appendChild(el("span", "badge", "silent"));
    if (item.c) line.appendChild(el("span", "badge clipped", "clipped"));
    line.appendChild(document.createTextNode(facts(item)));
    node.appendChild(line);
    if (item.w.length) {
      const list = el("ul", "warnings");
      item.w.forEach((w) => list.appendChild(el("li", "", w)));
      node.appendChild(list);
    }
    if (item.x && item.x.length) {
      const list = el("ul", "notes");
      item.x.forEach((w) => list.appendChild(el("li", "", w)));
      node.appendChild(list);
    }
    return node;
  }
  // The view: a range of inputs (all, or one group), a filter, a page.
  const view = { group: null, text: "", show: "all", page: 0, token: 0 };
  function range() {
    if (view.group === null) return [0, G.inputs];
    const g = G.groups[view.group];
    return [g[2], g[2] + g[1]];
  }
  function matches(item) {
    if (view.show === "warned" && !item.w.length) return false;
    if (view.show === "silent" && !item.z) return false;
    if (view.show === "clipped" && !item.c) return false;
    if (!view.text) return true;
    const hay = (item.n + "\n" + item.g + "\n" + item.w.join("\n")).toLowerCase();
    return hay.indexOf(view.text) >= 0;
  }
  async function itemsAt(start, end) {
    const out = [];
    for (let p = Math.floor(start / G.pageSize); p * G.pageSize < end; p++) {
      const items = await load("page", p);
      items.forEach(function (item, k) {
        const index = p * G.pageSize + k;
        if (index >= start && index < end) out.push(item);
      });
    }
    return out;
  }
  function show(items, where, hasPrev, hasNext) {
    const box = $("cards");
    box.replaceChildren(...items.map(card));
    $("where").textContent = where;
    $("prev").disabled = !hasPrev;
    $("next").disabled = !hasNext;
  }
  async function render() {
    const token = ++view.token;
    const [start, end] = range();
    const filtered = view.text !== "" || view.show !== "all";
    try {
      if (!filtered) {
        const from = start + view.page * G.pageSize;
        const to = Math.min(end, from + G.pageSize);
        const items = await itemsAt(from, to);
        if (token !== view.token) return;
        const pages = Math.max(1, Math.ceil((end - start) / G.pageSize));
        show(items, "page " + (view.page + 1) + " of " + pages, view.page > 0, to < end);
        $("status").textContent = plural(end - start, "input", "inputs");
        return;
      }
      // Filtered: scan the data pages in order, keep one screen of matches.
      const skip = view.page * G.pageSize;
      const found = [];
      let seen = 0;
      let index = start;
      while (index < end && found.length <= G.pageSize) {
        const p = Math.floor(index / G.pageSize);
        const items = await load("page", p);
        if (token !== view.token) return;
        for (let k = index - p * G.pageSize; k < items.length && index < end; k++, index++) {
          if (matches(items[k])) { if (seen++ >= skip) found.push(items[k]); }
        }
        $("status").textContent = "searched " + (index - start) + " of " + (end - start) + "\u2026";
      }
      const more = found.length > G.pageSize;
      show(found.slice(0, G.pageSize), "matches " + (skip + 1) + "\u2013" + (skip + Math.min(found.length, G.pageSize)), view.page > 0, more);
      $("status").textContent = (more ? "more than " + (skip + G.pageSize) + " matching inputs" : plural(skip + found.length, "matching input", "matching inputs")) + " (searched " + (index - start) + " of " + (end - start) + ")";
    } catch (err) {
      $("status").textContent = String(err.message || err);
    }
  }
  function drawGroups() {
    const nav = $("groups");
    const text = view.text;
    const buttons = [];
    const all = el("button", view.group === null ? "on" : "");
    all.type = "button";
    all.appendChild(el("span", "", "All (" + G.groupBy + ")"));
    all.appendChild(el("span", "count", String(G.inputs)));
    all.onclick = function () { view.group = null; view.page = 0; drawGroups(); render(); };
    buttons.push(all);
    G.groups.forEach(function (g, i) {
      if (text && g[0].toLowerCase().indexOf(text) < 0 && view.group !== i) return;
      const b = el("button", view.group === i ? "on" : "");
      b.type = "button";
      const label = el("span", "", g[0]);
      label.dir = "auto";
      b.appendChild(label);
      b.appendChild(el("span", "count", String(g[1])));
      b.onclick = function () { view.group = i; view.page = 0; drawGroups(); render(); };
      buttons.push(b);
    });
    if (G.groupCount > G.groups.length) buttons.push(el("p", "", (G.groupCount - G.groups.length) + " more groups not listed"));
    nav.replaceChildren(...buttons);
  }
  let problemPage = 0;
  async function moreProblems() {
    if (problemPage >= G.problemPages) return;
    const items = await load("problems", problemPage++);
    const body = $("problem-rows");
    items.forEach(function (p) {
      const row = el("tr");
      const name = el("td", "name", p.n);
      name.dir = "auto";
      row.appendChild(name);
      row.appendChild(el("td", "", p.t));
      row.appendChild(el("td", "", p.r));
      body.appendChild(row);
    });
    $("more-problems").hidden = problemPage >= G.problemPages;
  }
  $("title").textContent = G.title;
  const counts = [el("span", "", plural(G.inputs, "input", "inputs") + " shown")];
  Object.keys(G.statuses).sort().forEach((s) => counts.push(el("span", "", G.statuses[s] + " " + s.replace(/-/g, " "))));
  counts.push(el("span", "", G.silent + " silent"));
  counts.push(el("span", "", G.clipped + " clipped"));
  counts.push(el("span", "", G.warned + " with warnings"));
  counts.push(el("span", "", plural(G.groupCount, "group", "groups") + " by " + G.groupBy));
  $("summary").replaceChildren(...counts);
  $("reasons").textContent = G.reasons.map((r) => r[1] + " \u00d7 " + r[0]).join("; ");
  $("problems").hidden = G.problems === 0;
  let timer = null;
  $("filter").addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      view.text = $("filter").value.trim().toLowerCase();
      view.page = 0;
      drawGroups();
      render();
    }, 150);
  });
  $("show").addEventListener("change", function () { view.show = $("show").value; view.page = 0; render(); });
  $("prev").addEventListener("click", function () { if (view.page > 0) { view.page--; render(); } });
  $("next").addEventListener("click", function () { view.page++; render(); });
  $("more-problems").addEventListener("click", moreProblems);
  drawGroups();
  moreProblems();
  render();
})();
</script>
</body>
</html>
"""
