// The lobby's controller: the live list of rooms (lobby-model.js), errors per
// row, creating a room with the picked game and seats, joining and watching.

import { byTestId } from "./dom.js";
import { reduceLobby } from "./lobby-model.js";
import * as lobbyView from "./lobby-view.js";

export class Lobby {
  /** `app` sends commands and says who is signed in and whether the socket is open. */
  constructor(app) {
    this.app = app;
    this.rooms = new Map(); // room_id -> RoomSummary
    this.rowErrors = new Map(); // room_id -> the error of a join or watch on that row
  }

  /** room_list, room_created, room_updated or room_removed. */
  apply(message) {
    this.rooms = reduceLobby(this.rooms, message);
    if (message.type === "room_removed") this.rowErrors.delete(message.room_id);
  }

  draw() {
    const { app } = this;
    if (!app.me) return;
    lobbyView.renderRooms({
      rooms: [...this.rooms.values()],
      me: app.me,
      online: app.online,
      rowErrors: this.rowErrors,
      catalogue: app.catalogue,
      actions: {
        join: (room) => this.enter("join_room", room, "join"),
        spectate: (room) => this.enter("spectate", room, "spectate"),
        open: (room) => app.rejoin(room.room_id, room.room_name),
      },
    });
    byTestId("create-submit").disabled = !app.online || app.catalogue.playable().length === 0;
  }

  create(name) {
    lobbyView.setCreateError("");
    const choice = lobbyView.createChoice(this.app.catalogue);
    if (!choice) return;
    this.app.expectingRoom = true;
    if (!this.app.send("create_room", { ...choice, room_name: name }, { kind: "create" })) {
      this.app.expectingRoom = false;
      lobbyView.setCreateError("You are offline — wait for the connection to come back.");
    }
  }

  /** join_room or spectate from a lobby row. */
  enter(type, room, kind) {
    this.rowErrors.delete(room.room_id);
    this.app.expectingRoom = true;
    this.app.send(type, { room_id: room.room_id }, { kind, roomId: room.room_id });
    this.draw();
  }

  /** The create form or a row answered an error (matched by request_id). */
  refused(request, text) {
    if (request.kind === "create") {
      lobbyView.setCreateError(text);
      byTestId("create-name").focus();
    } else {
      this.rowErrors.set(request.roomId, text);
      this.draw();
    }
  }

  /** A room_state came: the create form and that row are done. */
  entered(roomId) {
    this.rowErrors.delete(roomId);
    lobbyView.setCreateError("");
    byTestId("create-name").value = "";
  }
}
