// The /games page controller: sign-in, lobby, room; owns the page state and
// turns server events (dispatched through protocol.js) into model changes and
// redraws.

import { Connection } from "./connection.js";
import { announce, byTestId, paintAvatar, setText, show } from "./dom.js";
import * as lobbyView from "./lobby-view.js";
import { CloseCode, dispatch, errorText, GAME_TYPE } from "./protocol.js";
import * as roomView from "./room-view.js";

const ROOM_KEY = "blazing.room";
const CHAT_KEY = "blazing.chat.";
const CHAT_KEPT = 100;
const HISTORY_LIMIT = 8;
const USERNAME_MAX = 32;

function wsUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/games`;
}

function readJson(storage, key) {
  try {
    const raw = storage.getItem(key);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function writeJson(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: the page still works, it just forgets on reload
  }
}

class GamesPage {
  constructor() {
    this.me = null;
    this.devLogin = false;
    this.view = "loading";
    this.conn = null;
    this.connStatus = { state: "closed" };
    this.online = false;
    this.rooms = new Map(); // lobby: room_id -> RoomSummary
    this.rowErrors = new Map();
    this.history = [];
    this.room = null; // the current GameRoom, kept up to date by events
    this.role = null; // "player" | "spectator"
    this.lastSeq = 0;
    this.resyncing = false;
    this.expectingRoom = false; // a create/join/spectate/rejoin is on its way
    this.chat = [];
    this.requests = new Map(); // request_id -> {kind, roomId, ...}
    this.requestCounter = 0;
    this.rollPending = false;
    this.readyPending = false;
    this.turnTotalMs = 0;
    this.clockOffsetMs = 0;
    this.tickTimer = 0;
    this.historyRetry = 0;
    this.historyTries = 0;
    this.lastEndedRoomId = null;
    this.reconnecting = false;
  }

  // --- start-up and sign-in ----------------------------------------------------------

  start() {
    this.bindUi();
    this.checkSession();
  }

  setView(view) {
    this.view = view;
    document.body.dataset.view = view;
    show(byTestId("loading-view"), view === "loading");
    show(byTestId("signin-view"), view === "signin");
    show(byTestId("lobby-view"), view === "lobby");
    show(byTestId("room-view"), view === "room");
  }

  async checkSession(reason = "") {
    this.setView("loading");
    let response;
    let body = {};
    try {
      response = await fetch("/api/session", { credentials: "same-origin", cache: "no-store" });
      body = await response.json().catch(() => ({}));
    } catch {
      this.showSignIn("The game server cannot be reached right now.", { unreachable: true });
      return;
    }
    this.devLogin = Boolean(body.dev_login);
    if (response.ok && body.user_id) {
      this.me = { user_id: body.user_id, username: body.username, avatar_id: body.avatar_id ?? null };
      this.paintUser();
      this.connect();
      return;
    }
    const expired = body.error && body.error !== "not signed in";
    this.showSignIn(reason || (expired ? "Your session has expired. Please sign in again." : ""));
  }

  showSignIn(reason, { unreachable = false } = {}) {
    this.me = null;
    this.paintUser();
    this.setView("signin");
    const reasonEl = byTestId("signin-reason");
    setText(reasonEl, reason);
    show(reasonEl, Boolean(reason));
    const form = !unreachable && this.devLogin;
    show(byTestId("signin-form"), form);
    show(byTestId("signin-external"), !form);
    const external = byTestId("signin-external");
    external.querySelector("p").hidden = unreachable;
    setText(byTestId("signin-recheck"), unreachable ? "Try again" : "I've signed in — check again");
    if (form) byTestId("signin-username").focus();
  }

  async signIn(username) {
    const name = username.trim();
    const error = byTestId("signin-error");
    const fail = (text) => {
      setText(error, text);
      show(error, true);
      byTestId("signin-username").setAttribute("aria-invalid", "true");
      byTestId("signin-username").focus();
    };
    if (!name) return fail("Type a name to play with.");
    if ([...name].length > USERNAME_MAX) return fail(`Names can be at most ${USERNAME_MAX} characters.`);
    if (/\p{Cc}/u.test(name)) return fail("Names cannot contain control characters.");
    show(error, false);
    byTestId("signin-username").removeAttribute("aria-invalid");
    const submit = byTestId("signin-submit");
    submit.disabled = true;
    try {
      const response = await fetch("/api/dev/login", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: name }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) return fail(body.error || "Sign-in was refused.");
    } catch {
      return fail("The game server cannot be reached right now.");
    } finally {
      submit.disabled = false;
    }
    await this.checkSession();
  }

  async signOut() {
    this.conn?.stop();
    this.conn = null;
    this.leaveRoomLocally();
    try {
      await fetch("/api/dev/logout", { method: "POST", credentials: "same-origin" });
    } catch {
      // signed out locally anyway
    }
    this.showBanner(null);
    this.showSignIn("");
  }

  paintUser() {
    const chip = byTestId("user-chip");
    show(chip, Boolean(this.me));
    document.body.dataset.userId = this.me ? String(this.me.user_id) : "";
    if (!this.me) return;
    setText(byTestId("user-name"), this.me.username);
    paintAvatar(byTestId("user-avatar"), this.me);
    show(byTestId("sign-out"), this.devLogin);
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
    if (this.view === "loading" && !this.storedRoom()) this.showLobby({ send: false });
    this.conn.start();
    this.startTicking();
  }

  send(type, fields = {}, request = null) {
    const message = { type, ...fields };
    if (request) {
      this.requestCounter += 1;
      const id = `${request.kind}-${this.requestCounter}`;
      message.request_id = id;
      this.requests.set(id, request);
      if (this.requests.size > 200) this.requests.delete(this.requests.keys().next().value);
    }
    const sent = this.conn?.send(message) ?? false;
    if (!sent && request) this.requests.delete(message.request_id);
    return sent;
  }

  onConnectionStatus(status) {
    this.connStatus = status;
    this.online = status.state === "open";
    document.body.dataset.connection = status.state;
    if (status.state === "open") {
      this.showBanner(null);
      if (this.reconnecting) announce("Reconnected.", { urgent: true });
      this.reconnecting = false;
    } else if (status.state === "reconnecting") {
      if (!this.reconnecting) announce("Connection lost. Reconnecting…", { urgent: true });
      this.reconnecting = true;
      this.rollPending = false;
      this.readyPending = false;
      this.showBanner(status);
    } else if (status.state === "offline") {
      announce("You are offline. Use the retry button to reconnect.", { urgent: true });
      this.showBanner(status);
    } else if (status.state === "stopped") {
      this.onStopped(status);
    }
    this.redraw();
  }

  onStopped(status) {
    if (status.code === CloseCode.UNAUTHENTICATED) {
      this.conn = null;
      this.showBanner(null);
      const why = status.reason ? ` (${status.reason})` : "";
      this.showSignIn(`You were signed out by the server${why}. Please sign in again.`);
      return;
    }
    this.showBanner(status);
    announce("Disconnected by the server. Automatic reconnection is off.", { urgent: true });
  }

  showBanner(status) {
    const banner = byTestId("connection-banner");
    if (!status) {
      show(banner, false);
      banner.dataset.state = "idle";
      return;
    }
    banner.dataset.state = status.state;
    show(banner, true);
    show(byTestId("retry-button"), status.state === "offline" || status.state === "stopped");
    setText(byTestId("retry-button"), status.state === "stopped" ? "Reconnect" : "Retry");
    this.paintBannerText();
  }

  paintBannerText() {
    const status = this.connStatus;
    const text = byTestId("connection-text");
    if (status.state === "reconnecting") {
      const left = status.at ? Math.max(0, Math.ceil((status.at - Date.now()) / 1000)) : 0;
      const attempt = `attempt ${status.attempt} of ${status.of}`;
      setText(text, status.connecting || left === 0
        ? `Connection lost — reconnecting… (${attempt})`
        : `Connection lost — reconnecting in ${left} s (${attempt})…`);
    } else if (status.state === "offline") {
      setText(text, "Offline — the game server cannot be reached.");
    } else if (status.state === "stopped") {
      setText(text, status.code === CloseCode.FLOOD
        ? "Disconnected: too many messages or connections. Automatic reconnection is off."
        : `Disconnected (${status.code}). Automatic reconnection is off.`);
    }
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

  /**
   * Sequence check for the current room: drop duplicates and anything already
   * covered by the last room_state; on a gap, resync with rejoin_room.
   */
  isStale(message) {
    if (!this.room || message.room_id !== this.room.room_id) return false;
    if (message.type === "room_state" || typeof message.seq !== "number" || message.seq <= 0) return false;
    if (this.resyncing) return true; // the room_state on its way covers it
    if (message.seq <= this.lastSeq) return true;
    if (message.seq > this.lastSeq + 1) {
      console.warn(`blazing: missed room events (${this.lastSeq} → ${message.seq}); resyncing`);
      this.rejoin(this.room.room_id, this.room.room_name);
      return true;
    }
    this.lastSeq = message.seq;
    return false;
  }

  isCurrent(message) {
    return Boolean(this.room && message.room_id === this.room.room_id);
  }

  serverNow() {
    return Date.now() + this.clockOffsetMs;
  }

  // --- stored room -----------------------------------------------------------------------

  storedRoom() {
    const stored = readJson(sessionStorage, ROOM_KEY);
    return stored && typeof stored.room_id === "string" ? stored : null;
  }

  storeRoom(room) {
    writeJson(sessionStorage, ROOM_KEY, room ? { room_id: room.room_id, room_name: room.room_name } : null);
  }

  loadChat(roomId) {
    const lines = readJson(sessionStorage, CHAT_KEY + roomId);
    return Array.isArray(lines) ? lines : [];
  }

  saveChat() {
    if (this.room) writeJson(sessionStorage, CHAT_KEY + this.room.room_id, this.chat.slice(-CHAT_KEPT));
  }

  // --- views -----------------------------------------------------------------------------

  showLobby({ send = true } = {}) {
    const entering = this.view !== "lobby";
    this.setView("lobby");
    if (send) this.send("list_rooms", { game_type: GAME_TYPE }, { kind: "list" });
    this.drawLobby();
    if (entering) this.loadHistory();
  }

  drawLobby() {
    if (!this.me) return;
    lobbyView.renderRooms({
      rooms: [...this.rooms.values()],
      me: this.me,
      online: this.online,
      rowErrors: this.rowErrors,
      actions: {
        join: (room) => this.joinRoom(room),
        spectate: (room) => this.spectateRoom(room),
        open: (room) => this.rejoin(room.room_id, room.room_name),
      },
    });
    byTestId("create-submit").disabled = !this.online;
  }

  async loadHistory() {
    if (!this.me) return;
    const me = this.me;
    try {
      const response = await fetch(`/api/games/history?user_id=${encodeURIComponent(me.user_id)}&limit=${HISTORY_LIMIT}`,
        { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const body = await response.json();
      if (this.me !== me) return;
      this.history = Array.isArray(body.games) ? body.games : [];
      lobbyView.renderHistory(this.history, me, null);
      // A game that just ended may not be recorded yet: look again a few times.
      const waitingFor = this.lastEndedRoomId;
      if (!waitingFor || this.history.some((g) => g.room_id === waitingFor)) {
        this.lastEndedRoomId = null;
        this.historyTries = 0;
      } else if (!this.historyRetry && this.historyTries < 5) {
        this.historyTries += 1;
        this.historyRetry = setTimeout(() => {
          this.historyRetry = 0;
          if (this.view === "lobby") this.loadHistory();
        }, 1000);
      }
    } catch {
      lobbyView.renderHistory([], me, "Your recent games cannot be loaded right now.");
    }
  }

  showRoom() {
    const entering = this.view !== "room";
    this.setView("room");
    this.redraw();
    if (entering) {
      roomView.renderChat(this.chat, this.me);
      roomView.setRoomError("");
      roomView.setChatError("");
      byTestId("room-title").setAttribute("tabindex", "-1");
      byTestId("room-title").focus({ preventScroll: true });
    }
  }

  roomContext() {
    return {
      room: this.room,
      me: this.me,
      role: this.role,
      online: this.online,
      rollPending: this.rollPending,
      readyPending: this.readyPending,
      turnTotalMs: this.turnTotalMs,
      serverNow: () => this.serverNow(),
    };
  }

  redraw() {
    if (this.view === "room" && this.room) roomView.renderRoom(this.roomContext());
    else if (this.view === "lobby") this.drawLobby();
  }

  startTicking() {
    if (this.tickTimer) return;
    this.tickTimer = setInterval(() => {
      if (this.view === "room" && this.room) roomView.renderTimers(this.roomContext());
      if (this.connStatus.state === "reconnecting") this.paintBannerText();
    }, 250);
  }

  leaveRoomLocally() {
    this.storeRoom(null);
    if (this.room) writeJson(sessionStorage, CHAT_KEY + this.room.room_id, null);
    this.room = null;
    this.role = null;
    this.lastSeq = 0;
    this.resyncing = false;
    this.expectingRoom = false;
    this.chat = [];
    this.rollPending = false;
    this.readyPending = false;
  }

  notify(text) {
    const notice = byTestId("notice");
    setText(byTestId("notice-text"), text);
    show(notice, Boolean(text));
    if (text) announce(text);
  }

  // --- commands ------------------------------------------------------------------------

  createRoom(name) {
    lobbyView.setCreateError("");
    this.expectingRoom = true;
    if (!this.send("create_room", { game_type: GAME_TYPE, room_name: name }, { kind: "create" })) {
      lobbyView.setCreateError("You are offline — wait for the connection to come back.");
    }
  }

  joinRoom(room) {
    this.rowErrors.delete(room.room_id);
    this.expectingRoom = true;
    this.send("join_room", { room_id: room.room_id }, { kind: "join", roomId: room.room_id });
    this.drawLobby();
  }

  spectateRoom(room) {
    this.rowErrors.delete(room.room_id);
    this.expectingRoom = true;
    this.send("spectate", { room_id: room.room_id }, { kind: "spectate", roomId: room.room_id });
    this.drawLobby();
  }

  rejoin(roomId, roomName) {
    this.resyncing = true;
    this.expectingRoom = true;
    this.send("rejoin_room", { room_id: roomId }, { kind: "rejoin", roomId, roomName });
  }

  ready() {
    if (!this.room) return;
    roomView.setRoomError("");
    if (this.send("ready", { room_id: this.room.room_id }, { kind: "ready" })) this.readyPending = true;
    this.redraw();
  }

  roll() {
    if (!this.room || this.rollPending) return;
    roomView.setRoomError("");
    if (this.send("bigger_dice.roll", { room_id: this.room.room_id }, { kind: "roll" })) this.rollPending = true;
    this.redraw();
  }

  sendChat(text) {
    if (!this.room) return false;
    roomView.setChatError("");
    if (!text.trim()) {
      roomView.setChatError("Write something first.");
      return false;
    }
    return this.send("chat_send", { room_id: this.room.room_id, text }, { kind: "chat", text });
  }

  leave() {
    const room = this.room;
    if (!room) return this.showLobby();
    const ended = room.status === "finished" || room.status === "abandoned";
    if (this.role === "spectator") {
      this.send("leave_spectate", { room_id: room.room_id }, { kind: "leave" });
    } else if (room.status === "in_progress") {
      // eslint-disable-next-line no-alert
      if (!window.confirm("Leave now? You will forfeit the game and your opponent wins.")) return;
      this.send("leave_room", { room_id: room.room_id }, { kind: "leave" });
    } else if (!ended) {
      this.send("leave_room", { room_id: room.room_id }, { kind: "leave" });
    }
    this.leaveRoomLocally();
    this.showLobby();
    byTestId("create-name").focus();
  }

  backToLobby() {
    this.leave();
  }

  // --- server events (names from protocol.js SERVER_EVENTS) -----------------------------

  onAuthenticated(message) {
    this.me = { user_id: message.user_id, username: message.username, avatar_id: message.avatar_id };
    this.paintUser();
    this.conn.ping(); // learn the server clock for the countdowns
    this.send("list_rooms", { game_type: GAME_TYPE }, { kind: "list" }); // also (re)subscribes to lobby updates
    const stored = this.room ? { room_id: this.room.room_id, room_name: this.room.room_name } : this.storedRoom();
    if (stored) {
      this.rejoin(stored.room_id, stored.room_name); // the loading view stays until room_state
    } else if (this.view !== "lobby") {
      this.showLobby({ send: false });
    } else {
      this.drawLobby();
    }
  }

  onPong(message) {
    const server = Date.parse(message.server_time);
    if (!Number.isNaN(server)) this.clockOffsetMs = server - Date.now();
  }

  onRoomList(message) {
    this.rooms = new Map(message.rooms.map((room) => [room.room_id, room]));
    this.drawLobby();
  }

  onRoomCreated(message) {
    if (!this.rooms.has(message.room_id)) {
      this.rooms.set(message.room_id, {
        room_id: message.room_id, room_name: message.room_name, game_type: message.game_type,
        status: "waiting", host_id: message.host_id, host_username: message.host_username,
        players: [{ user_id: message.host_id, username: message.host_username }],
        player_count: 1, max_players: 2, spectator_count: 0, created_at: new Date().toISOString(),
      });
      this.drawLobby();
    }
  }

  onRoomUpdated(message) {
    const { type: _type, ...summary } = message;
    if (summary.status === "finished" || summary.status === "abandoned") this.rooms.delete(summary.room_id);
    else this.rooms.set(summary.room_id, summary);
    this.drawLobby();
  }

  onRoomRemoved(message) {
    this.rooms.delete(message.room_id);
    this.rowErrors.delete(message.room_id);
    this.drawLobby();
  }

  onRoomState(message) {
    const room = message.room;
    const same = this.room && this.room.room_id === room.room_id;
    if (!same && !this.expectingRoom && this.room) return; // another tab's room; stay here
    if (!same) {
      this.chat = this.loadChat(room.room_id);
      this.turnTotalMs = 0;
    }
    this.room = room;
    this.lastSeq = message.seq ?? room.seq ?? 0;
    this.resyncing = false;
    this.expectingRoom = false;
    this.rollPending = false;
    this.readyPending = false;
    const me = this.me?.user_id;
    this.role = room.players.some((p) => p.user_id === me) ? "player" : "spectator";
    this.storeRoom(room);
    this.rowErrors.delete(room.room_id);
    lobbyView.setCreateError("");
    byTestId("create-name").value = "";
    if (room.turn_deadline) this.turnTotalMs = Math.max(this.turnTotalMs, Date.parse(room.turn_deadline) - this.serverNow());
    this.showRoom();
    if (room.status === "in_progress") announce(this.turnSentence());
  }

  onRoomJoined(message) {
    if (this.rooms.has(message.room_id)) this.drawLobby();
    if (!this.isCurrent(message)) return;
    if (!this.room.players.some((p) => p.user_id === message.player.user_id)) {
      this.room.players.push(message.player);
    }
    if (message.player.user_id !== this.me?.user_id) announce(`${message.player.username} joined the room.`);
    this.redraw();
  }

  onPlayerLeft(message) {
    if (!this.isCurrent(message)) return;
    if (this.room.status === "waiting") {
      this.room.players = this.room.players.filter((p) => p.user_id !== message.user_id);
      if (message.user_id === this.me?.user_id) {
        this.leaveRoomLocally();
        this.showLobby();
        return;
      }
    }
    announce(`${message.username} left the room.`);
    this.redraw();
  }

  onHostChanged(message) {
    if (!this.isCurrent(message)) return;
    this.room.host_id = message.host_id;
    this.redraw();
  }

  onPlayerRejoined(message) {
    if (!this.isCurrent(message)) return;
    const player = this.room.players.find((p) => p.user_id === message.user_id);
    if (player) player.disconnected_until = null;
    if (message.user_id !== this.me?.user_id) announce(`${message.username} is back.`);
    this.redraw();
  }

  onPlayerDisconnected(message) {
    if (!this.isCurrent(message)) return;
    const player = this.room.players.find((p) => p.user_id === message.user_id);
    if (player) player.disconnected_until = message.deadline;
    announce(`${message.username} lost the connection; they have ${Math.round(message.grace_seconds)} seconds to come back.`);
    this.redraw();
  }

  onPlayerReady(message) {
    if (!this.isCurrent(message)) return;
    const player = this.room.players.find((p) => p.user_id === message.user_id);
    if (player) player.is_ready = true;
    if (message.user_id === this.me?.user_id) this.readyPending = false;
    announce(message.user_id === this.me?.user_id ? "You are ready." : `${message.username} is ready.`);
    this.redraw();
  }

  onSpectatorJoined(message) {
    if (!this.isCurrent(message)) return;
    const users = this.room.spectator_users || (this.room.spectator_users = []);
    if (!users.some((s) => s.user_id === message.user_id)) {
      users.push({ user_id: message.user_id, username: message.username });
      this.room.spectators = users.map((s) => s.user_id);
    }
    this.redraw();
  }

  onSpectatorLeft(message) {
    if (!this.isCurrent(message)) return;
    this.room.spectator_users = (this.room.spectator_users || []).filter((s) => s.user_id !== message.user_id);
    this.room.spectators = this.room.spectator_users.map((s) => s.user_id);
    this.redraw();
  }

  onGameStarted(message) {
    if (!this.isCurrent(message)) return;
    const second = message.players.find((p) => p.user_id !== message.first_turn);
    Object.assign(this.room, {
      status: "in_progress",
      players: message.players,
      started_at: new Date(this.serverNow()).toISOString(),
      game_state: { type: GAME_TYPE, order: [message.first_turn, second?.user_id], pending: [], rounds: [] },
    });
    const first = message.players.find((p) => p.user_id === message.first_turn);
    announce(`The game has started. ${message.first_turn === this.me?.user_id ? "You go" : `${first?.username} goes`} first.`);
    this.redraw();
  }

  onTurnChanged(message) {
    if (!this.isCurrent(message)) return;
    Object.assign(this.room, {
      current_turn: message.current_turn,
      turn_number: message.turn_number,
      turn_deadline: message.turn_deadline,
    });
    this.rollPending = false;
    if (message.turn_deadline) this.turnTotalMs = Math.max(1000, Date.parse(message.turn_deadline) - this.serverNow());
    announce(this.turnSentence());
    this.redraw();
  }

  turnSentence() {
    const room = this.room;
    if (!room || room.current_turn == null) return "";
    if (room.current_turn === this.me?.user_id) return "Your turn. Press Roll.";
    return `${roomView.playerName(room, room.current_turn, null)}'s turn.`;
  }

  onDiceRolled(message) {
    if (!this.isCurrent(message)) return;
    const state = this.room.game_state || (this.room.game_state = { type: GAME_TYPE, order: [], pending: [], rounds: [] });
    state.pending = [...(state.pending || []), [message.player_id, message.roll]];
    const player = this.room.players.find((p) => p.user_id === message.player_id);
    if (player) player.score = message.new_score;
    this.room.last_auto_roll = message.auto ? message.player_id : null; // page-only field
    if (message.player_id === this.me?.user_id) this.rollPending = false;
    this.redraw();
    roomView.animateRoll(this.roomContext(), message.player_id, message.roll);
    const who = message.player_id === this.me?.user_id ? "You" : message.player_username;
    announce(message.auto
      ? `Time ran out: the server rolled ${message.roll} for ${who === "You" ? "you" : who}.`
      : `${who} rolled ${message.roll}.`);
  }

  onRoundResult(message) {
    if (!this.isCurrent(message)) return;
    const state = this.room.game_state || (this.room.game_state = { type: GAME_TYPE, order: [], pending: [], rounds: [] });
    const round = {
      round: message.round,
      rolls: [[message.player1_id, message.player1_roll], [message.player2_id, message.player2_roll]],
      winner_id: message.winner_id,
      is_tie: message.is_tie,
    };
    state.rounds = [...(state.rounds || []).filter((r) => r.round !== round.round), round];
    state.pending = [];
    // `rolled.new_score` only covers the roller; a round the other player wins
    // shows up here, so scores are recounted from the rounds (score = rounds won).
    for (const p of this.room.players) {
      p.score = state.rounds.filter((r) => r.winner_id === p.user_id).length;
    }
    this.redraw();
    announce(`${roomView.roundSentence(round, this.room, this.me)}.`);
  }

  onTiebreakStarted(message) {
    if (!this.isCurrent(message)) return;
    announce(`Tie in round ${message.round}: the tied players roll again.`);
  }

  onRoomNotice(message) {
    if (this.isCurrent(message)) this.rejoin(this.room.room_id, this.room.room_name);
  }

  onOtherGameEvent(message) {
    // This page draws Bigger Dice only; rooms of other games are not offered here.
    console.warn(`blazing: ${message.type} is not drawn by this page`);
  }

  onGameEnded(message) {
    if (!this.isCurrent(message)) return;
    const scores = new Map(message.final_scores.map(([uid, , score]) => [uid, score]));
    for (const p of this.room.players) if (scores.has(p.user_id)) p.score = scores.get(p.user_id);
    Object.assign(this.room, {
      status: message.winner_id == null ? "abandoned" : "finished",
      winner_id: message.winner_id,
      end_reason: message.reason,
      current_turn: null,
      turn_deadline: null,
      finished_at: new Date(this.serverNow()).toISOString(),
    });
    for (const p of this.room.players) p.disconnected_until = null;
    this.rollPending = false;
    this.lastEndedRoomId = this.room.room_id;
    this.historyTries = 0;
    this.redraw();
    const panel = byTestId("game-over");
    panel.focus({ preventScroll: false });
    const won = message.winner_id != null && message.winner_id === this.me?.user_id;
    announce(message.winner_id == null
      ? "Game over: the game was abandoned."
      : `Game over. ${won ? "You win" : `${message.winner_username} wins`}, ${message.final_scores.map(([, name, score]) => `${name} ${score}`).join(", ")}.`,
    { urgent: true });
  }

  onChatMessage(message) {
    if (!this.isCurrent(message)) return;
    const line = { user_id: message.user_id, username: message.username, text: message.text, sent_at: message.sent_at };
    this.chat.push(line);
    if (this.chat.length > CHAT_KEPT) this.chat.shift();
    this.saveChat();
    roomView.appendChat(line, this.me);
    if (message.user_id !== this.me?.user_id) announce(`${message.username} says: ${message.text}`);
  }

  onError(message) {
    const request = message.request_id ? this.requests.get(message.request_id) : undefined;
    if (message.request_id) this.requests.delete(message.request_id);
    const text = errorText(message);
    switch (request?.kind) {
      case "create":
        this.expectingRoom = false;
        lobbyView.setCreateError(text);
        byTestId("create-name").focus();
        break;
      case "join":
      case "spectate":
        this.expectingRoom = false;
        this.rowErrors.set(request.roomId, text);
        this.drawLobby();
        break;
      case "rejoin":
        this.onRejoinFailed(message, request);
        break;
      case "ready":
        this.readyPending = false;
        roomView.setRoomError(text);
        this.redraw();
        break;
      case "roll":
        this.rollPending = false;
        if (message.code !== "NOT_YOUR_TURN") roomView.setRoomError(text);
        this.redraw();
        break;
      case "chat":
        roomView.setChatError(text);
        if (!byTestId("chat-input").value) byTestId("chat-input").value = request.text;
        break;
      case "list":
        lobbyView.setLobbyError(text);
        break;
      default:
        this.notify(text);
    }
  }

  onRejoinFailed(error, request) {
    this.resyncing = false;
    this.expectingRoom = false;
    if (error.code === "ROOM_NOT_FOUND" || error.code === "NOT_IN_ROOM") {
      const name = request.roomName || this.room?.room_name;
      this.leaveRoomLocally();
      this.showLobby();
      this.notify(`The room ${name ? `“${name}” ` : ""}is no longer available — it ended or the server restarted. You are back in the lobby.`);
      return;
    }
    this.notify(`Could not get back into the room: ${errorText(error)} Retrying…`);
    setTimeout(() => {
      if (this.online && request.roomId && (this.room?.room_id === request.roomId || this.storedRoom()?.room_id === request.roomId)) {
        this.rejoin(request.roomId, request.roomName);
      }
    }, 2000);
  }

  // --- wiring the controls ---------------------------------------------------------------

  bindUi() {
    byTestId("signin-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.signIn(byTestId("signin-username").value);
    });
    byTestId("signin-recheck").addEventListener("click", () => this.checkSession());
    byTestId("sign-out").addEventListener("click", () => this.signOut());
    byTestId("retry-button").addEventListener("click", () => this.retry());
    byTestId("notice-close").addEventListener("click", () => this.notify(""));
    byTestId("create-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.createRoom(byTestId("create-name").value);
    });
    byTestId("create-name").addEventListener("input", () => lobbyView.setCreateError(""));
    byTestId("ready-button").addEventListener("click", () => this.ready());
    byTestId("roll-button").addEventListener("click", () => this.roll());
    byTestId("leave-button").addEventListener("click", () => this.leave());
    byTestId("back-to-lobby").addEventListener("click", () => this.backToLobby());
    byTestId("chat-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = byTestId("chat-input");
      if (this.sendChat(input.value)) input.value = "";
    });
    byTestId("chat-input").addEventListener("input", () => roomView.setChatError(""));
    // Keyboard: "r" rolls when it is your turn (outside text fields).
    document.addEventListener("keydown", (event) => {
      if (event.key !== "r" && event.key !== "R") return;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target;
      if (target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      const roll = byTestId("roll-button");
      if (this.view === "room" && !roll.hidden && !roll.disabled) {
        event.preventDefault();
        this.roll();
      }
    });
    window.addEventListener("online", () => {
      if (this.connStatus.state === "offline") this.retry();
    });
  }
}

const page = new GamesPage();
globalThis.blazingPage = page; // for debugging from the console
page.start();
