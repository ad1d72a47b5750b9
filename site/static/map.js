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
  figure.dataset.mapReady = "true";
}
