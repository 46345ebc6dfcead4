// The seats of a room, any number from 2 to 10: who sits there, ready or not, whose
// turn, connection state, score, and a slot the game's page module fills (a die,
// a mark). Seats follow `room.players` (join order); open seats fill up to
// `room.max_players`.

import { allByTestId, byTestId, formatSeconds, h, paintAvatar, setText, show } from "./dom.js";
import { renderHostButtons } from "./host-controls.js";
import { profileLink } from "./profile.js";
import { isEnded } from "./room-model.js";

/** How the board lays the seats out: two facing seats, a row of 3–4, or a grid of many. */
export function seatLayout(count) {
  if (count <= 2) return "duo";
  return count <= 4 ? "small" : "many";
}

function ensureSeats(container, count) {
  const seats = allByTestId("seat", container);
  const template = document.getElementById("seat-template");
  for (let i = seats.length; i < count; i += 1) {
    const seat = h("article", { class: "seat", dataset: { testid: "seat", seat: String(i) } });
    seat.append(template.content.cloneNode(true));
    container.append(seat);
    seats.push(seat);
  }
  for (const extra of seats.splice(count)) extra.remove();
  return seats;
}

function chipFor(p, ctx) {
  const { room, me, game } = ctx;
  if (!p) return { text: "Waiting…", kind: "chip" };
  if (room.status === "waiting") {
    return p.is_ready ? { text: "Ready", kind: "chip chip-ok" } : { text: "Not ready", kind: "chip chip-muted" };
  }
  if (isEnded(room) && room.winner_id === p.user_id) return { text: "Winner", kind: "chip chip-gold" };
  if (p.left) return { text: "Left the game", kind: "chip chip-muted" };
  if (room.status === "in_progress" && room.current_turn === p.user_id) {
    const mine = me && p.user_id === me.user_id;
    return { text: mine ? "Your turn" : game?.labels?.toAct || "To play", kind: "chip chip-accent" };
  }
  return { text: "", kind: "chip" };
}

/**
 * The seat's name: a button that opens the player's profile card, and the you /
 * host tags. Rebuilt only when one of them changes, so a redraw keeps its focus.
 */
function paintName(name, p, { room, me }) {
  const mine = Boolean(p && me && p.user_id === me.user_id);
  const host = Boolean(p && p.user_id === room.host_id && room.status === "waiting");
  const key = p ? `${p.user_id}|${p.username}|${mine}|${host}` : "";
  if (name.dataset.key === key && name.firstChild) return;
  name.dataset.key = key;
  if (!p) {
    name.replaceChildren("Open seat");
    return;
  }
  // replaceChildren writes a null as the text "null": leave the absent tags out.
  name.replaceChildren(...[profileLink(p, { className: "profile-link seat-link", you: mine }),
    mine ? " " : null, mine ? h("span", { class: "tag tag-you", "aria-hidden": "true" }, "you") : null,
    host ? " " : null, host ? h("span", { class: "tag" }, "host") : null].filter((c) => c !== null));
}

/** Draw every seat; `ctx` is the room shell's draw context. */
export function renderSeats(container, ctx) {
  const { room, me, game } = ctx;
  const count = Math.max(room.max_players || 2, room.players.length);
  const board = byTestId("board");
  board.dataset.layout = seatLayout(count);
  board.dataset.seats = String(count);
  const ended = isEnded(room);
  ensureSeats(container, count).forEach((seat, i) => {
    const p = room.players[i] || null;
    Object.assign(seat.dataset, {
      userId: p ? String(p.user_id) : "",
      ready: p && p.is_ready ? "true" : "false",
      connected: p && p.disconnected_until ? "false" : "true",
      left: p && p.left ? "true" : "false",
    });
    seat.classList.toggle("is-empty", !p);
    seat.classList.toggle("is-me", Boolean(p && me && p.user_id === me.user_id));
    seat.classList.toggle("is-turn", Boolean(p && room.status === "in_progress" && room.current_turn === p.user_id));
    seat.classList.toggle("is-winner", Boolean(p && ended && room.winner_id === p.user_id));
    seat.classList.toggle("is-out", Boolean(p && p.left && !ended));
    const avatar = byTestId("seat-avatar", seat);
    paintAvatar(avatar, p);
    avatar.classList.toggle("avatar-empty", !p);
    paintName(byTestId("seat-name", seat), p, ctx);
    const you = p && me && p.user_id === me.user_id ? " (you)" : "";
    seat.setAttribute("aria-label", p ? `Seat ${i + 1}: ${p.username}${you}` : `Seat ${i + 1}: open`);
    setText(byTestId("seat-score", seat), p ? String(p.score) : "0");
    setText(byTestId("seat-score-label", seat), game?.labels?.score || "points");
    const chip = chipFor(p, ctx);
    const ready = byTestId("seat-ready", seat);
    setText(ready, chip.text);
    ready.className = chip.kind;
    show(ready, Boolean(chip.text));
    show(byTestId("seat-muted", seat), Boolean(p && (room.muted || []).includes(p.user_id)));
    renderHostButtons(byTestId("seat-actions", seat), p, ctx, { seated: true });
    const slot = byTestId("seat-game", seat);
    if (game) game.renderSeat(slot, p, ctx);
  });
  renderConnectionChips(container, ctx);
}

/** The "reconnecting… 42 s" chips; called every tick for the countdown. */
export function renderConnectionChips(container, ctx) {
  const { room } = ctx;
  const now = ctx.serverNow();
  allByTestId("seat", container).forEach((seat, i) => {
    const p = room.players[i] || null;
    const chip = byTestId("seat-connection", seat);
    const until = p && p.disconnected_until ? Date.parse(p.disconnected_until) : NaN;
    if (p && !Number.isNaN(until)) {
      setText(chip, `reconnecting… ${formatSeconds(until - now)}`);
      chip.className = "chip chip-warn";
      show(chip, true);
    } else {
      show(chip, false);
    }
  });
}
