// The records HTTP API (docs/protocol.md, "Records HTTP API"): a player's games by
// cursor, a game's replay, stats, one rating and rank, leaderboard pages. Public,
// JSON. A refusal is thrown as a RecordsError carrying the status and the server's
// reason (`{"error": …}`), and the body (a 409/422 replay says `replayable: false`).

export class RecordsError extends Error {
  /** `status` 0: the server could not be reached. */
  constructor(status, reason, body = null) {
    super(reason);
    this.status = status;
    this.reason = reason;
    this.body = body;
  }
}

async function getJson(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
  } catch {
    throw new RecordsError(0, "the server cannot be reached");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null; // e.g. a proxy's HTML error page
  }
  if (!response.ok) {
    const reason = typeof body?.error === "string" ? body.error : `the server answered ${response.status}`;
    throw new RecordsError(response.status, reason, body);
  }
  return body;
}

const segment = (value) => encodeURIComponent(String(value));

/** GET /api/games/history: `{games, next_cursor}`, newest first. */
export function historyPage(userId, { cursor = null, limit = null, gameType = null } = {}) {
  return getJson("/api/games/history", { user_id: userId, cursor, limit, game_type: gameType });
}

/** GET /api/games/history/{id}: one record (a game id, or an old record's room id). */
export function gameRecord(gameId) {
  return getJson(`/api/games/history/${segment(gameId)}`);
}

/** GET /api/games/{game_id}/replay: every step of the game, rebuilt by the server. */
export function replay(gameId) {
  return getJson(`/api/games/${segment(gameId)}/replay`);
}

/** GET /api/players/{id}/stats: counts, streaks, game time and ratings. */
export function playerStats(userId) {
  return getJson(`/api/players/${segment(userId)}/stats`);
}

/** GET /api/players/{id}/rating?game_type=: one rating and its rank (`rated` false before a rated game). */
export function playerRating(userId, gameType) {
  return getJson(`/api/players/${segment(userId)}/rating`, { game_type: gameType });
}

/** GET /api/leaderboard: `{game_type, players: [{rank, user_id, username, mu, sigma, ordinal, games}], next_cursor}`. */
export function leaderboard(gameType, { cursor = null, limit = null } = {}) {
  return getJson("/api/leaderboard", { game_type: gameType, cursor, limit });
}

/** The replay viewer's address for a record: its game id, or an old record's room id. */
export function replayPath(record) {
  return `/games/replay/${segment(record.game_id || record.room_id)}`;
}
