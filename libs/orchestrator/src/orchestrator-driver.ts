/**
 * What the orchestrator says about a service's process or container:
 * - `running`: up (which does not mean healthy: a hung process or a container cut off its network runs)
 * - `paused`: frozen (SIGSTOP, `docker pause`)
 * - `stopped`: not running and nobody will start it (killed or stopped by hand, exited, given up on)
 * - `starting` / `restarting`: the orchestrator is bringing it up (or backing off before a restart)
 * - `missing`: the orchestrator has no such service
 * - `unknown`: no orchestrator, or it did not answer
 */
export type RuntimeState =
  'running' | 'paused' | 'stopped' | 'starting' | 'restarting' | 'missing' | 'unknown';

export interface RuntimeStatus {
  /** The orchestrator's name of the service (process name, compose service). */
  name: string;
  state: RuntimeState;
  /** The orchestrator's own word for it (`backoff`, `exited`, `failed`...). */
  detail: string;
  /** Networks the container should be on but is not (Docker only). */
  disconnected: string[];
  pid: number | null;
  /**
   * When the orchestrator last started the current process or container (epoch ms), whoever asked for it
   * (the monitor, or the orchestrator itself: Docker's restart policy, the supervisor after a crash); null
   * when unknown or never started. A service started moments ago is booting, not hung.
   */
  startedAt: number | null;
}

/** The actions recovery can take. */
export type RuntimeAction = 'start' | 'restart' | 'unpause' | 'reconnect';

/** A change the orchestrator reported (a process exited, a container was paused or cut off a network...). */
export interface RuntimeEvent {
  name: string;
  /** gone: stopped/exited/killed/failed; paused; disconnected: lost a network; back: started, unpaused or reconnected. */
  kind: 'gone' | 'paused' | 'disconnected' | 'back';
  at: number;
  detail: string;
}

/** Which orchestrator a driver speaks to. */
export type OrchestratorKind = 'local' | 'docker' | 'swarm' | 'kubernetes' | 'none';

/**
 * An orchestrator the monitor acts through. `local`: the supervisor of `npm start` (its control API);
 * `docker`: the Docker Engine API; `swarm`: Docker Swarm's service API (force-updates services); `kubernetes`: the Kubernetes API (deletes hung pods only); `none`: watch only. Actions resolve when the orchestrator accepted
 * them and reject with ORCHESTRATOR_* errors otherwise.
 */
export interface OrchestratorDriver {
  readonly kind: OrchestratorKind;
  status(name: string): Promise<RuntimeStatus>;
  perform(name: string, action: RuntimeAction): Promise<void>;
  /** Subscribes to runtime changes (an event source faster than probes); returns the unsubscribe. */
  watch(listener: (event: RuntimeEvent) => void): () => void;
  close(): Promise<void>;
}
