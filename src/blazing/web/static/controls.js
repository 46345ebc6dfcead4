// Wires the page's fixed controls (sign-in, lobby form and filters, room buttons,
// invite link, host switches, rematch, chat and its tabs, keyboard) to the
// controller's methods.

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
  on("filter-game", "change", () => app.drawLobby());
  on("filter-free", "change", () => app.drawLobby());
  on("ready-button", "click", () => app.commands.ready());
  on("leave-button", "click", () => app.commands.leave());
  on("back-to-lobby", "click", () => app.commands.leave());
  on("quick-cancel", "click", () => app.friends.cancelQuickPlay());
  on("rematch-button", "click", (event) => {
    if (event.currentTarget.getAttribute("aria-disabled") !== "true") app.friends.rematch();
  });
  on("invite-copy", "click", () => app.friends.copyInvite());
  on("invite-renew", "click", () => app.friends.renewInvite());
  on("spectators-open", "change", (event) => app.friends.setSpectating(event.target.checked));
  on("chat-form", "submit", (event) => {
    event.preventDefault();
    const input = byTestId("chat-input");
    if (app.chat.send(input.value)) input.value = "";
  });
  on("chat-input", "input", () => setChatError(""));
  bindChatTabs(app);
  // Another tab hid or showed someone's messages.
  window.addEventListener("storage", (event) => {
    if (event.key !== "blazing.hidden-users") return;
    app.chat.reload();
    app.redraw();
  });
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

/** The spectators' chat tabs: click, or arrows / Home / End between them (one tab stop). */
function bindChatTabs(app) {
  const tabs = byTestId("chat-tabs");
  tabs.addEventListener("click", (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (tab) app.chat.select(tab.dataset.channel);
  });
  tabs.addEventListener("keydown", (event) => {
    const all = [...tabs.querySelectorAll('[role="tab"]')];
    const at = all.indexOf(document.activeElement);
    if (at < 0) return;
    let next = null;
    if (event.key === "ArrowRight") next = (at + 1) % all.length;
    else if (event.key === "ArrowLeft") next = (at - 1 + all.length) % all.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = all.length - 1;
    if (next === null) return;
    event.preventDefault();
    app.chat.select(all[next].dataset.channel, { focus: true });
  });
}
