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
