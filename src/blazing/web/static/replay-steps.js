// One step of a replay document (GET /api/games/{game_id}/replay) as the game's
// page module draws it and in words. Pure functions of the server's document: each
// step's `view` is drawn exactly as sent and its `scores` are the seats' scores.
// The game's own event handlers are asked only for their words (`say`), their
// notes (`ui`, e.g. "the server rolled for bob") and one-off hints (`flash`, e.g.
// which die to animate); the state they return is dropped — the step's `view` is
// the state. Nothing here names a game.

import { listWords } from "./records-format.js";

/** The players in seat order. */
export function seatedPlayers(doc) {
  return [...doc.players].sort((a, b) => a.seat - b.seat);
}

export function nameOf(doc, userId) {
  return doc.players.find((p) => p.user_id === userId)?.username || "someone";
}

export const isLastStep = (doc, index) => index === doc.steps.length - 1;

/** Players out of the game at step `index`: they left (or dropped) at or before it. */
export function outAt(doc, index) {
  const out = new Set();
  for (const step of doc.steps.slice(1, index + 1)) {
    if (step.kind === "left" || step.kind === "disconnected") out.add(step.user_id);
  }
  return out;
}

/**
 * The room the game's page module draws from at step `index` (the shape of
 * `room_state.room`, docs/page.md): the step's view as `game_state`, its scores on
 * the seats, who is out, and at the last step the game's end. `gameUi` is the
 * game view's notes for that step.
 */
export function stepRoom(doc, index, gameUi = {}) {
  const step = doc.steps[index];
  const out = outAt(doc, index);
  const over = isLastStep(doc, index);
  return {
    room_id: doc.room_id,
    room_name: doc.room_name,
    game_type: doc.game_type,
    status: over ? (doc.winner_id == null ? "abandoned" : "finished") : "in_progress",
    players: seatedPlayers(doc).map((p) => ({
      user_id: p.user_id,
      username: p.username,
      score: step.scores[p.seat] ?? 0,
      left: out.has(p.user_id),
      is_ready: true,
    })),
    max_players: doc.seats || doc.players.length,
    current_turn: null,
    turn_number: index,
    winner_id: over ? doc.winner_id : null,
    end_reason: over ? doc.reason : null,
    game_state: step.view,
    game_ui: gameUi,
    spectator_users: [],
    chat: [],
    muted: [],
    rematch: [],
  };
}

/**
 * The game's handlers over the step's events, from the view before the step:
 * `{says, ui, flash}`. `game` is the page module (or null: no words from it).
 */
export function stepNotes(doc, index, game) {
  const notes = { says: [], ui: {}, flash: null };
  if (index === 0 || !game) return notes;
  const before = stepRoom(doc, index - 1);
  let state = before.game_state;
  for (const event of doc.steps[index].events) {
    if (!Object.hasOwn(game.events, event.type)) continue;
    const out = game.events[event.type](state, event, { room: { ...before, game_state: state, game_ui: notes.ui }, me: null });
    state = out.state;
    if (out.say) notes.says.push(out.say);
    if (out.ui) Object.assign(notes.ui, out.ui);
    if (out.flash) notes.flash = out.flash;
  }
  return notes;
}

/** What happened at step `index`, in words: the platform's part, then the game's. */
export function stepSentence(doc, index, says) {
  const step = doc.steps[index];
  const who = step.user_id == null ? "" : nameOf(doc, step.user_id);
  const parts = [];
  if (step.kind === "setup") parts.push(`The game starts: ${listWords(seatedPlayers(doc).map((p) => p.username))}.`);
  else if (step.kind === "left") parts.push(`${who} left the game.`);
  else if (step.kind === "disconnected") parts.push(`${who} lost the connection and is out of the game.`);
  parts.push(...says);
  if (parts.length === 0) parts.push(step.kind === "timeout" ? `Time ran out for ${who}.` : `${who} moved.`);
  return parts.join(" ");
}

/** Milliseconds from the start of the game to step `index` (0 when a time is missing). */
export function elapsedMs(doc, index) {
  const start = Date.parse(doc.started_at ?? doc.steps[0].at);
  const at = Date.parse(doc.steps[index].at);
  return Number.isNaN(start) || Number.isNaN(at) ? 0 : Math.max(0, at - start);
}
