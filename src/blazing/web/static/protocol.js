// The wire protocol as the page sees it (SPEC §2–§8).
//
// SERVER_EVENTS is the one dispatch table for server → client event types. It
// mirrors SERVER_TYPES in src/blazing/protocol/server.py (a test keeps the two in
// step): every type maps to the name of the controller method that handles it.

export const SERVER_EVENTS = Object.freeze({
  "authenticated": "onAuthenticated",
  "pong": "onPong",
  "room_list": "onRoomList",
  "room_created": "onRoomCreated",
  "room_joined": "onRoomJoined",
  "player_left": "onPlayerLeft",
  "host_changed": "onHostChanged",
  "player_rejoined": "onPlayerRejoined",
  "player_disconnected": "onPlayerDisconnected",
  "player_ready": "onPlayerReady",
  "room_state": "onRoomState",
  "room_updated": "onRoomUpdated",
  "room_removed": "onRoomRemoved",
  "spectator_joined": "onSpectatorJoined",
  "spectator_left": "onSpectatorLeft",
  "game_started": "onGameStarted",
  "turn_changed": "onTurnChanged",
  "bigger_dice.rolled": "onDiceRolled",
  "bigger_dice.round_result": "onRoundResult",
  "bigger_dice.tiebreak_started": "onTiebreakStarted",
  "tic_tac_toe.moved": "onOtherGameEvent",
  "tic_tac_toe.game_result": "onOtherGameEvent",
  "game_ended": "onGameEnded",
  "chat_message": "onChatMessage",
  "error": "onError",
  "player_kicked": "onRoomNotice",
  "spectating_changed": "onRoomNotice",
  "mute_changed": "onRoomNotice",
  "rematch_requested": "onRoomNotice",
  "rematch_cancelled": "onRoomNotice",
});

export const SERVER_TYPES = Object.freeze(Object.keys(SERVER_EVENTS));

// Client → server command types (src/blazing/protocol/client.py CLIENT_TYPES).
export const CLIENT_TYPES = Object.freeze([
  "auth", "ping", "list_rooms", "create_room", "join_room", "leave_room", "rejoin_room",
  "ready", "spectate", "leave_spectate", "bigger_dice.roll", "tic_tac_toe.move", "chat_send",
  "quick_play", "quick_play_cancel", "rematch", "kick", "renew_invite", "set_spectating", "mute",
]);

export const GAME_TYPE = "bigger_dice";
export const WINNING_SCORE = 10;

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

/**
 * Hand one decoded server event to its handler on `controller`.
 * An unknown (or missing) type is logged once per type and otherwise ignored.
 * Returns true when a handler ran.
 */
export function dispatch(controller, message) {
  const type = message && typeof message.type === "string" ? message.type : String(message?.type);
  const method = Object.hasOwn(SERVER_EVENTS, type) ? SERVER_EVENTS[type] : undefined;
  if (method === undefined || typeof controller[method] !== "function") {
    if (!unknownTypesSeen.has(type)) {
      unknownTypesSeen.add(type);
      console.warn(`blazing: ignoring server event of unknown type ${JSON.stringify(type)}`);
    }
    return false;
  }
  controller[method](message);
  return true;
}

// Friendly words for the error codes of SPEC §6; the server's own message is
// used where it says more (INVALID_MESSAGE names the field).
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
  NOT_A_PLAYER: "Only the two players can do that.",
  SPECTATOR_LIMIT: "That room has all the spectators it can take.",
  GAME_ALREADY_STARTED: "That game has already started — you can watch it instead.",
  GAME_NOT_IN_PROGRESS: "The game is not in progress.",
  NOT_YOUR_TURN: "It is not your turn yet.",
  INVALID_GAME_TYPE: "That game is not available.",
  SERVICE_UNAVAILABLE: "The game service is busy or unreachable. Try again in a moment.",
  INTERNAL_ERROR: "Something went wrong on our side. Try again.",
});

export function errorText(error) {
  if (error.code === "INVALID_MESSAGE") {
    const detail = String(error.message || "").replaceAll("`", "");
    if (/room_name/.test(detail)) return "Room names need 1–64 visible characters.";
    if (/text/.test(detail)) return "Messages need 1–500 characters.";
    return detail ? `Not accepted: ${detail}` : "Not accepted.";
  }
  return ERROR_TEXT[error.code] || error.message || "Something went wrong.";
}
