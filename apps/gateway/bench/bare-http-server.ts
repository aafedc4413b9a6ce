// The ceiling of one Node HTTP hop: a node:http server that answers GET with a 256-byte value and reads a
// PUT's body before answering 201. No routing, no auth, no storage: what the gateway's figures compare to.
import { createServer } from 'node:http';

const value = Buffer.alloc(256, 0x61);
const port = Number(process.env.PORT);
const server = createServer((req, res) => {
  if (req.method === 'PUT') {
    req.resume();
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': '2' });
      res.end('{}');
    });
    return;
  }
  if (req.url === '/readyz') {
    res.end('ok');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(value.length) });
  res.end(value);
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
