// The provider conformance suite against the Knative provider, through the official Kubernetes
// client, over real HTTP, to the stand-in API server (a test double: it runs no function code,
// so URLs are checked for shape and rollouts run ungated, as without Prometheus).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KnativeProvider } from '../../src/providers/knative/knativeProvider';
import { knativeTarget } from '../conformance/knativeTarget';
import { providerConformance } from '../conformance/suite';
import { KubeApiServerDouble } from '../doubles/kubeApiServer';

providerConformance('knative (stand-in API server)', async () => {
  const server = new KubeApiServerDouble({ revisionReadyAfterMs: 10 });
  await server.start();
  const dir = mkdtempSync(join(tmpdir(), 'fd-conformance-knative-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, server.kubeconfig('stand-in'));
  return knativeTarget(() => new KnativeProvider({ kubeconfig, readyTimeoutMs: 10_000 }), `registry.example.com/conformance/api@sha256:${'c'.repeat(64)}`, async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  // A second client's first calls through the official client take longer than the local
  // platform's: a step long enough that it acts on a rollout still running.
}, { stepMs: 2_000 });
