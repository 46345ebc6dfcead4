// The wire protocol as the page sees it (SPEC §2–§8, docs/protocol.md).
//
// CORE_EVENTS is the dispatch table for the platform's own server → client
// events: it mirrors CORE_EVENTS in src/blazing/protocol/server.py (a test keeps
// the two in step) and maps each type to the name of the controller method
// (app.js) that handles it. A game's events are not listed here: each game's
// page module (games/<game_type>.js) handles its own, and the controller hands
// them to the module of the room on screen. The games and their message types
// come from the server's catalogue (GET /api/games, see catalogue.js).

export const CORE_EVENTS = Object.freeze({
  "authenticated": "onAuthenticated",
  "pong": "onPong",
  "room_list": "onRoomList",
  "room_created": "onLobbyEvent",
  "room_updated": "onLobbyEvent",
  "room_removed": "onLobbyEvent",
  "room_state": "onRoomState",
  "room_joined": "onRoomEvent",
  "player_left": "onPlayerLeft",
  "host_changed": "onRoomEvent",
  "player_rejoined": "onRoomEvent",
  "player_disconnected": "onRoomEvent",
  "player_ready": "onRoomEvent",
  "spectator_joined": "onRoomEvent",
  "spectator_left": "onRoomEvent",
  "game_started": "onGameStarted",
  "turn_changed": "onRoomEvent",
  "game_ended": "onGameEnded",
  "chat_message": "onChatMessage",
  "error": "onError",
  "player_kicked": "onPlayerKicked",
  "spectating_changed": "onRoomEvent",
  "mute_changed": "onRoomEvent",
  "rematch_requested": "onRoomEvent",
  "rematch_cancelled": "onRoomEvent",
});

// The platform's own client → server commands (CORE_COMMANDS in
// src/blazing/protocol/client.py); each game module lists the moves it sends.
export const CORE_COMMANDS = Object.freeze([
  "auth", "ping", "list_rooms", "create_room", "join_room", "leave_room", "rejoin_room",
  "ready", "spectate", "leave_spectate", "chat_send", "quick_play", "quick_play_cancel",
  "rematch", "kick", "renew_invite", "set_spectating", "mute",
]);

// Close codes (SPEC §1). 4401 and 4429 mean "do not reconnect automatically".
export const CloseCode = Object.freeze({
  GOING_AWAY: 1001,
  SERVICE_RESTART: 1012,
  UNAUTHENTICATED: 4401,
  HEARTBEAT_TIMEOUT: 4408,
  TOO_SLOW: 4409,
  MESSAGE_TOO_LARGE: 4413,
  FLOOD: 4429,
});
export const NO_RECONNECT_CODES = new Set([CloseCode.UNAUTHENTICATED, CloseCode.FLOOD]);

const unknownTypesSeen = new Set();

function reportUnknown(type) {
  if (unknownTypesSeen.has(type)) return;
  unknownTypesSeen.add(type);
  console.warn(`blazing: ignoring server event of unknown type ${JSON.stringify(type)}`);
}

/**
 * Hand one decoded server event to its handler on `controller`: a core event to
 * the method CORE_EVENTS names, anything else to `controller.onGameEvent`, which
 * answers true when a game knows the type. An unknown (or missing) type is
 * logged once per type and otherwise ignored. Returns true when a handler ran.
 */
export function dispatch(controller, message) {
  const type = message && typeof message.type === "string" ? message.type : String(message?.type);
  if (Object.hasOwn(CORE_EVENTS, type)) {
    const method = CORE_EVENTS[type];
    if (typeof controller[method] === "function") {
      controller[method](message);
      return true;
    }
  } else if (typeof controller.onGameEvent === "function" && controller.onGameEvent(message)) {
    return true;
  }
  reportUnknown(type);
  return false;
}

// Friendly words for the error codes of SPEC §6; the server's own message is
// used where it says more (INVALID_MESSAGE names the field). A game's own codes
// come from its page module (`errorTexts`).
const ERROR_TEXT = Object.freeze({
  UNAUTHORIZED: "You are not signed in.",
  USER_MISMATCH: "This page is signed in as someone else. Reload the page.",
  UNKNOWN_TYPE: "The server did not understand that request.",
  MESSAGE_TOO_LARGE: "That message is too long.",
  RATE_LIMITED: "Slow down a little — you are sending messages too fast.",
  ROOM_NOT_FOUND: "That room no longer exists.",
  ROOM_FULL: "That room is full.",
  ROOM_NAME_TAKEN: "A room with that name already exists. Pick another name.",
  ALREADY_IN_ROOM: "You are already playing in another room.",
  NOT_IN_ROOM: "You are not in that room.",
  NOT_A_PLAYER: "Only the players of this game can do that.",
  SPECTATOR_LIMIT: "That room has all the spectators it can take.",
  GAME_ALREADY_STARTED: "That game has already started — you can watch it instead.",
  GAME_NOT_IN_PROGRESS: "The game is not in progress.",
  NOT_YOUR_TURN: "It is not your turn yet.",
  INVALID_GAME_TYPE: "That game is not available.",
  SERVICE_UNAVAILABLE: "The game service is busy or unreachable. Try again in a moment.",
  INTERNAL_ERROR: "Something went wrong on our side. Try again.",
  // Playing with friends.
  PASSWORD_REQUIRED: "This room needs its password.",
  WRONG_PASSWORD: "That is not the room's password.",
  TOO_MANY_ATTEMPTS: "Too many tries for now. Wait a minute, then try again.",
  NOT_HOST: "Only the host can do that.",
  KICKED: "The host removed you from this room, so you cannot come back to it.",
  CANNOT_TARGET_SELF: "You cannot do that to yourself.",
  SPECTATORS_CLOSED: "The host has closed this room to new spectators.",
  MUTED: "The host has muted you in this room's chat.",
  REMATCH_UNAVAILABLE: "A rematch is not possible any more: a player left.",
});

/** Words for an `error` event; `gameTexts` are the room's game's own codes. */
export function errorText(error, gameTexts = {}) {
  if (error.code === "INVALID_MESSAGE") {
    const detail = String(error.message || "").replaceAll("`", "");
    if (/room_name/.test(detail)) return "Room names need 1–64 visible characters.";
    if (/text/.test(detail)) return "Messages need 1–500 characters.";
    if (/max_players/.test(detail)) return "That game cannot be played with that many seats.";
    return detail ? `Not accepted: ${detail}` : "Not accepted.";
  }
  if (Object.hasOwn(gameTexts, error.code)) return gameTexts[error.code];
  return ERROR_TEXT[error.code] || error.message || "Something went wrong.";
}
