/**
 * The floor of a durable replicated PUT in Node on this machine, for the store benchmark's `ceiling`
 * target: the least that N = 3, W = 2 with an fsync before every acknowledgement can cost, so that
 * redoubt's figures can be read against what the hardware and runtime allow, not only against etcd.
 *
 * ROLE=front: a node:http server. A PUT's path and body go, as one op, to three replicas; each replica
 * connection carries one batch frame at a time (what queued meanwhile goes in the next); 201 once two
 * replicas have acknowledged. No auth, validation, versions, checksums, routing, breakers or metrics.
 * ROLE=replica: appends each batch frame to a preallocated file, `fdatasync`s it, acknowledges it. No
 * index, no reads, no checks: a log, nothing more.
 */
import { fdatasync, fsyncSync, openSync, write, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';

const PORT = Number(process.env.PORT);
const LOG_BYTES = 64 << 20;

interface Op {
  key: string;
  body: Buffer;
  acked: () => void;
}

function replica(): void {
  const fd = openSync(process.env.LOG_FILE!, 'w+');
  // Preallocated and synced: an append then never changes the file's size, so a sync flushes data only.
  const zeros = Buffer.alloc(1 << 20);
  for (let at = 0; at < LOG_BYTES; at += zeros.length) writeSync(fd, zeros, 0, zeros.length, at);
  fsyncSync(fd);
  let position = 0;
  createTcpServer((socket) => {
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length > 0 ? Buffer.concat([buffered, chunk]) : chunk;
      // The front sends one frame and waits for its acknowledgement: at most one frame is here.
      if (buffered.length < 4 || buffered.length < 4 + buffered.readUInt32BE(0)) return;
      const frame = buffered;
      buffered = Buffer.alloc(0);
      if (position + frame.length > LOG_BYTES) position = 0;
      write(fd, frame, 0, frame.length, position, (error) => {
        if (error) throw error;
        position += frame.length;
        fdatasync(fd, (syncError) => {
          if (syncError) throw syncError;
          socket.write(frame.subarray(4, 8)); // the op count, as the acknowledgement
        });
      });
    });
  }).listen(PORT, '127.0.0.1');
}

class ReplicaLink {
  private readonly socket: Socket;
  private queued: Op[] = [];
  private inFlight: Op[] | undefined;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.socket.on('data', () => {
      const acked = this.inFlight ?? [];
      this.inFlight = undefined;
      for (const op of acked) op.acked();
      this.flush();
    });
  }

  send(op: Op): void {
    this.queued.push(op);
    this.flush();
  }

  private flush(): void {
    if (this.inFlight !== undefined || this.queued.length === 0) return;
    const ops = this.queued;
    this.queued = [];
    this.inFlight = ops;
    let length = 4;
    for (const op of ops) length += 8 + Buffer.byteLength(op.key) + op.body.length;
    const frame = Buffer.allocUnsafe(4 + length);
    let at = frame.writeUInt32BE(length, 0);
    at = frame.writeUInt32BE(ops.length, at);
    for (const op of ops) {
      const keyBytes = frame.write(op.key, at + 4);
      at = frame.writeUInt32BE(keyBytes, at) + keyBytes;
      at = frame.writeUInt32BE(op.body.length, at);
      at += op.body.copy(frame, at);
    }
    this.socket.write(frame);
  }
}

function front(): void {
  const links = process.env.REPLICAS!.split(',').map((port) => new ReplicaLink(Number(port)));
  createServer((req, res) => {
    if (req.url === '/readyz') {
      res.end('ok');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let acks = 0;
      const op: Op = {
        key: req.url!,
        body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
        acked: () => {
          if (++acks !== 2) return;
          res.writeHead(201, { 'content-type': 'application/json', 'content-length': '2' });
          res.end('{}');
        },
      };
      for (const link of links) link.send(op);
    });
  }).listen(PORT, '127.0.0.1');
}

if (process.env.ROLE === 'replica') replica();
else front();
process.on('SIGTERM', () => process.exit(0));
