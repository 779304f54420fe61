// Landing page: copy buttons and the map of the spatial extents. The page is complete without
// this script (the identifier, the citation and the coordinates are plain text).

function setUpCopyButtons() {
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    const status = button.parentElement.querySelector(".copy-status");
    if (!source || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        if (status) status.textContent = " " + (document.documentElement.lang === "fr" ? "Copié." : "Copied.");
      } catch {
        if (status) status.textContent = " " + (document.documentElement.lang === "fr" ? "Copie impossible : sélectionnez le texte." : "Could not copy: select the text.");
      }
    });
  }
}

// The map illustrates the coordinates listed under it (its caption): the shapes take no focus or
// clicks; only Leaflet's zoom buttons are in the keyboard order.
const SHAPE = { weight: 2, interactive: false, className: "extent-shape" };

function boxLayers(L, b) {
  // A box crossing the antimeridian (west > east) is drawn east of it, so it stays one shape.
  const east = b.east < b.west ? b.east + 360 : b.east;
  return [L.rectangle([[b.south, b.west], [b.north, east]], SHAPE)];
}

function setUpMap() {
  const el = document.getElementById("landing-map");
  if (!el || typeof window.L === "undefined") return;
  const L = window.L;
  let extents;
  try {
    extents = JSON.parse(el.dataset.extents);
  } catch {
    return;
  }
  // No tile server (the service works offline and its CSP allows only itself): the shapes are
  // drawn over a plain graticule.
  el.classList.add("map-ready"); // shown before Leaflet measures it, or fitBounds sees 0 x 0
  const map = L.map(el, { worldCopyJump: false, attributionControl: false, keyboard: false });
  const grid = [];
  for (let lon = -180; lon <= 360; lon += 30) grid.push(L.polyline([[-90, lon], [90, lon]], { color: "#bbb", weight: 1, interactive: false }));
  for (let lat = -90; lat <= 90; lat += 30) grid.push(L.polyline([[lat, -180], [lat, 360]], { color: "#bbb", weight: 1, interactive: false }));
  L.layerGroup(grid).addTo(map);
  const layers = [];
  for (const g of extents) {
    if (g.type === "bbox") layers.push(...boxLayers(L, g));
    else if (g.type === "Point") layers.push(L.circleMarker([g.coordinates[1], g.coordinates[0]], { ...SHAPE, radius: 6 }));
    else layers.push(L.geoJSON(g, { style: () => SHAPE }));
  }
  const group = L.featureGroup(layers).addTo(map);
  map.fitBounds(group.getBounds().pad(0.3), { maxZoom: 8 });
}

setUpCopyButtons();
setUpMap();
