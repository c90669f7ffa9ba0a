import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManifestObject } from './manifests.js';
import { containerEnv, materializeSecretMounts, podSpec } from './pod-spec.js';
import { run, type RunResult } from './run.js';

/** Which built entry point (a main.js) runs an image; undefined for images that are not ours. */
export type EntryPointFor = (image: string) => string | undefined;

export interface ContainerCheck extends RunResult {
  /** `Deployment/iam4kube-server server`. */
  readonly container: string;
  readonly argv: readonly string[];
}

/**
 * Runs every container (and init container) of ours in these objects the way the kubelet would start it — the manifest's args, its
 * environment, its Secret volumes projected to files — with `--check-config` appended: the binary parses and
 * validates all of it (and reads the files it names) and exits, 0 with "config ok" or 2 with the problem.
 */
export async function checkContainerArgs(objects: readonly ManifestObject[], entryPointFor: EntryPointFor): Promise<ContainerCheck[]> {
  const results: ContainerCheck[] = [];
  for (const workload of objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')) {
    const spec = podSpec(workload);
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      const main = entryPointFor(c.image ?? '');
      if (main === undefined) continue;
      const dir = mkdtempSync(join(tmpdir(), 'iam4kube-volumes-'));
      try {
        const local = materializeSecretMounts(objects, workload, c, dir);
        const argv = [...(c.command ?? []).slice(1), ...(c.args ?? []).map(local), '--check-config'];
        const env = Object.fromEntries(Object.entries(containerEnv(c)).map(([k, v]) => [k, local(v)]));
        const result = await run(process.execPath, [main, ...argv], { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env });
        results.push({ ...result, container: `${workload.kind}/${workload.metadata.name} ${c.name}`, argv });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return results;
}
