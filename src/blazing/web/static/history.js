// "Your recent games" in the lobby, from GET /api/games/history. A game that
// just ended may not be recorded yet, so the list is fetched again a few times
// until it shows up.

import { renderHistory } from "./lobby-view.js";

const LIMIT = 8;
const RETRIES = 5;
const RETRY_MS = 1000;

export class History {
  /** `me()` is the signed-in user; `inLobby()` says whether the list is on screen. */
  constructor(me, inLobby, catalogue) {
    this.me = me;
    this.inLobby = inLobby;
    this.catalogue = catalogue;
    this.awaited = null; // room id of a game that ended and should show up
    this.tries = 0;
    this.retryTimer = 0;
  }

  /** The game of `roomId` just ended: look for it when the lobby shows next. */
  expect(roomId) {
    this.awaited = roomId;
    this.tries = 0;
  }

  async load() {
    const me = this.me();
    if (!me) return;
    let games;
    try {
      const response = await fetch(`/api/games/history?user_id=${encodeURIComponent(me.user_id)}&limit=${LIMIT}`,
        { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const body = await response.json();
      games = Array.isArray(body.games) ? body.games : [];
    } catch {
      renderHistory([], me, "Your recent games cannot be loaded right now.", this.catalogue);
      return;
    }
    if (this.me() !== me) return;
    renderHistory(games, me, null, this.catalogue);
    if (!this.awaited || games.some((g) => g.room_id === this.awaited)) {
      this.awaited = null;
      this.tries = 0;
    } else if (!this.retryTimer && this.tries < RETRIES) {
      this.tries += 1;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = 0;
        if (this.inLobby()) this.load();
      }, RETRY_MS);
    }
  }
}
