// Small DOM helpers. User-supplied text only ever goes in through textContent
// (or attributes), never as HTML.

/** Build an element: h("li", {class: "x", dataset: {testid: "y"}}, "text", child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** The element with data-testid=`id` inside `root` (the document by default). */
export function byTestId(id, root = document) {
  return root.querySelector(`[data-testid="${id}"]`);
}

export function allByTestId(id, root = document) {
  return [...root.querySelectorAll(`[data-testid="${id}"]`)];
}

export function setText(el, text) {
  const value = text ?? "";
  if (el.textContent !== value) el.textContent = value;
}

export function show(el, visible = true) {
  el.hidden = !visible;
}

/** First letter (or symbol) of a name, for the avatar circle. */
export function initial(name) {
  const first = [...String(name || "?").trim()][0] || "?";
  return first.toLocaleUpperCase();
}

/** A stable, friendly hue per user id, for avatars. */
export function hueFor(id) {
  let n = Number(id) || 0;
  n = Math.abs((n * 2654435761) % 360);
  return Math.round(n);
}

export function paintAvatar(el, user) {
  setText(el, user ? initial(user.username) : "?");
  if (user) el.style.setProperty("--avatar-hue", String(hueFor(user.user_id)));
  else el.style.removeProperty("--avatar-hue");
}

const queued = { polite: [], assertive: [] };
const flushTimers = { polite: 0, assertive: 0 };

/**
 * Say something to screen readers through the aria-live regions. Sentences
 * announced in the same moment (a roll, its round result and the next turn)
 * are read together rather than overwriting each other.
 */
export function announce(text, { urgent = false } = {}) {
  const key = urgent ? "assertive" : "polite";
  queued[key].push(text);
  if (flushTimers[key]) return;
  flushTimers[key] = setTimeout(() => {
    flushTimers[key] = 0;
    const el = byTestId(urgent ? "announcer-urgent" : "announcer");
    const sentence = queued[key].join(" ");
    queued[key] = [];
    if (el) el.textContent = sentence;
  }, 60);
}

export function formatSeconds(ms) {
  return `${Math.max(0, Math.ceil(ms / 1000))} s`;
}

const relative = typeof Intl !== "undefined" && Intl.RelativeTimeFormat
  ? new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }) : null;

export function timeAgo(iso, now = Date.now()) {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const seconds = Math.round((then - now) / 1000);
  const abs = Math.abs(seconds);
  if (!relative) return new Date(then).toLocaleString();
  if (abs < 60) return relative.format(seconds, "second");
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), "hour");
  return relative.format(Math.round(seconds / 86400), "day");
}

export function clockTime(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  return new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
