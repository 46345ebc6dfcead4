// Commands the page waits on, by request_id: the server echoes the id on the
// `error` a command causes, so the error lands next to the form that sent it.

const KEPT = 200; // commands that succeed get no answer by id: forget the oldest

export class Requests {
  constructor() {
    this.pending = new Map(); // request_id -> {kind, ...}
    this.counter = 0;
  }

  /** Remember `request` ({kind, ...}) and return the id to send with it. */
  add(request) {
    this.counter += 1;
    const id = `${request.kind}-${this.counter}`;
    this.pending.set(id, request);
    if (this.pending.size > KEPT) this.pending.delete(this.pending.keys().next().value);
    return id;
  }

  /** The request sent with `id` (and forget it), or undefined. */
  take(id) {
    const request = this.pending.get(id);
    this.pending.delete(id);
    return request;
  }
}
