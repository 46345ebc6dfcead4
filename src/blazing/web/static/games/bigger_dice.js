// Bigger Dice's page module (the contract is in docs/page.md): a die per seat,
// the rolls of the pass being played, tiebreaks, auto-roll notices, the Roll
// button and the rounds table for any number of players.
//
// The state is the game's view as room_state sends it (`room.game_state`,
// docs/protocol.md): {order, names, rollers, round, pending, rounds, out,
// winner_id}. The handlers below keep it as the server has it, from the events
// alone; seat scores come from the events too (`rolled.new_score`, and the point
// a `round_result` gives its winner).

import { byTestId, h, setText, show } from "../dom.js";
import { rollDie, setDie } from "../dice.js";
import { listNames, renderRounds, roundSentence } from "./bigger_dice/rounds.js";

const WINNING_SCORE = 10;
const TIEBREAK_FROM = 3; // seats from which a tie is rolled off among the tied (SPEC §10)

export const stylesheet = new URL("./bigger_dice.css", import.meta.url).href;

export const labels = Object.freeze({
  title: "Bigger Dice",
  blurb: `Everyone rolls; the highest roll wins the round. First to ${WINNING_SCORE} round wins.`,
  score: "rounds won",
  toAct: "To roll",
  yourTurn: "Press Roll.",
  winReason: `First to ${WINNING_SCORE} round wins.`,
});

export const commands = Object.freeze(["bigger_dice.roll"]);

export const events = Object.freeze({
  "bigger_dice.rolled": onRolled,
  "bigger_dice.round_result": onRoundResult,
  "bigger_dice.tiebreak_started": onTiebreakStarted,
});

// --- the state, from events ---------------------------------------------------------

/** The state at game_started, as room_state would show it: the first player opens. */
export function start(message, room) {
  const seats = message.players.map((p) => p.user_id);
  const at = Math.max(0, seats.indexOf(message.first_turn));
  const order = [...seats.slice(at), ...seats.slice(0, at)];
  const names = order.map((id) => room.players.find((p) => p.user_id === id)?.username || "");
  return { type: "bigger_dice", order, names, rollers: order, round: 1, pending: [], rounds: [], out: [], winner_id: null };
}

const emptyState = () => ({ type: "bigger_dice", order: [], names: [], rollers: [], round: 1, pending: [], rounds: [], out: [], winner_id: null });

function who(userId, me, ctx) {
  if (me && userId === me.user_id) return "You";
  return ctx.room.players.find((p) => p.user_id === userId)?.username || "someone";
}

function onRolled(state, m, ctx) {
  const s = state || emptyState();
  const name = who(m.player_id, ctx.me, ctx);
  return {
    state: { ...s, pending: [...s.pending, [m.player_id, m.roll]] },
    scores: { [m.player_id]: m.new_score },
    // Which roll came last (its seq): see onRoundResult.
    ui: { auto: m.auto ? m.player_id : null, lastRoll: { player: m.player_id, seq: m.seq } },
    flash: { roll: [m.player_id, m.roll] },
    say: m.auto
      ? `Time ran out: the server rolled ${m.roll} for ${name === "You" ? "you" : name}.`
      : `${name} rolled ${m.roll}.`,
  };
}

/**
 * The round's point goes to `winner_id`. round_result carries no scores, so the
 * point is added here — unless the winner's own roll completed the pass: that
 * `rolled` came just before (seq - 1) and its `new_score` already counts it.
 */
function roundScores(m, ctx) {
  if (m.winner_id == null) return null;
  const winner = ctx.room.players.find((p) => p.user_id === m.winner_id);
  if (!winner) return null;
  const last = ctx.room.game_ui?.lastRoll;
  const counted = last && last.player === m.winner_id && typeof m.seq === "number" && last.seq === m.seq - 1;
  return counted ? null : { [winner.user_id]: winner.score + 1 };
}

function onRoundResult(state, m, ctx) {
  const s = state || emptyState();
  const judged = { round: m.round, rolls: m.rolls, winner_id: m.winner_id, is_tie: m.is_tie };
  const rounds = [...s.rounds, judged];
  const seats = s.order.length || ctx.room.players.length;
  // A tie among three or more stays in this round: tiebreak_started names who rolls.
  const tiebreak = m.is_tie && seats >= TIEBREAK_FROM;
  const active = s.order.filter((id) => !s.out.includes(id) && !ctx.room.players.find((p) => p.user_id === id)?.left);
  const next = tiebreak ? { ...s, rounds, pending: [] } : { ...s, rounds, pending: [], round: m.round + 1, rollers: active };
  return { state: next, scores: roundScores(m, ctx), say: `${roundSentence(judged, ctx.room, ctx.me, seats)}.` };
}

function onTiebreakStarted(state, m, ctx) {
  const s = state || emptyState();
  const names = m.players.map((id) => who(id, ctx.me, ctx));
  return {
    state: { ...s, round: m.round, rollers: m.players, pending: [] },
    say: `Tie in round ${m.round}: ${listNames(names)} roll again.`,
  };
}

// --- reading the state -----------------------------------------------------------------

const stateOf = (room) => room.game_state || emptyState();

/** Players still rolling in this game (not out, not gone). */
function activeIds(room) {
  const s = stateOf(room);
  const order = s.order.length ? s.order : room.players.map((p) => p.user_id);
  return order.filter((id) => !s.out.includes(id) && !room.players.find((p) => p.user_id === id)?.left);
}

/** True while only the tied players of the round roll again. */
export function inTiebreak(room) {
  const s = stateOf(room);
  const rollers = s.rollers.filter((id) => activeIds(room).includes(id));
  return room.status === "in_progress" && rollers.length > 0 && rollers.length < activeIds(room).length;
}

/**
 * What each seat's die shows: {value, idle}. A roll of the pass being played; at
 * the start of a pass, the rolls of the pass just judged; `idle` marks a die that
 * is not in the current pass (a tiebreak it is not part of, or a player who left).
 */
export function diceShown(room) {
  const s = stateOf(room);
  const shown = new Map();
  if (room.status === "waiting") return shown;
  // The round on screen: the one being played once it has rolls (or a tiebreak),
  // else the last one judged, whose rolls stay up until the next roll.
  const current = s.pending.length > 0 || inTiebreak(room);
  const roundShown = current ? s.round : s.rounds.at(-1)?.round;
  const passes = s.rounds.filter((p) => p.round === roundShown);
  const rolledThisPass = new Map(s.pending);
  for (const p of room.players) {
    const uid = p.user_id;
    const inPass = s.rollers.includes(uid) && !p.left;
    let value = null;
    if (rolledThisPass.has(uid)) value = rolledThisPass.get(uid);
    else if (!s.pending.length || !inPass) {
      for (const pass of passes) for (const [id, roll] of pass.rolls) if (id === uid) value = roll;
    }
    shown.set(uid, { value, idle: room.status === "in_progress" && !inPass });
  }
  return shown;
}

/** The pass being rolled, for three or more players: [{user_id, roll|null}] in turn order. */
function passRolls(room) {
  const s = stateOf(room);
  const rolled = new Map(s.pending);
  return s.rollers.filter((id) => activeIds(room).includes(id) || rolled.has(id))
    .map((id) => ({ user_id: id, roll: rolled.get(id) ?? null }));
}

// --- drawing ---------------------------------------------------------------------------

export function mount(slots, actions) {
  slots.area.append(
    h("p", { class: "dice-tiebreak", dataset: { testid: "tiebreak" }, hidden: true }),
    h("ol", { class: "pass-rolls", dataset: { testid: "pass-rolls" }, "aria-label": "Rolls of this pass", hidden: true }),
    h("p", { class: "round-result", dataset: { testid: "round-result" } }));
  if (actions) { // null: a replay, read-only
    const roll = h("button", { type: "button", class: "btn btn-roll btn-lg", dataset: { testid: "roll-button" }, hidden: true, disabled: true },
      h("span", { class: "roll-icon", "aria-hidden": "true" }), "Roll");
    roll.addEventListener("click", () => actions.move("bigger_dice.roll"));
    slots.controls.append(roll);
  }
  slots.panel.append(
    h("h2", { class: "card-title", id: "game-panel-title" }, "Rounds"),
    h("div", { class: "table-wrap" }, h("table", { class: "rounds-table", dataset: { testid: "rounds-table" } }, h("thead"), h("tbody"))),
    h("p", { class: "empty", dataset: { testid: "rounds-empty" } }, "No rounds played yet."));
  slots.summary.append(
    h("h3", { class: "table-title" }, "Round by round"),
    h("div", { class: "table-wrap" }, h("table", { class: "rounds-table", dataset: { testid: "final-rounds-table" } }, h("thead"), h("tbody"))));
}

export function render(slots, ctx) {
  const { room, me } = ctx;
  const s = stateOf(room);
  const tiebreak = inTiebreak(room);
  const banner = byTestId("tiebreak", slots.area);
  show(banner, tiebreak);
  if (tiebreak) {
    const tied = s.rollers.map((id) => who(id, me, ctx));
    setText(banner, `Tiebreak! ${listNames(tied)} roll again for round ${s.round}.`);
  }
  renderPass(byTestId("pass-rolls", slots.area), ctx);
  setText(byTestId("round-result", slots.area), resultLine(ctx));
  const roll = byTestId("roll-button", slots.controls);
  if (roll) {
    show(roll, ctx.playing);
    roll.disabled = !(ctx.playing && ctx.online && ctx.myTurn && !ctx.pending);
    roll.classList.toggle("is-waiting", ctx.playing && !ctx.myTurn);
    roll.setAttribute("aria-label", ctx.myTurn ? "Roll the die" : "Roll (wait for your turn)");
  }
  renderRounds(byTestId("rounds-table", slots.panel), room, me, { newestFirst: true });
  show(byTestId("rounds-empty", slots.panel), s.rounds.length === 0);
  show(byTestId("rounds-table", slots.panel).closest(".table-wrap"), s.rounds.length > 0);
  if (room.status === "finished" || room.status === "abandoned") {
    renderRounds(byTestId("final-rounds-table", slots.summary), room, me, { newestFirst: false });
  }
}

function renderPass(list, ctx) {
  const { room, me } = ctx;
  const many = (stateOf(room).order.length || room.players.length) > 2;
  show(list, many && room.status === "in_progress");
  if (list.hidden) return;
  list.replaceChildren(...passRolls(room).map(({ user_id: id, roll }) => h("li", {
    class: `pass-roll${roll == null ? " is-waiting" : ""}${id === room.current_turn ? " is-turn" : ""}`,
    dataset: { testid: "pass-roll", userId: String(id) },
  }, h("span", { class: "pass-name" }, who(id, me, ctx)), h("span", { class: "pass-value" }, roll == null ? "…" : String(roll)))));
}

function resultLine(ctx) {
  const { room, me } = ctx;
  const s = stateOf(room);
  const seats = s.order.length || room.players.length;
  let line = "";
  if (room.status === "in_progress" && s.pending.length) {
    const [uid, roll] = s.pending.at(-1);
    const next = s.rollers[s.pending.length];
    const nextText = next == null ? "" : me && next === me.user_id
      ? (seats === 2 ? " — your turn to answer" : " — your turn next")
      : (seats === 2 ? ` — ${who(next, null, ctx)} to answer` : ` — ${who(next, null, ctx)} rolls next`);
    line = `${who(uid, me, ctx)} rolled ${roll}${nextText}`;
  } else if (s.rounds.length && room.status !== "waiting") {
    line = roundSentence(s.rounds.at(-1), room, me, seats);
  }
  const auto = room.game_ui?.auto;
  if (room.status === "in_progress" && auto != null) {
    const name = who(auto, me, ctx);
    line += ` · time ran out, so the server rolled for ${name === "You" ? "you" : name}`;
  }
  return line;
}

function dieLabel(name, value) {
  return value ? `${name} rolled ${value}` : `${name}: not rolled yet`;
}

export function renderSeat(slot, player, ctx) {
  let die = slot.querySelector('[data-testid="die"]');
  if (!die) {
    die = h("div", { class: "die", dataset: { testid: "die", value: "" }, role: "img", "aria-label": "Die: not rolled yet" });
    slot.append(die);
  }
  const shown = player ? diceShown(ctx.room).get(player.user_id) : null;
  const value = shown?.value ?? null;
  die.classList.toggle("is-empty", !value);
  die.classList.toggle("is-idle", Boolean(shown?.idle));
  const label = dieLabel(player ? player.username : "Open seat", value);
  const flash = ctx.flash?.roll;
  if (player && flash && flash[0] === player.user_id) rollDie(die, flash[1], label);
  else if (String(value ?? "") !== die.dataset.value || !die.querySelector("svg")) setDie(die, value, label);
}

export function phaseText(ctx) {
  const { room } = ctx;
  const s = stateOf(room);
  if (room.status === "in_progress") {
    return inTiebreak(room) ? `Round ${s.round} · tiebreak` : `Round ${s.round} · first to ${WINNING_SCORE}`;
  }
  const played = new Set(s.rounds.map((p) => p.round)).size;
  return `${played} round${played === 1 ? "" : "s"} played`;
}

export function turnText(ctx) {
  const { room } = ctx;
  if (room.current_turn == null) return "";
  if (ctx.myTurn) return "Your turn — roll the die!";
  return `${who(room.current_turn, null, ctx)}'s turn`;
}

/** Data attributes on the room view, for styling and tests. */
export function dataset(ctx) {
  const s = stateOf(ctx.room);
  return { rounds: String(s.rounds.length), tiebreak: inTiebreak(ctx.room) ? "true" : "false" };
}

/** "r" rolls when it is your turn. */
export function onKey(event, ctx) {
  if (event.key !== "r" && event.key !== "R") return false;
  if (!(ctx.playing && ctx.online && ctx.myTurn && !ctx.pending)) return false;
  ctx.move("bigger_dice.roll");
  return true;
}

/** The picker's icon: a die showing five. */
export function icon() {
  const die = h("span", { class: "die die-icon" });
  setDie(die, 5, "");
  return die;
}
