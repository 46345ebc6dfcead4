// The lobby: open rooms, the create form and your recent games.

import { byTestId, h, paintAvatar, setText, show, timeAgo } from "./dom.js";

const STATUS_TEXT = { waiting: "Waiting", in_progress: "Playing", finished: "Finished", abandoned: "Abandoned" };

function sortRooms(rooms) {
  const rank = { waiting: 0, in_progress: 1 };
  return [...rooms].sort((a, b) =>
    (rank[a.status] ?? 9) - (rank[b.status] ?? 9)
    || String(b.created_at || "").localeCompare(String(a.created_at || ""))
    || String(a.room_name).localeCompare(String(b.room_name)));
}

/**
 * Draw the room list. `actions` = {join(room), spectate(room), open(room)};
 * `rowErrors` maps room_id to an inline error for that row.
 */
export function renderRooms({ rooms, me, online, rowErrors, actions }) {
  const list = byTestId("room-list");
  const focused = document.activeElement;
  const focusKey = focused && list.contains(focused)
    ? `${focused.closest("[data-room-id]")?.dataset.roomId}|${focused.dataset.testid}` : null;
  const sorted = sortRooms(rooms);
  list.replaceChildren(...sorted.map((room) => roomRow(room, me, online, rowErrors.get(room.room_id), actions)));
  show(byTestId("room-list-empty"), sorted.length === 0);
  setText(byTestId("room-count"), String(sorted.length));
  if (focusKey) {
    const [roomId, testid] = focusKey.split("|");
    list.querySelector(`[data-room-id="${CSS.escape(roomId)}"] [data-testid="${CSS.escape(testid)}"]`)?.focus();
  }
}

function roomRow(room, me, online, error, actions) {
  const players = room.players || [];
  const mine = me && players.some((p) => p.user_id === me.user_id);
  const full = (room.player_count ?? players.length) >= (room.max_players || 2);
  const canJoin = room.status === "waiting" && !full && !mine;
  const canWatch = (room.status === "waiting" || room.status === "in_progress") && !mine;
  const seats = [];
  for (let i = 0; i < (room.max_players || 2); i += 1) {
    const p = players[i];
    const avatar = h("span", { class: `avatar avatar-xs${p ? "" : " avatar-empty"}`, "aria-hidden": "true" });
    paintAvatar(avatar, p || null);
    if (!p) avatar.textContent = "+";
    seats.push(avatar);
  }
  const who = players.length ? players.map((p) => p.username).join(" vs ") : "No players";
  const buttons = [];
  if (mine) {
    buttons.push(h("button", { type: "button", class: "btn btn-primary btn-sm", dataset: { testid: "open-button" },
      disabled: !online, onclick: () => actions.open(room) }, "Open"));
  }
  if (canJoin) {
    buttons.push(h("button", { type: "button", class: "btn btn-primary btn-sm", dataset: { testid: "join-button" },
      disabled: !online, "aria-label": `Join ${room.room_name}`, onclick: () => actions.join(room) }, "Join"));
  }
  if (canWatch) {
    buttons.push(h("button", { type: "button", class: "btn btn-ghost btn-sm", dataset: { testid: "spectate-button" },
      disabled: !online, "aria-label": `Watch ${room.room_name}`, onclick: () => actions.spectate(room) }, "Watch"));
  }
  return h("li", { class: "room-row", dataset: { testid: "room-row", roomId: room.room_id, roomName: room.room_name, status: room.status } },
    h("div", { class: "room-row-main" },
      h("div", { class: "room-seats" }, seats),
      h("div", { class: "room-row-text" },
        h("span", { class: "room-name", dataset: { testid: "room-name" } }, room.room_name),
        h("span", { class: "room-meta" },
          h("span", { class: `status-pill status-${room.status}` }, STATUS_TEXT[room.status] || room.status),
          h("span", { class: "room-who" }, who),
          room.spectator_count ? h("span", { class: "room-watchers" }, `${room.spectator_count} watching`) : null)),
      h("div", { class: "room-row-actions" }, buttons)),
    error ? h("p", { class: "field-error", role: "alert", dataset: { testid: "row-error" } }, error) : null);
}

export function setCreateError(text) {
  const el = byTestId("create-error");
  setText(el, text || "");
  show(el, Boolean(text));
  const input = byTestId("create-name");
  if (text) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

export function setLobbyError(text) {
  const el = byTestId("lobby-error");
  setText(el, text || "");
  show(el, Boolean(text));
}

const RESULT_TEXT = { won: "Won", lost: "Lost", abandoned: "Abandoned", draw: "No winner" };

/** Draw "your recent games" from GET /api/games/history records. */
export function renderHistory(games, me, error) {
  const list = byTestId("history-list");
  if (error) {
    list.replaceChildren(h("li", { class: "field-error" }, error));
    show(byTestId("history-empty"), false);
    return;
  }
  list.replaceChildren(...games.map((game) => historyRow(game, me)));
  show(byTestId("history-empty"), games.length === 0);
}

function historyRow(game, me) {
  const mine = game.players.find((p) => p.user_id === me.user_id);
  const others = game.players.filter((p) => p.user_id !== me.user_id);
  let result = "draw";
  if (game.reason === "abandoned" && game.winner_id == null) result = "abandoned";
  else if (mine?.is_winner) result = "won";
  else if (game.winner_id != null) result = "lost";
  const score = [mine, ...others].filter(Boolean).map((p) => p.final_score).join(" – ");
  const vs = others.length ? `vs ${others.map((p) => p.username).join(", ")}` : "solo";
  const how = { forfeit: "by forfeit", disconnected: "by disconnect" }[game.reason];
  return h("li", { class: `history-row result-${result}`, dataset: { testid: "history-row", result, roomId: game.room_id } },
    h("span", { class: `result-badge result-${result}`, dataset: { testid: "history-result" } }, RESULT_TEXT[result]),
    h("span", { class: "history-main" },
      h("span", { class: "history-vs" }, vs),
      h("span", { class: "history-meta" }, [game.room_name, how, timeAgo(game.finished_at)].filter(Boolean).join(" · "))),
    h("span", { class: "history-score", dataset: { testid: "history-score" } }, score));
}
