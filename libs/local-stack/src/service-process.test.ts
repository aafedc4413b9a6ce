import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { freePort, ServiceProcess, REPO_ROOT } from './index.js';

const script = resolve(REPO_ROOT, 'libs/local-stack/test-fixtures/echo-service.ts');

describe('ServiceProcess', () => {
  it('starts, waits for readiness, and survives kill -9 with a restart on the same port', async () => {
    const port = await freePort();
    const service = new ServiceProcess({
      name: 'echo',
      script,
      env: { PORT: String(port) },
      readyUrl: `http://127.0.0.1:${port}/readyz`,
    });
    await service.start();
    const first = service.pid();
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe(String(first));
    await service.kill();
    expect(service.running()).toBe(false);
    await service.start();
    expect(service.pid()).not.toBe(first);
    await service.stop();
    expect(service.running()).toBe(false);
  });

  it('stops a paused (SIGSTOP) process cleanly', async () => {
    const port = await freePort();
    const service = new ServiceProcess({
      name: 'echo',
      script,
      env: { PORT: String(port) },
      readyUrl: `http://127.0.0.1:${port}/readyz`,
    });
    await service.start();
    service.pause();
    await service.stop(5_000);
    expect(service.running()).toBe(false);
  });
});
