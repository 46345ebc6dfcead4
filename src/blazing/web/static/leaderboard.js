// The lobby's leaderboard: the top 20 of the chosen game type (GET /api/leaderboard),
// More by cursor, and your own rank and rating (GET /api/players/{me}/rating) even
// when you are not in the rows shown. After a game the lobby shows that game's
// board; its rating is written just after its record, so the board is asked again
// a few times until your rating counts the game.

import { playerRating, leaderboard } from "./records-api.js";
import { renderGameOptions, renderLeaderboard } from "./leaderboard-view.js";

const LIMIT = 20;
const RETRIES = 6;
const RETRY_MS = 300;

export class Leaderboard {
  constructor({ me, catalogue }) {
    this.me = me;
    this.catalogue = catalogue;
    this.gameType = null;
    this.rows = [];
    this.nextCursor = null;
    this.mine = null;
    this.loading = false;
    this.error = null;
    this.generation = 0;
    this.retryTimer = 0;
  }

  /** The game types in the select (the catalogue may load late); the first is the default. */
  paintGames() {
    if (!this.gameType || !this.catalogue.info(this.gameType)) this.gameType = this.catalogue.games[0]?.game_type || null;
    renderGameOptions(this.catalogue, this.gameType);
  }

  draw() {
    if (!this.gameType) return;
    renderLeaderboard({
      rows: this.rows, mine: this.mine, me: this.me(), more: Boolean(this.nextCursor),
      loading: this.loading, error: this.error, title: this.catalogue.title(this.gameType),
    });
  }

  /** Show `gameType`'s board (the select's choice, or the game just played). */
  select(gameType) {
    if (!this.catalogue.info(gameType) || gameType === this.gameType) return;
    this.gameType = gameType;
    this.rows = [];
    this.nextCursor = null;
    this.mine = null;
    renderGameOptions(this.catalogue, gameType);
  }

  /** The first page and your rating, fetched again. Resolves to your rating (or null). */
  async load() {
    this.paintGames();
    const me = this.me();
    const { gameType } = this;
    if (!me || !gameType) return null;
    const generation = ++this.generation;
    this.loading = true;
    this.draw();
    try {
      const [page, mine] = await Promise.all([leaderboard(gameType, { limit: LIMIT }), playerRating(me.user_id, gameType)]);
      if (generation !== this.generation) return null;
      Object.assign(this, { rows: page.players || [], nextCursor: page.next_cursor ?? null, mine, error: null });
    } catch {
      if (generation !== this.generation) return null;
      this.error = "The leaderboard cannot be loaded right now.";
    }
    this.loading = false;
    this.draw();
    return this.mine;
  }

  async more() {
    const { gameType, nextCursor } = this;
    if (!nextCursor || this.loading) return;
    const generation = this.generation;
    this.loading = true;
    this.draw();
    try {
      const page = await leaderboard(gameType, { limit: LIMIT, cursor: nextCursor });
      if (generation !== this.generation) return;
      Object.assign(this, { rows: [...this.rows, ...(page.players || [])], nextCursor: page.next_cursor ?? null, error: null });
    } catch {
      if (generation !== this.generation) return;
      this.error = "More players cannot be loaded right now.";
    }
    this.loading = false;
    this.draw();
  }

  /**
   * A game of yours was just recorded (`record`, or null when it did not show up):
   * show its game type's board, and ask again until your rating counts it.
   */
  async afterGame(record, tries = 0) {
    clearTimeout(this.retryTimer);
    if (!record) {
      await this.load();
      return;
    }
    const before = this.gameType === record.game_type ? this.mine : null;
    this.select(record.game_type);
    const mine = await this.load();
    const rated = record.winner_id != null; // abandoned games are not rated
    const counted = mine?.rated && (before?.rated ? mine.games > before.games : true);
    if (rated && !counted && tries < RETRIES) {
      this.retryTimer = setTimeout(() => this.afterGame(record, tries + 1), RETRY_MS);
    }
  }
}
