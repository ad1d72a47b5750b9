// The interactive footprint map (Leaflet, loaded by the page as a classic
// script). Without a configured basemap nothing is fetched from elsewhere:
// footprints draw on a plain background with a graticule.

/** graticule draws meridians and parallels every `step` degrees. */
function graticule(L, step) {
  const style = { color: "#8a9199", weight: 1, opacity: 0.35, interactive: false };
  const lines = [];
  for (let lat = -90 + step; lat < 90; lat += step) lines.push(L.polyline([[lat, -180], [lat, 180]], style));
  for (let lon = -180; lon <= 180; lon += step) lines.push(L.polyline([[-85, lon], [85, lon]], style));
  return L.layerGroup(lines);
}

/** textNode keeps Leaflet from reading a string as HTML. */
function textNode(s) {
  const span = document.createElement("span");
  span.textContent = s;
  return span;
}

/**
 * showMap replaces the figure's SVG with a Leaflet map of the GeoJSON
 * FeatureCollection `geo`. Features with an `href` property link to it.
 */
export function showMap(figure, geo, config) {
  const L = window.L;
  const svg = figure.querySelector("svg");
  const div = document.createElement("div");
  div.className = "leaflet";
  div.setAttribute("role", "region");
  div.setAttribute("aria-label", "Interactive map. " + (svg?.getAttribute("aria-label") || ""));
  figure.insertBefore(div, figure.firstChild);
  svg?.remove();

  const map = L.map(div, { attributionControl: Boolean(config.basemap), zoomSnap: 0.25 });
  if (config.basemap) {
    const attribution = textNode(config.basemap.attribution).innerHTML; // escaped
    L.tileLayer(config.basemap.url, { attribution, maxZoom: 19 }).addTo(map);
  } else {
    graticule(L, 10).addTo(map);
  }
  const color = getComputedStyle(document.documentElement).getPropertyValue("--shape").trim() || "#d1495b";
  const layer = L.geoJSON(geo, {
    style: (f) => (f.properties?.extent
      ? { color, weight: 2, fill: false, dashArray: "6 4" }
      : { color, weight: 2, fillOpacity: 0.2 }),
    onEachFeature: (f, l) => {
      const href = f.properties?.href;
      if (!href) return;
      l.bindTooltip(textNode(f.properties.id || href));
      l.on("click", () => {
        window.location.href = new URL(href, window.location.href).href;
      });
    },
  }).addTo(map);
  const bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 14 });
  else map.setView([0, 0], 1);

  // For the search: the map, a layer of results, and drawing a box.
  figure.eocatMap = map;
  let results = null;
  figure.eocatShow = (features, box) => {
    results?.remove();
    const group = L.featureGroup();
    if (box) {
      const [w, s, e, n] = box;
      const parts = w <= e ? [[w, e]] : [[w, 180], [-180, e]];
      for (const [a, b] of parts) L.rectangle([[s, a], [n, b]], { color: "#888", weight: 1, fill: false, dashArray: "4 4", interactive: false }).addTo(group);
    }
    L.geoJSON({ type: "FeatureCollection", features }, {
      style: { color, weight: 1, fillOpacity: 0.15 },
      onEachFeature: (f, l) => {
        l.bindTooltip(textNode(f.properties.id));
        l.on("click", () => { window.location.href = new URL(f.properties.href, window.location.href).href; });
      },
    }).addTo(group);
    group.addTo(map);
    const b = group.getBounds();
    if (b.isValid()) map.fitBounds(b, { padding: [16, 16], maxZoom: 12 });
    results = group;
    return group;
  };
  figure.eocatDraw = (done) => {
    div.classList.add("drawing");
    map.dragging.disable();
    let start = null, rect = null;
    const down = (ev) => { start = ev.latlng; };
    const move = (ev) => {
      if (!start) return;
      rect?.remove();
      rect = L.rectangle(L.latLngBounds(start, ev.latlng), { color, weight: 1, dashArray: "4 4" }).addTo(map);
    };
    const up = (ev) => {
      if (!start) return;
      const b = L.latLngBounds(start, ev.latlng);
      map.off("mousedown", down).off("mousemove", move).off("mouseup", up);
      map.dragging.enable();
      div.classList.remove("drawing");
      rect?.remove();
      const clamp = (v, m) => Math.max(-m, Math.min(m, v));
      done(clamp(b.getWest(), 180), clamp(b.getSouth(), 90), clamp(b.getEast(), 180), clamp(b.getNorth(), 90));
    };
    map.on("mousedown", down).on("mousemove", move).on("mouseup", up);
  };
  figure.dataset.mapReady = "true";
}
