// The room events of playing with friends, as pure reducers of the room model
// (room-model.js merges them into its table): the host's controls (kick, mute,
// closing to spectators), rematch requests and their cancelling, and chat lines.
// Each is (room, message, ctx) -> {room, say}; ctx = {me, hidden} (hidden: the users
// whose messages this page hides, so their lines are not read out).
//
// One page-only field is added to the model: `rematch_off` ({user_id, username,
// reason} of the rematch_cancelled that ended the rematch), because a room_state
// says only that there is none (`rematch_open: false`), not why.

import { hides, lineOf, SPECTATOR_CHANNEL, withLine } from "./chat-model.js";

const isMe = (me, userId) => Boolean(me && me.user_id === userId);

/** "You" for `me`, else the username the room knows (players first, then spectators). */
function nameIn(room, userId, me) {
  if (isMe(me, userId)) return "You";
  const user = room.players.find((p) => p.user_id === userId)
    || (room.spectator_users || []).find((s) => s.user_id === userId);
  return user ? user.username : "someone";
}

/** "bob", "bob and carol", "bob, carol and dan". */
export function joinNames(names) {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

const CANCEL_WHY = {
  left: (name) => `${name} left — no rematch.`,
  playing_elsewhere: (name) => `${name} sat down at another table — no rematch.`,
  name_taken: () => "Another room took this room's name — no rematch.",
};

/** Why there is no rematch, in words (`off` is room.rematch_off, or null after a reload). */
export function rematchOffSentence(off, me) {
  if (!off) return "No rematch: a player left.";
  const name = isMe(me, off.user_id) ? "You" : off.username;
  return (CANCEL_WHY[off.reason] || CANCEL_WHY.left)(name);
}

export const FRIENDS_REDUCERS = Object.freeze({
  player_kicked(room, m, { me }) {
    const spectators = (room.spectator_users || []).filter((s) => s.user_id !== m.user_id);
    const waiting = room.status === "waiting";
    const players = waiting ? room.players.filter((p) => p.user_id !== m.user_id) : room.players;
    const next = {
      ...room,
      players,
      spectator_users: spectators,
      spectators: spectators.map((s) => s.user_id),
      // A seat coming free stops the ready clock.
      ready_deadline: waiting && players.length < room.max_players ? null : room.ready_deadline,
    };
    return { room: next, say: isMe(me, m.user_id) ? "The host removed you from this room." : `The host removed ${m.username}.` };
  },

  spectating_changed(room, m) {
    return {
      room: { ...room, spectators_open: m.allowed },
      say: m.allowed ? "The host let new spectators in." : "The host closed the room to new spectators; those watching stay.",
    };
  },

  mute_changed(room, m, { me }) {
    const others = (room.muted || []).filter((id) => id !== m.user_id);
    const next = { ...room, muted: m.muted ? [...others, m.user_id] : others };
    let say;
    if (isMe(me, m.user_id)) say = m.muted ? "The host muted you in this room's chat." : "The host unmuted you: you can chat again.";
    else say = m.muted ? `The host muted ${m.username} in the chat.` : `The host unmuted ${m.username}.`;
    return { room: next, say };
  },

  rematch_requested(room, m, { me }) {
    const asked = room.rematch || [];
    const next = { ...room, rematch: asked.includes(m.user_id) ? asked : [...asked, m.user_id] };
    const awaited = m.waiting_for.filter((id) => !isMe(me, id)).map((id) => nameIn(room, id, null));
    let say;
    if (isMe(me, m.user_id)) {
      say = awaited.length ? `You asked for a rematch. Waiting for ${joinNames(awaited)}.` : "You asked for a rematch.";
    } else {
      say = `${m.username} wants a rematch.`;
      if (m.waiting_for.some((id) => isMe(me, id))) say += " Press Rematch to play again.";
    }
    return { room: next, say };
  },

  rematch_cancelled(room, m, { me }) {
    const off = { user_id: m.user_id, username: m.username, reason: m.reason };
    return { room: { ...room, rematch_open: false, rematch: [], rematch_off: off }, say: rematchOffSentence(off, me) };
  },

  chat_message(room, m, { me, hidden = [] }) {
    const next = { ...room, chat: withLine(room.chat, lineOf(m)) };
    if (isMe(me, m.user_id) || hides(hidden, m.user_id)) return { room: next, say: "" };
    const where = m.channel === SPECTATOR_CHANNEL ? " to the spectators" : "";
    return { room: next, say: `${m.username} says${where}: ${m.text}` };
  },
});
