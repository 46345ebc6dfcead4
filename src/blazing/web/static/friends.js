// Playing with friends, the page's commands: joining by an invite link (with the
// password when the room has one), quick play and its cancelling, rematch, the
// host's controls (kick, mute, closing to spectators, a new invite link) and
// what a kicked user sees. `app` (app.js) sends, knows the room on screen and
// draws; the views call these through the draw context (`ctx.friends`).

import { byTestId } from "./dom.js";
import * as banner from "./banner.js";
import { askPassword, confirmAction } from "./dialog.js";
import { copyInvite, leaveInvitePath, renewing } from "./invite.js";
import * as storage from "./storage.js";

// Why an invite link did not seat you, in words (other codes use the usual texts).
const INVITE_REFUSED = {
  ROOM_NOT_FOUND: "This invite link does not work: the host may have made a new one, or the table has closed.",
  ROOM_FULL: "The table of that invite link is full.",
  GAME_ALREADY_STARTED: "The game at that table has already started.",
};
const PASSWORD_CODES = new Set(["PASSWORD_REQUIRED", "WRONG_PASSWORD"]);

export class Friends {
  constructor(app) {
    this.app = app;
    this.invite = null; // {code} of an invite link this page is opening
    this.quickPending = false; // quick_play sent, no table yet
  }

  /** The page was opened at /games/join/<code>: join once signed in. */
  startInvite(code) {
    this.invite = { code };
  }

  /** Signed in (again): go on with an invite link. True when one is being opened. */
  resumeInvite() {
    if (!this.invite) return false;
    this.joinByInvite(null);
    return true;
  }

  joinByInvite(password) {
    const { app } = this;
    const fields = { invite_code: this.invite.code };
    if (password) fields.password = password;
    app.expectingRoom = true;
    banner.notify("Taking your seat at the table you were invited to…");
    app.send("join_room", fields, { kind: "invite" });
  }

  /** room_state came: the invite (if any) is used. */
  seated() {
    if (!this.invite) return;
    this.invite = null;
    leaveInvitePath();
    banner.notify("");
  }

  /** The server refused the invite's join_room: ask for the password, or say why. */
  async inviteRefused(error, text) {
    const { app } = this;
    app.expectingRoom = false;
    if (PASSWORD_CODES.has(error.code)) {
      banner.notify("");
      const password = await askPassword({
        title: "This table needs a password",
        text: "The host set a password for this table. Type it to take your seat.",
        error: error.code === "WRONG_PASSWORD" ? "That is not the room's password. Try again." : "",
        refocus: () => byTestId("create-name"),
      });
      if (password !== null && this.invite) return this.joinByInvite(password);
    }
    this.invite = null;
    leaveInvitePath();
    const stored = storage.storedRoom();
    if (stored) app.rejoin(stored.room_id, stored.room_name); // back to the room this tab was in
    else app.showLobby();
    if (!PASSWORD_CODES.has(error.code)) banner.notify(INVITE_REFUSED[error.code] || text);
    return undefined;
  }

  // --- quick play ------------------------------------------------------------------

  /** Sit at the first open table of `gameType` (with `seats` where the game has a range). */
  quickPlay(gameType, seats) {
    const { app } = this;
    app.lobby.setQuickError("");
    const fields = { game_type: gameType };
    if (seats) fields.max_players = seats;
    app.expectingRoom = true;
    if (!app.send("quick_play", fields, { kind: "quick" })) {
      app.expectingRoom = false;
      app.lobby.setQuickError("You are offline — wait for the connection to come back.");
      return;
    }
    this.quickPending = true;
    app.drawLobby();
  }

  /** A quick-play answer (room_state or error) came. True when the room came from quick play. */
  quickAnswered() {
    const was = this.quickPending;
    this.quickPending = false;
    return was;
  }

  /** Stop looking: leave the table quick play found, back to the lobby. */
  cancelQuickPlay() {
    const { app } = this;
    if (!app.session) return;
    const gameType = app.room.game_type;
    app.send("quick_play_cancel", {}, { kind: "leave" });
    app.leaveRoomLocally();
    app.showLobby();
    app.lobby.focusQuickPlay(gameType);
  }

  // --- rematch ---------------------------------------------------------------------

  rematch() {
    const { app } = this;
    if (!app.session) return;
    if (app.send("rematch", { room_id: app.room.room_id }, { kind: "rematch" })) app.session.pending.rematch = true;
    app.redraw();
  }

  // --- the host's controls ---------------------------------------------------------

  /** Remove `user` ({user_id, username}) from the room, after a confirmation. */
  async kick(user) {
    const { app } = this;
    const room = app.room;
    if (!room) return;
    const seated = room.players.some((p) => p.user_id === user.user_id);
    const ok = await confirmAction({
      title: `Remove ${user.username}?`,
      text: `${user.username} will leave ${seated ? "their seat" : "the spectators"} and cannot come back to this room.`,
      ok: "Remove",
      refocus: () => byTestId("room-title"),
    });
    if (!ok || app.room?.room_id !== room.room_id) return;
    app.send("kick", { room_id: room.room_id, target_user_id: user.user_id }, { kind: "host" });
  }

  mute(user, muted) {
    const { app } = this;
    if (!app.room) return;
    app.send("mute", { room_id: app.room.room_id, target_user_id: user.user_id, muted }, { kind: "host" });
  }

  setSpectating(allowed) {
    const { app } = this;
    if (!app.room) return;
    app.send("set_spectating", { room_id: app.room.room_id, allowed }, { kind: "host" });
  }

  renewInvite() {
    const { app } = this;
    if (!app.room) return;
    if (app.send("renew_invite", { room_id: app.room.room_id }, { kind: "host" })) renewing();
  }

  copyInvite() {
    return copyInvite();
  }

  /** player_kicked: the kicked user goes back to the lobby; the others see the seat free. */
  onKicked(message) {
    const { app } = this;
    if (message.user_id !== app.me?.user_id) return false;
    const name = app.room?.room_name;
    app.leaveRoomLocally();
    app.showLobby();
    banner.notify(`The host removed you from ${name ? `“${name}”` : "the room"}. You cannot come back to that room.`);
    return true;
  }
}
