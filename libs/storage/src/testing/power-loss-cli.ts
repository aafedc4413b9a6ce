import { runPowerLossTrials } from './power-loss.js';

/**
 * The long power-loss run (`npm run test:power-loss`): POWER_LOSS_TRIALS trials (default 20,000, three
 * cuts each) from POWER_LOSS_SEED (default: the clock), in chunks so progress shows. POWER_LOSS_TRIAL
 * with a seed replays one trial, and POWER_LOSS_TRACE=1 prints its every acknowledgement, drop and cut.
 */
const seed = Number(process.env.POWER_LOSS_SEED ?? Date.now() % 1_000_000);
const trials = Number(process.env.POWER_LOSS_TRIALS ?? 20_000);
const onlyTrial =
  process.env.POWER_LOSS_TRIAL === undefined ? undefined : Number(process.env.POWER_LOSS_TRIAL);
const trace = process.env.POWER_LOSS_TRACE === '1' ? (line: string) => console.log(`  ${line}`) : undefined;
if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(trials) || trials < 1) {
  console.error('POWER_LOSS_SEED and POWER_LOSS_TRIALS must be integers (trials >= 1)');
  process.exit(2);
}
console.log(
  `power-loss run: seed ${seed}, ${trials} trials of 3 cuts (POWER_LOSS_SEED=${seed} reproduces it)`,
);
const started = performance.now();
try {
  const report = await runPowerLossTrials({ seed, trials, onlyTrial, trace });
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ ...report, seconds: Math.round(seconds * 10) / 10 }));
  console.log(`${report.crashPoints} power cuts, no acknowledged write lost, nothing corrupt served`);
} catch (error) {
  console.error(String(error));
  console.error('replay it with POWER_LOSS_SEED, POWER_LOSS_TRIAL (the trial named) and POWER_LOSS_TRACE=1');
  process.exit(1);
}
