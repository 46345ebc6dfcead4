// A die face drawn as inline SVG, and its roll animation.
//
// The animation is only decoration: the die's value (data-value and the
// aria-label) is set to the server's roll at once, the tumbling faces are drawn
// on top for a moment, and the last face drawn is always the value the die
// holds when the animation ends. A new roll during an animation just restarts
// it with the new value, so no event is delayed, reordered or dropped.

const SVG_NS = "http://www.w3.org/2000/svg";
const PIPS = {
  1: [[50, 50]],
  2: [[28, 28], [72, 72]],
  3: [[28, 28], [50, 50], [72, 72]],
  4: [[28, 28], [72, 28], [28, 72], [72, 72]],
  5: [[28, 28], [72, 28], [50, 50], [28, 72], [72, 72]],
  6: [[28, 26], [72, 26], [28, 50], [72, 50], [28, 74], [72, 74]],
};
const ROLL_MS = 650;
const FRAME_MS = 75;

const reducedMotion = () =>
  typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;

function svg(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function drawFace(el, value) {
  let face = el.querySelector("svg");
  if (!face) {
    face = svg("svg", { viewBox: "0 0 100 100", "aria-hidden": "true", focusable: "false" });
    face.append(svg("rect", { x: 4, y: 4, width: 92, height: 92, rx: 20, class: "die-body" }));
    face.append(svg("g", { class: "die-pips" }));
    face.append(svg("text", { x: 50, y: 50, class: "die-blank", "text-anchor": "middle", "dominant-baseline": "central" }));
    el.append(face);
  }
  const pips = face.querySelector(".die-pips");
  const blank = face.querySelector(".die-blank");
  pips.replaceChildren(...(PIPS[value] || []).map(([cx, cy]) => svg("circle", { cx, cy, r: 9.5, class: "die-pip" })));
  blank.textContent = PIPS[value] ? "" : "?";
  el.dataset.face = PIPS[value] ? String(value) : "";
}

const animations = new WeakMap();

/** Show `value` (1–6, or null for "not rolled") without animation. */
export function setDie(el, value, label) {
  const v = PIPS[value] ? value : null;
  el.dataset.value = v === null ? "" : String(v);
  el.setAttribute("aria-label", label || (v === null ? "Die: not rolled yet" : `Die showing ${v}`));
  if (!animations.has(el)) drawFace(el, v);
}

/** Roll animation ending on `value`, which is also set at once. */
export function rollDie(el, value, label) {
  stopDie(el);
  setDie(el, value, label);
  if (reducedMotion()) return;
  el.classList.add("rolling");
  let last = 0;
  const frame = () => {
    let next = 1 + Math.floor(Math.random() * 6);
    if (next === last) next = (next % 6) + 1;
    last = next;
    drawFace(el, next);
  };
  frame();
  const interval = setInterval(frame, FRAME_MS);
  const timeout = setTimeout(() => stopDie(el), ROLL_MS);
  animations.set(el, { interval, timeout });
}

/** End any animation now and draw the die's real value. */
export function stopDie(el) {
  const running = animations.get(el);
  if (running) {
    clearInterval(running.interval);
    clearTimeout(running.timeout);
    animations.delete(el);
    el.classList.remove("rolling");
  }
  const v = Number(el.dataset.value) || null;
  drawFace(el, v);
}
