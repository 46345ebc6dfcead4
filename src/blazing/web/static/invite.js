// Invite links: `<origin>/games/join/<code>` (the server serves this page there).
// The host sees the room's invite code (room_state's `invite_code`, the host's copy
// only) as a link to copy, and can replace it ("New link" → renew_invite). Opening
// a link reads the code from the address here, in the browser: it is never put
// into HTML, only into an input's value and a join_room command.

import { byTestId, setText, show } from "./dom.js";

const JOIN_PATH = /^\/games\/join\/([^/]+)\/?$/;
const CODE_RE = /^[A-Za-z0-9-]{1,32}$/; // the server's alphabet, dashes allowed for reading aloud

/**
 * The invite code in `pathname` ({code} when valid, {code: null, invalid: true}
 * for a join address with a malformed code, null when it is not a join address).
 */
export function inviteFromPath(pathname) {
  const match = JOIN_PATH.exec(pathname);
  if (!match) return null;
  let code;
  try {
    code = decodeURIComponent(match[1]).trim();
  } catch {
    return { code: null, invalid: true };
  }
  return CODE_RE.test(code) ? { code } : { code: null, invalid: true };
}

/** The link a friend opens to join the room of `code`. */
export function inviteUrl(code) {
  return `${location.origin}/games/join/${encodeURIComponent(code)}`;
}

/** The invite is used (or given up): the address goes back to the lobby's. */
export function leaveInvitePath() {
  if (JOIN_PATH.test(location.pathname)) history.replaceState(null, "", "/games");
}

let shownCode = null; // {roomId, code} on screen, to notice a renewed code

function feedback(text) {
  setText(byTestId("invite-feedback"), text);
}

/** Draw the host's invite card (hidden for everyone else, and once the game is on). */
export function renderInvite(ctx) {
  const { room, host } = ctx;
  const card = byTestId("invite-card");
  const code = room.invite_code;
  const visible = Boolean(host && code && room.status === "waiting");
  show(card, visible);
  card.dataset.code = visible ? code : "";
  if (!visible) return;
  const input = byTestId("invite-link");
  const url = inviteUrl(code);
  if (input.value !== url) input.value = url;
  const renewed = shownCode && shownCode.roomId === room.room_id && shownCode.code !== code;
  if (!shownCode || shownCode.roomId !== room.room_id) feedback("");
  if (renewed) feedback("New link made: the old one no longer works.");
  shownCode = { roomId: room.room_id, code };
  const password = room.has_password ? " They will need the password too." : "";
  setText(byTestId("invite-hint"), room.visibility === "private"
    ? `This table is private: only people with this link can join.${password}`
    : `Anyone can join from the lobby; this link brings friends straight to your table.${password}`);
  byTestId("invite-copy").disabled = false;
  byTestId("invite-renew").disabled = !ctx.online;
}

/**
 * Copy the link. Without clipboard access (no permission, an insecure page) the
 * link is selected instead, for Ctrl+C. Resolves true when it was copied.
 */
export async function copyInvite() {
  const input = byTestId("invite-link");
  try {
    if (!navigator.clipboard?.writeText) throw new Error("no clipboard");
    await navigator.clipboard.writeText(input.value);
    feedback("Link copied. Send it to your friends.");
    return true;
  } catch {
    input.focus();
    input.select();
    feedback("The link is selected: press Ctrl+C (⌘C on a Mac) to copy it.");
    return false;
  }
}

/** The host asked for a new link; the next room_state brings it. */
export function renewing() {
  feedback("Making a new link…");
}
