// The replay viewer at /games/replay/<game id> (replay.html): the entry point and
// its controller. It reads the id from its own address, asks the server for the
// game rebuilt step by step (GET /api/games/{game_id}/replay), mounts the game's
// page module read-only and draws the step the stepping state (replay-model.js)
// points at: the server's view and scores of that step, nothing recounted. A
// record that does not replay is shown as such with the server's reason, never
// drawn. No sign-in and no socket: the records API is public.

import { Catalogue } from "./catalogue.js";
import { announce, byTestId } from "./dom.js";
import { ProfileCard } from "./profile.js";
import { endSentence } from "./records-format.js";
import { gameRecord, replay, RecordsError } from "./records-api.js";
import { bindReplayControls, paintControls } from "./replay-controls.js";
import { initialReplay, reduceReplay, stepDelay } from "./replay-model.js";
import { elapsedMs, nameOf, stepNotes, stepRoom, stepSentence } from "./replay-steps.js";
import { drawStep, mountBoard, paintHeader, paintProblem, showView } from "./replay-view.js";

// What the server takes as a game id (`<room id>.<n>`) or an old record's room id.
const GAME_ID_RE = /^[A-Za-z0-9_-]{1,64}(\.[1-9][0-9]{0,8})?$/;

/** The game id in `/games/replay/<id>`, or null when the address holds none. */
export function gameIdFromPath(pathname) {
  const match = /^\/games\/replay\/([^/]+)\/?$/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

/** What the game's page module draws a replay step from (docs/page.md, read-only). */
function replayContext(doc, room, game, title, flash) {
  return {
    room,
    me: null,
    role: "spectator",
    online: true,
    playing: false,
    myTurn: false,
    pending: false,
    replay: true,
    flash,
    game,
    title,
    name: (userId) => nameOf(doc, userId),
    serverNow: () => Date.now(),
    move: null,
  };
}

class ReplayViewer {
  constructor(catalogue) {
    this.catalogue = catalogue;
    this.gameId = null;
    this.doc = null;
    this.game = null;
    this.model = null;
    this.timer = 0;
    this.label = ""; // the step on screen in words
    this.profile = new ProfileCard({ catalogue });
  }

  start() {
    this.profile.bind();
    bindReplayControls((action) => this.act(action));
    byTestId("problem-retry").addEventListener("click", () => this.load());
    this.gameId = gameIdFromPath(location.pathname);
    if (this.gameId === null || !GAME_ID_RE.test(this.gameId)) {
      this.problem({
        kind: "bad-id",
        title: "This is not a link to a game",
        text: "A replay link looks like /games/replay/room_3JvB0mQ2kX9a.1. Open the game from your recent games in the lobby.",
      });
      return;
    }
    this.load();
  }

  async load() {
    showView("loading");
    let doc;
    try {
      if (!this.catalogue.loaded) await this.catalogue.load();
      doc = await replay(this.gameId);
    } catch (err) {
      await this.failed(err);
      return;
    }
    if (!Array.isArray(doc?.steps) || doc.steps.length === 0) {
      this.problem({ kind: "not-replayable", title: "This game cannot be replayed", text: "The server sent no steps for it." });
      return;
    }
    const game = this.catalogue.module(doc.game_type);
    if (!game) {
      this.problem({ kind: "no-module", title: "This page cannot show this game", text: `This page cannot draw ${this.catalogue.title(doc.game_type)} games yet.` });
      return;
    }
    this.doc = doc;
    this.game = game;
    this.model = initialReplay(doc.steps.length);
    paintHeader(doc, this.catalogue.title(doc.game_type));
    mountBoard(stepRoom(doc, 0), game);
    showView("replay");
    this.draw({ animate: false });
  }

  /** The replay was refused or could not be fetched: say why, in words the player can act on. */
  async failed(err) {
    const status = err instanceof RecordsError ? err.status : 0;
    const reason = err instanceof RecordsError ? err.reason : String(err?.message || err);
    const id = `“${this.gameId}”`;
    if (status === 409 || status === 422 || err?.body?.replayable === false) {
      this.problem({
        kind: "not-replayable",
        title: "This game cannot be replayed",
        text: status === 422
          ? "Its record lacks what a replay needs (it may predate replays, or be of a game this server no longer runs), so it is not drawn."
          : "Replaying its moves through the game's rules does not give the recorded game, so it is not drawn rather than drawn wrong.",
        reason,
        record: await this.recordLine(),
      });
    } else if (status === 404) {
      this.problem({ kind: "not-found", title: "No such game", text: `No finished game has the id ${id}. The link may be mistyped, or the game has not ended yet.` });
    } else if (status === 400) {
      this.problem({ kind: "bad-id", title: "This is not a link to a game", text: `${id} is not a game id.`, reason });
    } else {
      this.problem({ kind: "unavailable", title: "The game cannot be loaded right now", text: "The game records cannot be reached. Try again in a moment.", reason, retry: true });
    }
  }

  /** "ann 10 – bob 3 · ann won." from the game's record, or "" when there is none. */
  async recordLine() {
    try {
      const record = await gameRecord(this.gameId);
      const scores = record.players.map((p) => `${p.username} ${p.final_score}`).join(" – ");
      return `The recorded result: ${scores} · ${endSentence(record)}`;
    } catch {
      return "";
    }
  }

  problem(what) {
    this.stop();
    paintProblem(what);
    showView("problem");
  }

  /** One action of the buttons, keys, scrubber or play timer (replay-model.js). */
  act(action) {
    if (!this.model) return;
    const before = this.model;
    this.model = reduceReplay(before, action);
    if (this.model === before) return;
    if (this.model.playing !== before.playing || this.model.speed !== before.speed || this.model.index !== before.index) this.schedule();
    if (this.model.index !== before.index) {
      announce(this.draw({ animate: this.model.index === before.index + 1 }));
    } else {
      paintControls(this.model, this.label);
      if (this.model.playing !== before.playing) announce(this.model.playing ? `Playing at ${this.model.speed}×.` : "Paused.");
    }
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = this.model.playing ? setTimeout(() => this.act({ type: "tick" }), stepDelay(this.model)) : 0;
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = 0;
  }

  /** The game's words, notes and hints for a step (a module that throws costs only its words). */
  notes(index, game) {
    try {
      return stepNotes(this.doc, index, game);
    } catch (err) {
      console.warn(`blazing: the game's words for step ${index} failed: ${err.message}`);
      return { says: [], ui: {}, flash: null };
    }
  }

  /** Draw the step the stepping state points at; returns it in words ("Step 3 of 9: ann rolled 6."). */
  draw({ animate }) {
    const { doc, model, game } = this;
    const notes = this.notes(model.index, game);
    const room = stepRoom(doc, model.index, notes.ui);
    const ctx = replayContext(doc, room, game, this.catalogue.title(doc.game_type), animate ? notes.flash : null);
    const sentence = stepSentence(doc, model.index, notes.says);
    drawStep(doc, model.index, { room, ctx, game, sentence, elapsedMs: elapsedMs(doc, model.index) });
    this.label = `Step ${model.index} of ${model.count - 1}: ${sentence}`;
    paintControls(model, this.label);
    return this.label;
  }
}

async function boot() {
  const catalogue = new Catalogue();
  try {
    await catalogue.load();
  } catch (err) {
    console.warn(`blazing: cannot load the games: ${err.message}`);
  }
  const viewer = new ReplayViewer(catalogue);
  globalThis.blazingReplay = viewer; // for debugging and tests
  viewer.start();
}

boot();
