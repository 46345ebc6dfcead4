// The spectators card: who watches (with the host's Remove / Mute buttons), and
// whether new spectators may come in (the host's switch; a note for everyone else).

import { allByTestId, byTestId, h, paintAvatar, setText, show } from "./dom.js";
import { renderHostButtons } from "./host-controls.js";

function spectatorRow(s) {
  const avatar = h("span", { class: "avatar avatar-xs", "aria-hidden": "true" });
  paintAvatar(avatar, s);
  return h("li", { class: "spectator", dataset: { testid: "spectator", userId: String(s.user_id) } },
    avatar,
    h("span", { class: "spectator-name", dataset: { testid: "spectator-name" } }, s.username),
    h("span", { class: "tag tag-you", dataset: { testid: "spectator-you" }, hidden: true }, "you"),
    h("span", { class: "chip chip-warn", dataset: { testid: "spectator-muted" }, hidden: true }, "muted"),
    h("span", { class: "host-actions", dataset: { testid: "spectator-actions" } }));
}

/** Draw the list (rows are kept by user id, so a focused button survives a redraw). */
export function renderSpectators(ctx) {
  const { room, me, host, online } = ctx;
  const spectators = room.spectator_users || [];
  const list = byTestId("spectator-list");
  const rows = new Map(allByTestId("spectator", list).map((row) => [row.dataset.userId, row]));
  const wanted = spectators.map((s) => rows.get(String(s.user_id)) || spectatorRow(s));
  const current = [...list.children];
  if (wanted.length !== current.length || wanted.some((row, i) => row !== current[i])) list.replaceChildren(...wanted);
  spectators.forEach((s, i) => {
    const row = wanted[i];
    show(byTestId("spectator-you", row), Boolean(me && s.user_id === me.user_id));
    show(byTestId("spectator-muted", row), (room.muted || []).includes(s.user_id));
    renderHostButtons(byTestId("spectator-actions", row), s, ctx, { seated: false });
  });
  show(byTestId("spectators-empty"), spectators.length === 0);

  const active = room.status === "waiting" || room.status === "in_progress";
  const open = room.spectators_open !== false;
  show(byTestId("spectators-open-field"), Boolean(host && active));
  const toggle = byTestId("spectators-open");
  toggle.checked = open;
  toggle.disabled = !online;
  const closed = byTestId("spectators-closed");
  show(closed, !open && active && !host);
  setText(closed, "Closed to new spectators: those watching stay.");
}
