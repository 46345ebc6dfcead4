// The /games page's entry point: learn which games the server runs (and load
// their page modules), then start the controller.

import { App } from "./app.js";
import { Catalogue } from "./catalogue.js";

async function boot() {
  const catalogue = new Catalogue();
  try {
    await catalogue.load();
  } catch (err) {
    // The server is unreachable: the sign-in view says so and offers to try again,
    // and the controller loads the games once the server answers.
    console.warn(`blazing: cannot load the games: ${err.message}`);
  }
  const app = new App(catalogue);
  globalThis.blazingPage = app; // for debugging from the console
  app.start();
}

boot();
