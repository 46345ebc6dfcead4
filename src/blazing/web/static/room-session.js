// The room on screen: its model (room-model.js, chat included), kept up to date by
// the room's events, plus what only this page knows about it — its role in it, the
// seq of the last event applied, whether quick play seated it there, commands on
// their way, and the game view's one-off hint for the next draw.

import * as model from "./room-model.js";

export class RoomSession {
  /**
   * From a room_state: `previous` is the session it replaces (or null); `quick`
   * says the page asked quick play for a table (kept for the same room).
   */
  constructor(message, previous, { me, catalogue, now, quick = false }) {
    const same = Boolean(previous && previous.room.room_id === message.room.room_id);
    this.catalogue = catalogue;
    this.room = model.fromSnapshot(message.room, previous?.room, now);
    this.role = model.roleOf(this.room, me);
    this.quick = (same && previous.quick) || quick;
    // Games played in this room on this page: a rematch gives the game's view a fresh mount.
    this.generation = same ? previous.generation : 0;
    this.lastSeq = message.seq ?? this.room.seq ?? 0;
    this.pending = { ready: false, move: false }; // a command is on its way
    this.flash = null;
  }

  get id() {
    return this.room.room_id;
  }

  /** The room's game page module, or null when this page cannot draw that game. */
  get game() {
    return this.catalogue.module(this.room.game_type);
  }

  /** Apply a core room event (`hidden`: users whose chat is hidden); returns what to announce. */
  apply(message, { me, now, hidden = [] }) {
    const rematch = message.type === "game_started" && model.isEnded(this.room);
    const { room, say } = model.reduceRoom(this.room, message, { me, now, game: this.game, hidden });
    this.room = room;
    if (rematch) this.generation += 1;
    // A seat taken or given up changes the role (joining from the spectators).
    this.role = model.roleOf(room, me);
    if (message.type === "player_ready" && message.user_id === me?.user_id) this.pending.ready = false;
    if (message.type === "turn_changed" || message.type === "game_ended") this.pending.move = false;
    return say;
  }

  /** The game's handler for `message`, or null when the game does not know the type. */
  gameHandler(type) {
    const events = this.game?.events;
    return events && Object.hasOwn(events, type) ? events[type] : null;
  }

  /** Apply one of the game's own events through `handler`; returns what to announce. */
  applyGame(message, handler, { me }) {
    const { room, say, flash } = model.reduceGameEvent(this.room, message, handler, { me });
    this.room = room;
    this.flash = flash;
    if (message.player_id === me?.user_id) this.pending.move = false;
    return say;
  }

  /**
   * What the room shell and the game's page module draw from (docs/page.md).
   * `page` = {me, online, serverNow, move, friends}: `friends` are the host's and
   * the chat's commands (friends.js) for the shell's views.
   */
  context({ me, online, serverNow, move, friends }) {
    const { room, role } = this;
    const mine = me ? room.players.find((p) => p.user_id === me.user_id) : null;
    return {
      room,
      me,
      role,
      online,
      game: this.game,
      title: this.catalogue.title(room.game_type),
      pending: this.pending.move,
      readyPending: this.pending.ready,
      playing: Boolean(role === "player" && mine && !mine.left && room.status === "in_progress"),
      host: model.isHost(room, me),
      generation: this.generation,
      quick: this.quick,
      friends,
      myTurn: Boolean(me && room.status === "in_progress" && room.current_turn === me.user_id),
      flash: this.flash,
      name: (userId) => model.playerName(room, userId, me),
      serverNow,
      move,
    };
  }
}
