// npm start (through tools/start.mjs): the whole of redoubt on this machine as supervised processes.
import { runStack } from './run-stack.js';

await runStack(process.argv.slice(2));
