// Tic Tac Toe's page module (the contract is in docs/page.md): a 3×3 board of
// real buttons (arrow keys move between cells, Enter or Space plays), the marks and
// whose they are, each game's result with its winning line, and the match score
// to 5.
//
// The state is the game's view as room_state sends it (`room.game_state`,
// docs/protocol.md): {players, names, x, to_move, board, wins, game, moves, games,
// winner_id}. The handlers below keep it as the server has it, from the events
// alone: `moved` carries the board, `game_result` the match score and who is X next.

import { byTestId, h, setText, show } from "../dom.js";
import { drawBoard, lastGameBoard, markSvg } from "./tic_tac_toe/board.js";

const WINNING_GAMES = 5;
const REASON_WORDS = { line: "three in a row", draw: "a draw", timeout: "on time" };

export const stylesheet = new URL("./tic_tac_toe.css", import.meta.url).href;

export const labels = Object.freeze({
  title: "Tic Tac Toe",
  blurb: `Three in a row wins a game; marks swap every game. First to ${WINNING_GAMES} wins.`,
  score: "game wins",
  toAct: "To move",
  yourTurn: "Pick a cell for your mark.",
  winReason: `First to ${WINNING_GAMES} game wins takes the match.`,
});

export const commands = Object.freeze(["tic_tac_toe.move"]);

export const events = Object.freeze({
  "tic_tac_toe.moved": onMoved,
  "tic_tac_toe.game_result": onGameResult,
});

export const errorTexts = Object.freeze({
  CELL_OCCUPIED: "That cell is already taken.",
  INVALID_POSITION: "That is not a cell of the board.",
});

// --- the state, from events ---------------------------------------------------------

/** The state at game_started, as room_state would show it: the first player is X. */
export function start(message) {
  const players = message.players.map((p) => p.user_id);
  return {
    type: "tic_tac_toe",
    players,
    names: message.players.map((p) => p.username),
    x: message.first_turn,
    to_move: message.first_turn,
    board: Array(9).fill(null),
    wins: players.map(() => 0),
    game: 1,
    moves: [],
    games: [],
    winner_id: null,
  };
}

function nameIn(room, userId, me) {
  if (me && userId === me.user_id) return "You";
  return room.players.find((p) => p.user_id === userId)?.username || "someone";
}

const other = (s, userId) => s.players.find((id) => id !== userId) ?? userId;

function onMoved(state, m, ctx) {
  const s = state;
  const who = nameIn(ctx.room, m.player_id, ctx.me);
  return {
    state: { ...s, board: m.board, moves: [...s.moves, m.position], to_move: other(s, m.player_id) },
    flash: { cell: m.position },
    say: `${who} put ${m.mark} on cell ${m.position + 1}.`,
  };
}

function onGameResult(state, m, ctx) {
  const s = state;
  const finished = { game: m.game, x: s.x, moves: s.moves, winner_id: m.winner_id, line: m.line, reason: m.reason };
  const points = new Map(m.scores.map(([id, , wins]) => [id, wins]));
  let next = { ...s, games: [...s.games, finished], wins: s.players.map((id) => points.get(id) ?? 0) };
  // next_x is null once the match is won: the board stays as it ended.
  next = m.next_x == null
    ? { ...next, winner_id: m.winner_id }
    : { ...next, x: m.next_x, to_move: m.next_x, board: Array(9).fill(null), moves: [], game: m.game + 1 };
  return {
    state: next,
    scores: Object.fromEntries(points),
    say: `${resultSentence(finished, ctx.room, ctx.me)} ${scoreSentence(next, ctx.room, ctx.me)}${
      m.next_x == null ? "" : ` ${nameIn(ctx.room, m.next_x, ctx.me) === "You" ? "You are" : `${nameIn(ctx.room, m.next_x, null)} is`} X next.`}`,
  };
}

/** One finished game of the match in words. */
export function resultSentence(game, room, me) {
  if (game.winner_id == null) return `Game ${game.game} is a draw.`;
  const winner = nameIn(room, game.winner_id, me);
  const verb = winner === "You" ? "win" : "wins";
  if (game.reason === "timeout") {
    const loser = room.players.find((p) => p.user_id !== game.winner_id);
    const late = loser ? nameIn(room, loser.user_id, me) : "The other player";
    return `${late} ran out of time: ${winner} ${verb} game ${game.game}.`;
  }
  return `${winner} ${verb} game ${game.game} with ${REASON_WORDS[game.reason] || game.reason}.`;
}

function scoreSentence(s, room, me) {
  return `Match: ${s.players.map((id, i) => `${nameIn(room, id, me)} ${s.wins[i]}`).join(", ")}.`;
}

// --- reading the state -----------------------------------------------------------------

const stateOf = (room) => room.game_state;

/** "X" or "O": the mark `userId` plays in the current game. */
export function markOf(s, userId) {
  if (!s) return null;
  return userId === s.x ? "X" : s.players.includes(userId) ? "O" : null;
}

function canPlay(ctx) {
  return Boolean(ctx.playing && ctx.online && ctx.myTurn && !ctx.pending);
}

// --- drawing ---------------------------------------------------------------------------

let focusCell = 4; // the board's one tab stop (roving tabindex), kept across draws

export function mount(slots, actions) {
  focusCell = 4;
  // Read-only (`actions` null: a replay): the cells are pictures, not buttons.
  const cells = Array.from({ length: 9 }, (_, i) => (actions
    ? h("button", { type: "button", class: "ttt-cell", tabindex: "-1", dataset: { testid: "cell", index: String(i), mark: "" },
      "aria-label": `Cell ${i + 1}, empty` })
    : h("span", { class: "ttt-cell", role: "img", dataset: { testid: "cell", index: String(i), mark: "" },
      "aria-label": `Cell ${i + 1}, empty` })));
  const board = h("div", { class: "ttt-board", role: "group", "aria-label": "Board", dataset: { testid: "ttt-board" } }, cells);
  if (actions) {
    board.addEventListener("click", (event) => {
      const cell = event.target.closest('[data-testid="cell"]');
      if (!cell || cell.getAttribute("aria-disabled") === "true") return;
      focusCell = Number(cell.dataset.index);
      actions.move("tic_tac_toe.move", { position: focusCell });
    });
    board.addEventListener("keydown", (event) => moveFocus(event, cells));
  }
  slots.area.append(
    h("div", { class: "ttt-status" },
      h("p", { class: "ttt-marks", dataset: { testid: "ttt-marks" } }),
      h("p", { class: "match-score", dataset: { testid: "match-score" }, "aria-label": "Match score" })),
    board,
    h("p", { class: "ttt-result", dataset: { testid: "game-result" } }),
    h("div", { class: "ttt-last", dataset: { testid: "last-game" }, hidden: true }));
  slots.panel.append(
    h("h2", { class: "card-title", id: "game-panel-title" }, "Games"),
    h("ol", { class: "ttt-games", dataset: { testid: "games-list" } }),
    h("p", { class: "empty", dataset: { testid: "games-empty" } }, "No game finished yet."));
  slots.summary.append(
    h("div", { class: "ttt-final", dataset: { testid: "final-board" } }),
    h("h3", { class: "table-title" }, "Game by game"),
    h("ol", { class: "ttt-games", dataset: { testid: "final-games-list" } }));
}

const ARROWS = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };

function moveFocus(event, cells) {
  // From the cell that has focus (the tab stop may have moved on when it filled).
  const at = cells.indexOf(document.activeElement);
  if (at >= 0) focusCell = at;
  let next = null;
  if (ARROWS[event.key]) {
    const [dr, dc] = ARROWS[event.key];
    const row = (Math.floor(focusCell / 3) + dr + 3) % 3;
    const col = ((focusCell % 3) + dc + 3) % 3;
    next = row * 3 + col;
  } else if (event.key === "Home") next = 0;
  else if (event.key === "End") next = 8;
  if (next === null) return;
  event.preventDefault();
  focusCell = next;
  cells.forEach((cell, i) => cell.setAttribute("tabindex", i === next ? "0" : "-1"));
  cells[next].focus();
}

export function render(slots, ctx) {
  const { room, me } = ctx;
  const s = stateOf(room);
  const started = Boolean(s);
  const marks = byTestId("ttt-marks", slots.area);
  const score = byTestId("match-score", slots.area);
  show(marks, started);
  show(score, started);
  if (started) {
    setText(marks, s.players.map((id) => `${nameIn(room, id, me)} ${nameIn(room, id, me) === "You" ? "play" : "plays"} ${markOf(s, id)}`).join(" · "));
    setText(score, `${s.players.map((id, i) => `${nameIn(room, id, null)} ${s.wins[i]}`).join(" – ")} · first to ${WINNING_GAMES}`);
  }
  const enabled = canPlay(ctx);
  const cells = [...byTestId("ttt-board", slots.area).querySelectorAll('[data-testid="cell"]')];
  const live = room.status === "in_progress";
  if (!live || s?.board[focusCell]) focusCell = firstOpen(s?.board) ?? focusCell;
  drawBoard(cells, s?.board || Array(9).fill(null), {
    playable: (i) => enabled && !s.board[i],
    line: null,
    flash: ctx.flash?.cell,
    tabStop: live ? focusCell : -1,
    readOnly: Boolean(ctx.replay),
  });
  const last = s?.games.at(-1) || null;
  setText(byTestId("game-result", slots.area), last ? `${resultSentence(last, room, me)}${nextX(s, room, me)}` : "");
  const lastBoard = byTestId("last-game", slots.area);
  show(lastBoard, Boolean(last) && live);
  if (last && live) lastGameBoard(lastBoard, last, `Last game (game ${last.game})`);
  renderGames(byTestId("games-list", slots.panel), s, room, me);
  show(byTestId("games-empty", slots.panel), !s || s.games.length === 0);
  if (room.status === "finished" || room.status === "abandoned") {
    const final = byTestId("final-board", slots.summary);
    show(final, Boolean(last));
    if (last) lastGameBoard(final, last, `Final game (game ${last.game})`);
    renderGames(byTestId("final-games-list", slots.summary), s, room, me);
  }
}

function firstOpen(board) {
  if (!board) return null;
  const i = board.indexOf(null);
  return i < 0 ? null : i;
}

function nextX(s, room, me) {
  if (room.status !== "in_progress" || s.winner_id != null) return "";
  const who = nameIn(room, s.x, me);
  return who === "You" ? " You are X now and move first." : ` ${who} is X now and moves first.`;
}

function renderGames(list, s, room, me) {
  const games = s?.games || [];
  if (list.dataset.count === String(games.length)) return;
  list.dataset.count = String(games.length);
  list.replaceChildren(...games.map((g) => h("li", {
    class: `ttt-game${g.winner_id == null ? " is-draw" : ""}`,
    dataset: { testid: "game-row", game: String(g.game), winnerId: g.winner_id == null ? "" : String(g.winner_id), reason: g.reason },
  }, h("span", { class: "ttt-game-num" }, `Game ${g.game}`), h("span", { class: "ttt-game-text" }, resultSentence(g, room, me)))));
}

export function renderSeat(slot, player, ctx) {
  const s = stateOf(ctx.room);
  const mark = player ? markOf(s, player.user_id) : null;
  if (slot.dataset.mark === (mark || "") && slot.firstChild) return;
  slot.dataset.mark = mark || "";
  slot.replaceChildren(mark
    ? h("span", { class: `seat-mark mark-${mark.toLowerCase()}`, dataset: { testid: "seat-mark" }, role: "img", "aria-label": `plays ${mark}` }, markSvg(mark))
    : h("span", { class: "seat-mark is-empty", dataset: { testid: "seat-mark" }, "aria-hidden": "true" }));
}

export function phaseText(ctx) {
  const s = stateOf(ctx.room);
  if (!s) return "";
  if (ctx.room.status === "in_progress") return `Game ${s.game} · first to ${WINNING_GAMES} wins`;
  return `${s.games.length} game${s.games.length === 1 ? "" : "s"} played`;
}

export function turnText(ctx) {
  const { room } = ctx;
  const s = stateOf(room);
  if (room.current_turn == null || !s) return "";
  const mark = markOf(s, room.current_turn);
  if (ctx.myTurn) return `Your turn — place your ${mark}`;
  return `${nameIn(room, room.current_turn, null)}'s turn (${mark})`;
}

/** Data attributes on the room view, for styling and tests. */
export function dataset(ctx) {
  const s = stateOf(ctx.room);
  if (!s) return { game: "0", board: "", matchScore: "" };
  return { game: String(s.game), board: s.board.map((c) => c || "-").join(""), matchScore: s.wins.join("-") };
}

/** The picker's icon: a small board. */
export function icon() {
  const board = Array(9).fill(null);
  [[0, "X"], [4, "O"], [8, "X"], [2, "O"]].forEach(([i, m]) => { board[i] = m; });
  return h("span", { class: "ttt-icon" }, board.map((m) => h("span", { class: "ttt-icon-cell" }, m ? markSvg(m) : null)));
}
