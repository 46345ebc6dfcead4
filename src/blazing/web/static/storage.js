// What the page keeps in the browser: in sessionStorage (per tab) the current room,
// so a reload or a reconnect can rejoin it; in localStorage (every tab, across
// visits) the users whose chat messages this browser hides. The chat itself is the
// server's (room_state carries the recent lines), so it is not kept here.

const ROOM_KEY = "blazing.room";
const HIDDEN_KEY = "blazing.hidden-users";
const HIDDEN_KEPT = 500;

function readJson(storage, key) {
  try {
    const raw = storage.getItem(key);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function writeJson(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: the page still works, it just forgets on reload
  }
}

/** {room_id, room_name, quick} of the room this tab was in, or null. */
export function storedRoom() {
  const stored = readJson(sessionStorage, ROOM_KEY);
  return stored && typeof stored.room_id === "string" ? stored : null;
}

/** Remember the room on screen (`quick`: the page sat down there by quick play). */
export function storeRoom(room, { quick = false } = {}) {
  writeJson(sessionStorage, ROOM_KEY, room ? { room_id: room.room_id, room_name: room.room_name, quick } : null);
}

/** The users whose chat messages this browser hides: [{user_id, username}]. */
export function hiddenUsers() {
  const list = readJson(localStorage, HIDDEN_KEY);
  if (!Array.isArray(list)) return [];
  return list.filter((u) => u && Number.isSafeInteger(u.user_id) && typeof u.username === "string");
}

export function storeHiddenUsers(list) {
  writeJson(localStorage, HIDDEN_KEY, list.slice(-HIDDEN_KEPT));
}
