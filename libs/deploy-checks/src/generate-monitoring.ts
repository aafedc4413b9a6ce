// Writes the Prometheus-operator copies of the alert rules and dashboards (monitoring-objects.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { monitoringObjects } from './monitoring-objects.js';
import { REPO_ROOT } from './repo-root.js';

for (const [path, content] of monitoringObjects(REPO_ROOT)) {
  mkdirSync(dirname(join(REPO_ROOT, path)), { recursive: true });
  writeFileSync(join(REPO_ROOT, path), content);
  console.log(`wrote ${path}`);
}
