import type { OrchestratorKind } from './orchestrator-driver.js';

/**
 * How a watched service is called by the orchestrator. The monitor knows services by their ids (data
 * nodes `d1`) or names (`gw-1`, `redis`); the local supervisor knows processes (`data-1`), Docker knows
 * compose services (the host name in the service's URL, e.g. `http://data-1:7101`).
 *
 * In order: an explicit mapping (ORCHESTRATOR_NAMES `d1=data-1,...`); for Docker and Swarm, the URL's host name
 * unless it is an IP address or localhost; for Kubernetes, its first label (`http://redoubt-data-0.redoubt-data:7101`
 * -> the pod `redoubt-data-0`, `http://redoubt-gateway:8080` -> the Service's pods); for the local stack, its naming (`d<i>` -> `data-<i>`,
 * `gw<i>` -> `gw-<i>`, `w1` -> `backup-worker`, `w<i>` -> `backup-worker-<i>`); else the name itself.
 */
export function orchestratorName(
  service: { name: string; url: string },
  driver: OrchestratorKind,
  explicit: ReadonlyMap<string, string> = new Map(),
): string {
  const mapped = explicit.get(service.name);
  if (mapped) return mapped;
  if (driver === 'docker' || driver === 'swarm' || driver === 'kubernetes') {
    try {
      const host = new URL(service.url).hostname;
      if (host && host !== 'localhost' && !/^[\d.]+$/.test(host) && !host.includes(':'))
        return driver === 'kubernetes' ? host.split('.')[0]! : host;
    } catch {
      // not a URL: fall through
    }
    return service.name;
  }
  if (driver === 'local') {
    let match = /^d(\d+)$/.exec(service.name);
    if (match) return `data-${match[1]}`;
    match = /^gw(\d+)$/.exec(service.name);
    if (match) return `gw-${match[1]}`;
    match = /^w(\d+)$/.exec(service.name);
    if (match) return match[1] === '1' ? 'backup-worker' : `backup-worker-${match[1]}`;
  }
  return service.name;
}
