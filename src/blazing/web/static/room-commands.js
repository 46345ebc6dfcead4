// What a player or spectator sends from the room on screen: I'm ready, a game's
// move (for the game's page module), and leaving — with a question first when it
// forfeits, and a leave_room from an ended game so the others learn there will be
// no rematch. `app` (app.js) sends, holds the session and redraws.

import { confirmAction } from "./dialog.js";
import { byTestId } from "./dom.js";
import { activePlayers } from "./room-model.js";
import { setRoomError } from "./room-shell.js";

export class RoomCommands {
  constructor(app) {
    this.app = app;
  }

  ready() {
    const { app } = this;
    if (!app.session) return;
    setRoomError("");
    if (app.send("ready", { room_id: app.room.room_id }, { kind: "ready" })) app.session.pending.ready = true;
    app.redraw();
  }

  /** A game move from the game's page module (its command type and fields). */
  move(type, fields = {}) {
    const { app } = this;
    if (!app.session || app.session.pending.move) return false;
    setRoomError("");
    const sent = app.send(type, { ...fields, room_id: app.room.room_id }, { kind: "move" });
    if (sent) app.session.pending.move = true;
    app.redraw();
    return sent;
  }

  async leave() {
    const { app } = this;
    const room = app.room;
    if (!room) return app.showLobby();
    const me = app.me?.user_id;
    const inGame = activePlayers(room).some((p) => p.user_id === me);
    if (app.session.role === "spectator") {
      app.send("leave_spectate", { room_id: room.room_id }, { kind: "leave" });
    } else if (app.roomContext().playing) {
      const duel = activePlayers(room).length <= 2;
      const ok = await confirmAction({
        title: "Leave the game?",
        text: duel ? "You will forfeit the game and your opponent wins."
          : "You will be out of this game; the others play on.",
        ok: duel ? "Forfeit and leave" : "Leave the game",
      });
      if (!ok || app.room?.room_id !== room.room_id) return undefined;
      app.send("leave_room", { room_id: room.room_id }, { kind: "leave" });
      if (duel) app.records.gameEnded(room); // the forfeit ends it: look for its record
    } else if (room.status === "waiting" || (room.status === "finished" && inGame)) {
      // From an ended game too: the others learn there will be no rematch.
      app.send("leave_room", { room_id: room.room_id }, { kind: "leave" });
    }
    app.leaveRoomLocally();
    app.showLobby();
    byTestId("create-name").focus();
    return undefined;
  }
}
