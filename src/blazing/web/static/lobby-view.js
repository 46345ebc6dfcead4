// The lobby: open rooms of every game (with a lock for a password, seats and
// spectators), the create form (the game picker, for a game with a seat range the
// number of seats, public or private, an optional password). Game titles and seat
// ranges come from the catalogue (GET /api/games). Your recent games are
// history-view.js's.

import { byTestId, h, paintAvatar, setText, show } from "./dom.js";
import { profileLink } from "./profile.js";

const AVATARS_SHOWN = 4; // seats drawn as avatars in a row; more are summed up as "+N"

const STATUS_TEXT = { waiting: "Waiting", in_progress: "Playing", finished: "Finished", abandoned: "Abandoned" };

function sortRooms(rooms) {
  const rank = { waiting: 0, in_progress: 1 };
  return [...rooms].sort((a, b) =>
    (rank[a.status] ?? 9) - (rank[b.status] ?? 9)
    || String(b.created_at || "").localeCompare(String(a.created_at || ""))
    || String(a.room_name).localeCompare(String(b.room_name)));
}

/**
 * Draw the room list. `rooms` are those the filters let through, out of `total`;
 * `actions` = {join(room), spectate(room), open(room)}; `rowErrors` maps room_id to
 * an inline error for that row; `catalogue` names the games and says which ones
 * this page can draw.
 */
export function renderRooms({ rooms, total, me, online, rowErrors, actions, catalogue }) {
  const list = byTestId("room-list");
  const focused = document.activeElement;
  const focusKey = focused && list.contains(focused)
    ? `${focused.closest("[data-room-id]")?.dataset.roomId}|${focused.dataset.testid}|${focused.dataset.profileUser || ""}` : null;
  const sorted = sortRooms(rooms);
  list.replaceChildren(...sorted.map((room) => roomRow(room, { me, online, error: rowErrors.get(room.room_id), actions, catalogue })));
  show(byTestId("room-list-empty"), total === 0);
  show(byTestId("room-list-filtered"), total > 0 && sorted.length === 0);
  setText(byTestId("room-count"), sorted.length === total ? String(total) : `${sorted.length} of ${total}`);
  if (focusKey) {
    const [roomId, testid, user] = focusKey.split("|");
    const who = user ? `[data-profile-user="${CSS.escape(user)}"]` : "";
    list.querySelector(`[data-room-id="${CSS.escape(roomId)}"] [data-testid="${CSS.escape(testid)}"]${who}`)?.focus();
  }
}

function seatAvatars(players, seats) {
  const shown = Math.min(seats, AVATARS_SHOWN);
  const avatars = [];
  for (let i = 0; i < shown; i += 1) {
    const p = players[i];
    const avatar = h("span", { class: `avatar avatar-xs${p ? "" : " avatar-empty"}`, "aria-hidden": "true" });
    paintAvatar(avatar, p || null);
    if (!p) avatar.textContent = "+";
    avatars.push(avatar);
  }
  if (seats > shown) avatars.push(h("span", { class: "avatar avatar-xs avatar-more", "aria-hidden": "true" }, `+${seats - shown}`));
  return avatars;
}

function roomRow(room, { me, online, error, actions, catalogue }) {
  const players = room.players || [];
  const seats = room.max_players || 2;
  const taken = room.player_count ?? players.length;
  const drawable = Boolean(catalogue.module(room.game_type));
  const mine = me && players.some((p) => p.user_id === me.user_id);
  const canJoin = drawable && room.status === "waiting" && taken < seats && !mine;
  const open = room.spectators_open !== false;
  const canWatch = drawable && open && (room.status === "waiting" || room.status === "in_progress") && !mine;
  const locked = Boolean(room.has_password);
  // Each player's name opens their profile card.
  const joint = players.length === 2 && seats === 2 ? " vs " : ", ";
  const who = players.length === 0 ? ["No players"]
    : players.flatMap((p, i) => (i === 0 ? [profileLink(p)] : [joint, profileLink(p)]));
  const buttons = [];
  if (mine) {
    buttons.push(h("button", { type: "button", class: "btn btn-primary btn-sm", dataset: { testid: "open-button" },
      disabled: !online, onclick: () => actions.open(room) }, "Open"));
  }
  if (canJoin) {
    buttons.push(h("button", { type: "button", class: "btn btn-primary btn-sm", dataset: { testid: "join-button" },
      disabled: !online, "aria-label": `Join ${room.room_name}${locked ? " (password needed)" : ""}`,
      onclick: () => actions.join(room) }, "Join"));
  }
  if (canWatch) {
    buttons.push(h("button", { type: "button", class: "btn btn-ghost btn-sm", dataset: { testid: "spectate-button" },
      disabled: !online, "aria-label": `Watch ${room.room_name}${locked ? " (password needed)" : ""}`,
      onclick: () => actions.spectate(room) }, "Watch"));
  }
  const watchers = room.spectator_count || 0;
  return h("li", { class: "room-row", dataset: { testid: "room-row", roomId: room.room_id, roomName: room.room_name, status: room.status, gameType: room.game_type, locked: String(locked) } },
    h("div", { class: "room-row-main" },
      h("div", { class: "room-seats" }, seatAvatars(players, seats)),
      h("div", { class: "room-row-text" },
        h("span", { class: "room-title" },
          locked ? h("span", { class: "lock", role: "img", title: "Password needed", "aria-label": "Password needed", dataset: { testid: "room-lock" } }) : null,
          h("span", { class: "room-name", dataset: { testid: "room-name" } }, room.room_name)),
        h("span", { class: "room-meta" },
          h("span", { class: "game-pill", dataset: { testid: "room-row-game" } }, catalogue.title(room.game_type)),
          h("span", { class: `status-pill status-${room.status}` }, STATUS_TEXT[room.status] || room.status),
          h("span", { class: "room-seat-count", dataset: { testid: "room-seats" }, "aria-label": `${taken} of ${seats} seats taken` }, `${taken}/${seats}`),
          h("span", { class: "room-who" }, who),
          h("span", { class: "room-watchers", dataset: { testid: "room-watchers" } }, `${watchers} watching`),
          open ? null : h("span", { class: "room-closed", dataset: { testid: "room-closed" } }, "no new spectators"))),
      h("div", { class: "room-row-actions" }, buttons)),
    drawable ? null : h("p", { class: "hint" }, "This page cannot show this game yet."),
    error ? h("p", { class: "field-error", role: "alert", dataset: { testid: "row-error" } }, error) : null);
}

// --- the create form --------------------------------------------------------------

function seatText(game) {
  return game.min_players === game.max_players
    ? `${game.max_players} players` : `${game.min_players}–${game.max_players} players`;
}

/**
 * Draw the game picker from the catalogue's playable games; `selected` is the
 * game_type to check. Then the seat choice follows the picked game.
 */
export function renderGamePicker(catalogue, selected) {
  const options = byTestId("game-options");
  const games = catalogue.playable();
  const pick = games.some((g) => g.game_type === selected) ? selected : games[0]?.game_type;
  options.replaceChildren(...games.map((game) => {
    const module = catalogue.module(game.game_type);
    const id = `game-option-${game.game_type}`;
    return h("label", { class: "game-option", for: id, dataset: { gameType: game.game_type } },
      h("input", { type: "radio", id, name: "game_type", value: game.game_type, checked: game.game_type === pick,
        dataset: { testid: "game-option" } }),
      h("span", { class: "game-option-icon", "aria-hidden": "true" }, module.icon ? module.icon() : null),
      h("span", { class: "game-option-text" },
        h("span", { class: "game-option-title" }, game.title),
        h("span", { class: "game-option-meta" }, seatText(game)),
        module.labels.blurb ? h("span", { class: "game-option-blurb" }, module.labels.blurb) : null));
  }));
  renderSeatChoice(catalogue, pick);
}

/** The seat choice of the picked game: shown only where the game has a seat range. */
export function renderSeatChoice(catalogue, gameType) {
  const game = catalogue.info(gameType);
  const field = byTestId("create-seats-field");
  const select = byTestId("create-seats");
  const ranged = Boolean(game && game.min_players < game.max_players);
  show(field, ranged);
  if (!ranged || select.dataset.gameType === gameType) return;
  select.dataset.gameType = gameType;
  const seats = [];
  for (let n = game.min_players; n <= game.max_players; n += 1) seats.push(n);
  select.replaceChildren(...seats.map((n) => h("option", { value: String(n), selected: n === game.default_players }, `${n} players`)));
}

/** {game_type, max_players?, visibility, password?} as the create form stands. */
export function createChoice(catalogue) {
  const picked = document.querySelector('[data-testid="game-option"]:checked');
  const game = catalogue.info(picked?.value) || catalogue.playable()[0];
  if (!game) return null;
  const choice = { game_type: game.game_type };
  if (game.min_players < game.max_players) choice.max_players = Number(byTestId("create-seats").value) || game.default_players;
  const visibility = document.querySelector('input[name="visibility"]:checked')?.value;
  choice.visibility = visibility === "private" ? "private" : "public";
  const password = byTestId("create-password").value;
  if (password) choice.password = password; // sent as typed; only its hash is kept
  return choice;
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
