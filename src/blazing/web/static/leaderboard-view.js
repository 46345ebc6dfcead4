// The lobby's leaderboard card, drawn from GET /api/leaderboard pages and your own
// GET /api/players/{id}/rating: rank, player (opens the profile card), rating (the
// ordinal; μ and σ in its title) and rated games; your row highlighted, and added
// below the list when you are not in the rows shown. Text only.

import { byTestId, h, paintAvatar, setText, show } from "./dom.js";
import { profileLink } from "./profile.js";
import { ratingDetail, ratingNumber } from "./records-format.js";

/** The game select: every game the server runs. */
export function renderGameOptions(catalogue, selected) {
  const select = byTestId("leaderboard-game");
  const key = catalogue.games.map((g) => g.game_type).join(",");
  if (select.dataset.key !== key) {
    select.dataset.key = key;
    select.replaceChildren(...catalogue.games.map((g) => h("option", { value: g.game_type }, catalogue.title(g.game_type))));
  }
  if (selected && select.value !== selected) select.value = selected;
}

function row(player, me, { gap = false } = {}) {
  const mine = Boolean(me && player.user_id === me.user_id);
  const avatar = h("span", { class: "avatar avatar-xs", "aria-hidden": "true" });
  paintAvatar(avatar, player);
  const cells = [
    h("td", { class: "board-rank", dataset: { testid: "leaderboard-rank" } }, `#${player.rank}`),
    h("td", { class: "board-player" }, h("span", { class: "board-who" },
      avatar, profileLink(player, { you: mine }), mine ? h("span", { class: "tag tag-you", "aria-hidden": "true" }, "you") : null)),
    h("td", { class: "board-rating", dataset: { testid: "leaderboard-rating" } },
      h("span", { title: ratingDetail(player) }, ratingNumber(player.ordinal))),
    h("td", { class: "board-games" }, String(player.games)),
  ];
  return h("tr", {
    class: `board-row${mine ? " is-me" : ""}${gap ? " is-apart" : ""}`,
    "aria-current": mine ? "true" : null,
    dataset: { testid: "leaderboard-row", userId: String(player.user_id), rank: String(player.rank) },
  }, cells);
}

/**
 * Draw the card: `rows` (every page loaded), `mine` your rating (or null), `more`
 * whether a next page exists, `loading`, `error`, `title` the game's.
 */
export function renderLeaderboard({ rows, mine, me, more, loading, error, title }) {
  const body = byTestId("leaderboard-rows");
  body.replaceChildren(...rows.map((p) => row(p, me)));
  const listed = Boolean(me && rows.some((p) => p.user_id === me.user_id));
  const apart = byTestId("leaderboard-mine");
  const showApart = Boolean(mine?.rated && !listed);
  apart.replaceChildren(...(showApart ? [
    h("tr", { class: "board-gap", "aria-hidden": "true" }, h("td", { colspan: "4" }, "⋯")),
    row({ ...mine, username: mine.username || me.username }, me, { gap: true }),
  ] : []));
  show(apart, showApart);
  setText(byTestId("leaderboard-caption"), `Top players in ${title}`);
  const table = byTestId("leaderboard-table");
  show(table, rows.length > 0 || showApart);
  table.setAttribute("aria-busy", loading ? "true" : "false");
  const empty = byTestId("leaderboard-empty");
  show(empty, !loading && !error && rows.length === 0);
  setText(empty, `Nobody is rated in ${title} yet.`);
  const errorEl = byTestId("leaderboard-error");
  setText(errorEl, error || "");
  show(errorEl, Boolean(error));
  const button = byTestId("leaderboard-more");
  show(button, more);
  button.disabled = loading;
  setText(byTestId("leaderboard-me"), mineText(mine, title));
  byTestId("leaderboard-me").dataset.rated = String(Boolean(mine?.rated));
}

function mineText(mine, title) {
  if (!mine) return "";
  if (!mine.rated) return `You are not rated in ${title} yet: finish a game with a winner to get a rating.`;
  const games = mine.games === 1 ? "1 rated game" : `${mine.games} rated games`;
  return `You are #${mine.rank} with a rating of ${ratingNumber(mine.ordinal)} (${games}).`;
}
