// The replay viewer's stepping state, as a pure reducer: which step is shown, of
// how many, whether it plays and at what speed. Nothing here touches the page or
// a timer; replay.js feeds it actions (the buttons, the keys, the scrubber, the
// play timer's ticks) and draws what it returns.

export const SPEEDS = Object.freeze([0.5, 1, 2, 4]);
export const STEP_MS = 1200; // one step at 1×

/** The first step of a replay of `count` steps, paused at 1×. */
export function initialReplay(count) {
  return Object.freeze({ index: 0, count: Math.max(1, count), playing: false, speed: 1 });
}

const lastIndex = (model) => model.count - 1;
const clamp = (model, index) => Math.min(lastIndex(model), Math.max(0, index));

/**
 * The next state after `action`: {type: "first" | "last" | "back" | "forward" |
 * "seek" (with `index`) | "play" | "pause" | "toggle" | "tick" | "speed" (with
 * `speed`)}. Stepping by hand pauses; playing from the last step starts again from
 * the first; a tick moves one step and stops at the last.
 */
export function reduceReplay(model, action) {
  const next = (changes) => Object.freeze({ ...model, ...changes });
  switch (action.type) {
    case "first":
      return next({ index: 0, playing: false });
    case "last":
      return next({ index: lastIndex(model), playing: false });
    case "back":
      return next({ index: clamp(model, model.index - 1), playing: false });
    case "forward":
      return next({ index: clamp(model, model.index + 1), playing: false });
    case "seek": {
      const index = Number.isFinite(Number(action.index)) ? Math.round(Number(action.index)) : model.index;
      return next({ index: clamp(model, index), playing: false });
    }
    case "play":
      if (lastIndex(model) === 0) return model;
      return next({ playing: true, index: model.index >= lastIndex(model) ? 0 : model.index });
    case "pause":
      return model.playing ? next({ playing: false }) : model;
    case "toggle":
      return reduceReplay(model, { type: model.playing ? "pause" : "play" });
    case "tick": {
      if (!model.playing) return model;
      const index = clamp(model, model.index + 1);
      return next({ index, playing: index < lastIndex(model) });
    }
    case "speed":
      return SPEEDS.includes(Number(action.speed)) ? next({ speed: Number(action.speed) }) : model;
    default:
      return model;
  }
}

/** Milliseconds between two steps while playing. */
export function stepDelay(model) {
  return STEP_MS / model.speed;
}

export const atStart = (model) => model.index === 0;
export const atEnd = (model) => model.index === lastIndex(model);

const KEY_ACTIONS = Object.freeze({
  ArrowLeft: "back",
  ArrowRight: "forward",
  Home: "first",
  End: "last",
  " ": "toggle",
});

/** The action a key stands for in the viewer, or null. */
export function keyAction(key) {
  return Object.hasOwn(KEY_ACTIONS, key) ? { type: KEY_ACTIONS[key] } : null;
}
