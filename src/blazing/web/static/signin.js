// Who is signed in: GET /api/session, the dev sign-in form (embedded mode) or a
// pointer to the main site, and the user chip in the top bar.

import { byTestId, paintAvatar, setText, show } from "./dom.js";
import { markProfileLink } from "./profile.js";

const USERNAME_MAX = 32;

/**
 * Ask the server who the cookie belongs to. Resolves to
 * {me, devLogin, expired} (me null when signed out); throws when unreachable.
 */
export async function fetchSession() {
  const response = await fetch("/api/session", { credentials: "same-origin", cache: "no-store" });
  const body = await response.json().catch(() => ({}));
  const devLogin = Boolean(body.dev_login);
  if (response.ok && body.user_id) {
    return { me: { user_id: body.user_id, username: body.username, avatar_id: body.avatar_id ?? null }, devLogin, expired: false };
  }
  return { me: null, devLogin, expired: Boolean(body.error && body.error !== "not signed in") };
}

/** Show the sign-in view's content: the form when dev login is on, else the main-site pointer. */
export function paintSignIn(reason, { devLogin, unreachable = false }) {
  const reasonEl = byTestId("signin-reason");
  setText(reasonEl, reason);
  show(reasonEl, Boolean(reason));
  const form = !unreachable && devLogin;
  show(byTestId("signin-form"), form);
  show(byTestId("signin-external"), !form);
  byTestId("signin-external").querySelector("p").hidden = unreachable;
  setText(byTestId("signin-recheck"), unreachable ? "Try again" : "I've signed in — check again");
  if (form) byTestId("signin-username").focus();
}

function signInError(text) {
  const error = byTestId("signin-error");
  const input = byTestId("signin-username");
  setText(error, text);
  show(error, Boolean(text));
  if (text) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  } else {
    input.removeAttribute("aria-invalid");
  }
}

/** Sign in with the dev form's name. Resolves true when the cookie is set. */
export async function devSignIn(username) {
  const name = username.trim();
  let problem = "";
  if (!name) problem = "Type a name to play with.";
  else if ([...name].length > USERNAME_MAX) problem = `Names can be at most ${USERNAME_MAX} characters.`;
  else if (/\p{Cc}/u.test(name)) problem = "Names cannot contain control characters.";
  signInError(problem);
  if (problem) return false;
  const submit = byTestId("signin-submit");
  submit.disabled = true;
  try {
    const response = await fetch("/api/dev/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: name }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.ok) return true;
    signInError(body.error || "Sign-in was refused.");
  } catch {
    signInError("The game server cannot be reached right now.");
  } finally {
    submit.disabled = false;
  }
  return false;
}

export async function devSignOut() {
  try {
    await fetch("/api/dev/logout", { method: "POST", credentials: "same-origin" });
  } catch {
    // signed out locally anyway
  }
}

export function paintUser(me, devLogin) {
  const chip = byTestId("user-chip");
  show(chip, Boolean(me));
  document.body.dataset.userId = me ? String(me.user_id) : "";
  markProfileLink(byTestId("my-profile"), me); // your name opens your profile card
  if (!me) return;
  setText(byTestId("user-name"), me.username);
  paintAvatar(byTestId("user-avatar"), me);
  show(byTestId("sign-out"), devLogin);
}

/** The sign-in view's tagline names the games the server runs. */
export function paintGames(titles) {
  if (!titles.length) return;
  const list = titles.length === 1 ? titles[0] : `${titles.slice(0, -1).join(", ")} or ${titles.at(-1)}`;
  setText(byTestId("signin-lede"), `Play ${list} with friends, or watch a game in progress.`);
}
