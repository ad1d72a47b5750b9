// Sign-in and signed links. OpenID Connect Authorization Code + PKCE as a
// public client (oidc-client-ts, loaded by the page as a classic script),
// tokens in sessionStorage, renewal by refresh token (no hidden iframe:
// browsers block its third-party cookies). On an item page, "Sign" and
// "Sign all" ask the signer (POST /sign, one batch) for presigned URLs and
// turn the hrefs into working links; the snippets follow.

/** userManager builds the client from the site's runtime configuration. */
export function userManager(config) {
  const s = config.signer;
  const root = new URL(config.root || "./", window.location.href);
  return new window.oidc.UserManager({
    authority: s.issuer,
    client_id: s.client_id,
    redirect_uri: new URL("callback.html", root).href,
    post_logout_redirect_uri: root.href,
    response_type: "code",
    scope: s.scopes.join(" "),
    userStore: new window.oidc.WebStorageStateStore({ store: window.sessionStorage }),
    stateStore: new window.oidc.WebStorageStateStore({ store: window.sessionStorage }),
    automaticSilentRenew: true,
    loadUserInfo: false,
  });
}

/** SignError carries a message for people and the HTTP status. */
class SignError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/** signHrefs asks the signer for presigned URLs of hrefs, in one request. */
export async function signHrefs(config, user, hrefs) {
  const s = config.signer;
  const token = s.token === "access_token" ? user.access_token : user.id_token;
  let res;
  try {
    res = await fetch(s.url + "/sign", {
      method: "POST",
      headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
      body: JSON.stringify({ hrefs }),
    });
  } catch {
    throw new SignError("The signing service cannot be reached. Try again later.", 0);
  }
  let body = {};
  try {
    body = await res.json();
  } catch {
    // an error page, not JSON
  }
  switch (res.status) {
    case 200:
      return body;
    case 401:
      throw new SignError("Your sign-in has expired: sign in again.", 401);
    case 403:
      throw new SignError("You have no access to this asset.", 403);
    case 429: {
      const wait = Number(res.headers.get("Retry-After")) || 1;
      throw new SignError(`Too many requests: try again in ${wait} s.`, 429);
    }
  }
  throw new SignError("The signing service refused: " + (body.detail || res.status), res.status);
}

/**
 * signForCurrentUser signs hrefs for whoever is signed in on this tab, in
 * batches the signer accepts; it throws a SignError asking to sign in when
 * nobody is.
 */
export async function signForCurrentUser(config, hrefs, batch = 500) {
  const user = await userManager(config).getUser();
  if (!user || user.expired) throw new SignError("Sign in first (button at the top of the page).", 401);
  const out = {};
  let expiry = null;
  for (let i = 0; i < hrefs.length; i += batch) {
    const res = await signHrefs(config, user, hrefs.slice(i, i + batch));
    Object.assign(out, res.hrefs);
    if (!expiry || res.expiry < expiry) expiry = res.expiry;
  }
  return { hrefs: out, expiry };
}

function formatExpiry(iso) {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : t.toISOString().replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, " UTC");
}

/** startAuth wires the header and, on item pages, the signing buttons. */
export async function startAuth(config) {
  const mgr = userManager(config);
  const box = document.querySelector("[data-auth]");
  const who = box?.querySelector("[data-who]");
  const signInButton = box?.querySelector("[data-sign-in]");
  const signOutButton = box?.querySelector("[data-sign-out]");
  const signing = document.querySelector("[data-signing]");
  const status = document.querySelector("[data-sign-status]");
  const signButtons = [...document.querySelectorAll("button[data-sign]")];

  const current = async () => {
    const u = await mgr.getUser();
    return u && !u.expired ? u : null;
  };

  const show = async () => {
    const user = await current();
    if (box) {
      box.hidden = false;
      signInButton.hidden = Boolean(user);
      signOutButton.hidden = !user;
      who.textContent = user ? "Signed in as " + (user.profile.email || user.profile.name || user.profile.sub) : "";
    }
    if (signing) signing.hidden = false;
    for (const b of [...signButtons, document.querySelector("[data-sign-all]")].filter(Boolean)) {
      b.hidden = false;
      b.dataset.needsSignIn = user ? "" : "true";
    }
    if (status && !user) status.textContent = "Sign in to get download links for these assets.";
    document.documentElement.dataset.signedIn = user ? "true" : "false";
  };

  const signIn = () => mgr.signinRedirect({ state: { returnTo: window.location.href } });

  signInButton?.addEventListener("click", signIn);
  signOutButton?.addEventListener("click", async () => {
    await mgr.removeUser();
    await mgr.clearStaleState();
    for (const k of Object.keys(window.sessionStorage)) if (k.startsWith("oidc.")) window.sessionStorage.removeItem(k);
    if (status) status.textContent = "Signed out.";
    await show();
  });
  mgr.events.addUserSignedOut(show);
  mgr.events.addSilentRenewError(() => {
    if (status) status.textContent = "Your sign-in could not be renewed: sign in again.";
  });

  const signedURLs = {}; // asset anchor → presigned URL
  /** sign signs the assets of the given rows and updates their links. */
  const sign = async (anchors) => {
    const user = await current();
    if (!user) return signIn();
    const rows = anchors.map((a) => ({ anchor: a, el: document.getElementById(a + "-href") })).filter((r) => r.el);
    const note = (anchor, text) => {
      const s = document.querySelector(`[data-signed-status="${anchor}"]`);
      if (s) s.textContent = text;
    };
    if (status) status.textContent = "Signing…";
    try {
      const res = await signHrefs(config, user, rows.map((r) => r.el.dataset.href));
      const expiry = formatExpiry(res.expiry);
      for (const r of rows) {
        const signed = res.hrefs?.[r.el.dataset.href];
        if (!signed) continue;
        let link = r.el;
        if (link.tagName !== "A") { // an s3:// href shown as text becomes a link
          link = document.createElement("a");
          link.id = r.el.id;
          link.dataset.href = r.el.dataset.href;
          r.el.replaceWith(link);
        }
        link.href = signed;
        link.textContent = "Download (signed)";
        link.dataset.signed = "true";
        note(r.anchor, "expires " + expiry);
        signedURLs[r.anchor] = signed;
      }
      // The snippets switch to the signed URLs (unsigned assets keep their href).
      for (const code of document.querySelectorAll("code[data-signed]")) {
        code.textContent = code.dataset.signed.replace(/https:\/\/signed\.invalid\/(asset-\d+)\/[^'"\s]*/g,
          (m, anchor) => signedURLs[anchor] ?? document.getElementById(anchor + "-href")?.dataset.href ?? m);
      }
      if (status) status.textContent = `Signed ${rows.length} link${rows.length === 1 ? "" : "s"}, valid until ${expiry}.`;
    } catch (err) {
      if (status) status.textContent = err.message;
      if (rows.length === 1) note(rows[0].anchor, err.message);
      if (err.status === 401) {
        await mgr.removeUser();
        await show();
      }
    }
  };
  for (const b of signButtons) b.addEventListener("click", () => sign([b.dataset.sign]));
  document.querySelector("[data-sign-all]")?.addEventListener("click", () => sign(signButtons.map((b) => b.dataset.sign)));
  await show();
}
