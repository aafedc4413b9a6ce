// A tiny HTTP service for ServiceProcess tests: answers /readyz with its pid.
import { createServer } from 'node:http';

const port = Number(process.env.PORT);
createServer((_req, res) => res.end(String(process.pid))).listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
