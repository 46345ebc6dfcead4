// Drawing Tic Tac Toe boards: the playable one (nine buttons) and small pictures
// of a finished game with its winning line.

import { h } from "../../dom.js";

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** An X or an O as inline SVG (decoration: the cell's label says the mark). */
export function markSvg(mark) {
  const face = svg("svg", { viewBox: "0 0 100 100", "aria-hidden": "true", focusable: "false", class: `mark mark-${mark.toLowerCase()}` });
  if (mark === "X") {
    face.append(svg("path", { d: "M24 24 L76 76", class: "mark-stroke" }), svg("path", { d: "M76 24 L24 76", class: "mark-stroke" }));
  } else {
    face.append(svg("circle", { cx: 50, cy: 50, r: 28, class: "mark-stroke" }));
  }
  return face;
}

function cellLabel(i, mark, win) {
  return `Cell ${i + 1}, ${mark || "empty"}${win ? ", winning line" : ""}`;
}

/**
 * Draw the nine cell buttons from `board`. A cell that cannot be played now is
 * aria-disabled rather than disabled, so arrow keys still reach it and a screen
 * reader still reads it. `tabStop` is the one cell in the tab order (-1: none).
 * `readOnly` (a replay): the cells are pictures, neither disabled nor focusable.
 */
export function drawBoard(cells, board, { playable, line, flash, tabStop, readOnly = false }) {
  cells.forEach((cell, i) => {
    const mark = board[i] || "";
    const win = Boolean(line && line.includes(i));
    if (cell.dataset.mark !== mark) {
      cell.dataset.mark = mark;
      cell.replaceChildren(...(mark ? [markSvg(mark)] : []));
    }
    cell.classList.toggle("is-new", flash === i);
    cell.classList.toggle("is-win", win);
    cell.dataset.win = String(win);
    cell.setAttribute("aria-label", cellLabel(i, mark, win));
    if (readOnly) return;
    const open = playable(i);
    cell.setAttribute("aria-disabled", open ? "false" : "true");
    cell.classList.toggle("is-open", open);
    cell.setAttribute("tabindex", i === tabStop ? "0" : "-1");
  });
}

/** The board a finished game ended on, rebuilt from its moves (X moves first). */
export function finalBoard(game) {
  const board = Array(9).fill(null);
  game.moves.forEach((cell, n) => { board[cell] = n % 2 === 0 ? "X" : "O"; });
  return board;
}

/** A small picture of a finished game, its winning line highlighted. */
export function lastGameBoard(el, game, caption) {
  const key = `${game.game}|${game.moves.join(",")}`;
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  const board = finalBoard(game);
  const line = game.line || [];
  const how = game.line ? `, the line is cells ${line.map((i) => i + 1).join(", ")}` : "";
  el.replaceChildren(
    h("p", { class: "ttt-last-caption" }, caption),
    h("div", { class: "ttt-mini", role: "img", "aria-label": `${caption}: ${board.map((m, i) => `${i + 1} ${m || "empty"}`).join(", ")}${how}` },
      board.map((mark, i) => h("span", {
        class: `ttt-mini-cell${line.includes(i) ? " is-win" : ""}`,
        dataset: { testid: "mini-cell", index: String(i), mark: mark || "", win: String(line.includes(i)) },
      }, mark ? markSvg(mark) : null))));
}
