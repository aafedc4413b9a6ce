// Minimal typings for the npm `hashring` package (ketama-compatible ring, md5), used only as the benchmark
// reference; it ships no types of its own.
declare module 'hashring' {
  export default class HashRing {
    constructor(
      servers: string[] | Record<string, number | { weight?: number; vnodes?: number }>,
      algorithm?: string,
      options?: Record<string, unknown>,
    );
    get(key: string): string;
    hashValue(key: string): number;
  }
}
