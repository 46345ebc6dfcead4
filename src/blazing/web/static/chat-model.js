// The room's chat as the page keeps it, and the users this browser hides. Pure.
//
// The lines are `room.chat` of the room model: `room_state.room.chat` as the
// server sent it (the last 50 lines this viewer may read, oldest first) plus the
// `chat_message` events since. Players read the players' channel ("room");
// spectators read it and their own ("spectators"), which players never receive.
// Nothing is kept in the browser but the list of hidden users (storage.js).

export const CHAT_SHOWN = 50; // as many lines as room_state carries
export const ROOM_CHANNEL = "room";
export const SPECTATOR_CHANNEL = "spectators";

/** A chat line from a `chat_message` event (the fields room_state's lines have). */
export function lineOf(message) {
  return {
    user_id: message.user_id,
    username: message.username,
    text: message.text,
    sent_at: message.sent_at,
    channel: message.channel || ROOM_CHANNEL,
  };
}

/** The chat after one more line: the last CHAT_SHOWN lines, oldest first. */
export function withLine(chat, line) {
  return [...(chat || []), line].slice(-CHAT_SHOWN);
}

/** The channels `role` reads, in the order the tabs show them. */
export function channelsFor(role) {
  return role === "spectator" ? [ROOM_CHANNEL, SPECTATOR_CHANNEL] : [ROOM_CHANNEL];
}

/** The channel `role` writes to (the server decides; this is what the page says). */
export const channelWritten = (role) => (role === "spectator" ? SPECTATOR_CHANNEL : ROOM_CHANNEL);

const isHidden = (hidden, userId) => hidden.some((u) => u.user_id === userId);

/**
 * What the chat shows: the lines of `channel`, without those of hidden users, and
 * per hidden user how many of their lines were left out ({user_id, username, count}).
 */
export function visibleChat(chat, { channel, hidden = [], me = null }) {
  const lines = [];
  const left = new Map();
  for (const line of chat || []) {
    if ((line.channel || ROOM_CHANNEL) !== channel) continue;
    const mine = me && line.user_id === me.user_id;
    if (!mine && isHidden(hidden, line.user_id)) {
      const entry = left.get(line.user_id) || { user_id: line.user_id, username: line.username, count: 0 };
      left.set(line.user_id, { ...entry, count: entry.count + 1 });
    } else {
      lines.push(line);
    }
  }
  return { lines, hiddenLines: [...left.values()] };
}

/** The hidden users after hiding `user` ({user_id, username}). */
export function hideUser(hidden, user) {
  if (isHidden(hidden, user.user_id)) return hidden;
  return [...hidden, { user_id: user.user_id, username: user.username }];
}

/** The hidden users after showing `userId`'s messages again. */
export function showUser(hidden, userId) {
  return hidden.filter((u) => u.user_id !== userId);
}

/** True when messages of `userId` are hidden on this page. */
export function hides(hidden, userId) {
  return isHidden(hidden, userId);
}
