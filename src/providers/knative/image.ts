// The image a Knative version runs, pinned by digest so the version is immutable: `image:` as
// given when it already names a digest, else resolved through the registry (OCI Distribution
// Spec: HEAD /v2/<name>/manifests/<tag> answers Docker-Content-Digest; a 401 names a token
// service in WWW-Authenticate, asked anonymously); or `build:`, a command that builds and pushes
// an image and prints its reference (ko, `docker buildx … --push`, pack), whose last reference
// printed is taken.
import { spawn } from 'node:child_process';
import { FlightdeckError } from '../../errors';
import type { ImageSource } from '../../provider';

const DIGEST = /@sha256:[0-9a-f]{64}$/;
const REFERENCE = /^[a-z0-9][a-z0-9.-]*(?::\d+)?\/[a-z0-9._/-]+(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;
const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface ImageOptions {
  /** Folder the build command runs in. */
  cwd: string;
  signal?: AbortSignal;
  /** `http` only for a registry on loopback (tests); default https. */
  scheme?: (registry: string) => 'http' | 'https';
}

export async function pinnedImage(fn: string, source: ImageSource | undefined, options: ImageOptions): Promise<string> {
  if (!source || (!source.image && !source.build)) {
    throw new FlightdeckError('BAD_REQUEST',
      `Knative runs container images: give function ${fn} an \`image:\` (a reference, best pinned by digest) or a \`build:\` command that builds and pushes one and prints its reference, in flightdeck.yaml.`,
      { field: 'image' });
  }
  const reference = source.image ?? (await runBuild(fn, source.build!, options));
  return DIGEST.test(reference) ? reference : resolveDigest(reference, options);
}

async function runBuild(fn: string, command: string, options: ImageOptions): Promise<string> {
  const child = spawn(command, { cwd: options.cwd, shell: true, stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).catch((error: Error) => {
    throw new FlightdeckError('BAD_REQUEST', `The build command of ${fn} (${command}) could not run: ${error.message}`, { field: 'build' });
  });
  if (code !== 0) {
    throw new FlightdeckError('BAD_REQUEST', `The build command of ${fn} (${command}) failed with exit code ${code}:\n${tail(err || out)}`, { field: 'build' });
  }
  const reference = out.split(/\s+/).filter((word) => REFERENCE.test(word)).at(-1);
  if (!reference) {
    throw new FlightdeckError('BAD_REQUEST',
      `The build command of ${fn} (${command}) printed no image reference (e.g. registry.example.com/team/${fn}@sha256:…); make it print the pushed image last.`,
      { field: 'build' });
  }
  return reference;
}

/** Resolves `registry/name:tag` to `registry/name@sha256:…` with the registry's manifest HEAD. */
export async function resolveDigest(reference: string, options: Pick<ImageOptions, 'scheme' | 'signal'> = {}): Promise<string> {
  const { registry, repository, tag } = parseReference(reference);
  const base = `${options.scheme?.(registry) ?? 'https'}://${registry}`;
  const url = `${base}/v2/${repository}/manifests/${tag}`;
  const unresolved = (why: string) => new FlightdeckError('BAD_REQUEST',
    `Cannot pin ${reference} to a digest (${why}); pin it yourself in flightdeck.yaml as ${registry}/${repository}@sha256:<digest>.`, { field: 'image' });
  try {
    let response = await fetch(url, { method: 'HEAD', headers: { accept: MANIFEST_TYPES }, signal: options.signal });
    if (response.status === 401) {
      const token = await anonymousToken(response.headers.get('www-authenticate'), options.signal);
      if (token) response = await fetch(url, { method: 'HEAD', headers: { accept: MANIFEST_TYPES, authorization: `Bearer ${token}` }, signal: options.signal });
    }
    const digest = response.headers.get('docker-content-digest');
    if (!response.ok || !digest) throw unresolved(`the registry answered ${response.status}`);
    return `${registry}/${repository}@${digest}`;
  } catch (error) {
    if (error instanceof FlightdeckError) throw error;
    throw unresolved((error as Error).message);
  }
}

function parseReference(reference: string): { registry: string; repository: string; tag: string } {
  const slash = reference.indexOf('/');
  const first = slash < 0 ? '' : reference.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  const registry = hasRegistry ? first : 'registry-1.docker.io';
  let rest = hasRegistry ? reference.slice(slash + 1) : reference;
  if (!hasRegistry && !rest.includes('/')) rest = `library/${rest}`;
  const colon = rest.lastIndexOf(':');
  return colon > rest.lastIndexOf('/') ? { registry, repository: rest.slice(0, colon), tag: rest.slice(colon + 1) } : { registry, repository: rest, tag: 'latest' };
}

/** Bearer realm="…",service="…",scope="…" → an anonymous token (Docker token authentication). */
async function anonymousToken(challenge: string | null, signal?: AbortSignal): Promise<string | undefined> {
  if (!challenge?.startsWith('Bearer ')) return undefined;
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  if (!params.realm) return undefined;
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set('service', params.service);
  if (params.scope) url.searchParams.set('scope', params.scope);
  const response = await fetch(url, { signal });
  if (!response.ok) return undefined;
  const body = (await response.json()) as { token?: string; access_token?: string };
  return body.token ?? body.access_token;
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-10).join('\n');
}
