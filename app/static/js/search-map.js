// The search page's map (app/web/search): the extents of the results on the page, and a box
// filter drawn with the mouse (or a finger) that fills the four coordinate fields. The fields
// stay the way to type a box (keyboard, screen readers); the map only adds a faster way.
// Works offline: no tiles, a plain background with a 30° graticule.
(function () {
  "use strict";
  var holder = document.getElementById("search-map");
  if (!holder || typeof L === "undefined") return;
  var fields = {};
  ["west", "south", "east", "north"].forEach(function (k) { fields[k] = document.getElementById(k); });
  var drawButton = document.getElementById("search-map-draw");
  var clearButton = document.getElementById("search-map-clear");
  holder.hidden = false;
  if (drawButton) drawButton.hidden = false;
  if (clearButton) clearButton.hidden = false;

  var map = L.map(holder, {
    crs: L.CRS.EPSG3857,
    center: [20, 0],
    zoom: 0,
    minZoom: 0,
    maxZoom: 8,
    worldCopyJump: false,
    maxBounds: [[-90, -200], [90, 200]],
    attributionControl: false,
    keyboard: true,
  });
  map.fitBounds([[-60, -170], [75, 170]]);

  // Graticule every 30 degrees.
  var grid = { color: "#8a9aa8", weight: 1, opacity: 0.6, interactive: false };
  for (var lon = -180; lon <= 180; lon += 30) L.polyline([[-85, lon], [85, lon]], grid).addTo(map);
  for (var lat = -60; lat <= 60; lat += 30) L.polyline([[lat, -180], [lat, 180]], grid).addTo(map);
  L.polyline([[0, -180], [0, 180]], { color: "#5b6b78", weight: 1.5, interactive: false }).addTo(map);

  // Result extents: one rectangle per box (boxes crossing the antimeridian come split), a
  // point as a small circle; a click goes to the result's card.
  var extents = L.featureGroup().addTo(map);
  document.querySelectorAll(".search-extents li").forEach(function (li) {
    var w = +li.dataset.west, s = +li.dataset.south, e = +li.dataset.east, n = +li.dataset.north;
    var shape = (w === e && s === n)
      ? L.circleMarker([s, w], { radius: 4, color: "#7a3b00", weight: 2 })
      : L.rectangle([[s, w], [n, e]], { color: "#7a3b00", weight: 2, fillOpacity: 0.08 });
    var card = document.getElementById("hit-" + li.dataset.record);
    var title = card ? card.querySelector("h2 a") : null;
    if (title) shape.bindTooltip(title.textContent);
    shape.on("click", function () {
      if (card) { card.scrollIntoView({ block: "nearest" }); if (title) title.focus(); }
    });
    shape.addTo(extents);
  });

  // The box filter, from the fields.
  var query = null;
  function number(k) {
    var v = fields[k] && fields[k].value.trim();
    return v === "" || v === undefined ? null : Number(v);
  }
  function showQuery() {
    if (query) { map.removeLayer(query); query = null; }
    var w = number("west"), s = number("south"), e = number("east"), n = number("north");
    if ([w, s, e, n].some(function (v) { return v === null || isNaN(v); })) return;
    var style = { color: "#0b5cad", weight: 2, dashArray: "6 4", fillOpacity: 0.05, interactive: false };
    // West > east crosses the antimeridian: draw the two halves.
    query = w <= e
      ? L.rectangle([[s, w], [n, e]], style)
      : L.featureGroup([L.rectangle([[s, w], [n, 180]], style), L.rectangle([[s, -180], [n, e]], style)]);
    query.addTo(map);
  }
  Object.keys(fields).forEach(function (k) { if (fields[k]) fields[k].addEventListener("change", showQuery); });
  showQuery();
  if (query) map.fitBounds(query.getBounds().pad(0.5));
  else if (extents.getLayers().length) map.fitBounds(extents.getBounds().pad(0.2), { maxZoom: 5 });

  // Drawing: press the button, then drag on the map.
  var drawing = false, start = null, draft = null;
  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }
  function round(v) { return Math.round(v * 1000) / 1000; }
  function setDrawing(on) {
    drawing = on;
    if (drawButton) drawButton.setAttribute("aria-pressed", on ? "true" : "false");
    holder.classList.toggle("drawing", on);
    if (on) map.dragging.disable(); else map.dragging.enable();
  }
  if (drawButton) drawButton.addEventListener("click", function () { setDrawing(!drawing); });
  if (clearButton) clearButton.addEventListener("click", function () {
    Object.keys(fields).forEach(function (k) { if (fields[k]) fields[k].value = ""; });
    showQuery();
  });
  map.on("mousedown", function (ev) {
    if (!drawing) return;
    start = ev.latlng;
    draft = L.rectangle([start, start], { color: "#0b5cad", weight: 2, interactive: false }).addTo(map);
  });
  map.on("mousemove", function (ev) { if (drawing && start && draft) draft.setBounds([start, ev.latlng]); });
  map.on("mouseup", function (ev) {
    if (!drawing || !start) return;
    var b = L.latLngBounds(start, ev.latlng);
    if (draft) map.removeLayer(draft);
    start = draft = null;
    setDrawing(false);
    if (b.getNorth() === b.getSouth() || b.getEast() === b.getWest()) return;
    fields.west.value = round(clamp(b.getWest(), -180, 180));
    fields.east.value = round(clamp(b.getEast(), -180, 180));
    fields.south.value = round(clamp(b.getSouth(), -90, 90));
    fields.north.value = round(clamp(b.getNorth(), -90, 90));
    showQuery();
    fields.west.focus();
  });
})();
