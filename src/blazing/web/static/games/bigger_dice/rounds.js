// Bigger Dice's rounds: the sentence for a judged pass and the rounds table, one
// column per player, tiebreak passes marked.

import { h, setText } from "../../dom.js";

function name(room, userId, me) {
  if (me && userId === me.user_id) return "You";
  return room.players.find((p) => p.user_id === userId)?.username || "someone";
}

/** "alice, bob and you": "You" is lower case after the first name. */
export function listNames(names) {
  const words = names.map((n, i) => (i > 0 && n === "You" ? "you" : n));
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/** True when `pass` re-rolls a tie: an earlier pass of `passes` has the same round. */
export function isTiebreakPass(pass, passes) {
  return passes.some((p) => p !== pass && p.round === pass.round && passes.indexOf(p) < passes.indexOf(pass));
}

/** One judged pass in words; `seats` is the number of players of the game. */
export function roundSentence(pass, room, me, seats) {
  const rolls = pass.rolls.map(([, roll]) => roll);
  if (!rolls.length) {
    // A tiebreak whose other contenders all left is judged without a roll.
    const winner = pass.winner_id == null ? "Nobody" : name(room, pass.winner_id, me);
    return `Round ${pass.round}: ${winner} ${winner === "You" ? "win" : "wins"} — the others left`;
  }
  const best = Math.max(...rolls);
  if (seats === 2 && rolls.length === 2) {
    if (pass.is_tie || pass.winner_id == null) return `Round ${pass.round}: tie at ${rolls[0]} — nobody scores`;
    const winner = name(room, pass.winner_id, me);
    return `Round ${pass.round}: ${winner} ${winner === "You" ? "win" : "wins"}, ${best} vs ${Math.min(...rolls)}`;
  }
  if (pass.is_tie || pass.winner_id == null) {
    const tied = pass.rolls.filter(([, roll]) => roll === best).map(([id]) => name(room, id, me));
    return `Round ${pass.round}: ${listNames(tied)} tie at ${best} — a tiebreak follows`;
  }
  const winner = name(room, pass.winner_id, me);
  return `Round ${pass.round}: ${winner} ${winner === "You" ? "win" : "wins"} with ${best}`;
}

/** The rounds table (`table` has a thead and a tbody); redrawn only when it changed. */
export function renderRounds(table, room, me, { newestFirst }) {
  const passes = room.game_state?.rounds || [];
  const players = room.players;
  const key = `${passes.length}|${players.map((p) => p.user_id).join(",")}|${newestFirst}`;
  if (table.dataset.key === key) return;
  table.dataset.key = key;
  const head = h("tr", {}, h("th", { scope: "col" }, "Round"),
    players.map((p) => h("th", { scope: "col", title: p.username }, p.username)),
    h("th", { scope: "col" }, "Result"));
  table.tHead.replaceChildren(head);
  const list = newestFirst ? [...passes].reverse() : passes;
  table.tBodies[0].replaceChildren(...list.map((pass) => {
    const tiebreak = isTiebreakPass(pass, passes);
    const rolls = new Map(pass.rolls);
    const cells = players.map((p) => h("td", { class: pass.winner_id === p.user_id ? "win" : rolls.has(p.user_id) ? "" : "absent" },
      rolls.has(p.user_id) ? String(rolls.get(p.user_id)) : "–"));
    const result = pass.winner_id == null ? "Tie" : name(room, pass.winner_id, me);
    const round = h("th", { scope: "row" }, String(pass.round));
    if (tiebreak) round.append(h("span", { class: "tiebreak-tag" }, "tiebreak"));
    return h("tr", { dataset: { testid: "round-row", round: String(pass.round), tiebreak: String(tiebreak) } },
      round, cells, h("td", { class: pass.winner_id == null ? "tie" : "" }, result));
  }));
  setText(table.querySelector("caption") || table.appendChild(h("caption", { class: "sr-only" })), "Rolls of every round");
}
