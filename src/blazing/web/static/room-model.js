// The room as the page knows it, and the pure reducer that keeps it up to date.
//
// The model is the server's GameRoom exactly as `room_state.room` sends it
// (docs/protocol.md), changed only by the room's events: the server is the
// source of truth, so nothing here recounts scores or replays rules. Scores come
// from the events that carry them (a game's events, `game_ended.final_scores`).
// Page-only fields are added: `final_scores` (from `game_ended`), `game_ui`
// (notes a game view keeps about recent events that a snapshot does not carry,
// such as "the server rolled for you") and `rematch_off` (friends-model.js). The
// events of playing with friends and the chat are reduced in friends-model.js.
//
// Every function here is pure: it returns a new model and never touches the page,
// the socket or the clock (the time comes in `ctx.now`, server time in ms).

import { FRIENDS_REDUCERS } from "./friends-model.js";

export const isEnded = (room) => room.status === "finished" || room.status === "abandoned";

/** "You" for `me`, else the player's (or spectator's) name. */
export function playerName(room, userId, me) {
  if (me && userId === me.user_id) return "You";
  const p = room.players.find((x) => x.user_id === userId)
    || (room.spectator_users || []).find((x) => x.user_id === userId);
  return p ? p.username : "someone";
}

/** True when `me` is the room's host. */
export const isHost = (room, me) => Boolean(me && room.host_id === me.user_id);

/** "player" when `me` has a seat in the room, else "spectator". */
export function roleOf(room, me) {
  return room.players.some((p) => me && p.user_id === me.user_id) ? "player" : "spectator";
}

/** The players still in the game (a player who left a game that goes on keeps their seat). */
export const activePlayers = (room) => room.players.filter((p) => !p.left);

/**
 * What to do with a room event given the last `seq` applied: "apply" it, "drop"
 * it (already covered by a room_state) or resync because of a "gap".
 */
export function seqVerdict(lastSeq, message) {
  if (message.type === "room_state" || typeof message.seq !== "number" || message.seq <= 0) return "apply";
  if (message.seq <= lastSeq) return "drop";
  if (message.seq > lastSeq + 1) return "gap";
  return "apply";
}

/**
 * The model from a `room_state` snapshot. `previous` is the model it replaces
 * (the same room after a resync keeps its view notes and the turn's full length).
 */
export function fromSnapshot(room, previous, now) {
  const same = previous && previous.room_id === room.room_id;
  const left = room.turn_deadline ? Date.parse(room.turn_deadline) - now : 0;
  const sameTurn = same && previous.turn_number === room.turn_number;
  return {
    ...room,
    chat: room.chat || [],
    final_scores: null,
    game_ui: same ? previous.game_ui || {} : {},
    turn_ms: Math.max(sameTurn ? previous.turn_ms || 0 : 0, left, 0),
    rematch_off: same && room.rematch_open === false ? previous.rematch_off || null : null,
  };
}

function withPlayer(room, userId, change) {
  return { ...room, players: room.players.map((p) => (p.user_id === userId ? { ...p, ...change } : p)) };
}

/** Seat scores from a map of user id → points that an event carried. */
export function withScores(room, scores) {
  if (!scores) return room;
  return {
    ...room,
    players: room.players.map((p) => (Object.hasOwn(scores, p.user_id) ? { ...p, score: scores[p.user_id] } : p)),
  };
}

/** What to announce when the turn changes. */
export function turnSentence(room, me, game) {
  if (room.current_turn == null) return "";
  if (me && room.current_turn === me.user_id) {
    const prompt = game?.labels?.yourTurn;
    return prompt ? `Your turn. ${prompt}` : "Your turn.";
  }
  return `${playerName(room, room.current_turn, null)}'s turn.`;
}

// One pure function per core room event: (room, message, ctx) -> {room, say}.
const REDUCERS = {
  room_joined(room, m, { me }) {
    const seated = room.players.some((p) => p.user_id === m.player.user_id);
    let next = seated ? room : { ...room, players: [...room.players, m.player] };
    // The join that takes the last seat starts the ready clock (older servers: unknown).
    if (m.ready_deadline !== undefined) next = { ...next, ready_deadline: m.ready_deadline };
    return { room: next, say: m.player.user_id === me?.user_id ? "" : `${m.player.username} joined the room.` };
  },

  player_left(room, m, { me }) {
    const waiting = room.status === "waiting";
    const next = waiting
      // A seat coming free stops the ready clock.
      ? { ...room, players: room.players.filter((p) => p.user_id !== m.user_id), ready_deadline: null }
      : withPlayer(room, m.user_id, { left: true, disconnected_until: null });
    let say = `${m.username} left the ${waiting ? "room" : "game"}.`;
    if (m.reason === "kicked") say = ""; // player_kicked said it
    else if (m.reason === "not_ready") {
      say = m.user_id === me?.user_id ? "You did not get ready in time and lost your seat."
        : `${m.username} did not get ready in time and lost the seat.`;
    }
    return { room: next, say };
  },

  host_changed(room, m) {
    return { room: { ...room, host_id: m.host_id }, say: "" };
  },

  player_rejoined(room, m, { me }) {
    return {
      room: withPlayer(room, m.user_id, { disconnected_until: null }),
      say: m.user_id === me?.user_id ? "" : `${m.username} is back.`,
    };
  },

  player_disconnected(room, m) {
    return {
      room: withPlayer(room, m.user_id, { disconnected_until: m.deadline }),
      say: `${m.username} lost the connection; they have ${Math.round(m.grace_seconds)} seconds to come back.`,
    };
  },

  player_ready(room, m, { me }) {
    return {
      room: withPlayer(room, m.user_id, { is_ready: true }),
      say: m.user_id === me?.user_id ? "You are ready." : `${m.username} is ready.`,
    };
  },

  spectator_joined(room, m) {
    const users = room.spectator_users || [];
    if (users.some((s) => s.user_id === m.user_id)) return { room, say: "" };
    const next = [...users, { user_id: m.user_id, username: m.username }];
    return { room: { ...room, spectator_users: next, spectators: next.map((s) => s.user_id) }, say: "" };
  },

  spectator_left(room, m) {
    const next = (room.spectator_users || []).filter((s) => s.user_id !== m.user_id);
    return { room: { ...room, spectator_users: next, spectators: next.map((s) => s.user_id) }, say: "" };
  },

  game_started(room, m, { me, now, game }) {
    const rematch = isEnded(room); // a rematch: the same room plays again
    let next = {
      ...room,
      status: "in_progress",
      players: m.players,
      started_at: new Date(now).toISOString(),
      game_ui: {},
      // What the last game left behind goes (a rematch starts from the same room).
      final_scores: null,
      winner_id: null,
      end_reason: null,
      finished_at: null,
      ready_deadline: null,
      rematch: [],
      rematch_off: null,
    };
    // game_started does not carry the game's view; the game's page module gives
    // the state a room_state would show at this point.
    next = { ...next, game_state: game?.start ? game.start(m, next) : null };
    const first = m.first_turn === me?.user_id ? "You go" : `${playerName(next, m.first_turn, null)} goes`;
    return { room: next, say: `${rematch ? "Rematch! A new game has started" : "The game has started"}. ${first} first.` };
  },

  turn_changed(room, m, { me, now, game }) {
    const next = {
      ...room,
      current_turn: m.current_turn,
      turn_number: m.turn_number,
      turn_deadline: m.turn_deadline,
      // The full length of this turn, for the countdown bar.
      turn_ms: m.turn_deadline ? Math.max(1000, Date.parse(m.turn_deadline) - now) : 0,
    };
    return { room: next, say: turnSentence(next, me, game) };
  },

  game_ended(room, m, { me, now }) {
    let next = {
      ...room,
      status: m.winner_id == null ? "abandoned" : "finished",
      winner_id: m.winner_id,
      end_reason: m.reason,
      current_turn: null,
      turn_deadline: null,
      finished_at: new Date(now).toISOString(),
      final_scores: m.final_scores,
      players: room.players.map((p) => ({ ...p, disconnected_until: null })),
    };
    next = withScores(next, Object.fromEntries(m.final_scores.map(([uid, , score]) => [uid, score])));
    const won = m.winner_id != null && m.winner_id === me?.user_id;
    const scores = m.final_scores.map(([, name, score]) => `${name} ${score}`).join(", ");
    return {
      room: next,
      say: m.winner_id == null
        ? "Game over: the game was abandoned."
        : `Game over. ${won ? "You win" : `${m.winner_username} wins`}, ${scores}.`,
    };
  },

  ...FRIENDS_REDUCERS,
};

export const ROOM_EVENT_TYPES = Object.freeze(Object.keys(REDUCERS));

/**
 * Apply one core room event. `ctx` = {me, now, game, hidden}: `game` is the room's
 * game page module (or null), `hidden` the users whose chat this page hides.
 * Returns {room, say}: the new model and what to announce ("" for nothing).
 */
export function reduceRoom(room, message, ctx) {
  const reducer = REDUCERS[message.type];
  return reducer ? reducer(room, message, ctx) : { room, say: "" };
}

/**
 * Apply one of the game's own events through its page module's handler, which
 * answers {state, scores?, ui?, say?, flash?}: the game's new state (as a
 * room_state would show it), the seat scores the event carried, the view's notes,
 * what to announce and a one-off hint for the next draw (an animation).
 */
export function reduceGameEvent(room, message, handler, { me }) {
  const out = handler(room.game_state, message, { room, me }) || {};
  let next = { ...room, game_state: out.state === undefined ? room.game_state : out.state };
  if (out.ui) next = { ...next, game_ui: { ...(room.game_ui || {}), ...out.ui } };
  next = withScores(next, out.scores);
  return { room: next, say: out.say || "", flash: out.flash || null };
}
