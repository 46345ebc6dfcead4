// The lobby's rooms (room_id -> RoomSummary) and the pure reducer of the lobby
// events that keep them live: room_list, room_created, room_updated, room_removed.

/** A new map of rooms after `message`. */
export function reduceLobby(rooms, message) {
  const next = new Map(rooms);
  switch (message.type) {
    case "room_list":
      return new Map(message.rooms.map((room) => [room.room_id, room]));
    case "room_created":
      if (!next.has(message.room_id)) next.set(message.room_id, summaryOfCreated(message));
      return next;
    case "room_updated": {
      const { type: _type, seq: _seq, ...summary } = message;
      if (summary.status === "finished" || summary.status === "abandoned") next.delete(summary.room_id);
      else next.set(summary.room_id, summary);
      return next;
    }
    case "room_removed":
      next.delete(message.room_id);
      return next;
    default:
      return rooms;
  }
}

// room_created is followed by a room_updated with the full summary; until then
// the row is drawn from what room_created says.
function summaryOfCreated(message) {
  return {
    room_id: message.room_id,
    room_name: message.room_name,
    game_type: message.game_type,
    status: "waiting",
    host_id: message.host_id,
    host_username: message.host_username,
    players: [{ user_id: message.host_id, username: message.host_username }],
    player_count: 1,
    max_players: message.max_players || 2,
    spectator_count: 0,
    created_at: new Date().toISOString(),
  };
}
