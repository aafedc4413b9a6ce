/**
 * The "every call has finished" half of a quorum outcome. Most requests never look at it (the client has its
 * answer at the decision), so it is a list of callbacks and a promise only for whoever asks for one: one
 * allocation fewer per request than an eager promise on the hot path.
 */
export class Settlement<T> {
  private done: { value: T } | undefined;
  private listeners: ((value: T) => void)[] | undefined;
  private asPromise: Promise<T> | undefined;

  settle(value: T): void {
    if (this.done) return;
    this.done = { value };
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener(value);
  }

  onSettled(listener: (value: T) => void): void {
    if (this.done) listener(this.done.value);
    else (this.listeners ??= []).push(listener);
  }

  promise(): Promise<T> {
    return (this.asPromise ??= new Promise<T>((resolve) => this.onSettled(resolve)));
  }
}

/**
 * What a decided quorum outcome shows of its settlement, from the prototype: `settled` (a promise made
 * only when asked for) and `onSettled`. Outcomes are instances of subclasses rather than object literals
 * with a getter: V8 gives an object literal whose getter is a fresh closure a hidden class (map) of its
 * own, in the old generation, and that map kept each request's state (replies, records, their buffers)
 * alive through young-generation collections until the next full one. Measured under GET load on a
 * gateway: about 2 MB promoted per scavenge, 40 MB/s of garbage moved to the old generation.
 */
export abstract class SettlingOutcome<T> {
  readonly #settlement: Settlement<T>;

  protected constructor(settlement: Settlement<T>) {
    this.#settlement = settlement;
  }

  get settled(): Promise<T> {
    return this.#settlement.promise();
  }

  onSettled(listener: (value: T) => void): void {
    this.#settlement.onSettled(listener);
  }
}
