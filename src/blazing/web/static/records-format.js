// Words and numbers for records: win rates, game time, ratings, results, a list
// of names. Pure functions of what the records API sends; nothing is counted
// here (stats, ranks and ratings are the server's).

/** "ann", "ann and bob", "ann, bob and cy". */
export function listWords(words) {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/** 0.636 → "64%"; null (no decided game yet) → "–". */
export function percent(rate) {
  return typeof rate === "number" && Number.isFinite(rate) ? `${Math.round(rate * 100)}%` : "–";
}

/** Seconds as "45 s", "5 min 3 s", "2 h 5 min"; null → "–". */
export function duration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const rest = s % 60;
    return rest ? `${Math.floor(s / 60)} min ${rest} s` : `${Math.floor(s / 60)} min`;
  }
  const minutes = Math.round((s % 3600) / 60);
  return minutes ? `${Math.floor(s / 3600)} h ${minutes} min` : `${Math.floor(s / 3600)} h`;
}

/** Milliseconds into a game as a clock: "0:42", "12:05", "1:02:03". */
export function clock(ms) {
  const total = Math.max(0, Math.floor((Number(ms) || 0) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A rating number as shown: one decimal ("13.5", "-2.0"). */
export function ratingNumber(value) {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(1) : "–";
}

/** "μ 29.12 · σ 5.20 · 11 rated games": what the ordinal is made of (mu − 3·sigma). */
export function ratingDetail(rating) {
  const games = rating.games === 1 ? "1 rated game" : `${rating.games ?? 0} rated games`;
  return `μ ${Number(rating.mu).toFixed(2)} · σ ${Number(rating.sigma).toFixed(2)} · ${games}`;
}

const RESULT_WORDS = Object.freeze({ won: "Won", lost: "Lost", abandoned: "Abandoned", draw: "No winner" });

/** How a record ended for `userId`: "won", "lost", "abandoned" or "draw" (no winner otherwise). */
export function resultFor(record, userId) {
  if (record.reason === "abandoned" && record.winner_id == null) return "abandoned";
  if (record.winner_id == null) return "draw";
  return record.winner_id === userId ? "won" : "lost";
}

export function resultWord(result) {
  return RESULT_WORDS[result] || result;
}

/** How a game ended, in the third person: "ann won by forfeit." */
export function endSentence(record) {
  const winner = record.players.find((p) => p.user_id === record.winner_id)?.username;
  if (record.winner_id == null || !winner) {
    return record.reason === "abandoned" ? "The game was abandoned: nobody won." : "The game ended without a winner.";
  }
  const how = { forfeit: " by forfeit", disconnected: ": the others' connection dropped" }[record.reason] || "";
  return `${winner} won${how}.`;
}

/** A date and time, short: "1 Mar 2026, 12:05". */
export function when(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  return new Date(t).toLocaleString([], { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}
