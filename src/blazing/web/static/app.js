// The /games page controller: which view is on screen, the socket, the commands
// (each with a request_id, so an error finds its form), and the handlers that
// CORE_EVENTS (protocol.js) names. Room events go through the pure reducers of
// room-model.js (and friends-model.js) and lobby-model.js; a game's own events
// through its page module (games/<game_type>.js); then the views redraw from the
// models. The room's commands are in room-commands.js, playing with friends' in
// friends.js, the chat's in chat.js; the lobby's records (history, leaderboard,
// profile card) in lobby-records.js.

import { announce, byTestId, show } from "./dom.js";
import * as banner from "./banner.js";
import { ChatPanel } from "./chat.js";
import { renderChat, setChatError } from "./chat-view.js";
import { Connection } from "./connection.js";
import { bindControls } from "./controls.js";
import { Friends } from "./friends.js";
import { inviteFromPath, leaveInvitePath } from "./invite.js";
import { renderFilterOptions } from "./lobby-filter.js";
import { Lobby } from "./lobby.js";
import { LobbyRecords } from "./lobby-records.js";
import * as lobbyView from "./lobby-view.js";
import { CloseCode, dispatch } from "./protocol.js";
import { showRefusal } from "./refusals.js";
import { Requests } from "./requests.js";
import * as model from "./room-model.js";
import { RoomCommands } from "./room-commands.js";
import { renderRoom, renderTimers, setRoomError } from "./room-shell.js";
import { RoomSession } from "./room-session.js";
import * as signin from "./signin.js";
import * as storage from "./storage.js";

function wsUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/games`;
}

export class App {
  constructor(catalogue) {
    this.catalogue = catalogue;
    this.me = null;
    this.devLogin = false;
    this.view = "loading";
    this.conn = null;
    this.connStatus = { state: "closed" };
    this.lobby = new Lobby(this);
    this.commands = new RoomCommands(this); // ready, a game's move, leave
    this.friends = new Friends(this);
    this.chat = new ChatPanel(this);
    this.session = null; // the RoomSession on screen, or null
    this.resyncing = false; // a rejoin_room is on its way; its room_state covers what came before
    this.expectingRoom = false; // a create/join/spectate/rejoin is on its way
    this.requests = new Requests();
    this.records = new LobbyRecords({ me: () => this.me, inLobby: () => this.view === "lobby", catalogue, serverNow: () => this.serverNow() });
    this.clockOffsetMs = 0;
    this.tickTimer = 0;
  }

  get online() {
    return this.connStatus.state === "open";
  }

  get room() {
    return this.session?.room ?? null;
  }

  // --- start-up, sign-in and views ---------------------------------------------------

  start() {
    bindControls(this);
    this.records.bind();
    this.paintGames();
    const invite = inviteFromPath(location.pathname);
    if (invite?.code) this.friends.startInvite(invite.code);
    else if (invite?.invalid) {
      leaveInvitePath();
      banner.notify("That invite link is not valid. Ask your friend to copy it again.");
    }
    this.checkSession();
  }

  paintGames() {
    signin.paintGames(this.catalogue.playable().map((g) => g.title));
    lobbyView.renderGamePicker(this.catalogue, null);
    renderFilterOptions(this.catalogue);
    this.records.paintGames();
  }

  setView(view) {
    this.view = view;
    document.body.dataset.view = view;
    for (const name of ["loading", "signin", "lobby", "room"]) show(byTestId(`${name}-view`), view === name);
  }

  async checkSession(reason = "") {
    this.setView("loading");
    let answer;
    try {
      answer = await signin.fetchSession();
    } catch {
      this.showSignIn("The game server cannot be reached right now.", { unreachable: true });
      return;
    }
    this.devLogin = answer.devLogin;
    if (!this.catalogue.loaded) {
      // The server was unreachable when the page loaded: it answers now.
      await this.catalogue.load().catch((err) => console.warn(`blazing: cannot load the games: ${err.message}`));
      this.paintGames();
    }
    if (answer.me) {
      this.me = answer.me;
      signin.paintUser(this.me, this.devLogin);
      this.connect();
      return;
    }
    this.showSignIn(reason || (answer.expired ? "Your session has expired. Please sign in again." : ""));
  }

  showSignIn(reason, { unreachable = false } = {}) {
    this.me = null;
    signin.paintUser(null, this.devLogin);
    this.setView("signin");
    show(byTestId("signin-invite"), Boolean(this.friends.invite));
    signin.paintSignIn(reason, { devLogin: this.devLogin, unreachable });
  }

  async signOut() {
    this.conn?.stop();
    this.conn = null;
    this.leaveRoomLocally();
    await signin.devSignOut();
    banner.showBanner(null);
    this.showSignIn("");
  }

  showLobby({ send = true } = {}) {
    const entering = this.view !== "lobby";
    this.setView("lobby");
    // Every game's rooms: no game_type filter.
    if (send) this.send("list_rooms", {}, { kind: "list" });
    this.drawLobby();
    if (entering) this.records.entered();
  }

  drawLobby() {
    this.lobby.draw();
  }

  showRoom() {
    const entering = this.view !== "room";
    this.setView("room");
    this.redraw();
    if (entering) {
      setRoomError("");
      setChatError("");
      byTestId("room-title").setAttribute("tabindex", "-1");
      byTestId("room-title").focus({ preventScroll: true });
    }
  }

  /** What the room shell and the game's page module draw from (docs/page.md). */
  roomContext() {
    return this.session.context({
      me: this.me,
      online: this.online,
      serverNow: () => this.serverNow(),
      move: (type, fields) => this.commands.move(type, fields),
      friends: this.friends,
    });
  }

  redraw() {
    if (this.view === "room" && this.session) {
      const ctx = this.roomContext();
      renderRoom(ctx);
      renderChat(ctx, this.chat);
      this.session.flash = null; // drawn once
    } else if (this.view === "lobby") {
      this.drawLobby();
    }
  }

  startTicking() {
    if (this.tickTimer) return;
    this.tickTimer = setInterval(() => {
      if (this.view === "room" && this.session) renderTimers(this.roomContext());
      if (this.connStatus.state === "reconnecting") banner.paintBannerText(this.connStatus);
    }, 250);
  }

  leaveRoomLocally() {
    storage.storeRoom(null);
    this.session = null;
    this.resyncing = false;
    this.expectingRoom = false;
  }

  serverNow() {
    return Date.now() + this.clockOffsetMs;
  }

  // --- the socket ----------------------------------------------------------------------

  connect() {
    this.conn?.stop();
    this.conn = new Connection({
      url: wsUrl(),
      onMessage: (message) => this.receive(message),
      onStatus: (status) => this.onConnectionStatus(status),
      timing: globalThis.BLAZING_TIMING || {},
    });
    if (this.view === "loading" && !storage.storedRoom()) this.showLobby({ send: false });
    this.conn.start();
    this.startTicking();
  }

  send(type, fields = {}, request = null) {
    const message = { type, ...fields };
    if (request) message.request_id = this.requests.add(request);
    const sent = this.conn?.send(message) ?? false;
    if (!sent && request) this.requests.take(message.request_id);
    return sent;
  }

  onConnectionStatus(status) {
    const was = this.connStatus.state;
    this.connStatus = status;
    document.body.dataset.connection = status.state;
    if (status.state === "stopped" && status.code === CloseCode.UNAUTHENTICATED) {
      this.conn = null;
      banner.showBanner(null);
      const why = status.reason ? ` (${status.reason})` : "";
      this.showSignIn(`You were signed out by the server${why}. Please sign in again.`);
      return;
    }
    if (status.state === "reconnecting" && this.session) this.session.pending = { ready: false, move: false };
    banner.connectionChanged(status, was);
    this.redraw();
  }

  retry() {
    if (!this.conn) return this.checkSession();
    this.conn.retry();
  }

  /** Every frame from the server comes through here. */
  receive(message) {
    if (this.isStale(message)) return;
    try {
      dispatch(this, message);
    } catch (err) {
      console.error(`blazing: handling ${message?.type} failed`, err);
    }
  }

  /** Drop what the last room_state already covers; on a gap, resync with rejoin_room. */
  isStale(message) {
    if (!this.session || message.room_id !== this.room.room_id) return false;
    if (message.type === "room_state" || typeof message.seq !== "number" || message.seq <= 0) return false;
    if (this.resyncing) return true; // the room_state on its way covers it
    const verdict = model.seqVerdict(this.session.lastSeq, message);
    if (verdict === "gap") {
      console.warn(`blazing: missed room events (${this.session.lastSeq} → ${message.seq}); resyncing`);
      this.rejoin(this.room.room_id, this.room.room_name);
    }
    if (verdict !== "apply") return true;
    this.session.lastSeq = message.seq;
    return false;
  }

  isCurrent(message) {
    return Boolean(this.session && message.room_id === this.room.room_id);
  }

  // --- commands ------------------------------------------------------------------------

  rejoin(roomId, roomName) {
    this.resyncing = true;
    this.expectingRoom = true;
    this.send("rejoin_room", { room_id: roomId }, { kind: "rejoin", roomId, roomName });
  }

  // --- server events (the methods CORE_EVENTS names) ----------------------------------

  onAuthenticated(message) {
    this.me = { user_id: message.user_id, username: message.username, avatar_id: message.avatar_id };
    signin.paintUser(this.me, this.devLogin);
    this.conn.ping(); // learn the server clock for the countdowns
    this.send("list_rooms", {}, { kind: "list" }); // also (re)subscribes to lobby updates
    if (!this.room && this.friends.invite) {
      if (this.view !== "lobby") this.showLobby({ send: false });
      this.friends.resumeInvite(); // an invite link: join its table
      return;
    }
    const stored = this.room ? { room_id: this.room.room_id, room_name: this.room.room_name } : storage.storedRoom();
    if (stored) this.rejoin(stored.room_id, stored.room_name); // the loading view stays until room_state
    else if (this.view !== "lobby") this.showLobby({ send: false });
    else this.drawLobby();
  }

  onPong(message) {
    const server = Date.parse(message.server_time);
    if (!Number.isNaN(server)) this.clockOffsetMs = server - Date.now();
  }

  onRoomList(message) {
    this.lobby.apply(message);
    this.drawLobby();
  }

  onLobbyEvent(message) {
    this.lobby.apply(message);
    if (this.view === "lobby") this.drawLobby();
  }

  onRoomState(message) {
    const same = this.isCurrent(message.room);
    if (!same && !this.expectingRoom && this.session) return; // another tab's room; stay here
    const stored = storage.storedRoom();
    const quick = this.friends.quickAnswered() || Boolean(stored?.quick && stored.room_id === message.room.room_id);
    this.session = new RoomSession(message, this.session, { me: this.me, catalogue: this.catalogue, now: this.serverNow(), quick });
    this.resyncing = false;
    this.expectingRoom = false;
    const room = this.room;
    storage.storeRoom(room, { quick: this.session.quick });
    this.friends.seated();
    this.lobby.entered(room.room_id);
    this.chat.entered(this.session);
    this.showRoom();
    if (room.status === "in_progress") announce(model.turnSentence(room, this.me, this.session.game));
  }

  /** A room event the reducer handles whole: apply, redraw, announce. */
  onRoomEvent(message) {
    if (!this.isCurrent(message)) return;
    const say = this.session.apply(message, { me: this.me, now: this.serverNow(), hidden: this.chat.hidden });
    this.redraw();
    if (say) announce(say);
  }

  onPlayerKicked(message) {
    if (this.isCurrent(message) && this.friends.onKicked(message)) return;
    this.onRoomEvent(message);
  }

  /** A game starts; after a game over (a rematch) the board comes back and gets the focus. */
  onGameStarted(message) {
    if (!this.isCurrent(message)) return;
    if (!model.isEnded(this.room)) return this.onRoomEvent(message);
    this.session.pending.rematch = false;
    const say = this.session.apply(message, { me: this.me, now: this.serverNow(), hidden: this.chat.hidden });
    this.redraw();
    byTestId("room-title").focus({ preventScroll: true });
    announce(say, { urgent: true }); // as the game over was: the page changed under the user
    return undefined;
  }

  onPlayerLeft(message) {
    if (this.isCurrent(message) && message.user_id === this.me?.user_id && this.room.status === "waiting") {
      const name = this.room.room_name;
      this.leaveRoomLocally();
      this.showLobby();
      if (message.reason === "not_ready") banner.notify(`You did not get ready in time, so you lost your seat in “${name}”.`);
      return;
    }
    this.onRoomEvent(message);
  }

  onGameEnded(message) {
    if (!this.isCurrent(message)) return;
    if (this.session.role === "player") this.records.gameEnded(this.room);
    const say = this.session.apply(message, { me: this.me, now: this.serverNow() });
    this.redraw();
    byTestId("game-over").focus({ preventScroll: false });
    announce(say, { urgent: true });
  }

  /**
   * A game's own event, for the page module of the room's game (dispatch in
   * protocol.js). True when some game the server runs has this event type (an
   * event of a room no longer on screen is dropped quietly).
   */
  onGameEvent(message) {
    const handler = this.isCurrent(message) ? this.session.gameHandler(message.type) : null;
    if (!handler) return this.catalogue.isGameEvent(message.type);
    const say = this.session.applyGame(message, handler, { me: this.me });
    this.redraw();
    if (say) announce(say);
    return true;
  }

  onChatMessage(message) {
    if (!this.isCurrent(message)) return;
    this.chat.arrived(message);
    this.onRoomEvent(message);
  }

  onError(message) {
    showRefusal(this, message);
  }
}
