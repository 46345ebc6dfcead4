// The room's chat: lines are text only (textContent), never HTML.

import { byTestId, clockTime, h, show } from "./dom.js";

export function setChatError(text) {
  const el = byTestId("chat-error");
  el.textContent = text || "";
  show(el, Boolean(text));
  const input = byTestId("chat-input");
  if (text) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function chatLine(line, me) {
  const mine = me && line.user_id === me.user_id;
  return h("li", { class: `chat-line${mine ? " is-mine" : ""}`, dataset: { testid: "chat-message", userId: String(line.user_id) } },
    h("span", { class: "chat-meta" },
      h("span", { class: "chat-author", dataset: { testid: "chat-author" } }, line.username),
      h("time", { class: "chat-time", datetime: line.sent_at }, clockTime(line.sent_at))),
    // textContent only: a message like <b>hi</b> shows literally.
    h("span", { class: "chat-text", dataset: { testid: "chat-text" } }, line.text));
}

export function renderChat(lines, me) {
  const log = byTestId("chat-log");
  log.replaceChildren(...lines.map((line) => chatLine(line, me)));
  show(byTestId("chat-empty"), lines.length === 0);
  log.scrollTop = log.scrollHeight;
}

export function appendChat(line, me) {
  const log = byTestId("chat-log");
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(chatLine(line, me));
  show(byTestId("chat-empty"), false);
  if (atBottom || (me && line.user_id === me.user_id)) log.scrollTop = log.scrollHeight;
}
