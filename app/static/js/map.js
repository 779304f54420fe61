// The map of the Spatial section: draw boxes, polygons and points (Leaflet + Leaflet-Geoman).
//
// The typed fields stay the only copy of the values: a shape drawn or edited on the map writes
// its coordinates into the fields of one spatial extent (/spatial_extents/<i>/bbox/west, …,
// /point/lon, /polygon as GeoJSON) and fires `input`, so deposit.js autosaves it and the server
// checks it (south ≤ north, ranges, closed rings: its errors appear next to the fields — no
// rule is repeated here). Typing in the fields redraws the map. Without network the map shows
// the bundled Natural Earth countries; a tile layer is added when MAP_TILE_URL is configured.
//
// A box whose west longitude is greater than its east longitude crosses the antimeridian
// (ISO 19115 EX_GeographicBoundingBox, DataCite geoLocationBox): it is drawn from west to
// east + 360°, and a box drawn across 180° is written back with west > east.

const box = document.getElementById("extent-map-box");
const form = document.getElementById("deposit-form");
const LIST = "/spatial_extents";
const L = window.L;

/** A longitude brought into -180..180 (180 itself stays 180). */
export function wrapLon(lon) {
  if (lon >= -180 && lon <= 180) return lon;
  return ((((lon + 180) % 360) + 360) % 360) - 180;
}

/** West/east of a drawn box (Leaflet bounds may run past ±180 on a copy of the world). */
export function boxLongitudes(west, east) {
  if (east - west >= 360) return [-180, 180];
  return [wrapLon(west), wrapLon(east)];
}

const round = (x, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

if (box && form && L && L.PM) {
  box.hidden = false;
  const fieldset = form.querySelector(`fieldset[data-list="${LIST}"]`);
  const status = document.getElementById("extent-map-status");
  const lang = box.dataset.lang || "en";

  const map = L.map("extent-map", { worldCopyJump: false, minZoom: 1, maxBounds: [[-90, -540], [90, 540]] });
  map.setView([20, 0], 1);
  map.attributionControl.setPrefix(false);
  if (box.dataset.tiles) {
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.tilesAttribution, maxZoom: 18, pmIgnore: true }).addTo(map);
  }
  // The bundled basemap, three times (one world each side) so boxes across 180° look right.
  fetch(box.dataset.basemap)
    .then((r) => r.json())
    .then((geojson) => {
      for (const shift of [-360, 0, 360]) {
        L.geoJSON(geojson, {
          pmIgnore: true,
          interactive: false,
          attribution: shift === 0 ? box.dataset.basemapAttribution : undefined,
          style: { color: "#6b6b6b", weight: 0.6, fillColor: "#dcd6c8", fillOpacity: 1 },
          coordsToLatLng: (c) => L.latLng(c[1], c[0] + shift),
        })
          .addTo(map)
          .bringToBack();
      }
    })
    .catch(() => {}); // no basemap: the shapes and the typed fields still work

  map.pm.setLang(lang === "fr" ? "fr" : "en");
  map.pm.addControls({
    position: "topleft",
    drawMarker: true,
    drawPolygon: true,
    drawRectangle: true,
    drawPolyline: false,
    drawCircle: false,
    drawCircleMarker: false,
    drawText: false,
    cutPolygon: false,
    rotateMode: false,
  });

  // Geoman's buttons carry their name on the parent's title only: give it to the button.
  for (const button of box.querySelectorAll(".leaflet-buttons-control-button")) {
    const title = button.closest("[title]")?.getAttribute("title");
    if (title) button.setAttribute("aria-label", title);
  }

  const shapes = L.featureGroup().addTo(map);
  let writing = false; // our own writes into the fields do not redraw the map

  // --- fields -> map ------------------------------------------------------------------------

  const input = (pointer) => form.elements.namedItem(pointer);
  const value = (pointer) => {
    const el = input(pointer);
    return el && el.value.trim() !== "" ? el.value.trim() : null;
  };
  const num = (pointer) => {
    const v = value(pointer);
    if (v === null) return null;
    const n = Number(v.replace(",", "."));
    return Number.isFinite(n) ? n : null;
  };
  const items = () => (fieldset ? [...fieldset.querySelectorAll(":scope > ol > li.item")] : []);

  function redraw() {
    shapes.clearLayers();
    for (const li of items()) {
      const p = li.dataset.pointer;
      const [w, e, s, n] = ["west", "east", "south", "north"].map((k) => num(`${p}/bbox/${k}`));
      if ([w, e, s, n].every((v) => v !== null)) {
        const east = w > e ? e + 360 : e; // crosses the antimeridian
        add(L.rectangle([[s, w], [n, east]], { color: "#0b5394", weight: 2 }), p, "bbox");
      }
      const [lon, lat] = [num(`${p}/point/lon`), num(`${p}/point/lat`)];
      if (lon !== null && lat !== null) add(L.marker([lat, lon]), p, "point");
      const poly = value(`${p}/polygon`);
      if (poly) {
        try {
          const geo = JSON.parse(poly);
          const rings = geo.coordinates.map((ring) => ring.map(([x, y]) => [y, x]));
          add(L.polygon(rings, { color: "#7a3e00", weight: 2 }), p, "polygon");
        } catch {
          /* not yet valid GeoJSON: the server says what is wrong */
        }
      }
    }
  }

  function add(layer, pointer, kind) {
    layer.extent = { pointer, kind };
    layer.on("pm:edit", () => write(layer, pointer, kind));
    layer.on("pm:dragend", () => write(layer, pointer, kind));
    layer.on("pm:remove", () => clear(pointer, kind));
    shapes.addLayer(layer);
  }

  // --- map -> fields ------------------------------------------------------------------------

  function set(pointer, v) {
    const el = input(pointer);
    if (!el) return;
    el.value = v === null ? "" : String(v);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function clear(pointer, kind) {
    writing = true;
    const keys = { bbox: ["bbox/west", "bbox/east", "bbox/south", "bbox/north"], point: ["point/lon", "point/lat"], polygon: ["polygon"] }[kind];
    for (const k of keys) set(`${pointer}/${k}`, null);
    writing = false;
    input(pointer + "/" + keys[0])?.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function write(layer, pointer, kind) {
    writing = true;
    if (kind === "bbox") {
      const b = layer.getBounds();
      const [w, e] = boxLongitudes(b.getWest(), b.getEast());
      set(`${pointer}/bbox/west`, round(w));
      set(`${pointer}/bbox/east`, round(e));
      set(`${pointer}/bbox/south`, round(Math.max(-90, b.getSouth())));
      set(`${pointer}/bbox/north`, round(Math.min(90, b.getNorth())));
    } else if (kind === "point") {
      const ll = layer.getLatLng();
      set(`${pointer}/point/lon`, round(wrapLon(ll.lng)));
      set(`${pointer}/point/lat`, round(ll.lat));
    } else {
      const ring = layer.toGeoJSON().geometry.coordinates[0];
      // A polygon drawn wholly on a copy of the world is moved back by whole turns.
      const shift = Math.round((wrapLon(ring[0][0]) - ring[0][0]) / 360) * 360;
      const coords = ring.map(([x, y]) => [round(x + shift), round(y)]);
      set(`${pointer}/polygon`, JSON.stringify({ type: "Polygon", coordinates: [coords] }));
    }
    writing = false;
    // A change event saves at once (deposit.js) instead of waiting for more typing.
    const first = { bbox: "bbox/west", point: "point/lon", polygon: "polygon" }[kind];
    input(`${pointer}/${first}`)?.dispatchEvent(new Event("change", { bubbles: true }));
  }

  const isEmpty = (li) =>
    [...li.querySelectorAll("input, textarea")].every((el) => el.value.trim() === "");

  /** The extent a new shape goes to: the first empty one, else one more (the add button). */
  async function freeItem() {
    const empty = items().find(isEmpty);
    if (empty) return empty;
    const before = items().length;
    fieldset.querySelector(":scope > button.add")?.click();
    for (let i = 0; i < 100 && items().length === before; i++) await new Promise((r) => setTimeout(r, 50));
    return items()[before] ?? null;
  }

  /** A new shape (drawn with the mouse, or the visible area taken with the keyboard): written
   * into the first free extent, the map redrawn from the fields, the result announced. */
  async function created(layer, kind) {
    const li = kind && (await freeItem());
    if (!li) return;
    write(layer, li.dataset.pointer, kind);
    redraw();
    const n = items().indexOf(li) + 1;
    status.textContent = box.dataset.drawn.replace("{num}", String(n));
  }

  map.on("pm:create", ({ layer, shape }) => {
    map.removeLayer(layer); // redrawn from the fields, the only copy
    created(layer, { Rectangle: "bbox", Marker: "point", Polygon: "polygon" }[shape]);
  });

  // The keyboard's way to draw a box (WCAG 2.1.1): focus the map, move it with the arrow keys
  // and zoom with + and -, then this button takes the visible area as a box, exactly as if it
  // had been drawn (same fields, autosave, antimeridian rule).
  const visible = document.getElementById("extent-map-visible");
  if (visible) {
    visible.hidden = false;
    visible.addEventListener("click", () => {
      const b = map.getBounds();
      created(L.rectangle(b), "bbox");
    });
  }

  // Typing in the fields, adding, moving or removing extents: the map follows.
  let timer = null;
  const later = () => {
    if (writing) return;
    clearTimeout(timer);
    timer = setTimeout(redraw, 150);
  };
  form.addEventListener("input", (event) => {
    if (event.target.name?.startsWith(`${LIST}/`)) later();
  });
  if (fieldset) new MutationObserver(later).observe(fieldset.querySelector(":scope > ol"), { childList: true, subtree: true, attributes: true, attributeFilter: ["name"] });

  redraw();
  if (shapes.getLayers().length) map.fitBounds(shapes.getBounds().pad(0.3), { maxZoom: 6 });
  // Shown after layout (it was hidden): Leaflet measures its box again.
  requestAnimationFrame(() => map.invalidateSize());
}
