// Alibaba Cloud credentials from the standard places, in this order, never from settings:
//   1. ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET (+ ALIBABA_CLOUD_SECURITY_TOKEN)
//   2. the Alibaba Cloud credentials file: $ALIBABA_CLOUD_CREDENTIALS_FILE or ~/.alibabacloud/credentials,
//      profile $ALIBABA_CLOUD_PROFILE or `default` (type access_key or sts)
//   3. the aliyun CLI's config: ~/.aliyun/config.json, its current profile (mode AK or StsToken)
//   4. Serverless Devs' access file: ~/.s/access.yaml, alias $ALIBABA_CLOUD_PROFILE or `default`
//   5. a key typed into the editor (kept in VS Code's SecretStorage)
// Missing everywhere: one UNAUTHORIZED error that names every place looked at.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from '../../config/yaml';
import { FlightdeckError } from '../../errors';
import type { SecretStore } from '../registry';

export interface AlibabaCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  /** Where they came from, for people ("environment variables", a file path…). */
  source: string;
  /** Some files also know the account id and region. */
  accountId?: string;
  region?: string;
}

/** SecretStorage key of a key pair typed into the editor (JSON {accessKeyId, accessKeySecret}). */
export const EDITOR_SECRET_KEY = 'flightdeck.fc3.accessKey';

export interface CredentialSearch {
  env: NodeJS.ProcessEnv;
  /** Default: os.homedir(). */
  home?: string;
  secrets?: SecretStore;
}

/** The first credentials found, or UNAUTHORIZED naming every place looked at. */
export async function findCredentials(search: CredentialSearch): Promise<AlibabaCredentials> {
  const home = search.home ?? homedir();
  const { env } = search;
  const profile = env.ALIBABA_CLOUD_PROFILE || 'default';
  const places: [string, () => AlibabaCredentials | undefined | Promise<AlibabaCredentials | undefined>][] = [
    ['ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET in the environment', () => fromEnvironment(env)],
    [`${credentialsFile(env, home)} (profile ${profile})`, () => fromCredentialsFile(credentialsFile(env, home), profile)],
    [`${join(home, '.aliyun', 'config.json')} (the aliyun CLI's current profile)`, () => fromAliyunCli(join(home, '.aliyun', 'config.json'))],
    [`${join(home, '.s', 'access.yaml')} (Serverless Devs, alias ${profile})`, () => fromServerlessDevs(join(home, '.s', 'access.yaml'), profile)],
    ['a key entered in the editor (SecretStorage)', () => fromSecrets(search.secrets)],
  ];
  for (const [, find] of places) {
    const found = await find();
    if (found) return found;
  }
  throw new FlightdeckError('UNAUTHORIZED',
    `No Alibaba Cloud credentials found. Looked in: ${places.map(([where]) => where).join('; ')}. ` +
    'Set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, run `aliyun configure`, or enter a key in the editor.');
}

function fromEnvironment(env: NodeJS.ProcessEnv): AlibabaCredentials | undefined {
  const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!accessKeyId || !accessKeySecret) return undefined;
  return { accessKeyId, accessKeySecret, securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN || undefined, source: 'environment variables' };
}

function credentialsFile(env: NodeJS.ProcessEnv, home: string): string {
  return env.ALIBABA_CLOUD_CREDENTIALS_FILE || join(home, '.alibabacloud', 'credentials');
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** INI: `[default]` then `type = access_key`, `access_key_id = …`, `access_key_secret = …`. */
function fromCredentialsFile(file: string, profile: string): AlibabaCredentials | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const section = /^\[(.+)\]$/.exec(line);
    if (section) sections.set(section[1].trim(), (current = {}));
    else if (current && /^[\w.-]+\s*=/.test(line)) {
      const at = line.indexOf('=');
      current[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
  }
  const values = sections.get(profile);
  if (!values?.access_key_id || !values.access_key_secret) return undefined;
  return {
    accessKeyId: values.access_key_id,
    accessKeySecret: values.access_key_secret,
    securityToken: values.security_token || undefined,
    source: `${file} [${profile}]`,
  };
}

interface AliyunCliProfile {
  name?: string;
  mode?: string;
  access_key_id?: string;
  access_key_secret?: string;
  sts_token?: string;
  region_id?: string;
}

function fromAliyunCli(file: string): AlibabaCredentials | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  let config: { current?: string; profiles?: AliyunCliProfile[] };
  try {
    config = JSON.parse(text);
  } catch {
    throw new FlightdeckError('UNAUTHORIZED', `${file} is not valid JSON; fix it or run \`aliyun configure\` again.`);
  }
  const profile = config.profiles?.find((p) => p.name === (config.current || 'default'));
  if (!profile?.access_key_id || !profile.access_key_secret || (profile.mode && !['AK', 'StsToken'].includes(profile.mode))) return undefined;
  return {
    accessKeyId: profile.access_key_id,
    accessKeySecret: profile.access_key_secret,
    securityToken: profile.mode === 'StsToken' ? profile.sts_token : undefined,
    region: profile.region_id || undefined,
    source: `${file} (profile ${profile.name})`,
  };
}

/** `default: { AccountID, AccessKeyID, AccessKeySecret, SecurityToken? }` (values may be plain strings). */
function fromServerlessDevs(file: string, alias: string): AlibabaCredentials | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  const entry = (parseYaml(text) as Record<string, Record<string, unknown>> | null)?.[alias];
  const get = (key: string) => (typeof entry?.[key] === 'string' || typeof entry?.[key] === 'number' ? String(entry[key]) : undefined);
  const accessKeyId = get('AccessKeyID');
  const accessKeySecret = get('AccessKeySecret');
  if (!accessKeyId || !accessKeySecret) return undefined;
  return { accessKeyId, accessKeySecret, securityToken: get('SecurityToken'), accountId: get('AccountID'), source: `${file} (${alias})` };
}

async function fromSecrets(secrets: SecretStore | undefined): Promise<AlibabaCredentials | undefined> {
  const text = await secrets?.get(EDITOR_SECRET_KEY);
  if (!text) return undefined;
  const { accessKeyId, accessKeySecret } = JSON.parse(text) as Partial<AlibabaCredentials>;
  if (!accessKeyId || !accessKeySecret) return undefined;
  return { accessKeyId, accessKeySecret, source: 'the key entered in the editor' };
}
