// The chat's page state: which channel a spectator reads (the players' or the
// spectators'), which channel has unread lines, and whose messages this browser
// hides (localStorage, shared by every tab). The lines themselves are the room
// model's (`room.chat`); chat-view.js draws them.

import { announce, byTestId } from "./dom.js";
import { channelsFor, channelWritten, hideUser, lineOf, showUser } from "./chat-model.js";
import { setChatError } from "./chat-view.js";
import * as storage from "./storage.js";

export class ChatPanel {
  /** `app` is the controller: the room on screen, sending, redrawing. */
  constructor(app) {
    this.app = app;
    this.channel = "room";
    this.hidden = storage.hiddenUsers();
    this.unread = new Set();
    this.roomKey = "";
  }

  /** A room_state: a new room (or role) starts on the channel this user writes to. */
  entered(session) {
    const key = `${session.id}|${session.role}`;
    if (key === this.roomKey) return;
    this.roomKey = key;
    this.channel = channelWritten(session.role);
    this.unread.clear();
    this.hidden = storage.hiddenUsers();
    setChatError("");
  }

  /** A chat_message for the room on screen: a line on the other tab is "new". */
  arrived(message) {
    const line = lineOf(message);
    if (line.channel !== this.channel) this.unread.add(line.channel);
  }

  /** Show `channel` (a spectator's tabs). */
  select(channel, { focus = false } = {}) {
    const session = this.app.session;
    if (!session || !channelsFor(session.role).includes(channel)) return;
    this.channel = channel;
    this.unread.delete(channel);
    this.app.redraw();
    if (focus) byTestId(`chat-tab-${channel}`).focus();
  }

  /** Hide every message of the author of `line` on this page (and other tabs). */
  hide(line) {
    this.hidden = hideUser(this.hidden, line);
    storage.storeHiddenUsers(this.hidden);
    this.app.redraw();
    announce(`Messages from ${line.username} are hidden on this page. Use Show to see them again.`);
    // The line is gone: the way back is where focus goes.
    byTestId("chat-hidden").querySelector(`[data-user-id="${line.user_id}"] button`)?.focus();
  }

  showUser(userId) {
    const user = this.hidden.find((u) => u.user_id === userId);
    this.hidden = showUser(this.hidden, userId);
    storage.storeHiddenUsers(this.hidden);
    this.app.redraw();
    if (user) announce(`Messages from ${user.username} are shown again.`);
    byTestId("chat-input").focus();
  }

  /** Another tab hid or showed someone. */
  reload() {
    this.hidden = storage.hiddenUsers();
  }

  send(text) {
    const { app } = this;
    if (!app.session) return false;
    setChatError("");
    if (!text.trim()) {
      setChatError("Write something first.");
      return false;
    }
    return app.send("chat_send", { room_id: app.room.room_id, text }, { kind: "chat", text });
  }
}
