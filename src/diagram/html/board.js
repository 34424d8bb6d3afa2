// Pan and zoom, a filter by context, and a details panel, for a picture
// drawn by squall. No network, no libraries.
(function () {
  "use strict";
  var svg = document.querySelector("#viewport > svg");
  var viewport = document.getElementById("viewport");
  var panel = document.getElementById("details");
  var elements = JSON.parse(document.getElementById("squall-elements").textContent);
  if (!svg) { return; }

  // The view is the SVG's viewBox; the picture's own size is the first one.
  var base = svg.viewBox.baseVal;
  var full = { x: base.x, y: base.y, w: base.width, h: base.height };
  var view = { x: full.x, y: full.y, w: full.w, h: full.h };
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  function show() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" ")); }
  // Fits the view to what the filter leaves: the whole picture, or the
  // frames and stickies of the contexts still shown, so that hiding most
  // contexts does not leave the rest small in a corner.
  function fit() {
    var shown = svg.querySelectorAll(".frame:not(.filtered), .sticky[data-context]:not(.filtered)");
    var filtering = svg.querySelector(".filtered") !== null;
    if (!filtering || shown.length === 0) {
      view = { x: full.x, y: full.y, w: full.w, h: full.h };
    } else {
      var left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
      shown.forEach(function (node) {
        var box = node.getBBox();
        left = Math.min(left, box.x); top = Math.min(top, box.y);
        right = Math.max(right, box.x + box.width); bottom = Math.max(bottom, box.y + box.height);
      });
      var margin = 20;
      view = { x: left - margin, y: top - margin, w: right - left + 2 * margin, h: bottom - top + 2 * margin };
    }
    show();
  }
  function scale() {
    var box = svg.getBoundingClientRect();
    return Math.max(view.w / Math.max(box.width, 1), view.h / Math.max(box.height, 1));
  }
  function toPicture(clientX, clientY) {
    var box = svg.getBoundingClientRect();
    var s = scale();
    // preserveAspectRatio centres the view in the element.
    var offsetX = (box.width - view.w / s) / 2, offsetY = (box.height - view.h / s) / 2;
    return { x: view.x + (clientX - box.left - offsetX) * s, y: view.y + (clientY - box.top - offsetY) * s };
  }
  viewport.addEventListener("wheel", function (event) {
    event.preventDefault();
    var factor = Math.exp(event.deltaY * 0.0015);
    var at = toPicture(event.clientX, event.clientY);
    var w = Math.min(Math.max(view.w * factor, full.w / 50), full.w * 4);
    var f = w / view.w;
    view = { x: at.x - (at.x - view.x) * f, y: at.y - (at.y - view.y) * f, w: view.w * f, h: view.h * f };
    show();
  }, { passive: false });
  var drag = null;
  viewport.addEventListener("pointerdown", function (event) {
    drag = { x: event.clientX, y: event.clientY, view: { x: view.x, y: view.y }, moved: false };
  });
  window.addEventListener("pointermove", function (event) {
    if (!drag) { return; }
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; viewport.classList.add("dragging"); }
    var s = scale();
    view.x = drag.view.x - dx * s;
    view.y = drag.view.y - dy * s;
    show();
  });
  window.addEventListener("pointerup", function () {
    viewport.classList.remove("dragging");
    setTimeout(function () { drag = null; }, 0);
  });
  document.getElementById("reset").addEventListener("click", fit);

  // The filter: a context unticked hides its frame, its stickies, and
  // every arrow that touches it.
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#filters input[data-filter]"));
  function applyFilter() {
    var hidden = {};
    boxes.forEach(function (box) { if (!box.checked) { hidden[box.getAttribute("data-filter")] = true; } });
    svg.querySelectorAll("[data-context]").forEach(function (node) {
      node.classList.toggle("filtered", hidden[node.getAttribute("data-context")] === true);
    });
    svg.querySelectorAll("[data-contexts]").forEach(function (node) {
      var touches = node.getAttribute("data-contexts").split(" ").some(function (c) { return hidden[c] === true; });
      node.classList.toggle("filtered", touches);
    });
  }
  boxes.forEach(function (box) { box.addEventListener("change", function () { applyFilter(); fit(); }); });

  // The panel.
  function text(selector, value) {
    var node = panel.querySelector(selector);
    node.textContent = value || "";
    node.hidden = !value;
  }
  function select(key) {
    svg.querySelectorAll(".sticky.selected").forEach(function (node) { node.classList.remove("selected"); });
    var entry = elements[key];
    if (!entry) { panel.hidden = true; return; }
    svg.querySelectorAll(".sticky").forEach(function (node) {
      if (node.getAttribute("data-element") === key) { node.classList.add("selected"); }
    });
    text(".kind", entry.kind);
    text("h2", entry.name);
    text(".context", entry.context ? "in " + entry.context : "");
    text(".description", entry.description);
    var facts = panel.querySelector(".facts");
    facts.textContent = "";
    (entry.facts || []).forEach(function (fact) {
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = fact[0];
      dd.textContent = fact[1];
      facts.appendChild(dt);
      facts.appendChild(dd);
    });
    var table = panel.querySelector(".fields"), body = table.querySelector("tbody");
    body.textContent = "";
    (entry.fields || []).forEach(function (field) {
      var row = document.createElement("tr");
      [field.name, field.type, field.pii ? "personal data" : ""].forEach(function (value, i) {
        var cell = document.createElement("td");
        cell.textContent = value;
        if (i === 2) { cell.className = "pii"; }
        row.appendChild(cell);
      });
      if (field.description) { row.title = field.description; }
      body.appendChild(row);
    });
    table.hidden = !(entry.fields && entry.fields.length);
    var links = panel.querySelector(".links");
    links.textContent = "";
    (entry.links || []).forEach(function (link) {
      var item = document.createElement("li"), button = document.createElement("button");
      item.appendChild(document.createTextNode(link.relation + " "));
      button.type = "button";
      button.textContent = link.element;
      button.addEventListener("click", function () { select(link.element); });
      item.appendChild(button);
      links.appendChild(item);
    });
    panel.hidden = false;
    panel.setAttribute("data-selected", key);
  }
  svg.addEventListener("click", function (event) {
    if (drag && drag.moved) { return; }
    var node = event.target.closest ? event.target.closest(".sticky") : null;
    if (node) { select(node.getAttribute("data-element")); }
  });
  document.getElementById("close").addEventListener("click", function () { panel.hidden = true; select(null); });

  // `#filter=A,B` and `#select=Context.Name`, for links and tests.
  location.hash.replace(/^#/, "").split("&").forEach(function (part) {
    var pair = part.split("="), value = decodeURIComponent(pair[1] || "");
    if (pair[0] === "filter") {
      var keep = {};
      value.split(",").forEach(function (c) { keep[c] = true; });
      boxes.forEach(function (box) { box.checked = keep[box.getAttribute("data-filter")] === true; });
      applyFilter();
    } else if (pair[0] === "select") {
      select(value);
    }
  });
  fit();
})();
