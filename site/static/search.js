// Search of a static collection in the browser: the collection's
// stac-geoparquet file (items.parquet) is read with HTTP range requests
// through hyparquet, row groups are skipped by their min/max statistics, and
// only the columns a query needs are fetched. The query lives in the page's
// URL, so a search can be shared. Without JavaScript the section stays
// hidden and the paged item list remains.

import { asyncBufferFromUrl, cachedAsyncBuffer, parquetMetadataAsync, parquetReadObjects } from "./vendor/hyparquet/index.js";

const PAGE = 50; // results shown at a time

/** parseQuery reads a query from URL parameters. */
export function parseQuery(params, numeric, enums) {
  const q = { ranges: {}, equals: {} };
  const day = (s, end) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s || "")) return null;
    const t = Date.parse(s + (end ? "T23:59:59.999Z" : "T00:00:00Z"));
    return Number.isNaN(t) ? null : t;
  };
  q.from = day(params.get("from"), false);
  q.to = day(params.get("to"), true);
  const box = ["west", "south", "east", "north"].map((k) => params.get(k));
  if (box.every((v) => v !== null && v !== "" && Number.isFinite(Number(v)))) {
    const [w, s, e, n] = box.map(Number);
    if (s <= n && w >= -180 && e <= 180 && s >= -90 && n <= 90) q.bbox = [w, s, e, n];
  }
  for (const key of numeric) {
    const lo = params.get(key + ".min"), hi = params.get(key + ".max");
    const r = [lo === null || lo === "" ? null : Number(lo), hi === null || hi === "" ? null : Number(hi)];
    if (r.some((v) => v !== null && Number.isFinite(v))) q.ranges[key] = r.map((v) => (Number.isFinite(v) ? v : null));
  }
  for (const key of enums) {
    const v = params.get(key);
    if (v) q.equals[key] = v;
  }
  const text = (params.get("q") || "").trim();
  if (text) q.text = text.toLowerCase();
  return q;
}

/** lonIntervals splits a west-east span at the antimeridian. */
function lonIntervals(w, e) {
  return w <= e ? [[w, e]] : [[w, 180], [-180, e]];
}

/** bboxIntersects: the item's bbox and the query's, both antimeridian-aware. */
export function bboxIntersects(b, q) {
  if (!b) return false;
  if (b.ymin > q[3] || b.ymax < q[1]) return false;
  for (const [a0, a1] of lonIntervals(b.xmin, b.xmax)) {
    for (const [b0, b1] of lonIntervals(q[0], q[2])) {
      if (a0 <= b1 && a1 >= b0) return true;
    }
  }
  return false;
}

const time = (v) => (v instanceof Date ? v.getTime() : v == null ? null : Date.parse(v));

/** matches applies the whole query to one row (the exact test). */
export function matches(row, q) {
  if (q.from !== null || q.to !== null) {
    const t = time(row.datetime);
    if (t === null || Number.isNaN(t)) return false;
    if (q.from !== null && t < q.from) return false;
    if (q.to !== null && t > q.to) return false;
  }
  if (q.bbox && !bboxIntersects(row.bbox, q.bbox)) return false;
  for (const [key, [lo, hi]] of Object.entries(q.ranges)) {
    const v = row[key] == null ? null : Number(row[key]);
    if (v === null || (lo !== null && v < lo) || (hi !== null && v > hi)) return false;
  }
  for (const [key, want] of Object.entries(q.equals)) {
    const v = row[key];
    if (Array.isArray(v) ? !v.includes(want) : v !== want) return false;
  }
  if (q.text && !String(row.id).toLowerCase().includes(q.text)) return false;
  return true;
}

/** statistic reads a column chunk's min or max as a number (or time). */
function statistic(chunk, which) {
  const s = chunk?.meta_data?.statistics;
  if (!s) return null;
  const v = s[which + "_value"] ?? s[which];
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.getTime();
  if (typeof v === "bigint") return Number(v);
  return typeof v === "number" ? v : null;
}

/**
 * mayMatch tells, from a row group's statistics alone, whether it can hold
 * a match; false skips the row group without reading it.
 */
export function mayMatch(rowGroup, q) {
  const chunk = {};
  for (const c of rowGroup.columns) chunk[c.meta_data.path_in_schema.join(".")] = c;
  const range = (path) => [statistic(chunk[path], "min"), statistic(chunk[path], "max")];
  const disjoint = (lo, hi, qlo, qhi) => (qlo !== null && hi !== null && hi < qlo) || (qhi !== null && lo !== null && lo > qhi);
  if (q.from !== null || q.to !== null) {
    const [lo, hi] = range("datetime");
    if (disjoint(lo, hi, q.from, q.to)) return false;
  }
  if (q.bbox) {
    const [, ymaxHi] = range("bbox.ymax");
    const [yminLo] = range("bbox.ymin");
    if ((ymaxHi !== null && ymaxHi < q.bbox[1]) || (yminLo !== null && yminLo > q.bbox[3])) return false;
    // Longitudes: an item may cross the antimeridian (xmin > xmax), so a row
    // group is skipped only when no item can reach the query from either side.
    const [xminLo] = range("bbox.xmin");
    const [, xmaxHi] = range("bbox.xmax");
    if (q.bbox[0] <= q.bbox[2] && xminLo !== null && xmaxHi !== null && xminLo > q.bbox[2] && xmaxHi < q.bbox[0]) return false;
  }
  for (const [key, [qlo, qhi]] of Object.entries(q.ranges)) {
    const [lo, hi] = range(key);
    if (disjoint(lo, hi, qlo, qhi)) return false;
  }
  return true;
}

/**
 * search runs a query over the file and returns the matching rows (id,
 * datetime, bbox and the filtered columns), with what it read.
 */
export async function search(file, metadata, q, extraColumns = []) {
  const columns = new Set(["id", "datetime", "bbox", ...extraColumns, ...Object.keys(q.ranges), ...Object.keys(q.equals)]);
  const have = new Set(metadata.schema.map((e) => e.name));
  const wanted = [...columns].filter((c) => have.has(c));
  const out = [];
  let start = 0, groups = 0, skipped = 0;
  for (const rg of metadata.row_groups) {
    const n = Number(rg.num_rows);
    const rowStart = start;
    start += n;
    groups++;
    if (!mayMatch(rg, q)) {
      skipped++;
      continue;
    }
    const rows = await parquetReadObjects({ file, metadata, columns: wanted, rowStart, rowEnd: rowStart + n });
    rows.forEach((row, i) => {
      if (!matches(row, q)) return;
      Object.defineProperty(row, "row", { value: rowStart + i }); // where to read more of it
      out.push(row);
    });
  }
  out.sort((a, b) => (time(b.datetime) ?? -Infinity) - (time(a.datetime) ?? -Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { rows: out, groups, skipped };
}

/**
 * signableHrefs reads the assets of the given rows and returns the hrefs the
 * signer serves (auth:refs names it), or every href when the file does not
 * say.
 */
export async function signableHrefs(file, metadata, rows) {
  const hrefs = [];
  for (const r of rows) {
    const [row] = await parquetReadObjects({ file, metadata, columns: ["assets"], rowStart: r, rowEnd: r + 1 });
    for (const asset of Object.values(row?.assets || {})) {
      if (!asset?.href) continue;
      const refs = asset["auth:refs"];
      if (!refs || refs.includes("signer")) hrefs.push(asset.href);
    }
  }
  return hrefs;
}

/** open reads the file's footer (one or two range requests). */
export async function open(url) {
  const file = cachedAsyncBuffer(await asyncBufferFromUrl({ url }));
  const metadata = await parquetMetadataAsync(file);
  return { file, metadata };
}

// ---- the collection page ----

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function formatTime(v) {
  const t = time(v);
  return t === null || Number.isNaN(t) ? "" : new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC");
}

/** The search form of a collection page, wired to the URL and the map. */
export async function startSearch(section, config = {}) {
  const form = section.querySelector("form");
  const status = section.querySelector("[role=status]");
  const results = section.querySelector(".results");
  const numeric = [...form.querySelectorAll("[data-range]")].map((f) => f.dataset.range);
  const enums = [...form.querySelectorAll("select[data-enum]")].map((f) => f.dataset.enum);
  const url = new URL(section.dataset.parquet, window.location.href).href;
  const figure = document.querySelector("figure[data-map]");
  let opened = null;
  let resultLayer = null;
  section.hidden = false;

  const fill = (params) => {
    for (const input of form.elements) {
      if (!input.name) continue;
      input.value = params.get(input.name) ?? "";
    }
  };

  const show = (found, q) => {
    results.replaceChildren();
    const rows = found.rows;
    status.textContent = rows.length === 0
      ? "No item matches this search."
      : `${rows.length} item${rows.length === 1 ? "" : "s"} match${rows.length === 1 ? "es" : ""}, newest first (${found.groups - found.skipped} of ${found.groups} row groups read).`;
    if (rows.length === 0) return;
    const signing = Boolean(config.signer);
    const head = el("tr", {}, el("th", { scope: "col" }, "Item"), el("th", { scope: "col" }, "Date and time"), el("th", { scope: "col" }, "Cloud cover"));
    if (signing) head.prepend(el("th", { scope: "col" }, el("span", { class: "status" }, "Select")));
    const table = el("table", { class: "list results-table" }, el("thead", {}, head));
    const body = el("tbody");
    table.append(body);
    const wrap = el("div", { class: "scroll", role: "region", "aria-label": "Search results", tabindex: "0" }, table);
    results.append(wrap);
    let shown = 0;
    const more = el("button", { type: "button", class: "more" }, "Show more");
    const addPage = () => {
      for (const row of rows.slice(shown, shown + PAGE)) {
        const a = el("a", { href: encodeURIComponent(row.id) + "/index.html" }, row.id);
        const cc = row["eo:cloud_cover"];
        const tr = el("tr", {}, el("th", { scope: "row" }, a), el("td", {}, formatTime(row.datetime)), el("td", {}, cc == null ? "" : `${Math.round(cc * 10) / 10} %`));
        if (signing) tr.prepend(el("td", {}, el("input", { type: "checkbox", "data-row": String(row.row), "aria-label": "Select " + row.id })));
        body.append(tr);
      }
      shown = Math.min(rows.length, shown + PAGE);
      more.hidden = shown >= rows.length;
      more.textContent = `Show ${Math.min(PAGE, rows.length - shown)} more of ${rows.length - shown}`;
    };
    more.addEventListener("click", addPage);
    results.append(more);
    addPage();
    if (signing) results.append(signPanel());
    const map = figure?.eocatMap;
    if (map && window.L) {
      resultLayer?.remove();
      const feats = rows.slice(0, 5000).map((r) => ({
        type: "Feature",
        properties: { id: r.id, href: encodeURIComponent(r.id) + "/index.html" },
        geometry: { type: "Polygon", coordinates: [[[r.bbox.xmin, r.bbox.ymin], [r.bbox.xmax, r.bbox.ymin], [r.bbox.xmax, r.bbox.ymax], [r.bbox.xmin, r.bbox.ymax], [r.bbox.xmin, r.bbox.ymin]]] },
      }));
      resultLayer = figure.eocatShow(feats, q.bbox);
    }
  };

  // "Sign selected": presigned URLs of the selected items' assets, as a list
  // to copy or to download as a text file (wget -i, aria2c -i).
  const signPanel = () => {
    const panel = el("div", { class: "sign-selected" });
    const selectAll = el("button", { type: "button" }, "Select all shown");
    const go = el("button", { type: "button", "data-sign-selected": "" }, "Sign selected");
    const note = el("p", { role: "status", "data-sign-selected-status": "" });
    const list = el("textarea", { readonly: "", rows: "6", hidden: "", "aria-label": "Signed URLs, one per line", "data-signed-urls": "" });
    const copy = el("button", { type: "button", hidden: "" }, "Copy the list");
    const save = el("a", { hidden: "", download: "signed-urls.txt" }, "Download as a text file");
    selectAll.addEventListener("click", () => results.querySelectorAll("input[data-row]").forEach((c) => { c.checked = true; }));
    go.addEventListener("click", async () => {
      const rows = [...results.querySelectorAll("input[data-row]:checked")].map((c) => Number(c.dataset.row));
      if (rows.length === 0) {
        note.textContent = "Select items first.";
        return;
      }
      note.textContent = "Signing…";
      try {
        const hrefs = await signableHrefs(opened.file, opened.metadata, rows);
        const { signForCurrentUser } = await import("./auth.js");
        const res = await signForCurrentUser(config, hrefs);
        const urls = hrefs.map((h) => res.hrefs[h]).filter(Boolean);
        list.value = urls.join("\n") + "\n";
        list.hidden = copy.hidden = save.hidden = false;
        save.href = URL.createObjectURL(new Blob([list.value], { type: "text/plain" }));
        note.textContent = `${urls.length} signed URL${urls.length === 1 ? "" : "s"} for ${rows.length} item${rows.length === 1 ? "" : "s"}, valid until ${res.expiry}.`;
      } catch (err) {
        note.textContent = err.message;
      }
    });
    copy.addEventListener("click", () => navigator.clipboard?.writeText(list.value));
    panel.append(selectAll, " ", go, note, list, copy, " ", save);
    return panel;
  };

  const run = async (params) => {
    const q = parseQuery(params, numeric, enums);
    status.textContent = "Searching…";
    try {
      opened ??= await open(url);
      const started = performance.now();
      const found = await search(opened.file, opened.metadata, q, ["eo:cloud_cover"]);
      show(found, q);
      // For measurements: how long the search took, and when its results
      // were on the page (ms since the navigation started).
      section.dataset.searchMs = String(Math.round(performance.now() - started));
      section.dataset.resultsAt = String(Math.round(performance.now()));
      section.dataset.results = String(found.rows.length);
    } catch (err) {
      status.textContent = "The search could not read the catalog's item file: " + err.message;
      section.dataset.results = "error";
    }
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const params = new URLSearchParams();
    for (const input of form.elements) {
      if (input.name && input.value !== "") params.set(input.name, input.value);
    }
    const next = new URL(window.location.href);
    next.search = params.toString();
    next.hash = "search";
    window.history.pushState(null, "", next);
    run(params);
  });
  form.addEventListener("reset", () => {
    setTimeout(() => {
      const next = new URL(window.location.href);
      next.search = "";
      window.history.pushState(null, "", next);
      results.replaceChildren();
      status.textContent = "";
      resultLayer?.remove();
    });
  });
  window.addEventListener("popstate", () => {
    const params = new URL(window.location.href).searchParams;
    fill(params);
    if ([...params.keys()].length) run(params);
  });
  section.querySelector("[data-use-view]")?.addEventListener("click", () => {
    const b = figure?.eocatMap?.getBounds();
    if (!b) return;
    const clamp = (v, m) => Math.max(-m, Math.min(m, v));
    form.elements.west.value = clamp(b.getWest(), 180).toFixed(4);
    form.elements.south.value = clamp(b.getSouth(), 90).toFixed(4);
    form.elements.east.value = clamp(b.getEast(), 180).toFixed(4);
    form.elements.north.value = clamp(b.getNorth(), 90).toFixed(4);
  });
  section.querySelector("[data-draw]")?.addEventListener("click", () => {
    figure?.eocatDraw?.((w, s, e, n) => {
      form.elements.west.value = w.toFixed(4);
      form.elements.south.value = s.toFixed(4);
      form.elements.east.value = e.toFixed(4);
      form.elements.north.value = n.toFixed(4);
    });
  });

  const params = new URL(window.location.href).searchParams;
  fill(params);
  if ([...params.keys()].length) await run(params);
  section.dataset.ready = "true";
}
