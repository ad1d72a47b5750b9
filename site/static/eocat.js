// eocat site scripts. Progressive enhancement only: every page reads fully
// without them. ES module, no build step, no framework.

/** readJSON parses the JSON data block with the given id, or returns null. */
function readJSON(id) {
  const el = document.getElementById(id);
  if (!el) return null;
  try {
    return JSON.parse(el.textContent);
  } catch {
    return null;
  }
}

const config = readJSON("eocat-config") || {};

// Snippets built from relative hrefs use this site's absolute URL.
for (const code of document.querySelectorAll("code[data-relative]")) {
  let rels = [];
  try {
    rels = JSON.parse(code.dataset.relative);
  } catch {
    continue;
  }
  let text = code.textContent;
  for (const rel of rels) text = text.split(rel).join(new URL(rel, document.baseURI).href);
  code.textContent = text;
}

// Copy buttons: shown only where the clipboard can be written.
const status = document.createElement("p");
status.className = "status";
status.setAttribute("role", "status");
document.body.append(status);

/** copyLabel names what a copy button copies, for screen readers. */
function copyLabel(target) {
  const row = target.closest("tr");
  if (row) return "Copy the link of asset " + row.querySelector(".key")?.textContent;
  const label = target.closest(".snippet")?.querySelector(".label")?.textContent;
  const key = target.closest("details")?.querySelector("summary .key")?.textContent;
  return "Copy the commands: " + (label || "text") + (key ? ", " + key : "");
}

if (navigator.clipboard && window.isSecureContext) {
  for (const btn of document.querySelectorAll("button.copy[data-copy]")) {
    const target = document.getElementById(btn.dataset.copy);
    if (!target) continue;
    btn.setAttribute("aria-label", copyLabel(target));
    btn.hidden = false;
    btn.addEventListener("click", async () => {
      const text = target instanceof HTMLAnchorElement ? target.href : target.textContent;
      try {
        await navigator.clipboard.writeText(text);
        btn.textContent = "Copied";
        btn.dataset.state = "done";
        status.textContent = "Copied to the clipboard.";
        setTimeout(() => {
          btn.textContent = "Copy";
          delete btn.dataset.state;
        }, 2000);
      } catch (err) {
        status.textContent = "Could not copy: " + err.message;
      }
    });
  }
}

// The map replaces the inline SVG footprint when Leaflet has loaded.
const geo = readJSON("eocat-geo");
const figure = document.querySelector("figure[data-map]");
if (geo && figure && window.L) {
  const { showMap } = await import("./map.js");
  showMap(figure, geo, config);
}

// The search of a collection page, over its stac-geoparquet file.
const search = document.getElementById("search");
if (search?.dataset.parquet) {
  const { startSearch } = await import("./search.js");
  await startSearch(search, config);
}

// Sign-in and signed links, when the catalog names a signer and a client.
if (config.signer && window.oidc) {
  const callback = document.querySelector("[data-callback-status]");
  if (callback) {
    const { completeSignIn } = await import("./callback.js");
    await completeSignIn(config, callback);
  } else {
    const { startAuth } = await import("./auth.js");
    await startAuth(config);
  }
}
