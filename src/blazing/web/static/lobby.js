// The lobby's controller: the live list of rooms (lobby-model.js) and its filters,
// errors per row, creating a room with the picked game, seats, visibility and
// password, joining and watching (asking for the password of a locked room), and
// quick play's buttons.

import { askPassword } from "./dialog.js";
import { byTestId } from "./dom.js";
import { currentFilter, filterRooms } from "./lobby-filter.js";
import { reduceLobby } from "./lobby-model.js";
import * as lobbyView from "./lobby-view.js";
import { paintQuickPlay, renderQuickPlayList, setQuickError } from "./quick-play.js";

const COMMAND_OF = { join: "join_room", spectate: "spectate" };
const PASSWORD_CODES = new Set(["PASSWORD_REQUIRED", "WRONG_PASSWORD"]);

/** The row's Join or Watch button (after a redraw replaced the one that was clicked). */
function rowButton(roomId, kind) {
  const row = document.querySelector(`[data-testid="room-row"][data-room-id="${CSS.escape(roomId)}"]`);
  return row?.querySelector(`[data-testid="${kind === "join" ? "join-button" : "spectate-button"}"]`)
    || byTestId("create-name");
}

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
    const all = [...this.rooms.values()];
    lobbyView.renderRooms({
      rooms: filterRooms(all, currentFilter()),
      total: all.length,
      me: app.me,
      online: app.online,
      rowErrors: this.rowErrors,
      catalogue: app.catalogue,
      actions: {
        join: (room) => this.enter(room, "join"),
        spectate: (room) => this.enter(room, "spectate"),
        open: (room) => app.rejoin(room.room_id, room.room_name),
      },
    });
    renderQuickPlayList(app.catalogue, (gameType, seats) => app.friends.quickPlay(gameType, seats));
    paintQuickPlay({ online: app.online, pending: app.friends.quickPending });
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

  /**
   * join_room or spectate from a lobby row; a locked room (or a refused password,
   * `error`) asks for the password first.
   */
  async enter(room, kind, { error = "" } = {}) {
    let password = null;
    if (room.has_password || error) {
      password = await askPassword({
        title: `“${room.room_name}” is locked`,
        text: kind === "join" ? "Type the room's password to take a seat." : "Type the room's password to watch.",
        error,
        refocus: () => rowButton(room.room_id, kind),
      });
      if (password === null) return;
    }
    this.rowErrors.delete(room.room_id);
    this.app.expectingRoom = true;
    const fields = { room_id: room.room_id };
    if (password !== null) fields.password = password;
    this.app.send(COMMAND_OF[kind], fields, { kind, roomId: room.room_id, room });
    this.draw();
  }

  /** The create form or a row answered an error (matched by request_id). */
  refused(request, text, code) {
    if (request.kind === "create") {
      lobbyView.setCreateError(text);
      byTestId("create-name").focus();
    } else if (PASSWORD_CODES.has(code) && request.room && this.app.view === "lobby") {
      const again = code === "WRONG_PASSWORD" ? "That is not the room's password. Try again." : "This room needs its password.";
      this.enter(request.room, request.kind, { error: again });
    } else {
      this.rowErrors.set(request.roomId, text);
      this.draw();
    }
  }

  /** A room_state came: the create form and that row are done. */
  entered(roomId) {
    this.rowErrors.delete(roomId);
    lobbyView.setCreateError("");
    setQuickError("");
    byTestId("create-name").value = "";
    byTestId("create-password").value = "";
  }

  setQuickError(text) {
    setQuickError(text);
  }

  /** Focus the Quick play button of `gameType` (back from a table quick play found). */
  focusQuickPlay(gameType) {
    const buttons = [...byTestId("quick-list").querySelectorAll('[data-testid="quick-play-button"]')];
    (buttons.find((b) => b.dataset.gameType === gameType) || buttons[0])?.focus();
  }
}
