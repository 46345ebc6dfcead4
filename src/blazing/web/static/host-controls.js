// The host's buttons next to a person in the room: "Remove" (kick: a seated player
// before the start, a spectator any time) and "Mute" / "Unmute" in the chat. Only
// the host sees them, never on their own seat. A person's buttons are rebuilt only
// when what they do changes, so a redraw does not steal the focus from them.

import { h, setText, show } from "./dom.js";

/** Which of the host's buttons `user` gets: {kick, mute, muted}, or null for none. */
export function hostActions(user, ctx, { seated }) {
  const { room, me, host } = ctx;
  if (!host || !user || (me && user.user_id === me.user_id)) return null;
  const active = room.status === "waiting" || room.status === "in_progress";
  const kick = seated ? room.status === "waiting" : active;
  const mute = active || room.status === "finished";
  if (!kick && !mute) return null;
  return { kick, mute, muted: (room.muted || []).includes(user.user_id) };
}

/** Fill `slot` with the host's buttons for `user` (or empty it). */
export function renderHostButtons(slot, user, ctx, { seated }) {
  const actions = hostActions(user, ctx, { seated });
  // Rebuilt only when which buttons there are changes; muting flips the one in place.
  const key = actions ? `${user.user_id}|${actions.kick}|${actions.mute}` : "";
  show(slot, Boolean(actions));
  if (slot.dataset.key !== key) {
    slot.dataset.key = key;
    slot.replaceChildren(...(actions ? buttons(user, actions, ctx.friends) : []));
  }
  if (!actions) return;
  for (const button of slot.querySelectorAll("button")) button.disabled = !ctx.online;
  const mute = slot.querySelector('[data-testid="mute-button"]');
  if (mute) {
    mute.setAttribute("aria-pressed", actions.muted ? "true" : "false");
    mute.setAttribute("aria-label", `${actions.muted ? "Unmute" : "Mute"} ${user.username} in the chat`);
    setText(mute, actions.muted ? "Unmute" : "Mute");
  }
}

function buttons(user, actions, friends) {
  const name = user.username;
  const target = { user_id: user.user_id, username: name };
  return [
    actions.mute ? h("button", {
      type: "button", class: "btn btn-ghost btn-xs", dataset: { testid: "mute-button", userId: String(user.user_id) },
      // Reads its state when pressed: the label follows `room.muted`.
      onclick: (event) => friends.mute(target, event.currentTarget.getAttribute("aria-pressed") !== "true"),
    }, "Mute") : null,
    actions.kick ? h("button", {
      type: "button", class: "btn btn-danger btn-xs", dataset: { testid: "kick-button", userId: String(user.user_id) },
      "aria-label": `Remove ${name} from the room`,
      onclick: () => friends.kick(target),
    }, "Remove") : null,
  ].filter(Boolean);
}
