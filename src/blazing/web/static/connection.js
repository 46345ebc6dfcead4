// The WebSocket to /ws/games: heartbeat and reconnection (SPEC §8).
//
// - sends `ping` every 30 s; if no `pong` comes within 10 s the socket is
//   treated as dead and dropped;
// - after a drop, reconnects with backoff 1, 2, 4, 8, 16 s (5 attempts), then
//   reports "offline" and waits for retry();
// - close codes 4401 and 4429 stop reconnecting ("stopped").
//
// Status changes go to onStatus({state, ...}) with state one of
// "connecting" | "open" | "reconnecting" | "offline" | "stopped" | "closed".

import { NO_RECONNECT_CODES } from "./protocol.js";

export const DEFAULT_TIMING = Object.freeze({
  pingMs: 30_000,
  pongTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  backoffMs: [1_000, 2_000, 4_000, 8_000, 16_000],
});

export class Connection {
  constructor({ url, onMessage, onStatus, timing = {} }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.timing = { ...DEFAULT_TIMING, ...timing };
    this.ws = null;
    this.attempt = 0; // failed reconnect attempts since the last good connection
    this.stopped = true;
    this.everOpened = false;
    this.timers = { ping: 0, pong: 0, retry: 0, connect: 0 };
    this.state = "closed";
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN && this.state === "open";
  }

  /** Connect now (first start, or a manual retry), resetting the backoff. */
  start() {
    this.stopped = false;
    this.attempt = 0;
    this._clearRetry();
    this._open();
  }

  retry() {
    this.start();
  }

  /** Close for good (sign-out, page teardown). */
  stop() {
    this.stopped = true;
    this._clearRetry();
    this._discard();
    this._status({ state: "closed" });
  }

  /** Send one command; false (nothing sent) when the socket is not open. */
  send(message) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  // --- internals -----------------------------------------------------------------

  _open() {
    this._discard();
    const reconnecting = this.everOpened;
    this._status(reconnecting
      ? { state: "reconnecting", attempt: Math.max(1, this.attempt), of: this.timing.backoffMs.length, connecting: true }
      : { state: "connecting" });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      console.warn("blazing: cannot open the socket", err);
      this._lost({ code: 1006, reason: "" });
      return;
    }
    this.ws = ws;
    // A handshake that hangs (server frozen, packets dropped) counts as a failed attempt.
    this.timers.connect = setTimeout(() => {
      this.timers.connect = 0;
      if (ws === this.ws && ws.readyState === WebSocket.CONNECTING) {
        this._lost({ code: 4000, reason: "connect timeout" });
      }
    }, this.timing.connectTimeoutMs);
    ws.onopen = () => {
      if (ws !== this.ws) return;
      clearTimeout(this.timers.connect);
      this.timers.connect = 0;
      this.attempt = 0;
      this.everOpened = true;
      this._status({ state: "open" });
      this._startHeartbeat();
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        console.warn("blazing: ignoring a frame that is not JSON");
        return;
      }
      if (message && message.type === "pong") this._clearPongTimer();
      this.onMessage(message);
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this._lost({ code: event.code, reason: event.reason });
    };
    ws.onerror = () => {
      // A close event always follows; the browser has already said why.
    };
  }

  _lost({ code, reason }) {
    this._discard();
    if (this.stopped) return;
    if (NO_RECONNECT_CODES.has(code)) {
      this.stopped = true;
      this._status({ state: "stopped", code, reason });
      return;
    }
    const delays = this.timing.backoffMs;
    if (this.attempt >= delays.length) {
      this._status({ state: "offline", code, reason });
      return;
    }
    const delay = delays[this.attempt];
    this.attempt += 1;
    this._status({
      state: "reconnecting", attempt: this.attempt, of: delays.length, delayMs: delay,
      at: Date.now() + delay, code, reason, everOpened: this.everOpened,
    });
    this._clearRetry();
    this.timers.retry = setTimeout(() => {
      this.timers.retry = 0;
      if (!this.stopped) this._open();
    }, delay);
  }

  _startHeartbeat() {
    this._stopHeartbeat();
    this.timers.ping = setInterval(() => this.ping(), this.timing.pingMs);
  }

  /** Send a ping now and expect a pong within the timeout. */
  ping() {
    if (!this.isOpen) return;
    this.ws.send(JSON.stringify({ type: "ping" }));
    if (this.timers.pong) return; // one outstanding deadline is enough
    this.timers.pong = setTimeout(() => {
      this.timers.pong = 0;
      console.warn("blazing: no pong in time; reconnecting");
      this._lost({ code: 4000, reason: "heartbeat timeout" });
    }, this.timing.pongTimeoutMs);
  }

  _clearPongTimer() {
    clearTimeout(this.timers.pong);
    this.timers.pong = 0;
  }

  _stopHeartbeat() {
    clearInterval(this.timers.ping);
    this.timers.ping = 0;
    this._clearPongTimer();
  }

  _clearRetry() {
    clearTimeout(this.timers.retry);
    this.timers.retry = 0;
  }

  /** Forget the current socket without triggering reconnect logic. */
  _discard() {
    this._stopHeartbeat();
    clearTimeout(this.timers.connect);
    this.timers.connect = 0;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
        try { ws.close(1000, "client closing"); } catch { /* already closing */ }
      }
    }
  }

  _status(status) {
    this.state = status.state;
    this.onStatus(status);
  }
}
