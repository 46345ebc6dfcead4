// What the page keeps in sessionStorage (per tab): the current room, so a reload
// or a reconnect can rejoin it, and that room's chat lines.

const ROOM_KEY = "blazing.room";
const CHAT_KEY = "blazing.chat.";
export const CHAT_KEPT = 100;

function readJson(key) {
  try {
    const raw = sessionStorage.getItem(key);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function writeJson(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: the page still works, it just forgets on reload
  }
}

/** {room_id, room_name} of the room this tab was in, or null. */
export function storedRoom() {
  const stored = readJson(ROOM_KEY);
  return stored && typeof stored.room_id === "string" ? stored : null;
}

export function storeRoom(room) {
  writeJson(ROOM_KEY, room ? { room_id: room.room_id, room_name: room.room_name } : null);
}

export function loadChat(roomId) {
  const lines = readJson(CHAT_KEY + roomId);
  return Array.isArray(lines) ? lines : [];
}

export function saveChat(roomId, lines) {
  writeJson(CHAT_KEY + roomId, lines === null ? null : lines.slice(-CHAT_KEPT));
}
