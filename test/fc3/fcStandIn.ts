// FcApiStandIn: a TEST DOUBLE of the Function Compute 3.0 control API (version 2023-03-30), for
// the provider's tests on machines that cannot reach FC. Built from the API reference, one page per
// operation under https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/
// (named next to each route below as api-fc-2023-03-30-<operation>). It is not FC: it keeps state
// in memory, InvokeFunction answers an empty 200 without running code, and the HTTP trigger URLs
// it hands out (http://<name>.<region>.fcapp.run.localhost:<port>, test/helpers/localhostDns.ts)
// run the version's Node.js handler in this process, with the product's own FC event mapping
// (src/platform/runtime/fc3Host.ts). Each such request is recorded as an Invocation, from which
// the CloudMonitor and SLS stand-ins (cmsStandIn.ts, slsStandIn.ts) derive metrics and log lines.
//
// What it holds the client to:
// - every request carries a valid ACS3-HMAC-SHA256 signature (acs3.ts), else 403 like FC;
// - every JSON body is checked against FC's published schema: the SDK's generated models
//   (@alicloud/fc20230330, generated from FC's OpenAPI metadata), field names and types, and
//   the model's own validate(); an unknown field or a wrong type is FC's 400 InvalidArgument;
// - errors are FC's: HTTP status + {"Code","Message","RequestId"} (api-fc-2023-03-30-errorcodes).

import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as fcModels from '@alicloud/fc20230330';
import { fc3Answer, fc3ErrorAnswer, fc3Event, invokeFc3, type Fc3Context, type Fc3Handler } from '../../src/platform/runtime/fc3Host';
import { readZip } from '../../src/providers/fc3/zip';
import { Acs3Checks } from './acs3';

/** One request a trigger URL served: what FC's metrics and logs would say of it. */
export interface Invocation {
  functionName: string;
  /** The version that ran it (an alias routes by its weights). */
  versionId: string;
  /** The trigger's qualifier the request came through (alias or version). */
  qualifier: string;
  requestId: string;
  instanceId: string;
  /** Milliseconds since the epoch, when it started. */
  time: number;
  status: number;
  /** FC's x-fc-error-type when the handler failed (a function error), e.g. UnhandledInvocationError. */
  errorType?: string;
  latencyMs: number;
  /** The lines FC writes to the function's log store for it, in order. */
  logs: string[];
}

type Json = Record<string, any>;

interface StoredVersion {
  versionId: string;
  description: string;
  createdTime: string;
  lastModifiedTime: string;
  /** The function's config and code as published. */
  snapshot: Json;
  code: Buffer;
}

interface StoredFunction {
  fn: Json;
  code: Buffer;
  versions: StoredVersion[];
  nextVersion: number;
  aliases: Map<string, Json>;
  triggers: Map<string, Json>;
}

class FcError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export interface StandInOptions {
  accessKeyId: string;
  accessKeySecret: string;
  accountId?: string;
  region?: string;
}

export class FcApiStandIn {
  /** Every API action the stand-in answered, in order (x-acs-action). */
  readonly actions: string[] = [];
  /** Every request its trigger URLs served, in order. */
  readonly invocations: Invocation[] = [];
  private readonly functions = new Map<string, StoredFunction>();
  private readonly checks: Acs3Checks;
  private readonly server: Server;
  private codeLinks = new Map<string, Buffer>();
  /** Trigger host → the function and qualifier it serves. */
  private readonly triggerHosts = new Map<string, { fnName: string; qualifier: string }>();
  /** Where each published version's code is unpacked to run (one folder per function version). */
  private readonly codeRoot = mkdtempSync(join(tmpdir(), 'fc-stand-in-code-'));
  private constructor(private readonly options: StandInOptions) {
    this.checks = new Acs3Checks(new Map([[options.accessKeyId, options.accessKeySecret]]), { version: '2023-03-30', wrongVersionCode: 'InvalidArgument' });
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(options: StandInOptions): Promise<FcApiStandIn> {
    const standIn = new FcApiStandIn(options);
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Function names it holds (for assertions that nothing is left behind). */
  functionNames(): string[] {
    return [...this.functions.keys()];
  }

  /** The log store (logConfig) of a function, as the FC console sets it. */
  logConfigOf(functionName: string): { project?: string; logstore?: string } | undefined {
    return this.functions.get(functionName)?.fn.logConfig;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.codeRoot, { recursive: true, force: true });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.endpoint);
    try {
      const trigger = this.triggerHosts.get(String(req.headers.host).replace(/:\d+$/, ''));
      if (trigger) {
        await this.serveTrigger(trigger.fnName, trigger.qualifier, req, body, res);
        return;
      }
      // GetFunctionCode answers a pre-signed download URL (like OSS's): not an API call, no signature.
      if (req.method === 'GET' && url.pathname.startsWith('/code-download/')) {
        const zip = this.codeLinks.get(url.pathname.slice('/code-download/'.length));
        if (!zip) throw new FcError(404, 'NotFound', 'no such code link');
        res.writeHead(200, { 'content-type': 'application/zip' }).end(zip);
        return;
      }
      const refused = this.checks.refusal({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body });
      if (refused) throw new FcError(refused.status, refused.code, refused.message);
      const action = String(req.headers['x-acs-action']);
      this.actions.push(action);
      const json = body.length > 0 && req.headers['content-type']?.includes('json') ? (JSON.parse(body.toString('utf8')) as Json) : undefined;
      const { status, answer, headers } = this.route(req.method ?? 'GET', url, action, json);
      const text = answer === undefined ? '' : JSON.stringify(answer);
      res.writeHead(status, { 'x-acs-request-id': requestId, ...(text ? { 'content-type': 'application/json' } : {}), ...headers }).end(text);
    } catch (error) {
      const e = error instanceof FcError ? error : new FcError(500, 'InternalServerError', (error as Error).message);
      res.writeHead(e.status, { 'content-type': 'application/json', 'x-acs-request-id': requestId })
        .end(JSON.stringify({ Code: e.code, Message: e.message, RequestId: requestId }));
    }
  }

  private route(method: string, url: URL, action: string, body: Json | undefined): { status: number; answer?: unknown; headers?: Record<string, string> } {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== '2023-03-30' || parts[1] !== 'functions') throw new FcError(400, 'PathNotSupported', `'${method}' against '${url.pathname}' is not supported`);
    const [, , fnName, sub, id] = parts;
    const q = url.searchParams;
    const expect = (wanted: string) => {
      if (action !== wanted) throw new FcError(400, 'InvalidArgument', `x-acs-action ${action} does not match ${method} ${url.pathname} (${wanted})`);
    };
    if (!fnName) {
      if (method === 'POST') return expect('CreateFunction'), { status: 200, answer: this.createFunction(checked(fcModels.CreateFunctionInput, body)) };
      if (method === 'GET') return expect('ListFunctions'), { status: 200, answer: this.listFunctions(q) };
    }
    const stored = () => this.function(fnName);
    if (sub === undefined) {
      // api-fc-2023-03-30-getfunction / -updatefunction / -deletefunction
      if (method === 'GET') return expect('GetFunction'), { status: 200, answer: this.functionAt(stored(), q.get('qualifier')) };
      if (method === 'PUT') return expect('UpdateFunction'), { status: 200, answer: this.updateFunction(stored(), checked(fcModels.UpdateFunctionInput, body)) };
      if (method === 'DELETE') return expect('DeleteFunction'), this.deleteFunction(fnName);
    }
    if (sub === 'versions') {
      // api-fc-2023-03-30-publishfunctionversion / -listfunctionversions / -deletefunctionversion
      if (method === 'POST' && !id) return expect('PublishFunctionVersion'), { status: 200, answer: this.publish(stored(), checked(fcModels.PublishVersionInput, body ?? {})) };
      if (method === 'GET' && !id) return expect('ListFunctionVersions'), { status: 200, answer: this.listVersions(stored(), q) };
      if (method === 'DELETE' && id) return expect('DeleteFunctionVersion'), this.deleteVersion(stored(), id);
    }
    if (sub === 'aliases') {
      // api-fc-2023-03-30-createalias / -getalias / -updatealias / -listaliases / -deletealias
      if (method === 'POST' && !id) return expect('CreateAlias'), { status: 200, answer: this.createAlias(stored(), checked(fcModels.CreateAliasInput, body)) };
      if (method === 'GET' && !id) return expect('ListAliases'), { status: 200, answer: page([...stored().aliases.values()], q, 'aliases') };
      if (method === 'GET') return expect('GetAlias'), { status: 200, answer: this.alias(stored(), id) };
      if (method === 'PUT') return expect('UpdateAlias'), { status: 200, answer: this.updateAlias(stored(), id, checked(fcModels.UpdateAliasInput, body)) };
      if (method === 'DELETE') return expect('DeleteAlias'), this.deleteAlias(stored(), id);
    }
    if (sub === 'triggers') {
      // api-fc-2023-03-30-createtrigger / -listtriggers / -deletetrigger
      if (method === 'POST' && !id) return expect('CreateTrigger'), { status: 200, answer: this.createTrigger(stored(), fnName, checked(fcModels.CreateTriggerInput, body)) };
      if (method === 'GET' && !id) return expect('ListTriggers'), { status: 200, answer: page([...stored().triggers.values()], q, 'triggers') };
      if (method === 'DELETE' && id) return expect('DeleteTrigger'), this.deleteTrigger(stored(), id);
    }
    if (sub === 'instances' && method === 'GET') {
      // api-fc-2023-03-30-listinstances: {instances: [{instanceId, versionId, qualifier, status…}], requestId}
      return expect('ListInstances'), { status: 200, answer: { instances: [], requestId: randomUUID() } };
    }
    if (sub === 'code' && method === 'GET') {
      // api-fc-2023-03-30-getfunctioncode: OutputFuncCode {url, checksum}
      expect('GetFunctionCode');
      const code = this.versionOrLatest(stored(), q.get('qualifier')).code;
      const token = randomUUID();
      this.codeLinks.set(token, code);
      return { status: 200, answer: { url: `${this.endpoint}/code-download/${token}`, checksum: crc64Placeholder(code) } };
    }
    if (sub === 'invocations' && method === 'POST') {
      // api-fc-2023-03-30-invokefunction: the function's answer as the body, x-fc-request-id; no code runs here.
      expect('InvokeFunction');
      this.versionOrLatest(stored(), q.get('qualifier'));
      return { status: 200, headers: { 'x-fc-request-id': randomUUID() } };
    }
    throw new FcError(400, 'PathNotSupported', `'${method}' against '${url.pathname}' is not supported`);
  }

  // api-fc-2023-03-30-createfunction: CreateFunctionInput in, Function out; 409 FunctionAlreadyExists.
  private createFunction(input: Json): Json {
    const name = input.functionName as string;
    if (!/^[a-zA-Z_][a-zA-Z0-9_-]{0,127}$/.test(name ?? '')) throw new FcError(400, 'InvalidArgument', `invalid functionName '${name}'`);
    if (this.functions.has(name)) throw new FcError(409, 'FunctionAlreadyExists', `function '${name}' already exists`);
    const code = codeOf(input);
    if (!code) throw new FcError(400, 'InvalidArgument', 'code is required');
    const now = new Date().toISOString();
    const config = without(input, ['code']);
    const fn = { ...config, functionArn: `acs:fc:${this.options.region ?? 'cn-hangzhou'}:${this.options.accountId ?? '0'}:functions/${name}`, functionId: randomUUID(), createdTime: now, lastModifiedTime: now, state: 'Active', lastUpdateStatus: 'Successful', codeSize: code.length, codeChecksum: crc64Placeholder(code), tags: input.tags ?? [] };
    this.functions.set(name, { fn, code, versions: [], nextVersion: 1, aliases: new Map(), triggers: new Map() });
    return fn;
  }

  // api-fc-2023-03-30-listfunctions: {functions, nextToken}; `prefix`, `limit` (≤ 100), `nextToken`.
  private listFunctions(q: URLSearchParams): Json {
    const prefix = q.get('prefix') ?? '';
    return page([...this.functions.values()].map((f) => f.fn).filter((f) => String(f.functionName).startsWith(prefix)), q, 'functions');
  }

  private function(name: string): StoredFunction {
    const found = this.functions.get(name);
    if (!found) throw new FcError(404, 'FunctionNotFound', `function '${name}' does not exist`);
    return found;
  }

  private functionAt(stored: StoredFunction, qualifier: string | null): Json {
    if (!qualifier || qualifier === 'LATEST') return stored.fn;
    return { ...stored.fn, ...this.versionOrLatest(stored, qualifier).snapshot };
  }

  private versionOrLatest(stored: StoredFunction, qualifier: string | null): { snapshot: Json; code: Buffer } {
    if (!qualifier || qualifier === 'LATEST') return { snapshot: stored.fn, code: stored.code };
    const alias = stored.aliases.get(qualifier);
    const versionId = alias ? alias.versionId : qualifier;
    const version = stored.versions.find((v) => v.versionId === versionId);
    if (!version) throw new FcError(404, 'VersionNotFound', `version '${versionId}' of function '${stored.fn.functionName}' does not exist`);
    return version;
  }

  // api-fc-2023-03-30-updatefunction: UpdateFunctionInput (every field optional) in, Function out.
  private updateFunction(stored: StoredFunction, input: Json): Json {
    const code = codeOf(input);
    const config = without(input, ['code']);
    stored.fn = { ...stored.fn, ...config, lastModifiedTime: new Date().toISOString() };
    if (code) Object.assign(stored, { code }), Object.assign(stored.fn, { codeSize: code.length, codeChecksum: crc64Placeholder(code) });
    return stored.fn;
  }

  // FC refuses to delete a function that still has versions, aliases or triggers (409).
  private deleteFunction(name: string): { status: number } {
    const stored = this.function(name);
    const left = [stored.triggers.size && 'triggers', stored.aliases.size && 'aliases', stored.versions.length && 'versions'].filter(Boolean);
    if (left.length) throw new FcError(409, 'ResourceInUse', `function '${name}' still has ${left.join(', ')}`);
    this.functions.delete(name);
    return { status: 204 };
  }

  // api-fc-2023-03-30-publishfunctionversion: PublishVersionInput {description} in, Version out.
  private publish(stored: StoredFunction, input: Json): Json {
    const now = new Date().toISOString();
    const snapshot = without(stored.fn, ['functionName', 'tags', 'createdTime', 'lastModifiedTime']);
    const version: StoredVersion = { versionId: String(stored.nextVersion++), description: input.description ?? '', createdTime: now, lastModifiedTime: now, snapshot, code: stored.code };
    stored.versions.push(version);
    return versionJson(version);
  }

  // api-fc-2023-03-30-listfunctionversions: {versions, direction, nextToken}; direction FORWARD|BACKWARD.
  private listVersions(stored: StoredFunction, q: URLSearchParams): Json {
    const direction = q.get('direction') ?? 'FORWARD';
    const ordered = [...stored.versions].sort((a, b) => Number(a.versionId) - Number(b.versionId));
    if (direction === 'BACKWARD') ordered.reverse();
    return { ...page(ordered.map(versionJson), q, 'versions'), direction };
  }

  private deleteVersion(stored: StoredFunction, id: string): { status: number } {
    if ([...stored.aliases.values()].some((a) => a.versionId === id || Object.hasOwn(a.additionalVersionWeight ?? {}, id))) {
      throw new FcError(409, 'ResourceInUse', `version '${id}' is used by an alias`);
    }
    const at = stored.versions.findIndex((v) => v.versionId === id);
    if (at < 0) throw new FcError(404, 'VersionNotFound', `version '${id}' does not exist`);
    stored.versions.splice(at, 1);
    return { status: 204 };
  }

  // api-fc-2023-03-30-createalias: CreateAliasInput {aliasName, versionId, additionalVersionWeight, description}; 409 AliasAlreadyExists.
  private createAlias(stored: StoredFunction, input: Json): Json {
    if (stored.aliases.has(input.aliasName)) throw new FcError(409, 'AliasAlreadyExists', `alias '${input.aliasName}' already exists`);
    this.checkWeights(stored, input);
    const now = new Date().toISOString();
    const alias = { aliasName: input.aliasName, versionId: input.versionId, additionalVersionWeight: input.additionalVersionWeight ?? {}, description: input.description ?? '', createdTime: now, lastModifiedTime: now };
    stored.aliases.set(alias.aliasName, alias);
    return alias;
  }

  private alias(stored: StoredFunction, name: string): Json {
    const alias = stored.aliases.get(name);
    if (!alias) throw new FcError(404, 'AliasNotFound', `alias '${name}' of function '${stored.fn.functionName}' does not exist`);
    return alias;
  }

  // api-fc-2023-03-30-updatealias: UpdateAliasInput {versionId, additionalVersionWeight, description}, Alias out.
  private updateAlias(stored: StoredFunction, name: string, input: Json): Json {
    const alias = this.alias(stored, name);
    const next = { ...alias, ...input, lastModifiedTime: new Date().toISOString() };
    this.checkWeights(stored, next);
    stored.aliases.set(name, next);
    return next;
  }

  /** Weights in [0, 1] of published versions, not the primary (AdditionalVersionContainsMajorVersion). */
  private checkWeights(stored: StoredFunction, alias: Json): void {
    if (!stored.versions.some((v) => v.versionId === alias.versionId)) throw new FcError(404, 'VersionNotFound', `version '${alias.versionId}' does not exist`);
    let sum = 0;
    for (const [id, weight] of Object.entries<number>(alias.additionalVersionWeight ?? {})) {
      if (id === alias.versionId) throw new FcError(400, 'AdditionalVersionContainsMajorVersion', `additionalVersionWeight should not contain major version ${id}`);
      if (!(weight >= 0 && weight <= 1)) throw new FcError(400, 'InvalidArgument', `weight of version ${id} must be within [0, 1]`);
      if (!stored.versions.some((v) => v.versionId === id)) throw new FcError(404, 'VersionNotFound', `version '${id}' does not exist`);
      sum += weight;
    }
    if (sum > 1) throw new FcError(400, 'InvalidArgument', 'additional version weights add up to more than 1');
  }

  private deleteAlias(stored: StoredFunction, name: string): { status: number } {
    this.alias(stored, name);
    if ([...stored.triggers.values()].some((t) => t.qualifier === name)) throw new FcError(409, 'ResourceInUse', `alias '${name}' is used by a trigger`);
    stored.aliases.delete(name);
    return { status: 204 };
  }

  // api-fc-2023-03-30-createtrigger: CreateTriggerInput (triggerConfig is a JSON string); an http
  // trigger answers httpTrigger {urlInternet, urlIntranet}.
  private createTrigger(stored: StoredFunction, fnName: string, input: Json): Json {
    if (stored.triggers.has(input.triggerName)) throw new FcError(409, 'TriggerAlreadyExists', `trigger '${input.triggerName}' already exists`);
    if (input.triggerType === 'http') {
      const config = JSON.parse(input.triggerConfig ?? '{}') as Json;
      if (!['anonymous', 'function', 'jwt'].includes(config.authType)) throw new FcError(400, 'InvalidArgument', 'triggerConfig.authType must be anonymous, function or jwt');
    }
    this.versionOrLatest(stored, input.qualifier ?? null);
    const now = new Date().toISOString();
    const host = `${fnName.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${createHash('sha1').update(fnName + input.triggerName).digest('hex').slice(0, 10)}.${this.options.region ?? 'cn-hangzhou'}.fcapp.run`;
    const trigger = {
      ...input,
      triggerId: randomUUID(),
      createdTime: now,
      lastModifiedTime: now,
      status: 'Ready',
      // FC's https://<host>; here a name under localhost that reaches this server.
      ...(input.triggerType === 'http' ? { httpTrigger: { urlInternet: `http://${host}.localhost:${this.port}`, urlIntranet: `http://${host.replace('.fcapp.run', '-vpc.fcapp.run')}.localhost:${this.port}` } } : {}),
    };
    if (input.triggerType === 'http') this.triggerHosts.set(`${host}.localhost`, { fnName, qualifier: input.qualifier ?? 'LATEST' });
    stored.triggers.set(input.triggerName, trigger);
    return trigger;
  }

  private deleteTrigger(stored: StoredFunction, name: string): { status: number } {
    if (!stored.triggers.delete(name)) throw new FcError(404, 'TriggerNotFound', `trigger '${name}' does not exist`);
    return { status: 204 };
  }

  private get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /**
   * An HTTP trigger request: the alias picks a version by its weights (additionalVersionWeight,
   * the rest to versionId), the version's handler runs as FC's Node.js runtime calls it, and FC's
   * log lines around it are recorded ("FC Invoke Start/End RequestId", the logger's lines).
   */
  private async serveTrigger(fnName: string, qualifier: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const stored = this.function(fnName);
    const alias = stored.aliases.get(qualifier);
    let versionId = alias ? alias.versionId as string : qualifier;
    if (alias) {
      let draw = Math.random();
      for (const [id, weight] of Object.entries<number>(alias.additionalVersionWeight ?? {})) {
        if ((draw -= weight) < 0) {
          versionId = id;
          break;
        }
      }
    }
    const version = stored.versions.find((v) => v.versionId === versionId);
    if (!version) throw new FcError(404, 'VersionNotFound', `version '${versionId}' does not exist`);
    const requestId = randomUUID();
    const started = Date.now();
    const logs = [`FC Invoke Start RequestId: ${requestId}`];
    const log = (level: string) => (...items: unknown[]) => logs.push(`${new Date().toISOString()} ${requestId} [${level}] ${items.map(String).join(' ')}`);
    const fn = { name: fnName, handler: String(version.snapshot.handler), memoryMb: version.snapshot.memorySize ?? 512, timeoutSeconds: version.snapshot.timeout ?? 3, region: this.options.region ?? 'cn-hangzhou', accountId: this.options.accountId ?? '0', version: Number(versionId) };
    const context: Fc3Context = {
      requestId,
      credentials: { accessKeyId: '', accessKeySecret: '', securityToken: '' },
      function: { name: fn.name, handler: fn.handler, memory: fn.memoryMb, timeout: fn.timeoutSeconds },
      service: { logProject: stored.fn.logConfig?.project ?? '', logStore: stored.fn.logConfig?.logstore ?? '', qualifier, versionId },
      region: fn.region,
      accountId: fn.accountId,
      logger: { debug: log('debug'), info: log('info'), log: log('info'), warn: log('warn'), error: log('error') },
    };
    const event = Buffer.from(JSON.stringify(fc3Event({ method: req.method ?? 'GET', url: req.url ?? '/', rawHeaders: req.rawHeaders, body }, fn, requestId, started)));
    let answer;
    try {
      answer = fc3Answer(await this.runHandler(fnName, version, event, context));
    } catch (error) {
      logs.push(`${new Date().toISOString()} ${requestId} [error] ${(error as Error).message}`);
      answer = fc3ErrorAnswer(error);
    }
    logs.push(`FC Invoke End RequestId: ${requestId}`);
    const errorType = answer.headers['x-fc-error-type'] as string | undefined;
    this.invocations.push({ functionName: fnName, versionId, qualifier, requestId, instanceId: `c-${createHash('sha1').update(fnName + versionId).digest('hex').slice(0, 16)}`, time: started, status: answer.status, ...(errorType ? { errorType } : {}), latencyMs: Date.now() - started, logs });
    res.writeHead(answer.status, { ...answer.headers, 'x-fc-request-id': requestId }).end(answer.body);
  }

  /**
   * Runs the version's handler in this process. Its environmentVariables are the process's own
   * only while the handler's synchronous part runs (where the test handlers read them): a test
   * double, not an isolated runtime.
   */
  private async runHandler(fnName: string, version: StoredVersion, event: Buffer, context: Fc3Context): Promise<unknown> {
    const folder = join(this.codeRoot, `${fnName}-${version.versionId}`);
    const [file, exported] = String(version.snapshot.handler).split('.');
    const modulePath = join(folder, `${file}.js`);
    if (!this.unpacked.has(folder)) {
      for (const entry of readZip(version.code)) {
        mkdirSync(dirname(join(folder, entry.path)), { recursive: true });
        writeFileSync(join(folder, entry.path), entry.data);
      }
      this.unpacked.add(folder);
    }
    const handler = (require(modulePath) as Record<string, Fc3Handler>)[exported];
    const env = (version.snapshot.environmentVariables ?? {}) as Record<string, string>;
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    let running: Promise<unknown>;
    try {
      running = invokeFc3(handler, event, context);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    return running;
  }

  private readonly unpacked = new Set<string>();
}

/** Checks a body against the SDK's generated model (FC's published schema): names, types, validate(). */
function checked(model: ModelClass, body: Json | undefined): Json {
  if (!body) throw new FcError(400, 'InvalidArgument', 'a JSON body is required');
  const problems = schemaProblems(model, body, '');
  if (problems.length > 0) throw new FcError(400, 'InvalidArgument', problems.join('; '));
  try {
    new model(body).validate();
  } catch (error) {
    throw new FcError(400, 'InvalidArgument', (error as Error).message);
  }
  return body;
}

interface ModelClass {
  new (map?: Json): { validate(): void };
  names(): Record<string, string>;
  types(): Record<string, unknown>;
}

export function schemaProblems(model: ModelClass, value: unknown, path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path || 'body'} must be an object`];
  const byWire = new Map(Object.entries(model.names()).map(([prop, wire]) => [wire, prop]));
  const types = model.types();
  const problems: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const prop = byWire.get(key);
    if (prop === undefined) {
      problems.push(`${path}${key} is not a field of ${model.name}`);
      continue;
    }
    problems.push(...typeProblems(types[prop], child, `${path}${key}`));
  }
  return problems;
}

function typeProblems(type: unknown, value: unknown, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (type === 'string' || type === 'number' || type === 'boolean') return typeof value === type ? [] : [`${path} must be a ${type}`];
  if (typeof type === 'function') return schemaProblems(type as ModelClass, value, `${path}.`);
  const t = type as { type?: string; itemType?: unknown; valueType?: unknown };
  if (t?.type === 'array') return Array.isArray(value) ? value.flatMap((item, i) => typeProblems(t.itemType, item, `${path}[${i}]`)) : [`${path} must be an array`];
  if (t?.type === 'map') {
    if (typeof value !== 'object' || Array.isArray(value)) return [`${path} must be an object`];
    return Object.entries(value as Json).flatMap(([k, v]) => typeProblems(t.valueType, v, `${path}.${k}`));
  }
  return [];
}

function without(value: Json, keys: string[]): Json {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}

function codeOf(input: Json): Buffer | undefined {
  const zip = input.code?.zipFile as string | undefined;
  if (zip === undefined) return undefined;
  const bytes = Buffer.from(zip, 'base64');
  if (bytes.readUInt32LE(bytes.length - 22) !== 0x06054b50) throw new FcError(400, 'InvalidArgument', 'code.zipFile is not a zip file');
  return bytes;
}

function versionJson(v: StoredVersion): Json {
  return { versionId: v.versionId, description: v.description, createdTime: v.createdTime, lastModifiedTime: v.lastModifiedTime };
}

/** FC pages with `limit` and an opaque `nextToken` (here the index of the next item). */
function page(items: Json[], q: URLSearchParams, key: string): Json {
  const limit = Math.min(Number(q.get('limit') ?? 20), 100);
  const start = Number(q.get('nextToken') ?? 0);
  const slice = items.slice(start, start + limit);
  return start + limit < items.length ? { [key]: slice, nextToken: String(start + limit) } : { [key]: slice };
}

/** FC reports a CRC-64 checksum of the code; the stand-in reports a stable stand-in value. */
function crc64Placeholder(code: Buffer): string {
  return BigInt(`0x${createHash('sha256').update(code).digest('hex').slice(0, 15)}`).toString();
}
