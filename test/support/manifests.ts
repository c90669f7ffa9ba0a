import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '@iam4kube/testkit';
import { run } from './run.js';

/** The real kubectl (kustomize is built in). */
export const KUBECTL = '/usr/bin/kubectl';

/** A Kubernetes object as kustomize writes it. */
export interface ManifestObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [field: string]: unknown;
}

/**
 * A copy of manifests/ with a freshly generated IMDSv2 token key in manifests/install/token-key, as docs/install.md
 * tells an installer to make: the key is never committed, so the repository's own folder does not build as is.
 */
export interface ManifestsCopy {
  readonly dir: string;
  /** Every folder holding a kustomization.yaml, relative to the copy (e.g. `install`, `overlays/remove-taint`). */
  readonly kustomizations: readonly string[];
  /** The key written to install/token-key. */
  readonly tokenKey: Buffer;
  remove(): void;
}

export function copyManifests(): ManifestsCopy {
  const dir = mkdtempSync(join(tmpdir(), 'iam4kube-manifests-'));
  cpSync(join(repoRoot(), 'manifests'), dir, { recursive: true, filter: (src) => !src.endsWith(`${join('install', 'token-key')}`) });
  const tokenKey = randomBytes(32);
  writeFileSync(join(dir, 'install', 'token-key'), tokenKey);
  return { dir, kustomizations: findKustomizations(dir), tokenKey, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function findKustomizations(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name === 'kustomization.yaml') found.push(relative(root, dir));
    }
  };
  walk(root);
  return found;
}

export interface KustomizeResult {
  readonly code: number | null;
  readonly stderr: string;
  readonly objects: ManifestObject[];
}

/** `kubectl kustomize DIR`, parsed. */
export async function kustomize(dir: string): Promise<KustomizeResult> {
  const r = await run(KUBECTL, ['kustomize', dir], { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() });
  return { code: r.code, stderr: r.stderr, objects: r.code === 0 ? parseYamlStream(r.stdout) : [] };
}

/** Every document of a YAML stream, as plain objects (YAML 1.1 like kubectl, so `0440` is octal). */
export function parseYamlStream(text: string): ManifestObject[] {
  return parseAllDocuments(text, { version: '1.1' })
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`bad YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as ManifestObject | null;
    })
    .filter((o): o is ManifestObject => o !== null);
}

/** The one object of this kind and name; throws when it is missing. */
export function find<T = ManifestObject>(objects: readonly ManifestObject[], kind: string, name: string): T & ManifestObject {
  const match = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (match.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${match.length} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return match[0] as T & ManifestObject;
}

export interface BuiltManifests {
  readonly copy: ManifestsCopy;
  /** `kubectl kustomize` of every kustomization of the copy, by folder (relative to manifests/). */
  readonly builds: ReadonlyMap<string, KustomizeResult>;
  /** The objects of one build; throws when that build failed. */
  objects(kustomization: string): ManifestObject[];
}

/** Builds every kustomization of a fresh copy of manifests/ (remove the copy when done: `copy.remove()`). */
export async function buildManifests(): Promise<BuiltManifests> {
  const copy = copyManifests();
  const builds = new Map<string, KustomizeResult>();
  for (const k of copy.kustomizations) builds.set(k, await kustomize(join(copy.dir, k)));
  return {
    copy,
    builds,
    objects(kustomization) {
      const build = builds.get(kustomization);
      if (!build) throw new Error(`no kustomization ${kustomization} (have: ${[...builds.keys()].join(', ')})`);
      if (build.code !== 0) throw new Error(`kubectl kustomize ${kustomization} failed: ${build.stderr}`);
      return build.objects;
    },
  };
}
