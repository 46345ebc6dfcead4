// A waiting room's centre beyond "waiting for players": the quick-play state
// ("Looking for players…", the seats filling, Cancel) and the ready deadline's
// countdown (`room.ready_deadline`: once every seat is taken, whoever is not ready
// by then loses the seat).

import { byTestId, formatSeconds, setText, show } from "./dom.js";
import { joinNames } from "./friends-model.js";

const LOW_MS = 10_000;

/** Quick play is still looking: the page sat down by quick play and seats are open. */
export function lookingForPlayers(ctx) {
  const { room, quick, role } = ctx;
  return Boolean(quick && role === "player" && room.status === "waiting" && room.players.length < room.max_players);
}

/** The quick-play line under the turn indicator and its Cancel button. */
export function renderQuickPlay(ctx) {
  const { room, online } = ctx;
  const looking = lookingForPlayers(ctx);
  const status = byTestId("quick-status");
  show(status, looking);
  if (looking) {
    const seats = room.max_players || 2;
    setText(status, `${room.players.length} of ${seats} seats taken — the game starts once every seat is taken and everyone is ready.`);
  }
  const cancel = byTestId("quick-cancel");
  show(cancel, looking);
  cancel.disabled = !online;
  byTestId("room-view").dataset.quick = looking ? "looking" : "";
}

/** The ready deadline's line; called every tick for the countdown. */
export function renderReadyDeadline(ctx) {
  const { room, me, role } = ctx;
  const el = byTestId("ready-deadline");
  const deadline = room.ready_deadline ? Date.parse(room.ready_deadline) : NaN;
  const unready = room.players.filter((p) => !p.is_ready);
  const full = room.players.length >= (room.max_players || 2);
  const running = room.status === "waiting" && full && unready.length > 0 && !Number.isNaN(deadline);
  show(el, running);
  if (!running) return;
  const left = Math.max(0, deadline - ctx.serverNow());
  const time = formatSeconds(left);
  const mineUnready = role === "player" && me && unready.some((p) => p.user_id === me.user_id);
  const others = unready.filter((p) => !me || p.user_id !== me.user_id).map((p) => p.username);
  let text;
  if (mineUnready) text = `Get ready: ${time} left, or you lose your seat.`;
  else text = `${joinNames(others)} ${others.length === 1 ? "has" : "have"} ${time} to get ready, or lose ${others.length === 1 ? "the seat" : "their seats"}.`;
  setText(el, text);
  el.classList.toggle("is-low", left < LOW_MS);
}
