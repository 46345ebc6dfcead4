// The rematch part of the game-over panel: the Rematch button for the players,
// who asked (`room.rematch`), who is still awaited, and why there is none when a
// player left (rematch_cancelled, or a player who left the game).

import { byTestId, h, setText, show } from "./dom.js";
import { joinNames, rematchOffSentence } from "./friends-model.js";
import { activePlayers, playerName } from "./room-model.js";

/** {possible, text}: whether a rematch can still be agreed, and what to say about it. */
export function rematchState(ctx) {
  const { room, me, role } = ctx;
  if (room.status !== "finished") return { possible: false, text: "" };
  const gone = room.players.find((p) => p.left);
  if (room.rematch_open === false) return { possible: false, text: rematchOffSentence(room.rematch_off, me) };
  if (gone) return { possible: false, text: `${playerName(room, gone.user_id, me)} left the game — no rematch.` };
  const asked = room.rematch || [];
  const awaited = activePlayers(room).filter((p) => !asked.includes(p.user_id));
  const name = (id) => playerName(room, id, null);
  const iAsked = Boolean(me && asked.includes(me.user_id));
  let text;
  if (asked.length === 0) {
    text = role === "player" ? "Play again with the same seats? Everyone presses Rematch." : "The players can ask for a rematch.";
  } else if (iAsked) {
    text = awaited.length ? `Waiting for ${joinNames(awaited.map((p) => name(p.user_id)))} to press Rematch…` : "Starting the rematch…";
  } else {
    const who = joinNames(asked.map(name));
    text = `${who} ${asked.length === 1 ? "wants" : "want"} a rematch.${role === "player" ? " Press Rematch to play again." : ""}`;
  }
  return { possible: true, text };
}

export function renderRematch(ctx) {
  const { room, me, role, online } = ctx;
  const panel = byTestId("rematch");
  const { possible, text } = rematchState(ctx);
  const asked = possible ? room.rematch || [] : [];
  panel.dataset.open = possible ? "true" : "false";
  panel.dataset.asked = asked.join(",");
  const status = byTestId("rematch-status");
  setText(status, text);
  show(status, Boolean(text));
  const list = byTestId("rematch-asked");
  const key = asked.join(",");
  if (list.dataset.key !== key) {
    list.dataset.key = key;
    list.replaceChildren(...asked.map((id) => h("li", { class: "chip chip-ok", dataset: { testid: "rematch-asker", userId: String(id) } },
      `${playerName(room, id, me)} ✓`)));
  }
  show(list, asked.length > 0);
  const mine = me ? activePlayers(room).find((p) => p.user_id === me.user_id) : null;
  const button = byTestId("rematch-button");
  const iAsked = Boolean(me && asked.includes(me.user_id));
  const offered = Boolean(possible && role === "player" && mine);
  show(button, offered);
  // Without a rematch to offer, going back to the lobby is the main way on.
  const back = byTestId("back-to-lobby");
  back.classList.toggle("btn-primary", !offered);
  back.classList.toggle("btn-ghost", offered);
  button.disabled = !online;
  // Asked: the button stays focusable (a disabled one would drop the focus) but does nothing.
  button.setAttribute("aria-disabled", iAsked || ctx.rematchPending ? "true" : "false");
  setText(button, iAsked ? "Rematch asked ✓" : ctx.rematchPending ? "Asking…" : "Rematch");
  button.setAttribute("aria-pressed", iAsked ? "true" : "false");
}
