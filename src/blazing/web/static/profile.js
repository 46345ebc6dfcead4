// The profile card: a player's stats and ratings (GET /api/players/{id}/stats) in a
// native <dialog> (dialog.js: the page behind is inert, Esc closes, focus goes back
// to the name that opened it). Any element with `data-profile-user` opens it — a
// seat's name, a lobby row's player, the history list's opponents, a leaderboard
// row, your own name — so the views only draw `profileLink`s and never wire clicks.

import { runModal } from "./dialog.js";
import { byTestId, h, paintAvatar, setText } from "./dom.js";
import { renderProfile } from "./profile-view.js";
import { playerStats } from "./records-api.js";

/** A player's name as a button that opens their profile card. */
export function profileLink(user, { text = user.username, className = "profile-link", you = false } = {}) {
  return h("button", {
    type: "button",
    class: className,
    "aria-haspopup": "dialog",
    title: `${user.username}'s profile`,
    dataset: { testid: "profile-link", profileUser: String(user.user_id), profileName: user.username },
  }, text, you ? h("span", { class: "sr-only" }, " (you)") : null);
}

/** Mark an existing control (e.g. the top bar's name) as opening `user`'s card. */
export function markProfileLink(el, user) {
  if (!user) {
    delete el.dataset.profileUser;
    delete el.dataset.profileName;
    return;
  }
  el.dataset.profileUser = String(user.user_id);
  el.dataset.profileName = user.username;
}

function buildDialog() {
  const dialog = h("dialog", { class: "dialog profile-dialog", "aria-labelledby": "profile-title", dataset: { testid: "profile-dialog" } },
    h("form", { method: "dialog", class: "profile-form" },
      h("div", { class: "profile-head" },
        h("span", { class: "avatar", "aria-hidden": "true", dataset: { testid: "profile-avatar" } }),
        h("div", { class: "profile-who" },
          h("h2", { id: "profile-title", dataset: { testid: "profile-name" } }),
          h("p", { class: "profile-sub", dataset: { testid: "profile-sub" } })),
        h("button", { type: "button", class: "dialog-close", value: "cancel", "aria-label": "Close", dataset: { testid: "profile-close" } }, "×")),
      h("div", { class: "profile-body", dataset: { testid: "profile-body" } })));
  document.body.append(dialog);
  return dialog;
}

export class ProfileCard {
  /** `me()` is the signed-in user (or null); `catalogue` names the game types. */
  constructor({ catalogue, me = () => null }) {
    this.catalogue = catalogue;
    this.me = me;
    this.dialog = null;
    this.opened = 0; // the latest opening: an older fetch that answers late is dropped
  }

  /** Open the card of whoever a click on a `data-profile-user` element names. */
  bind(root = document) {
    root.addEventListener("click", (event) => {
      const link = event.target instanceof Element ? event.target.closest("[data-profile-user]") : null;
      if (!link) return;
      event.preventDefault();
      this.open({ user_id: Number(link.dataset.profileUser), username: link.dataset.profileName || "" });
    });
  }

  /** Show `user`'s card ({user_id, username}); resolves when it closes. */
  async open(user) {
    this.dialog ||= buildDialog();
    const dialog = this.dialog;
    const me = this.me();
    const mine = Boolean(me && me.user_id === user.user_id);
    const opening = ++this.opened;
    paintAvatar(byTestId("profile-avatar", dialog), user);
    setText(byTestId("profile-name", dialog), user.username || "Player");
    setText(byTestId("profile-sub", dialog), mine ? "Your profile" : "Player profile");
    const body = byTestId("profile-body", dialog);
    body.setAttribute("aria-busy", "true");
    body.replaceChildren(h("p", { class: "empty", dataset: { testid: "profile-loading" } }, "Loading the stats…"));
    const closed = runModal(dialog, {
      focus: byTestId("profile-close", dialog),
      refocus: () => document.querySelector(`[data-profile-user="${CSS.escape(String(user.user_id))}"]`),
      setup() {},
    });
    try {
      const stats = await playerStats(user.user_id);
      if (opening !== this.opened || !dialog.open) return closed;
      renderProfile(body, stats, { catalogue: this.catalogue, mine });
    } catch (err) {
      if (opening !== this.opened || !dialog.open) return closed;
      body.replaceChildren(h("p", { class: "field-error", role: "alert", dataset: { testid: "profile-error" } },
        `The stats cannot be loaded right now (${err.reason || err.message}).`));
    } finally {
      if (opening === this.opened) body.removeAttribute("aria-busy");
    }
    return closed;
  }
}
