// The /games page's entry point: learn which games the server runs (and load
// their page modules), then start the controller.

import { App } from "./app.js";
import { Catalogue, loadCatalogue } from "./catalogue.js";

async function boot() {
  let catalogue;
  try {
    catalogue = await loadCatalogue();
  } catch (err) {
    // The server is unreachable: the sign-in view says so and offers to try again
    // (checkSession fails the same way); reloading brings the games back.
    console.warn(`blazing: cannot load the games: ${err.message}`);
    catalogue = new Catalogue();
  }
  const app = new App(catalogue);
  globalThis.blazingPage = app; // for debugging from the console
  app.start();
}

boot();
