// Game over: the winner, why the game ended, and the final scores exactly as the
// server sent them in `game_ended.final_scores` (or, after a reload, the seats'
// scores in room_state, which the server set from the same numbers). The game's
// page module adds its own summary (rounds, games) in the `game-summary` slot.

import { byTestId, h, paintAvatar, setText, show } from "./dom.js";
import { isEnded } from "./room-model.js";

function finalScores(room) {
  if (Array.isArray(room.final_scores)) {
    return room.final_scores.map(([userId, username, score]) => ({ user_id: userId, username, score }));
  }
  return room.players.map((p) => ({ user_id: p.user_id, username: p.username, score: p.score }));
}

function nameOf(player, me) {
  return me && player.user_id === me.user_id ? "You" : player.username;
}

function reasonText(room, me, game) {
  const winner = room.players.find((p) => p.user_id === room.winner_id) || null;
  const gone = room.players.filter((p) => p.user_id !== room.winner_id && (p.left || room.players.length === 2));
  const loser = gone.length === 1 ? nameOf(gone[0], me) : null;
  switch (room.end_reason) {
    case "won":
      return game?.labels?.winReason || "";
    case "forfeit":
      return loser ? `${loser} left the game, so it was forfeited.`
        : `The other players left the game, so ${winner ? nameOf(winner, me) : "the last one"} won.`;
    case "disconnected":
      return loser ? `${loser} lost the connection and did not come back in time.`
        : "The other players left or lost the connection.";
    case "abandoned":
      return "Everyone left, so the game was abandoned.";
    default:
      return "";
  }
}

export function renderGameOver(ctx) {
  const { room, me, role, game } = ctx;
  const ended = isEnded(room);
  const panel = byTestId("game-over");
  show(panel, ended);
  if (!ended) return;
  const winner = room.players.find((p) => p.user_id === room.winner_id) || null;
  let title = "Game abandoned";
  if (winner && me && winner.user_id === me.user_id) title = "You win!";
  else if (winner && role === "player") title = `${winner.username} wins — better luck next time`;
  else if (winner) title = `${winner.username} wins!`;
  setText(byTestId("game-over-title"), title);
  panel.dataset.winnerId = winner ? String(winner.user_id) : "";
  panel.dataset.reason = room.end_reason || "";
  setText(byTestId("game-over-reason"), reasonText(room, me, game));
  // Highest first, the winner at the top; the numbers are the server's.
  const scores = finalScores(room).sort((a, b) =>
    Number(b.user_id === room.winner_id) - Number(a.user_id === room.winner_id) || b.score - a.score);
  byTestId("final-scores").replaceChildren(...scores.map((p) => {
    const avatar = h("span", { class: "avatar", "aria-hidden": "true" });
    paintAvatar(avatar, p);
    return h("div", { class: `final-score${p.user_id === room.winner_id ? " is-winner" : ""}`, dataset: { testid: "final-score", userId: String(p.user_id) } },
      avatar,
      h("span", { class: "final-name" }, p.username, me && p.user_id === me.user_id ? h("span", { class: "tag tag-you" }, "you") : null),
      h("span", { class: "final-points", dataset: { testid: "final-points" } }, String(p.score)),
      h("span", { class: "final-unit" }, game?.labels?.score || "points"));
  }));
}
