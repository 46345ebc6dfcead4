// The room: two seats with dice, the turn, rounds, spectators, chat, game over.
// Everything here is drawn from the room model the controller keeps; calling
// renderRoom twice with the same model changes nothing.

import { allByTestId, byTestId, clockTime, formatSeconds, h, paintAvatar, setText, show } from "./dom.js";
import { rollDie, setDie } from "./dice.js";
import { WINNING_SCORE } from "./protocol.js";

const STATUS_TEXT = { waiting: "Waiting for players", in_progress: "In progress", finished: "Finished", abandoned: "Abandoned" };

export function playerName(room, userId, me) {
  if (me && userId === me.user_id) return "You";
  const p = room.players.find((x) => x.user_id === userId);
  return p ? p.username : "someone";
}

function rounds(room) {
  return room.game_state?.rounds || [];
}

function pending(room) {
  return room.game_state?.pending || [];
}

/** The roll each player's die should show: this round's, else the last round's. */
export function diceValues(room) {
  const values = new Map(room.players.map((p) => [p.user_id, null]));
  const now = pending(room);
  if (now.length) {
    for (const [uid, roll] of now) values.set(uid, roll);
    return values;
  }
  const last = rounds(room).at(-1);
  if (last && room.status !== "waiting") for (const [uid, roll] of last.rolls) values.set(uid, roll);
  return values;
}

// The two seats are one template in games.html, stamped out when the page loads.
for (const seat of allByTestId("seat")) {
  if (!seat.firstElementChild) seat.append(document.getElementById("seat-template").content.cloneNode(true));
}

function seatEl(index) {
  return allByTestId("seat")[index];
}

export function dieFor(userId) {
  const seat = document.querySelector(`[data-testid="seat"][data-user-id="${CSS.escape(String(userId))}"]`);
  return seat ? byTestId("die", seat) : null;
}

function dieLabel(name, value) {
  return value ? `${name} rolled ${value}` : `${name}: not rolled yet`;
}

export function renderRoom(ctx) {
  const { room, me, role } = ctx;
  const view = byTestId("room-view");
  Object.assign(view.dataset, {
    roomId: room.room_id,
    status: room.status,
    role,
    turnNumber: String(room.turn_number || 0),
    currentTurn: room.current_turn == null ? "" : String(room.current_turn),
    rounds: String(rounds(room).length),
  });
  setText(byTestId("room-title"), room.room_name);
  const status = byTestId("room-status");
  setText(status, STATUS_TEXT[room.status] || room.status);
  status.className = `status-pill status-${room.status}`;
  const spectators = room.spectator_users || [];
  setText(byTestId("spectator-count"), String(spectators.length));
  show(byTestId("watching-banner"), role === "spectator");

  renderSeats(ctx);
  renderCenter(ctx);
  renderRounds(byTestId("rounds-table"), room, me, { newestFirst: true });
  show(byTestId("rounds-empty"), rounds(room).length === 0);
  show(byTestId("rounds-table").closest(".table-wrap"), rounds(room).length > 0);
  renderSpectators(spectators, me);
  renderGameOver(ctx);
  renderControls(ctx);
  renderTimers(ctx);
}

function renderSeats(ctx) {
  const { room, me } = ctx;
  const values = diceValues(room);
  const ended = room.status === "finished" || room.status === "abandoned";
  for (let i = 0; i < 2; i += 1) {
    const seat = seatEl(i);
    const p = room.players[i] || null;
    seat.dataset.userId = p ? String(p.user_id) : "";
    seat.dataset.ready = p && p.is_ready ? "true" : "false";
    seat.dataset.connected = p && p.disconnected_until ? "false" : "true";
    seat.classList.toggle("is-empty", !p);
    seat.classList.toggle("is-me", Boolean(p && me && p.user_id === me.user_id));
    seat.classList.toggle("is-turn", Boolean(p && room.status === "in_progress" && room.current_turn === p.user_id));
    seat.classList.toggle("is-winner", Boolean(p && ended && room.winner_id === p.user_id));
    const avatar = byTestId("seat-avatar", seat);
    paintAvatar(avatar, p);
    avatar.classList.toggle("avatar-empty", !p);
    const name = byTestId("seat-name", seat);
    name.replaceChildren();
    if (p) {
      name.append(p.username);
      if (me && p.user_id === me.user_id) name.append(" ", h("span", { class: "tag tag-you" }, "you"));
      if (p.user_id === room.host_id && room.status === "waiting") name.append(" ", h("span", { class: "tag" }, "host"));
    } else {
      name.append("Open seat");
    }
    setText(byTestId("seat-score", seat), p ? String(p.score) : "0");
    const ready = byTestId("seat-ready", seat);
    let readyText = "";
    let readyClass = "chip";
    if (!p) readyText = "Waiting…";
    else if (room.status === "waiting") {
      readyText = p.is_ready ? "Ready" : "Not ready";
      readyClass = p.is_ready ? "chip chip-ok" : "chip chip-muted";
    } else if (room.status === "in_progress" && room.current_turn === p.user_id) {
      readyText = me && p.user_id === me.user_id ? "Your turn" : "To roll";
      readyClass = "chip chip-accent";
    } else if (ended && room.winner_id === p.user_id) {
      readyText = "Winner";
      readyClass = "chip chip-gold";
    }
    setText(ready, readyText);
    ready.className = readyClass;
    show(ready, Boolean(readyText));
    const die = byTestId("die", seat);
    const value = p ? values.get(p.user_id) : null;
    die.classList.toggle("is-empty", !value);
    if (String(value ?? "") !== die.dataset.value || !die.querySelector("svg")) {
      setDie(die, value, dieLabel(p ? p.username : "Open seat", value));
    }
  }
  renderConnectionChips(ctx);
}

function renderConnectionChips(ctx) {
  const { room } = ctx;
  const now = ctx.serverNow();
  for (let i = 0; i < 2; i += 1) {
    const seat = seatEl(i);
    const p = room.players[i] || null;
    const chip = byTestId("seat-connection", seat);
    const until = p && p.disconnected_until ? Date.parse(p.disconnected_until) : NaN;
    if (p && !Number.isNaN(until)) {
      setText(chip, `reconnecting… ${formatSeconds(until - now)}`);
      chip.className = "chip chip-warn";
      show(chip, true);
    } else {
      show(chip, false);
    }
  }
}

function renderCenter(ctx) {
  const { room, me, role } = ctx;
  const done = rounds(room);
  const open = pending(room);
  const iAmPlayer = role === "player";
  let roundLabel = "";
  let turnText = "";
  if (room.status === "waiting") {
    if (room.players.length < 2) {
      turnText = iAmPlayer ? "Waiting for an opponent to join…" : "Waiting for a second player…";
    } else {
      const mine = room.players.find((p) => me && p.user_id === me.user_id);
      const other = room.players.find((p) => !me || p.user_id !== me.user_id);
      if (iAmPlayer && mine && !mine.is_ready) turnText = "Press “I'm ready” to start.";
      else if (iAmPlayer && other && !other.is_ready) turnText = `Waiting for ${other.username} to get ready…`;
      else turnText = "Waiting for both players to get ready…";
    }
  } else if (room.status === "in_progress") {
    roundLabel = `Round ${done.length + 1} · first to ${WINNING_SCORE}`;
    if (room.current_turn != null && me && room.current_turn === me.user_id) turnText = "Your turn — roll the die!";
    else if (room.current_turn != null) turnText = `${playerName(room, room.current_turn, null)}'s turn`;
  } else {
    roundLabel = `${done.length} round${done.length === 1 ? "" : "s"} played`;
    turnText = "Game over";
  }
  setText(byTestId("round-label"), roundLabel);
  const turn = byTestId("turn-indicator");
  setText(turn, turnText);
  turn.classList.toggle("is-mine", Boolean(room.status === "in_progress" && me && room.current_turn === me.user_id));

  let result = "";
  if (room.status === "in_progress" && open.length === 1) {
    const [[uid, roll]] = open;
    const next = room.players.find((p) => p.user_id !== uid);
    const answer = !next ? "" : me && next.user_id === me.user_id ? " — your turn to answer" : ` — ${next.username} to answer`;
    result = `${playerName(room, uid, me)} rolled ${roll}${answer}`;
  } else if (done.length && room.status !== "waiting") {
    result = roundSentence(done.at(-1), room, me);
  }
  if (room.status === "in_progress" && room.last_auto_roll != null) {
    result += ` · time ran out, so the server rolled for ${playerName(room, room.last_auto_roll, me) === "You" ? "you" : playerName(room, room.last_auto_roll, me)}`;
  }
  setText(byTestId("round-result"), result);
}

export function roundSentence(round, room, me) {
  const [[, ra], [, rb]] = round.rolls;
  if (round.is_tie || round.winner_id == null) return `Round ${round.round}: tie at ${ra} — nobody scores`;
  const winner = playerName(room, round.winner_id, me);
  const hi = Math.max(ra, rb);
  const lo = Math.min(ra, rb);
  const verb = winner === "You" ? "win" : "wins";
  return `Round ${round.round}: ${winner} ${verb}, ${hi} vs ${lo}`;
}

function renderControls(ctx) {
  const { room, me, role, online } = ctx;
  const isPlayer = role === "player";
  const mine = me ? room.players.find((p) => p.user_id === me.user_id) : null;
  const ready = byTestId("ready-button");
  const roll = byTestId("roll-button");
  const leave = byTestId("leave-button");
  const showReady = isPlayer && room.status === "waiting";
  show(ready, showReady);
  if (showReady) {
    const isReady = Boolean(mine && mine.is_ready);
    ready.disabled = !online || isReady || ctx.readyPending;
    setText(ready, isReady ? "Ready ✓" : ctx.readyPending ? "Getting ready…" : "I'm ready");
    ready.setAttribute("aria-pressed", isReady ? "true" : "false");
  }
  const showRoll = isPlayer && room.status === "in_progress";
  show(roll, showRoll);
  const myTurn = Boolean(me && room.current_turn === me.user_id);
  roll.disabled = !(showRoll && online && myTurn && !ctx.rollPending);
  roll.classList.toggle("is-waiting", showRoll && !myTurn);
  roll.setAttribute("aria-label", myTurn ? "Roll the die" : "Roll (wait for your turn)");
  const ended = room.status === "finished" || room.status === "abandoned";
  show(leave, !ended);
  leave.disabled = !online;
  setText(leave, role === "spectator" ? "Stop watching" : room.status === "in_progress" ? "Forfeit & leave" : "Leave room");
  show(byTestId("chat-form"), !ended);
  show(byTestId("chat-closed"), ended);
  byTestId("chat-input").disabled = !online;
  byTestId("chat-send").disabled = !online;
}

/** Countdowns: the turn deadline and the reconnect grace periods. */
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
    const total = Math.max(ctx.turnTotalMs || 30_000, left, 1);
    timer.style.setProperty("--left", String(left / total));
    timer.classList.toggle("is-low", left < 5_000);
  }
  renderConnectionChips(ctx);
}

export function animateRoll(ctx, playerId, roll) {
  const die = dieFor(playerId);
  if (!die) return;
  const name = ctx.room.players.find((p) => p.user_id === playerId)?.username || "Player";
  die.classList.remove("is-empty");
  rollDie(die, roll, dieLabel(name, roll));
}

function renderSpectators(spectators, me) {
  const list = byTestId("spectator-list");
  list.replaceChildren(...spectators.map((s) => {
    const avatar = h("span", { class: "avatar avatar-xs", "aria-hidden": "true" });
    paintAvatar(avatar, s);
    return h("li", { class: "spectator", dataset: { testid: "spectator", userId: String(s.user_id) } },
      avatar, h("span", {}, s.username),
      me && s.user_id === me.user_id ? h("span", { class: "tag tag-you" }, "you") : null);
  }));
  show(byTestId("spectators-empty"), spectators.length === 0);
}

function renderRounds(table, room, me, { newestFirst }) {
  const [p0, p1] = room.players;
  const heads = table.querySelectorAll("th[data-col]");
  setText(heads[0], p0 ? p0.username : "Player 1");
  setText(heads[1], p1 ? p1.username : "Player 2");
  const list = newestFirst ? [...rounds(room)].reverse() : rounds(room);
  const body = table.tBodies[0];
  if (body.dataset.key === `${list.length}|${p0?.user_id}|${p1?.user_id}|${newestFirst}`) return;
  body.dataset.key = `${list.length}|${p0?.user_id}|${p1?.user_id}|${newestFirst}`;
  body.replaceChildren(...list.map((round) => {
    const rollOf = (p) => (p ? round.rolls.find(([uid]) => uid === p.user_id)?.[1] ?? "" : "");
    const winner = round.winner_id == null ? "Tie" : playerName(room, round.winner_id, me);
    const cell = (p) => h("td", { class: p && round.winner_id === p.user_id ? "win" : "" }, String(rollOf(p)));
    return h("tr", { dataset: { testid: "round-row", round: String(round.round) } },
      h("th", { scope: "row" }, String(round.round)), cell(p0), cell(p1),
      h("td", { class: round.winner_id == null ? "tie" : "" }, winner));
  }));
}

const REASONS = {
  won: () => `First to ${WINNING_SCORE} round wins.`,
  forfeit: (loser) => `${loser} left the game, so it was forfeited.`,
  disconnected: (loser) => `${loser} lost the connection and did not come back in time.`,
  abandoned: () => "Both players left, so the game was abandoned.",
};

function renderGameOver(ctx) {
  const { room, me, role } = ctx;
  const ended = room.status === "finished" || room.status === "abandoned";
  const panel = byTestId("game-over");
  show(panel, ended);
  show(byTestId("board"), !ended);
  show(byTestId("rounds-card"), !ended);
  if (!ended) return;
  const winner = room.players.find((p) => p.user_id === room.winner_id) || null;
  const loser = winner ? room.players.find((p) => p.user_id !== winner.user_id) : null;
  let title = "Game abandoned";
  if (winner && me && winner.user_id === me.user_id) title = "You win!";
  else if (winner && role === "player") title = `${winner.username} wins — better luck next time`;
  else if (winner) title = `${winner.username} wins!`;
  setText(byTestId("game-over-title"), title);
  panel.dataset.winnerId = winner ? String(winner.user_id) : "";
  panel.dataset.reason = room.end_reason || "";
  const reason = REASONS[room.end_reason] || (() => "");
  setText(byTestId("game-over-reason"), reason(loser ? (me && loser.user_id === me.user_id ? "You" : loser.username) : "A player"));
  const scores = byTestId("final-scores");
  scores.replaceChildren(...room.players.map((p) => {
    const avatar = h("span", { class: "avatar", "aria-hidden": "true" });
    paintAvatar(avatar, p);
    return h("div", { class: `final-score${p.user_id === room.winner_id ? " is-winner" : ""}`, dataset: { testid: "final-score", userId: String(p.user_id) } },
      avatar,
      h("span", { class: "final-name" }, p.username, me && p.user_id === me.user_id ? h("span", { class: "tag tag-you" }, "you") : null),
      h("span", { class: "final-points", dataset: { testid: "final-points" } }, String(p.score)));
  }));
  renderRounds(byTestId("final-rounds-table"), room, me, { newestFirst: false });
}

// --- errors and chat ------------------------------------------------------------------

export function setRoomError(text) {
  const el = byTestId("room-error");
  setText(el, text || "");
  show(el, Boolean(text));
}

export function setChatError(text) {
  const el = byTestId("chat-error");
  setText(el, text || "");
  show(el, Boolean(text));
  const input = byTestId("chat-input");
  if (text) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function chatLine(line, me) {
  const mine = me && line.user_id === me.user_id;
  return h("li", { class: `chat-line${mine ? " is-mine" : ""}`, dataset: { testid: "chat-message", userId: String(line.user_id) } },
    h("span", { class: "chat-meta" },
      h("span", { class: "chat-author", dataset: { testid: "chat-author" } }, line.username),
      h("time", { class: "chat-time", datetime: line.sent_at }, clockTime(line.sent_at))),
    // textContent only: a message like <b>hi</b> shows literally.
    h("span", { class: "chat-text", dataset: { testid: "chat-text" } }, line.text));
}

export function renderChat(lines, me) {
  const log = byTestId("chat-log");
  log.replaceChildren(...lines.map((line) => chatLine(line, me)));
  show(byTestId("chat-empty"), lines.length === 0);
  log.scrollTop = log.scrollHeight;
}

export function appendChat(line, me) {
  const log = byTestId("chat-log");
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(chatLine(line, me));
  show(byTestId("chat-empty"), false);
  if (atBottom || (me && line.user_id === me.user_id)) log.scrollTop = log.scrollHeight;
}
