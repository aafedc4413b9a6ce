export {
  renderOverlays,
  parseObjects,
  requireKubectl,
  type KubeObject,
  type RenderedOverlay,
} from './render.js';
export { schemaProblems } from './schema-validation.js';
export { selects, parseSelectorString, type LabelSelector } from './label-selectors.js';
export {
  podSecurityProblems,
  referenceProblems,
  networkPolicyProblems,
  ingressSources,
  dataVolumeProblems,
  disruptionBudgetProblems,
  probeProblems,
  podTemplates,
} from './manifest-checks.js';
export { serviceProblems, wiringProblems } from './cluster-wiring.js';
export { backupTargetProblems } from './backup-targets.js';
export { monitoringObjects, GENERATED_DIR } from './monitoring-objects.js';
export { REPO_ROOT } from './repo-root.js';
