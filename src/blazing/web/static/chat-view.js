// The room's chat on screen: the lines of the channel shown (text only, through
// textContent, never HTML), the spectators' two tabs, a "Hide" on other people's
// lines and the bar that shows hidden users' messages again, and whether this
// user may write (muted, the room closed, a spectator on the players' tab).

import { byTestId, clockTime, h, setText, show } from "./dom.js";
import { channelsFor, ROOM_CHANNEL, SPECTATOR_CHANNEL, visibleChat } from "./chat-model.js";

export function setChatError(text) {
  const el = byTestId("chat-error");
  el.textContent = text || "";
  show(el, Boolean(text));
  const input = byTestId("chat-input");
  if (text) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function chatLine(line, me, onHide) {
  const mine = me && line.user_id === me.user_id;
  return h("li", { class: `chat-line${mine ? " is-mine" : ""}`, dataset: { testid: "chat-message", userId: String(line.user_id), channel: line.channel || ROOM_CHANNEL } },
    h("span", { class: "chat-meta" },
      h("span", { class: "chat-author", dataset: { testid: "chat-author" } }, line.username),
      h("time", { class: "chat-time", datetime: line.sent_at }, clockTime(line.sent_at)),
      mine ? null : h("button", {
        type: "button", class: "chat-hide", dataset: { testid: "chat-hide" },
        "aria-label": `Hide messages from ${line.username}`, onclick: () => onHide(line),
      }, "Hide")),
    // textContent only: a message like <b>hi</b> shows literally.
    h("span", { class: "chat-text", dataset: { testid: "chat-text" } }, line.text));
}

function hiddenBar(entries, onShow) {
  const bar = byTestId("chat-hidden");
  const key = entries.map((e) => `${e.user_id}:${e.count}`).join(",");
  show(bar, entries.length > 0);
  if (bar.dataset.key === key) return;
  bar.dataset.key = key;
  bar.replaceChildren(...entries.map((e) => h("p", { class: "chat-hidden-row", dataset: { testid: "chat-hidden-row", userId: String(e.user_id) } },
    h("span", {}, `${e.count} ${e.count === 1 ? "message" : "messages"} from ${e.username} hidden`),
    h("button", {
      type: "button", class: "btn btn-ghost btn-xs", dataset: { testid: "chat-show", userId: String(e.user_id) },
      "aria-label": `Show messages from ${e.username}`, onclick: () => onShow(e.user_id),
    }, "Show"))));
}

function renderTabs(role, panel) {
  const tabs = byTestId("chat-tabs");
  const channels = channelsFor(role);
  show(tabs, channels.length > 1);
  for (const tab of tabs.querySelectorAll('[role="tab"]')) {
    const selected = tab.dataset.channel === panel.channel;
    tab.setAttribute("aria-selected", selected ? "true" : "false");
    tab.tabIndex = selected ? 0 : -1;
    tab.classList.toggle("has-new", !selected && panel.unread.has(tab.dataset.channel));
  }
}

/**
 * Draw the chat from the room model. `panel` is the chat's page state (chat.js):
 * {channel, hidden, unread, hide(line), showUser(userId)}.
 */
export function renderChat(ctx, panel) {
  const { room, me, role, online } = ctx;
  renderTabs(role, panel);
  const { lines, hiddenLines } = visibleChat(room.chat, { channel: panel.channel, hidden: panel.hidden, me });
  hiddenBar(hiddenLines, (userId) => panel.showUser(userId));
  const log = byTestId("chat-log");
  log.dataset.channel = panel.channel;
  const last = lines.at(-1);
  const key = [panel.channel, lines.length, lines[0]?.sent_at, last?.sent_at, last?.user_id,
    panel.hidden.map((u) => u.user_id).join("."), me?.user_id].join("|");
  if (log.dataset.key !== key) {
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.dataset.key = key;
    log.replaceChildren(...lines.map((line) => chatLine(line, me, (l) => panel.hide(l))));
    if (atBottom || (me && last?.user_id === me.user_id)) log.scrollTop = log.scrollHeight;
  }
  const closed = room.status === "abandoned";
  const muted = Boolean(me && (room.muted || []).includes(me.user_id));
  const readOnly = role === "spectator" && panel.channel !== SPECTATOR_CHANNEL;
  show(byTestId("chat-empty"), lines.length === 0 && !closed);
  setText(byTestId("chat-empty"), role === "spectator" && panel.channel === SPECTATOR_CHANNEL
    ? "Only spectators read this chat. Say hi!" : "Say hi to the table.");
  show(byTestId("chat-closed"), closed);
  const note = byTestId("chat-note");
  let noteText = "";
  if (!closed && muted) noteText = "The host has muted you in this room's chat.";
  else if (!closed && readOnly) noteText = "The players write here. Your messages go to the spectators' chat.";
  setText(note, noteText);
  show(note, Boolean(noteText));
  show(byTestId("chat-form"), !closed && !readOnly);
  const input = byTestId("chat-input");
  input.placeholder = role === "spectator" ? "Write to the other spectators…" : "Write to the table…";
  input.disabled = !online || muted;
  byTestId("chat-send").disabled = !online || muted;
}
