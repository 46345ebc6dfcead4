// The profile card's content, drawn from GET /api/players/{id}/stats exactly as the
// server counted it: overall and per game type (played, won, lost, win rate,
// streaks, game time) and each game type's rating (the ordinal, with μ and σ in
// its details) and rank. Text only.

import { h } from "./dom.js";
import { duration, percent, ratingDetail, ratingNumber } from "./records-format.js";

function stat(label, value, testid, note = null) {
  return h("div", { class: "stat" },
    h("dt", {}, label),
    h("dd", { dataset: { testid } }, value, note ? h("span", { class: "stat-note" }, note) : null));
}

/** The counts of one stats block (`overall` or a game type's). */
function statGrid(block, label) {
  return h("dl", { class: "stat-grid", "aria-label": label },
    stat("Played", String(block.played), "stat-played", block.abandoned ? ` (${block.abandoned} abandoned)` : null),
    stat("Won", String(block.won), "stat-won"),
    stat("Lost", String(block.lost), "stat-lost"),
    stat("Win rate", percent(block.win_rate), "stat-win-rate"),
    stat("Win streak", String(block.current_streak), "stat-streak", ` (best ${block.best_streak})`),
    stat("Time played", duration(block.total_seconds), "stat-total-time"),
    stat("Average game", duration(block.average_seconds), "stat-average-time"));
}

function ratingLine(rating, title) {
  if (!rating) {
    return h("p", { class: "profile-rating is-unrated", dataset: { testid: "profile-rating", rated: "false" } },
      `Not rated in ${title} yet: a finished game with a winner gives a rating.`);
  }
  const detail = ratingDetail(rating);
  return h("div", { class: "profile-rating", dataset: { testid: "profile-rating", rated: "true" } },
    h("p", { class: "rating-main" },
      h("span", { class: "rating-label" }, "Rating "),
      h("strong", { class: "rating-value", title: detail, dataset: { testid: "profile-ordinal" } }, ratingNumber(rating.ordinal)),
      rating.rank == null ? null : h("span", { class: "rating-rank", dataset: { testid: "profile-rank" } }, `#${rating.rank}`)),
    h("details", { class: "rating-details" },
      h("summary", {}, "How it is made"),
      h("p", { dataset: { testid: "profile-rating-detail" } },
        `${detail}. The rating shown is μ − 3σ: the skill estimate less three times its uncertainty, so it rises as games make the estimate surer.`)));
}

/** The game types this player has stats or a rating in, in the catalogue's order. */
function gameTypes(stats, catalogue) {
  const types = new Set([...Object.keys(stats.by_game_type || {}), ...Object.keys(stats.ratings || {})]);
  const order = catalogue.games.map((g) => g.game_type);
  return [...types].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
}

const EMPTY = Object.freeze({ played: 0, won: 0, lost: 0, abandoned: 0, win_rate: null, current_streak: 0, best_streak: 0, total_seconds: 0, average_seconds: null });

/** Draw `stats` into the card's body; `mine` says it is the signed-in player's card. */
export function renderProfile(body, stats, { catalogue, mine }) {
  const overall = stats.overall || EMPTY;
  if (!overall.played) {
    body.replaceChildren(h("p", { class: "empty", dataset: { testid: "profile-empty" } },
      mine ? "You have not finished a game yet. Your stats and ratings show up here after your first one."
        : "No finished games yet."));
    return;
  }
  const sections = gameTypes(stats, catalogue).map((gameType) => {
    const title = catalogue.title(gameType);
    return h("section", { class: "profile-game", "aria-label": title, dataset: { testid: "profile-game", gameType } },
      h("h3", {}, title),
      ratingLine(stats.ratings?.[gameType] || null, title),
      statGrid(stats.by_game_type?.[gameType] || EMPTY, `${title} stats`));
  });
  body.replaceChildren(
    h("section", { class: "profile-overall", "aria-label": "All games", dataset: { testid: "profile-overall" } },
      h("h3", {}, "All games"),
      statGrid(overall, "Stats over all games")),
    ...sections);
}
