// The games this server runs, from GET /api/games (registry.catalogue() on the
// server): each game's type, title, seat range, command and event types. Each
// game's page module, games/<game_type>.js, is imported from here, so adding a
// game to the page is adding its module: nothing else on the page names a game.

const GAME_TYPE_RE = /^[a-z][a-z0-9_]{0,63}$/;
// What the room shell calls on a game's page module (docs/page.md).
const CONTRACT = ["labels", "commands", "events", "start", "mount", "render", "renderSeat"];

export class Catalogue {
  constructor() {
    this.games = []; // in the server's order
    this.modules = new Map(); // game_type -> page module, for the games this page can draw
    this.eventTypes = new Set();
  }

  /** True once the server's games are known. */
  get loaded() {
    return this.games.length > 0;
  }

  /** Fetch the catalogue and import every game's page module. Throws when the server cannot be reached. */
  async load() {
    const { games, modules } = await fetchGames();
    this.games = games;
    this.modules = modules;
    this.eventTypes = new Set(games.flatMap((g) => g.events));
  }

  /** The catalogue entry of `gameType`, or null. */
  info(gameType) {
    return this.games.find((g) => g.game_type === gameType) || null;
  }

  /** The page module of `gameType`, or null when the page cannot draw that game. */
  module(gameType) {
    return this.modules.get(gameType) || null;
  }

  title(gameType) {
    return this.info(gameType)?.title || this.module(gameType)?.labels?.title || gameType;
  }

  /** The games a player can pick when creating a room. */
  playable() {
    return this.games.filter((g) => this.modules.has(g.game_type));
  }

  /** True when `type` is an event of some game the server runs. */
  isGameEvent(type) {
    return this.eventTypes.has(type);
  }
}

async function fetchGames() {
  const response = await fetch("/api/games", { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) throw new Error(`GET /api/games answered ${response.status}`);
  const body = await response.json();
  const games = (Array.isArray(body.games) ? body.games : []).filter((g) => GAME_TYPE_RE.test(String(g.game_type)));
  const modules = new Map();
  await Promise.all(games.map(async (game) => {
    try {
      const module = await import(`./games/${game.game_type}.js`);
      const missing = CONTRACT.filter((name) => !(name in module));
      if (missing.length) throw new Error(`it lacks ${missing.join(", ")}`);
      if (module.stylesheet) linkStylesheet(module.stylesheet);
      modules.set(game.game_type, module);
    } catch (err) {
      // The lobby still lists its rooms; it just cannot offer or draw that game.
      console.warn(`blazing: no page module for ${game.game_type}: ${err.message}`);
    }
  }));
  return { games, modules };
}

function linkStylesheet(href) {
  if (document.querySelector(`link[rel="stylesheet"][href="${CSS.escape(href)}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  document.head.append(link);
}
