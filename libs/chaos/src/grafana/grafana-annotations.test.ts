import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrafanaAnnotator } from './grafana-annotations.js';

// Grafana does not install here: a loopback server that answers like its annotations API records the calls.
const received: { headers: IncomingMessage['headers']; body: Record<string, unknown> }[] = [];
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/api/annotations') {
        res.writeHead(404).end(JSON.stringify({ message: 'not found' }));
        return;
      }
      received.push({ headers: req.headers, body: JSON.parse(body) as Record<string, unknown> });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: received.length, message: 'Annotation added' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('Grafana annotations', () => {
  it('posts each fault as a region with tags, authenticated with the token', async () => {
    const annotator = GrafanaAnnotator.fromEnv({ GRAFANA_URL: url, GRAFANA_TOKEN: 'glsa_test' })!;
    const id = await annotator.annotate({
      time: 1000.4,
      timeEnd: 4000,
      tags: ['chaos', 'kind:kill'],
      text: 'kill data-2',
    });
    expect(id).toBe(1);
    expect(annotator.posted).toBe(1);
    expect(received[0]!.headers.authorization).toBe('Bearer glsa_test');
    expect(received[0]!.body).toEqual({
      time: 1000,
      timeEnd: 4000,
      tags: ['chaos', 'kind:kill'],
      text: 'kill data-2',
    });
  });

  it('uses basic auth without a token, and pins to a dashboard when told', async () => {
    const annotator = GrafanaAnnotator.fromEnv({
      GRAFANA_URL: `${url}/`,
      GRAFANA_USER: 'admin',
      GRAFANA_PASSWORD: 'secret',
      GRAFANA_DASHBOARD_UID: 'redoubt-chaos',
    })!;
    await annotator.annotate({ time: 1, tags: [], text: 't' });
    expect(received[1]!.headers.authorization).toBe(
      `Basic ${Buffer.from('admin:secret').toString('base64')}`,
    );
    expect(received[1]!.body.dashboardUID).toBe('redoubt-chaos');
  });

  it('is absent without GRAFANA_URL, and never throws when Grafana is away', async () => {
    expect(GrafanaAnnotator.fromEnv({})).toBeUndefined();
    const away = new GrafanaAnnotator({ url: 'http://127.0.0.1:1', timeoutMs: 500 });
    await expect(away.annotate({ time: 1, tags: [], text: 'x' })).resolves.toBeUndefined();
    expect(away.failed).toBe(1);
  });
});
