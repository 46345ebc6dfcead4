// Wires the page's fixed controls (sign-in, lobby form, room buttons, chat,
// keyboard) to the controller's methods.

import { byTestId } from "./dom.js";
import * as banner from "./banner.js";
import { setChatError } from "./chat-view.js";
import * as lobbyView from "./lobby-view.js";
import * as signin from "./signin.js";

const isTextField = (el) => el instanceof HTMLElement
  && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));

export function bindControls(app) {
  const on = (testid, event, handler) => byTestId(testid).addEventListener(event, handler);
  on("signin-form", "submit", async (event) => {
    event.preventDefault();
    if (await signin.devSignIn(byTestId("signin-username").value)) await app.checkSession();
  });
  on("signin-recheck", "click", () => app.checkSession());
  on("sign-out", "click", () => app.signOut());
  on("retry-button", "click", () => app.retry());
  on("notice-close", "click", () => banner.notify(""));
  on("create-form", "submit", (event) => {
    event.preventDefault();
    app.lobby.create(byTestId("create-name").value);
  });
  on("create-name", "input", () => lobbyView.setCreateError(""));
  on("game-options", "change", (event) => lobbyView.renderSeatChoice(app.catalogue, event.target.value));
  on("ready-button", "click", () => app.ready());
  on("leave-button", "click", () => app.leave());
  on("back-to-lobby", "click", () => app.leave());
  on("chat-form", "submit", (event) => {
    event.preventDefault();
    const input = byTestId("chat-input");
    if (app.sendChat(input.value)) input.value = "";
  });
  on("chat-input", "input", () => setChatError(""));
  // Keyboard shortcuts belong to the game (e.g. "r" rolls), never inside text fields.
  document.addEventListener("keydown", (event) => {
    if (app.view !== "room" || !app.session || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTextField(event.target)) return;
    const game = app.session.game;
    if (game?.onKey && game.onKey(event, app.roomContext())) event.preventDefault();
  });
  window.addEventListener("online", () => {
    if (app.connStatus.state === "offline") app.retry();
  });
}
