/** Something a fault can hit: a supervised process (local) or a container (docker). */
export interface ChaosTarget {
  /** The name faults use: the process name (`data-2`) or the compose service (`data-2`, `gateway-1`). */
  name: string;
  /** data | gateway | redis | monitor | backup-worker | ... */
  role: string;
  /** The service's own id where it has one (`d2`, `gw1`). */
  id?: string | undefined;
  /** Base URL of its health endpoints (`/readyz`), or `redis://host:port` (probed over TCP). */
  healthUrl?: string | undefined;
  labels: Record<string, string>;
}
