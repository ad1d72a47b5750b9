// The sign-in's redirect target (callback.html): completes the
// Authorization Code + PKCE exchange, then returns to the page where the
// reader clicked "Sign in".

import { userManager } from "./auth.js";

export async function completeSignIn(config, status) {
  try {
    const user = await userManager(config).signinRedirectCallback();
    const back = user.state?.returnTo;
    const root = new URL(config.root || "./", window.location.href);
    // Only a page of this site: never an address an attacker put in state.
    const target = back && new URL(back, root).origin === root.origin ? back : root.href;
    window.location.replace(target);
  } catch (err) {
    status.textContent = "The sign-in did not complete: " + err.message + ". Go back and sign in again.";
  }
}
