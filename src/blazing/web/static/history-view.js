// "Your recent games" in the lobby, drawn from GET /api/games/history records: the
// result, the opponents (each opens their profile card), the game, room and when,
// the score, a Replay link to /games/replay/<game id>, and More while the server
// has older games (`next_cursor`). Text only.

import { byTestId, h, setText, show, timeAgo } from "./dom.js";
import { profileLink } from "./profile.js";
import { replayPath } from "./records-api.js";
import { listWords, resultFor, resultWord } from "./records-format.js";

/**
 * Draw the list: `games` (every page loaded so far), `more` whether a next page
 * exists, `loading` a page on its way, `error` why the list could not be loaded.
 */
export function renderHistory({ games, me, error, more, loading, catalogue }) {
  const list = byTestId("history-list");
  list.replaceChildren(...games.map((game) => historyRow(game, me, catalogue)));
  list.setAttribute("aria-busy", loading ? "true" : "false");
  const errorEl = byTestId("history-error");
  setText(errorEl, error || "");
  show(errorEl, Boolean(error));
  show(byTestId("history-empty"), !error && !loading && games.length === 0);
  const button = byTestId("history-more");
  show(button, more);
  button.disabled = loading;
  setText(button, loading && games.length ? "Loading…" : "More");
}

function vsLine(others) {
  if (others.length === 0) return ["solo"];
  const links = others.map((p) => profileLink(p));
  const parts = ["vs "];
  links.forEach((link, i) => {
    if (i > 0) parts.push(i === links.length - 1 ? " and " : ", ");
    parts.push(link);
  });
  return parts;
}

function historyRow(game, me, catalogue) {
  const mine = game.players.find((p) => p.user_id === me.user_id);
  const others = game.players.filter((p) => p.user_id !== me.user_id);
  const result = resultFor(game, me.user_id);
  const score = [mine, ...others].filter(Boolean).map((p) => p.final_score).join(" – ");
  const how = { forfeit: "by forfeit", disconnected: "by disconnect" }[game.reason];
  const title = catalogue?.title(game.game_type) || game.game_type;
  const ago = timeAgo(game.finished_at);
  const opponents = others.length ? `vs ${listWords(others.map((p) => p.username))}` : "solo";
  return h("li", { class: `history-row result-${result}`, dataset: { testid: "history-row", result, roomId: game.room_id, gameId: game.game_id || game.room_id, gameType: game.game_type } },
    h("span", { class: `result-badge result-${result}`, dataset: { testid: "history-result" } }, resultWord(result)),
    h("span", { class: "history-main" },
      h("span", { class: "history-vs", dataset: { testid: "history-vs" } }, vsLine(others)),
      h("span", { class: "history-meta" },
        h("span", { class: "history-game", dataset: { testid: "history-game" } }, title),
        [game.room_name, how, ago].filter(Boolean).map((part) => ` · ${part}`).join(""))),
    h("span", { class: "history-score", dataset: { testid: "history-score" }, "aria-label": `Score ${score}` }, score),
    h("a", { class: "btn btn-ghost btn-sm history-replay", href: replayPath(game), dataset: { testid: "history-replay" },
      "aria-label": `Replay ${title} ${opponents}${ago ? `, ${ago}` : ""}` }, "Replay"));
}
