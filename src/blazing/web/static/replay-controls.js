// The replay viewer's controls: First, Back, Play/Pause, Forward, Last, the speed,
// the scrubber and the keys (← → step, Space plays or pauses, Home and End). Each
// turns into an action of replay-model.js for the viewer; `paintControls` draws
// them from the stepping state.

import { byTestId, setText } from "./dom.js";
import { atEnd, atStart, keyAction } from "./replay-model.js";

const BUTTONS = Object.freeze({
  "replay-first": "first",
  "replay-back": "back",
  "replay-play": "toggle",
  "replay-forward": "forward",
  "replay-last": "last",
});

const isField = (el) => el instanceof HTMLElement
  && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
const isPressable = (el) => el instanceof HTMLElement && /^(BUTTON|A|SUMMARY)$/.test(el.tagName);

/** Wire the controls and the keys; `act(action)` gets each action. */
export function bindReplayControls(act) {
  for (const [testid, type] of Object.entries(BUTTONS)) {
    byTestId(testid).addEventListener("click", (event) => {
      // aria-disabled rather than disabled: the button keeps the focus at either end.
      if (event.currentTarget.getAttribute("aria-disabled") !== "true") act({ type });
    });
  }
  byTestId("replay-scrubber").addEventListener("input", (event) => act({ type: "seek", index: event.target.value }));
  byTestId("replay-speed").addEventListener("change", (event) => act({ type: "speed", speed: event.target.value }));
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (document.querySelector("dialog[open]")) return; // the profile card has the keys
    const { target } = event;
    const scrubber = target === byTestId("replay-scrubber");
    // The scrubber moves itself with the arrows, Home and End; a select its options.
    if (isField(target) && !(scrubber && event.key === " ")) return;
    if (event.key === " " && isPressable(target)) return; // Space presses the focused button
    const action = keyAction(event.key);
    if (!action) return;
    event.preventDefault();
    act(action);
  });
}

function setDisabled(button, disabled) {
  button.setAttribute("aria-disabled", disabled ? "true" : "false");
}

/** Draw the controls from the stepping state `model`; `label` describes the step for the scrubber. */
export function paintControls(model, label) {
  const last = model.count - 1;
  setDisabled(byTestId("replay-first"), atStart(model));
  setDisabled(byTestId("replay-back"), atStart(model));
  setDisabled(byTestId("replay-forward"), atEnd(model));
  setDisabled(byTestId("replay-last"), atEnd(model));
  setDisabled(byTestId("replay-play"), last === 0);
  const play = byTestId("replay-play");
  play.dataset.playing = String(model.playing);
  setText(byTestId("replay-play-label"), model.playing ? "Pause" : "Play");
  const scrubber = byTestId("replay-scrubber");
  scrubber.max = String(last);
  if (scrubber.value !== String(model.index)) scrubber.value = String(model.index);
  scrubber.setAttribute("aria-valuetext", label);
  setText(byTestId("replay-position"), `Step ${model.index} of ${last}`);
  const speed = byTestId("replay-speed");
  if (Number(speed.value) !== model.speed) speed.value = String(model.speed);
}
