// Where a refused command's `error` shows: the command's request_id says which
// (the create form, a lobby row, quick play, an invite link, the room, the chat);
// an error that matches no command the page remembers goes to the notice at the top.

import * as banner from "./banner.js";
import { setChatError } from "./chat-view.js";
import { byTestId } from "./dom.js";
import { setLobbyError } from "./lobby-view.js";
import { errorText } from "./protocol.js";
import { setRoomError } from "./room-shell.js";
import { storedRoom } from "./storage.js";

const REJOIN_RETRY_MS = 2000;

// Words that depend on what was asked (the same code means something else elsewhere).
const HOST_TEXT = { GAME_ALREADY_STARTED: "Players can only be removed before the game starts." };

/** Show `error` where the command that caused it was given (`app` is the controller). */
export function showRefusal(app, error) {
  const request = error.request_id ? app.requests.take(error.request_id) : undefined;
  const text = errorText(error, app.session?.game?.errorTexts || {});
  switch (request?.kind) {
    case "create":
    case "join":
    case "spectate":
      app.expectingRoom = false;
      app.lobby.refused(request, text, error.code);
      break;
    case "quick":
      app.expectingRoom = false;
      app.friends.quickAnswered();
      app.lobby.setQuickError(text);
      app.drawLobby();
      break;
    case "invite":
      app.friends.inviteRefused(error, text);
      break;
    case "rejoin":
      rejoinFailed(app, error, request);
      break;
    case "ready":
    case "move":
    case "rematch":
      if (app.session) app.session.pending[request.kind] = false;
      // Out of turn is a race with the turn passing, not worth a message.
      if (error.code !== "NOT_YOUR_TURN") setRoomError(text);
      app.redraw();
      break;
    case "host":
      setRoomError(HOST_TEXT[error.code] || text);
      app.redraw(); // a switch the host flipped goes back to what the room says
      break;
    case "leave":
      break; // the page has left already; the room went on without it
    case "chat":
      setChatError(text);
      if (!byTestId("chat-input").value) byTestId("chat-input").value = request.text;
      break;
    case "list":
      setLobbyError(text);
      break;
    default:
      banner.notify(text);
  }
}

/** A room that is gone sends the page to the lobby; anything else is tried again. */
function rejoinFailed(app, error, request) {
  app.resyncing = false;
  app.expectingRoom = false;
  if (error.code === "ROOM_NOT_FOUND" || error.code === "NOT_IN_ROOM" || error.code === "KICKED") {
    const name = request.roomName || app.room?.room_name;
    app.leaveRoomLocally();
    app.showLobby();
    banner.notify(error.code === "KICKED"
      ? `The host removed you from ${name ? `“${name}”` : "that room"}. You cannot come back to it.`
      : `The room ${name ? `“${name}” ` : ""}is no longer available — it ended or the server restarted. You are back in the lobby.`);
    return;
  }
  banner.notify(`Could not get back into the room: ${errorText(error)} Retrying…`);
  setTimeout(() => {
    const stillThere = app.room?.room_id === request.roomId || storedRoom()?.room_id === request.roomId;
    if (app.online && request.roomId && stillThere) app.rejoin(request.roomId, request.roomName);
  }, REJOIN_RETRY_MS);
}
