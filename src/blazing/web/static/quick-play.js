// The lobby's Quick play card: one row per game the page can draw, with the seat
// choice where the game has a seat range, and a button that sends quick_play.

import { byTestId, h, setText, show } from "./dom.js";

function seatSelect(game) {
  const options = [];
  for (let n = game.min_players; n <= game.max_players; n += 1) {
    options.push(h("option", { value: String(n), selected: n === game.default_players }, `${n} players`));
  }
  return h("select", {
    class: "quick-seats", id: `quick-seats-${game.game_type}`,
    dataset: { testid: "quick-seats", gameType: game.game_type },
  }, options);
}

/** Build the rows once per catalogue; `onPlay(gameType, seats)` sends quick_play. */
export function renderQuickPlayList(catalogue, onPlay) {
  const list = byTestId("quick-list");
  const games = catalogue.playable();
  const key = games.map((g) => `${g.game_type}:${g.min_players}-${g.max_players}`).join(",");
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(...games.map((game) => {
    const ranged = game.min_players < game.max_players;
    const select = ranged ? seatSelect(game) : null;
    const button = h("button", {
      type: "button", class: "btn btn-primary btn-sm", dataset: { testid: "quick-play-button", gameType: game.game_type },
      "aria-label": `Quick play ${game.title}`,
      onclick: () => onPlay(game.game_type, select ? Number(select.value) : null),
    }, "Quick play");
    return h("li", { class: "quick-row", dataset: { testid: "quick-row", gameType: game.game_type } },
      h("span", { class: "quick-title" }, game.title),
      select ? h("label", { class: "sr-only", for: select.id }, `Seats for quick play ${game.title}`) : null,
      select || h("span", { class: "quick-fixed" }, `${game.max_players} players`),
      button);
  }));
}

/** Enable the buttons when online; while a quick play is on its way, say so. */
export function paintQuickPlay({ online, pending }) {
  for (const button of byTestId("quick-list").querySelectorAll('[data-testid="quick-play-button"]')) {
    button.disabled = !online || pending;
    setText(button, pending ? "Finding a table…" : "Quick play");
  }
}

export function setQuickError(text) {
  const el = byTestId("quick-error");
  setText(el, text || "");
  show(el, Boolean(text));
}
