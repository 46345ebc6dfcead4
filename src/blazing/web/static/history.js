// "Your recent games" in the lobby, from GET /api/games/history, a page at a time
// (More follows `next_cursor`). A game that just ended may not be recorded yet, so
// the first page is fetched again a few times until it shows up; then
// `onRecorded(record)` tells the lobby (which refreshes the leaderboard), or
// `onRecorded(null)` when it did not show up in time.

import { renderHistory } from "./history-view.js";
import { historyPage } from "./records-api.js";

const LIMIT = 8;
const RETRIES = 10;
const RETRY_MS = 500;

export class History {
  /**
   * `me()` is the signed-in user; `inLobby()` says whether the list is on screen;
   * `onRecorded(record | null)` follows an expected game's search.
   */
  constructor({ me, inLobby, catalogue, onRecorded = () => {} }) {
    this.me = me;
    this.inLobby = inLobby;
    this.catalogue = catalogue;
    this.onRecorded = onRecorded;
    this.awaited = null; // {roomId, after}: a game of that room that ended after `after` (ms)
    this.tries = 0;
    this.retryTimer = 0;
    this.games = [];
    this.nextCursor = null;
    this.loading = false;
    this.error = null;
    this.generation = 0; // a newer first-page load makes older answers stale
  }

  /** The game of `roomId` ended at about `after` (server ms): look for it when the lobby shows next. */
  expect(roomId, after) {
    this.awaited = { roomId, after };
    this.tries = 0;
  }

  /** True when `game` is the awaited one (not an earlier game of the same room). */
  isAwaited(game) {
    const { awaited } = this;
    return Boolean(awaited && game.room_id === awaited.roomId && Date.parse(game.finished_at) >= awaited.after);
  }

  draw() {
    const me = this.me();
    if (!me) return;
    renderHistory({ games: this.games, me, error: this.error, more: Boolean(this.nextCursor), loading: this.loading, catalogue: this.catalogue });
  }

  /** Fetch the first page again (entering the lobby, or looking for a game that just ended). */
  async load() {
    const me = this.me();
    if (!me) return;
    const generation = ++this.generation;
    this.loading = true;
    this.draw();
    let page;
    try {
      page = await historyPage(me.user_id, { limit: LIMIT });
    } catch {
      if (generation !== this.generation) return;
      this.settle({ error: "Your recent games cannot be loaded right now." });
      this.giveUp();
      return;
    }
    // The same player (onAuthenticated replaces the user object, not the user).
    if (generation !== this.generation || this.me()?.user_id !== me.user_id) return;
    this.settle({ games: page.games || [], nextCursor: page.next_cursor ?? null });
    this.lookForAwaited();
  }

  /** The next page, after the games shown. */
  async more() {
    const me = this.me();
    if (!me || !this.nextCursor || this.loading) return;
    const generation = this.generation;
    this.loading = true;
    this.draw();
    try {
      const page = await historyPage(me.user_id, { limit: LIMIT, cursor: this.nextCursor });
      if (generation !== this.generation) return;
      this.settle({ games: [...this.games, ...(page.games || [])], nextCursor: page.next_cursor ?? null });
    } catch {
      if (generation !== this.generation) return;
      this.settle({ games: this.games, nextCursor: this.nextCursor, error: "Older games cannot be loaded right now." });
    }
  }

  settle({ games = [], nextCursor = null, error = null }) {
    this.games = games;
    this.nextCursor = nextCursor;
    this.error = error;
    this.loading = false;
    this.draw();
  }

  lookForAwaited() {
    if (!this.awaited) return;
    const found = this.games.find((g) => this.isAwaited(g));
    if (found) {
      this.awaited = null;
      this.tries = 0;
      this.onRecorded(found);
    } else if (this.tries >= RETRIES) {
      this.giveUp();
    } else if (!this.retryTimer) {
      this.tries += 1;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = 0;
        if (this.inLobby()) this.load();
      }, RETRY_MS);
    }
  }

  giveUp() {
    if (!this.awaited) return;
    this.awaited = null;
    this.tries = 0;
    this.onRecorded(null);
  }
}
