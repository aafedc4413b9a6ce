import { runChaosCli } from './chaos-cli.js';

// Ctrl-C: the first stops load and faults, heals and writes the report; a second one exits at once.
const interrupt = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts += 1;
  if (interrupts === 1) {
    process.stderr.write(
      '\nchaos: interrupted: stopping the load and faults, healing, writing the report (Ctrl-C again to quit now)\n',
    );
    interrupt.abort();
  } else process.exit(130);
});

const code = await runChaosCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  env: process.env,
  signal: interrupt.signal,
});
process.exit(code);
