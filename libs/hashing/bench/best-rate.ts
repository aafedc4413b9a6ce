/**
 * Runs `pass` (which performs `opsPerPass` operations and returns a checksum, so the work cannot be optimised
 * away) once to warm up and then `passes` times, and reports operations per second of the best and the median
 * pass. The best pass is the headline: on a shared 2-core machine the slower passes measure the neighbours.
 */
export interface Rate {
  best: number;
  median: number;
}

export function bestRate(opsPerPass: number, pass: () => number, passes = 5): Rate {
  let sink = pass();
  const rates: number[] = [];
  for (let i = 0; i < passes; i++) {
    const start = process.hrtime.bigint();
    sink ^= pass();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(opsPerPass / seconds);
  }
  if (sink === 0.5) console.log('(unreachable)');
  rates.sort((a, b) => a - b);
  return { best: rates[rates.length - 1]!, median: rates[rates.length >> 1]! };
}
