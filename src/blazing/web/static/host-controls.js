// The host's buttons next to a person in the room: "Remove" (kick: a seated player
// before the start, a spectator any time) and "Mute" / "Unmute" in the chat. Only
// the host sees them, never on their own seat. A person's buttons are rebuilt only
// when what they do changes, so a redraw does not steal the focus from them.

import { h, show } from "./dom.js";

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
  const key = actions ? `${user.user_id}|${actions.kick}|${actions.mute}|${actions.muted}` : "";
  show(slot, Boolean(actions));
  for (const button of slot.querySelectorAll("button")) button.disabled = !ctx.online;
  if (slot.dataset.key === key) return;
  slot.dataset.key = key;
  if (!actions) {
    slot.replaceChildren();
    return;
  }
  const name = user.username;
  slot.replaceChildren(
    actions.mute ? h("button", {
      type: "button", class: "btn btn-ghost btn-xs", dataset: { testid: "mute-button", userId: String(user.user_id) },
      "aria-pressed": actions.muted ? "true" : "false",
      "aria-label": actions.muted ? `Unmute ${name} in the chat` : `Mute ${name} in the chat`,
      disabled: !ctx.online,
      onclick: () => ctx.friends.mute(user, !actions.muted),
    }, actions.muted ? "Unmute" : "Mute") : null,
    actions.kick ? h("button", {
      type: "button", class: "btn btn-danger btn-xs", dataset: { testid: "kick-button", userId: String(user.user_id) },
      "aria-label": `Remove ${name} from the room`,
      disabled: !ctx.online,
      onclick: () => ctx.friends.kick({ user_id: user.user_id, username: name }),
    }, "Remove") : null);
}
