// The lobby's records: your recent games (history.js), the leaderboard
// (leaderboard.js) and the profile card any player's name opens (profile.js).
// Entering the lobby fetches them again; after a game they are fetched until the
// game shows up (the server records it within a second), then the leaderboard
// of that game is shown with your rating counting it.

import { byTestId } from "./dom.js";
import { History } from "./history.js";
import { Leaderboard } from "./leaderboard.js";
import { markProfileLink, ProfileCard } from "./profile.js";

const ENDED_MARGIN_MS = 2000; // a record's finished_at may precede game_ended's arrival

export class LobbyRecords {
  /** `me()` the signed-in user; `inLobby()` whether the lobby shows; `serverNow()` the server's clock (ms). */
  constructor({ me, inLobby, catalogue, serverNow }) {
    this.me = me;
    this.serverNow = serverNow;
    this.profile = new ProfileCard({ catalogue, me });
    this.leaderboard = new Leaderboard({ me, catalogue });
    this.history = new History({ me, inLobby, catalogue, onRecorded: (record) => this.leaderboard.afterGame(record) });
  }

  bind() {
    this.profile.bind();
    byTestId("history-more").addEventListener("click", () => this.history.more());
    byTestId("leaderboard-more").addEventListener("click", () => this.leaderboard.more());
    byTestId("leaderboard-game").addEventListener("change", (event) => {
      this.leaderboard.select(event.target.value);
      this.leaderboard.load();
    });
  }

  /** The catalogue is known (again): the leaderboard's game select. */
  paintGames() {
    this.leaderboard.paintGames();
  }

  /** The lobby is on screen: fetch the records again. */
  entered() {
    markProfileLink(byTestId("my-stats"), this.me());
    const waiting = Boolean(this.history.awaited);
    this.history.load();
    // After a game the leaderboard waits for the game's record (History's onRecorded).
    if (!waiting) this.leaderboard.load();
  }

  /** `room`'s game just ended: its record, and its rating, are awaited. */
  gameEnded(room) {
    this.history.expect(room.room_id, this.serverNow() - ENDED_MARGIN_MS);
  }
}
