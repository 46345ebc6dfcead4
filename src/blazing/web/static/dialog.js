// Modal dialogs on the native <dialog> element: showModal() makes the rest of the
// page inert (focus cannot leave the dialog), Esc cancels, and focus goes back to
// the control that opened it (or, if a redraw replaced that control, to what
// `refocus()` finds). The password prompt, the confirmations and the profile card
// (profile.js) use it.

import { byTestId, setText, show } from "./dom.js";

/**
 * Show `dialog` modally until its form is submitted or it is cancelled. `setup(form,
 * close)` wires the dialog's own controls for this opening (listeners are removed
 * when it closes); `close(value)` closes it with a result. Resolves to that result,
 * or null when cancelled (Esc, the Cancel button).
 */
export function runModal(dialog, { focus, refocus, setup }) {
  const opener = document.activeElement;
  const wiring = new AbortController();
  return new Promise((resolve) => {
    let result = null;
    const close = (value) => {
      result = value;
      if (dialog.open) dialog.close();
    };
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault(); // closed by close(), so that the result is null
      close(null);
    }, { signal: wiring.signal });
    dialog.addEventListener("close", () => {
      wiring.abort();
      const target = opener instanceof HTMLElement && opener.isConnected ? opener : refocus?.();
      target?.focus?.();
      resolve(result);
    }, { signal: wiring.signal });
    dialog.querySelector("[value=cancel]")?.addEventListener("click", () => close(null), { signal: wiring.signal });
    setup(dialog.querySelector("form"), close, wiring.signal);
    if (dialog.open) dialog.close();
    dialog.showModal();
    focus?.focus();
  });
}

/**
 * Ask for a room's password. `title` and `text` say which room and why; `error`
 * is shown at once (e.g. the last try was wrong). Resolves to the password, or null.
 */
export function askPassword({ title, text, error = "", refocus }) {
  const dialog = byTestId("password-dialog");
  const input = byTestId("password-input");
  const errorEl = byTestId("password-error");
  const showError = (message) => {
    setText(errorEl, message);
    show(errorEl, Boolean(message));
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  setText(byTestId("password-title"), title);
  setText(byTestId("password-text"), text);
  input.value = "";
  showError(error);
  return runModal(dialog, {
    focus: input,
    refocus,
    setup(form, close, signal) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        if (!input.value) {
          showError("Type the password first.");
          input.focus();
          return;
        }
        close(input.value);
      }, { signal });
      input.addEventListener("input", () => showError(""), { signal });
    },
  });
}

/** Ask to confirm an action ("Remove bob?"). Resolves true when confirmed. */
export async function confirmAction({ title, text, ok = "OK", refocus }) {
  const dialog = byTestId("confirm-dialog");
  setText(byTestId("confirm-title"), title);
  setText(byTestId("confirm-text"), text);
  setText(byTestId("confirm-ok"), ok);
  const answer = await runModal(dialog, {
    focus: byTestId("confirm-cancel"), // the safe choice has focus
    refocus,
    setup(form, close, signal) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        close(true);
      }, { signal });
    },
  });
  return answer === true;
}
