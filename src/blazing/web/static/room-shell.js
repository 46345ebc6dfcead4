// The room shell: what every game's room has — the header, the host's invite link,
// the seats, whose turn and its countdown, Ready and Leave, quick play's waiting
// state and the ready deadline, spectators, game over and the rematch —
// with slots the room's game page module fills (its board area, move controls,
// side panel, game-over summary and a slot in each seat). Everything is drawn
// from the room model; drawing twice with the same model changes nothing. This
// file never names a game: it asks the module (`ctx.game`, docs/page.md).

import { byTestId, formatSeconds, h, setText, show } from "./dom.js";
import { renderGameOver } from "./game-over-view.js";
import { renderInvite } from "./invite.js";
import { renderRematch } from "./rematch-view.js";
import { activePlayers, isEnded, playerName } from "./room-model.js";
import { renderConnectionChips, renderSeats } from "./seats-view.js";
import { renderSpectators } from "./spectators-view.js";
import { lookingForPlayers, renderQuickPlay, renderReadyDeadline } from "./waiting-view.js";

const STATUS_TEXT = { waiting: "Waiting for players", in_progress: "In progress", finished: "Finished", abandoned: "Abandoned" };
const SLOT_IDS = { area: "game-area", controls: "game-controls", panel: "game-panel", summary: "game-summary" };

let mounted = null; // {key, datasetKeys} of the game view now in the slots

function slots() {
  return Object.fromEntries(Object.entries(SLOT_IDS).map(([name, id]) => [name, byTestId(id)]));
}

/**
 * Give the slots to the room's game view (once per room, and again for a rematch),
 * clearing what another game left.
 */
function mountGame(ctx) {
  const { room, game } = ctx;
  const key = `${room.room_id}|${room.game_type}|${game ? "1" : "0"}|${ctx.generation}`;
  if (mounted?.key === key) return;
  const view = byTestId("room-view");
  for (const name of mounted?.datasetKeys || []) delete view.dataset[name];
  const all = slots();
  for (const el of Object.values(all)) el.replaceChildren();
  for (const slot of document.querySelectorAll('[data-testid="seat-game"]')) slot.replaceChildren();
  mounted = { key, datasetKeys: [] };
  if (game) {
    game.mount(all, { move: ctx.move });
  } else {
    all.area.append(h("p", { class: "game-missing", dataset: { testid: "game-missing" } },
      `This page cannot show ${ctx.title} games yet; you can still chat and follow the scores.`));
  }
}

export function renderRoom(ctx) {
  const { room, role, game } = ctx;
  mountGame(ctx);
  const view = byTestId("room-view");
  Object.assign(view.dataset, {
    roomId: room.room_id,
    gameType: room.game_type,
    status: room.status,
    role,
    turnNumber: String(room.turn_number || 0),
    currentTurn: room.current_turn == null ? "" : String(room.current_turn),
  });
  const extra = game?.dataset ? game.dataset(ctx) : {};
  Object.assign(view.dataset, extra);
  mounted.datasetKeys = Object.keys(extra);

  setText(byTestId("room-title"), room.room_name);
  setText(byTestId("room-game"), ctx.title);
  const status = byTestId("room-status");
  setText(status, STATUS_TEXT[room.status] || room.status);
  status.className = `status-pill status-${room.status}`;
  setText(byTestId("seat-count"), `${room.players.length}/${room.max_players || room.players.length} seats`);
  const spectators = room.spectator_users || [];
  setText(byTestId("spectator-count"), String(spectators.length));
  show(byTestId("room-private"), room.visibility === "private");
  show(byTestId("room-locked"), Boolean(room.has_password));
  show(byTestId("watching-banner"), role === "spectator");
  renderInvite(ctx);

  renderSeats(byTestId("seats"), ctx);
  renderCenter(ctx);
  renderQuickPlay(ctx);
  if (game) game.render(slots(), ctx);
  renderSpectators(ctx);
  const ended = isEnded(room);
  show(byTestId("board"), !ended);
  show(byTestId("game-panel"), !ended && Boolean(game) && byTestId("game-panel").childElementCount > 0);
  renderGameOver(ctx);
  renderRematch(ctx);
  renderControls(ctx);
  renderTimers(ctx);
}

function waitingText(ctx) {
  const { room, me, role } = ctx;
  const open = (room.max_players || 2) - room.players.length;
  if (open > 0) {
    const who = open === 1 ? "one more player" : `${open} more players`;
    return role === "player" ? `Waiting for ${who} to join…` : `Waiting for ${who}…`;
  }
  const mine = room.players.find((p) => me && p.user_id === me.user_id);
  if (role === "player" && mine && !mine.is_ready) return "Press “I'm ready” to start.";
  const notReady = room.players.filter((p) => !p.is_ready);
  if (notReady.length === 1) return `Waiting for ${notReady[0].username} to get ready…`;
  return "Waiting for everyone to get ready…";
}

function renderCenter(ctx) {
  const { room, me, game } = ctx;
  let phase = "";
  let turn = "";
  if (room.status === "waiting") {
    turn = lookingForPlayers(ctx) ? "Looking for players…" : waitingText(ctx);
  } else if (room.status === "in_progress") {
    phase = game?.phaseText ? game.phaseText(ctx) : "";
    turn = game?.turnText ? game.turnText(ctx) : "";
    if (!turn && room.current_turn != null) {
      turn = ctx.myTurn ? "Your turn" : `${playerName(room, room.current_turn, null)}'s turn`;
    }
  } else {
    phase = game?.phaseText ? game.phaseText(ctx) : "";
    turn = "Game over";
  }
  setText(byTestId("round-label"), phase);
  const indicator = byTestId("turn-indicator");
  setText(indicator, turn);
  indicator.classList.toggle("is-mine", Boolean(room.status === "in_progress" && me && room.current_turn === me.user_id));
}

function renderControls(ctx) {
  const { room, me, role, online } = ctx;
  const mine = me ? room.players.find((p) => p.user_id === me.user_id) : null;
  const ready = byTestId("ready-button");
  const showReady = role === "player" && room.status === "waiting";
  show(ready, showReady);
  if (showReady) {
    const isReady = Boolean(mine && mine.is_ready);
    ready.disabled = !online || isReady || ctx.readyPending;
    setText(ready, isReady ? "Ready ✓" : ctx.readyPending ? "Getting ready…" : "I'm ready");
    ready.setAttribute("aria-pressed", isReady ? "true" : "false");
  }
  const leave = byTestId("leave-button");
  const ended = isEnded(room);
  show(leave, !ended);
  leave.disabled = !online;
  let label = "Leave room";
  if (role === "spectator") label = "Stop watching";
  else if (ctx.playing) label = activePlayers(room).length <= 2 ? "Forfeit & leave" : "Leave game";
  setText(leave, label);
}

/** Countdowns: the turn deadline and the reconnect grace periods (every tick). */
export function renderTimers(ctx) {
  const { room } = ctx;
  const timer = byTestId("turn-timer");
  const deadline = room.status === "in_progress" && room.turn_deadline ? Date.parse(room.turn_deadline) : NaN;
  if (Number.isNaN(deadline)) {
    show(timer, false);
  } else {
    const left = Math.max(0, deadline - ctx.serverNow());
    show(timer, true);
    setText(byTestId("turn-countdown"), formatSeconds(left));
    const total = Math.max(room.turn_ms || 30_000, left, 1);
    timer.style.setProperty("--left", String(left / total));
    timer.classList.toggle("is-low", left < 5_000);
  }
  renderReadyDeadline(ctx);
  renderConnectionChips(byTestId("seats"), ctx);
}

export function setRoomError(text) {
  const el = byTestId("room-error");
  setText(el, text || "");
  show(el, Boolean(text));
}
