// The connection banner (reconnecting / offline / stopped) and the dismissable notice.

import { announce, byTestId, setText, show } from "./dom.js";
import { CloseCode } from "./protocol.js";

/** Show the banner for a connection status, or hide it (status null). */
export function showBanner(status) {
  const banner = byTestId("connection-banner");
  if (!status) {
    show(banner, false);
    banner.dataset.state = "idle";
    return;
  }
  banner.dataset.state = status.state;
  show(banner, true);
  const retry = byTestId("retry-button");
  show(retry, status.state === "offline" || status.state === "stopped");
  setText(retry, status.state === "stopped" ? "Reconnect" : "Retry");
  paintBannerText(status);
}

/** The banner's words; called every tick while reconnecting, for the countdown. */
export function paintBannerText(status) {
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

/** A message at the top of the page ("" hides it); also announced. */
export function notify(text) {
  setText(byTestId("notice-text"), text);
  show(byTestId("notice"), Boolean(text));
  if (text) announce(text);
}

/**
 * Show and announce a change of the connection's state (`was` is the state
 * before). A 4401 close is not shown here: the controller signs out.
 */
export function connectionChanged(status, was) {
  if (status.state === "open") {
    showBanner(null);
    if (was === "reconnecting") announce("Reconnected.", { urgent: true });
  } else if (status.state === "reconnecting") {
    if (was !== "reconnecting") announce("Connection lost. Reconnecting…", { urgent: true });
    showBanner(status);
  } else if (status.state === "offline") {
    announce("You are offline. Use the retry button to reconnect.", { urgent: true });
    showBanner(status);
  } else if (status.state === "stopped") {
    showBanner(status);
    announce("Disconnected by the server. Automatic reconnection is off.", { urgent: true });
  }
}
