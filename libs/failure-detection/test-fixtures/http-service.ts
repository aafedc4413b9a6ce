// A tiny HTTP service for probe tests: /healthz answers 200 with its pid; exits on SIGTERM.
import { createServer } from 'node:http';

createServer((_req, res) => res.end(String(process.pid))).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
