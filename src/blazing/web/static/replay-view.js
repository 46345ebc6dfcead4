// Drawing the replay viewer: the header (room, game, how it ended, when, how long),
// the seats (name — opening the profile card —, chips, the game's seat slot and the
// step's score), the centre (the step in words, the game's board, the end) and the
// problems (a record that does not replay, a missing game, a bad link). The board
// and the seat slots are the game's page module's, mounted read-only
// (`mount(slots, null)`, docs/page.md). Text only.

import { byTestId, h, paintAvatar, setText, show } from "./dom.js";
import { profileLink } from "./profile.js";
import { clock, duration, endSentence, when } from "./records-format.js";
import { seatLayout } from "./seats-view.js";

const OUTCOME = Object.freeze({ won: "Finished", forfeit: "Forfeit", disconnected: "Disconnect", abandoned: "Abandoned" });

/** The module's slots in the viewer: a replay shows no move controls and no game-over summary. */
export function replaySlots() {
  return {
    area: byTestId("replay-area"),
    controls: byTestId("replay-unseen-controls"),
    panel: byTestId("replay-panel"),
    summary: byTestId("replay-unseen-summary"),
  };
}

export function showView(view) {
  document.body.dataset.view = view;
  show(byTestId("loading-view"), view === "loading");
  show(byTestId("replay-problem"), view === "problem");
  show(byTestId("replay-view"), view === "replay");
}

export function paintHeader(doc, title) {
  document.title = `Replay: ${doc.room_name} · Blazing`;
  setText(byTestId("replay-title"), `Replay: ${doc.room_name}`);
  setText(byTestId("replay-game"), title);
  const outcome = byTestId("replay-outcome");
  setText(outcome, OUTCOME[doc.reason] || doc.reason);
  outcome.className = `status-pill status-${doc.winner_id == null ? "abandoned" : "finished"}`;
  setText(byTestId("replay-when"), when(doc.finished_at));
  setText(byTestId("replay-duration"), `lasted ${duration(doc.duration_seconds)}`);
  const view = byTestId("replay-view");
  Object.assign(view.dataset, { gameId: doc.game_id, gameType: doc.game_type, steps: String(doc.steps.length) });
}

/** Build one seat per player (once per replay) and give the game its slots. */
export function mountBoard(room, game) {
  const board = byTestId("replay-board");
  board.dataset.layout = seatLayout(room.players.length);
  board.dataset.seats = String(room.players.length);
  byTestId("replay-seats").replaceChildren(...room.players.map((p, i) => {
    const avatar = h("span", { class: "avatar", "aria-hidden": "true" });
    paintAvatar(avatar, p);
    return h("article", { class: "seat", "aria-label": `Seat ${i + 1}: ${p.username}`, dataset: { testid: "replay-seat", seat: String(i), userId: String(p.user_id) } },
      h("div", { class: "seat-head" }, avatar,
        h("div", { class: "seat-id" },
          h("h2", { class: "seat-name" }, profileLink(p, { className: "profile-link seat-link" })),
          h("p", { class: "seat-tags" }, h("span", { class: "chip", dataset: { testid: "replay-seat-chip" }, hidden: true })))),
      h("div", { class: "seat-game", dataset: { testid: "seat-game" } }),
      h("p", { class: "score" },
        h("span", { class: "score-num", dataset: { testid: "replay-seat-score" } }, "0"),
        h("span", { class: "score-label" }, game.labels?.score || "points")));
  }));
  const slots = replaySlots();
  for (const slot of Object.values(slots)) slot.replaceChildren();
  game.mount(slots, null);
}

function seatChip(player, room, actor) {
  if (room.winner_id === player.user_id) return { text: "Winner", kind: "chip chip-gold" };
  if (player.left) return { text: "Left the game", kind: "chip chip-muted" };
  if (actor === player.user_id) return { text: "Just played", kind: "chip chip-accent" };
  return null;
}

/**
 * Draw step `index`: `room` is the step's room (replay-steps.js stepRoom), `ctx`
 * the module's draw context, `sentence` the step in words.
 */
export function drawStep(doc, index, { room, ctx, game, sentence, elapsedMs }) {
  const step = doc.steps[index];
  const actor = step.kind === "move" || step.kind === "timeout" ? step.user_id : null;
  const view = byTestId("replay-view");
  Object.assign(view.dataset, { step: String(index), status: room.status, scores: step.scores.join("-") },
    game.dataset ? game.dataset(ctx) : {}); // the game's own attributes, as on a room
  for (const seat of byTestId("replay-seats").querySelectorAll('[data-testid="replay-seat"]')) {
    const player = room.players[Number(seat.dataset.seat)];
    setText(byTestId("replay-seat-score", seat), String(player.score));
    const chip = seatChip(player, room, actor);
    const chipEl = byTestId("replay-seat-chip", seat);
    show(chipEl, Boolean(chip));
    if (chip) {
      setText(chipEl, chip.text);
      chipEl.className = chip.kind;
    }
    seat.classList.toggle("is-actor", actor === player.user_id);
    seat.classList.toggle("is-winner", room.winner_id === player.user_id);
    seat.classList.toggle("is-out", player.left && room.status === "in_progress");
    game.renderSeat(byTestId("seat-game", seat), player, ctx);
  }
  setText(byTestId("replay-phase"), game.phaseText ? game.phaseText(ctx) : "");
  setText(byTestId("replay-step-text"), sentence);
  game.render(replaySlots(), ctx);
  const over = room.status !== "in_progress";
  const result = byTestId("replay-result");
  show(result, over);
  setText(result, over ? endSentence(doc) : "");
  setText(byTestId("replay-clock"), clock(elapsedMs));
}

/**
 * A game that cannot be shown: `title`, `text`, the server's `reason` (if any),
 * a line about the record (if known) and whether Try again helps.
 */
export function paintProblem({ kind, title, text, reason = "", record = "", retry = false }) {
  byTestId("replay-problem").dataset.kind = kind;
  setText(byTestId("problem-title"), title);
  setText(byTestId("problem-text"), text);
  const reasonEl = byTestId("problem-reason");
  show(reasonEl, Boolean(reason));
  setText(reasonEl, reason ? `The server says: ${reason}` : "");
  const recordEl = byTestId("problem-record");
  show(recordEl, Boolean(record));
  setText(recordEl, record);
  show(byTestId("problem-retry"), retry);
  document.title = `${title} · Blazing`;
}
