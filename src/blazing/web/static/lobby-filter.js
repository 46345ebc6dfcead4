// The lobby's filters: by game and "has a free seat". They apply in the page to
// the live list (room_list, then room_created / room_updated / room_removed): the
// lobby updates that follow a room_list are not filtered by the server, so
// filtering here keeps one rule for both, and changing a filter needs no round trip.

import { byTestId, h } from "./dom.js";

/** A seat can be taken: the room waits and is not full. */
export const hasFreeSeat = (room) =>
  room.status === "waiting" && (room.player_count ?? (room.players || []).length) < (room.max_players || 2);

/** The rooms that pass `filter` = {gameType ("" for every game), freeSeat}. Pure. */
export function filterRooms(rooms, { gameType = "", freeSeat = false } = {}) {
  return rooms.filter((room) => (!gameType || room.game_type === gameType) && (!freeSeat || hasFreeSeat(room)));
}

/** The game filter's options, from the catalogue (kept when the catalogue is drawn again). */
export function renderFilterOptions(catalogue) {
  const select = byTestId("filter-game");
  const chosen = select.value;
  select.replaceChildren(h("option", { value: "" }, "All games"),
    ...catalogue.games.map((g) => h("option", { value: g.game_type }, g.title)));
  select.value = catalogue.games.some((g) => g.game_type === chosen) ? chosen : "";
}

/** The filters as the controls stand. */
export function currentFilter() {
  return { gameType: byTestId("filter-game").value, freeSeat: byTestId("filter-free").checked };
}
