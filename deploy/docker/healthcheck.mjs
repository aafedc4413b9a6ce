// Container health: the service's own /healthz on loopback. The port comes from the env var the app
// listens on, so one HEALTHCHECK serves every app of the image.
const port =
  process.env.HEALTHCHECK_PORT ??
  process.env.DATA_PORT ??
  process.env.GATEWAY_PORT ??
  process.env.WORKER_PORT ??
  process.env.MONITOR_PORT ??
  '8080';
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1500) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
