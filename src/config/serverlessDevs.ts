// Serverless Devs `s.yaml` → flightdeck.yaml. Edition 3.0.0 (`resources`, `component: fc3`,
// FC 3.0 props) and the older editions (`services`, `component: fc` / `devsapp/fc`,
// `props.function` with `codeUri`) map onto Flightdeck functions declared `events: fc3`, so the
// same code runs locally as on FC. `${vars.x}`, `${env('X')}` / `${env.X}` and
// `${resources.a.props.b}` / `${services.a.props.b}` resolve; everything that cannot map is a
// problem at its own line (and a comment in the written file), never dropped in silence.
//
// Formats: "YAML specifications" of Serverless Devs 3.0 (https://docs.serverless-devs.com/user-guide/spec/)
// and the fc3 component's props (https://github.com/devsapp/fc3/blob/main/docs/zh/yaml/readme.md);
// older editions: https://github.com/devsapp/fc/blob/main/docs/en/yaml/readme.md.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Document, Node, Pair } from 'yaml';
import { isAlias, isMap, isScalar, isSeq, newLineCounter, parseDocument, stringify } from './yaml';
import { MAX_TIMEOUT_MS, MEMORY_MB_RANGE } from '../model';
import { FlightdeckError } from '../errors';
import { isDnsLabel, PROJECT_FILE_NAME, S_YAML_NAMES } from './names';
import { YamlReader, type Problem } from './yamlReader';

export interface ImportedFunction {
  /** The Flightdeck function name (a DNS label made from FC's functionName). */
  name: string;
  /** The resource or service key in s.yaml, and the line of its props. */
  source: string;
  line: number;
  definition: Record<string, unknown>;
}

export interface SYamlImport {
  project: string;
  functions: ImportedFunction[];
  /** Everything that did not map, at its line in s.yaml. */
  problems: Problem[];
  /** The flightdeck.yaml text: the functions, with the problems as comments on top. */
  text: string;
}

type Env = Record<string, string | undefined>;
type FunctionProp = 'name' | 'runtime' | 'handler' | 'code' | 'env' | 'timeout' | 'memory' | 'concurrency' | 'customRuntime' | 'port' | 'region';
interface Located {
  node: Node | null;
  path: string;
}

/** Components whose resources are functions, per edition. */
const FUNCTION_COMPONENTS = { v3: ['fc3', 'devsapp/fc3'], old: ['fc', 'devsapp/fc', 'fc-deploy', 'devsapp/fc-deploy'] };
const REFERENCE = /\$\{([^}]*)\}/g;
/** FC's default command for a custom runtime without one: the `bootstrap` file of the code. */
const DEFAULT_BOOTSTRAP = './bootstrap';
/** Props that describe the function to FC alone (identity, wiring to other cloud services). */
const MAPPED_V3 = new Set(['functionName', 'runtime', 'handler', 'code', 'environmentVariables', 'timeout', 'memorySize', 'instanceConcurrency', 'customRuntimeConfig', 'triggers', 'region']);
const MAPPED_OLD_FUNCTION = new Set(['name', 'runtime', 'handler', 'codeUri', 'environmentVariables', 'timeout', 'memorySize', 'instanceConcurrency', 'customRuntimeConfig', 'caPort']);
const MAPPED_OLD_PROPS = new Set(['region', 'service', 'function', 'triggers']);

export function importSYaml(text: string, file: string, env: Env): SYamlImport {
  const lines = newLineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const reader = new YamlReader(doc, lines);
  const empty = (project: string): SYamlImport => ({ project, functions: [], problems: sorted(reader.problems), text: '' });
  for (const error of doc.errors) reader.reportRange([error.pos[0], error.pos[1]], '', `YAML syntax error: ${error.message.split('\n')[0]}`);
  if (doc.errors.length > 0) return empty('');
  const importer = new Importer(doc, reader, env);
  const root = doc.contents as Node | null;
  if (!isMap(root)) {
    reader.report({ node: root, anchor: null, path: '' }, 'An s.yaml is a mapping with `edition`, `name` and `resources` (or `services`).');
    return empty('');
  }
  const project = projectName(importer.plain({ node: child(doc, root, 'name'), path: 'name' }), file);
  const resources = child(doc, root, 'resources');
  const services = child(doc, root, 'services');
  const editionNode = child(doc, root, 'edition');
  const edition = String(importer.plain({ node: editionNode, path: 'edition' }) ?? '');
  if (!resources && !services) {
    reader.report({ node: root, anchor: null, path: '' }, 'No `resources` (edition 3.0.0) or `services` (older editions): nothing to import.');
    return empty(project);
  }
  if (edition && !/^[123]\.\d+\.\d+$/.test(edition)) {
    reader.report({ node: editionNode, anchor: null, path: 'edition' }, `Unknown edition ${JSON.stringify(edition)}: read as ${resources ? '3.0.0' : '1.0.0'}.`);
  }
  const functions = resources ? importer.resources(resources) : importer.services(services!);
  const problems = sorted(reader.problems);
  return { project, functions, problems, text: functions.length > 0 ? render(project, functions, problems, file) : '' };
}

class Importer {
  private readonly resolving = new Set<string>();

  constructor(
    private readonly doc: Document,
    private readonly reader: YamlReader,
    private readonly env: Env,
  ) {}

  report(at: Located, message: string): void {
    this.reader.report({ node: at.node, anchor: null, path: at.path }, message);
  }

  /** Edition 3.0.0: `resources: { key: { component: fc3, props: {...} } }`. */
  resources(node: Node): ImportedFunction[] {
    return this.entries({ node, path: 'resources' }, FUNCTION_COMPONENTS.v3, (props, key) => this.fc3Function(props, key));
  }

  /** Editions 1.0.0/2.0.0: `services: { key: { component: fc, props: { function: {...}, triggers } } }`. */
  services(node: Node): ImportedFunction[] {
    return this.entries({ node, path: 'services' }, FUNCTION_COMPONENTS.old, (props, key) => this.oldFunction(props, key));
  }

  private entries(at: Located, components: string[], read: (props: Located, key: string) => ImportedFunction | undefined): ImportedFunction[] {
    const node = this.deref(at.node);
    if (!isMap(node)) {
      this.report(at, `\`${at.path}\` must be a mapping of names to resources.`);
      return [];
    }
    const functions: ImportedFunction[] = [];
    for (const pair of node.items as Pair<Node, Node>[]) {
      const key = String(isScalar(pair.key) ? pair.key.value : '');
      const path = `${at.path}.${key}`;
      const resource = this.deref(pair.value);
      const componentNode = isMap(resource) ? child(this.doc, resource, 'component') : null;
      const component = String(this.plain({ node: componentNode, path: `${path}.component` }) ?? '');
      if (!components.includes(component)) {
        const what = component ? `component ${component} is not a function component (${components[0]})` : 'it names no component';
        this.report({ node: componentNode ?? pair.key, path }, `Resource \`${key}\` not imported: ${what}; the local platform runs functions only.`);
        continue;
      }
      const props = isMap(resource) ? child(this.doc, resource, 'props') : null;
      if (!props) {
        this.report({ node: pair.key, path }, `Resource \`${key}\` not imported: it has no \`props\`.`);
        continue;
      }
      const fn = read({ node: props, path: `${path}.props` }, key);
      if (!fn) continue;
      if (functions.some((f) => f.name === fn.name)) {
        this.report({ node: pair.key, path }, `Resource \`${key}\` not imported: another function is already named ${fn.name}.`);
        continue;
      }
      functions.push(fn);
    }
    return functions;
  }

  private fc3Function(props: Located, key: string): ImportedFunction | undefined {
    const get = (name: string): Located => ({ node: this.childOf(props, name), path: `${props.path}.${name}` });
    this.unmapped(props, MAPPED_V3, 'fc3');
    this.triggers(get('triggers'), 'triggerType', 'triggerConfig');
    return this.function(key, props, {
      name: get('functionName'),
      runtime: get('runtime'),
      handler: get('handler'),
      code: get('code'),
      env: get('environmentVariables'),
      timeout: get('timeout'),
      memory: get('memorySize'),
      concurrency: get('instanceConcurrency'),
      customRuntime: get('customRuntimeConfig'),
      port: { node: null, path: '' },
      region: get('region'),
    });
  }

  private oldFunction(props: Located, key: string): ImportedFunction | undefined {
    const fn: Located = { node: this.childOf(props, 'function'), path: `${props.path}.function` };
    if (!fn.node) {
      this.report(props, `Service \`${key}\` not imported: its props have no \`function\`.`);
      return undefined;
    }
    const get = (name: string): Located => ({ node: this.childOf(fn, name), path: `${fn.path}.${name}` });
    this.unmapped(props, MAPPED_OLD_PROPS, 'fc');
    this.unmapped(fn, MAPPED_OLD_FUNCTION, 'fc');
    this.unmapped({ node: this.childOf(props, 'service'), path: `${props.path}.service` }, new Set(['name']), 'fc service');
    this.triggers({ node: this.childOf(props, 'triggers'), path: `${props.path}.triggers` }, 'type', 'config');
    return this.function(key, props, {
      name: get('name'),
      runtime: get('runtime'),
      handler: get('handler'),
      code: get('codeUri'),
      env: get('environmentVariables'),
      timeout: get('timeout'),
      memory: get('memorySize'),
      concurrency: get('instanceConcurrency'),
      customRuntime: get('customRuntimeConfig'),
      port: get('caPort'),
      region: { node: this.childOf(props, 'region'), path: `${props.path}.region` },
    });
  }

  /** One function from the props both editions share (under their own names). */
  private function(key: string, at: Located, p: Record<FunctionProp, Located>): ImportedFunction | undefined {
    const fcName = this.plain(p.name);
    const given = typeof fcName === 'string' && fcName ? fcName : key;
    const name = functionName(given);
    if (name !== given) this.report(p.name.node ? p.name : at, `Function ${JSON.stringify(given)} is named ${name} locally (Flightdeck names are DNS labels); its URL uses that name.`);
    const runtime = this.plain(p.runtime);
    const code = this.codeFolder(p.code.node ? p.code : { node: at.node, path: p.code.path }, name);
    const definition: Record<string, unknown> = {};
    let ok = code !== undefined;
    if (typeof runtime === 'string' && runtime.startsWith('nodejs')) {
      const handler = this.plain(p.handler);
      definition.runtime = 'nodejs';
      definition.code = code;
      if (typeof handler === 'string' && /^[^.\s]+(\.[^.\s]+)*\.[A-Za-z_$][\w$]*$/.test(handler)) definition.handler = handler;
      else {
        this.report(p.handler.node ? p.handler : at, `Function ${name} not imported: handler ${JSON.stringify(handler ?? null)} must be <file>.<export>, e.g. index.handler.`);
        ok = false;
      }
    } else if (typeof runtime === 'string' && (runtime === 'custom' || runtime.startsWith('custom.'))) {
      definition.runtime = 'custom';
      definition.code = code;
      definition.command = this.customCommand(p.customRuntime);
    } else {
      const why = runtime === 'custom-container' || this.childOf(at, 'customContainerConfig') ? 'a custom container needs an image the local platform cannot run' : 'the local platform runs nodejs and custom runtimes';
      this.report(p.runtime.node ? p.runtime : at, `Function ${name} not imported: runtime ${JSON.stringify(runtime ?? null)} — ${why}.`);
      ok = false;
    }
    if (!ok) return undefined;
    definition.events = 'fc3';
    const memory = this.plain(p.memory);
    if (memory !== undefined) {
      if (Number.isInteger(memory) && (memory as number) >= MEMORY_MB_RANGE.min && (memory as number) <= MEMORY_MB_RANGE.max) definition.memory = memory;
      else this.report(p.memory, `memorySize ${JSON.stringify(memory)} is not a size in MB from ${MEMORY_MB_RANGE.min} to ${MEMORY_MB_RANGE.max}; left out.`);
    }
    const timeout = this.plain(p.timeout);
    if (timeout !== undefined) {
      if (typeof timeout === 'number' && timeout > 0) {
        const seconds = Math.min(timeout, MAX_TIMEOUT_MS / 1000);
        if (seconds < timeout) this.report(p.timeout, `timeout ${timeout}s is more than the local platform's ${MAX_TIMEOUT_MS / 1000}s; imported as ${seconds}s.`);
        definition.timeout = `${seconds}s`;
      } else this.report(p.timeout, `timeout ${JSON.stringify(timeout)} is not a number of seconds; left out (default 30s).`);
    }
    const concurrency = this.plain(p.concurrency);
    if (concurrency !== undefined) {
      if (Number.isInteger(concurrency) && (concurrency as number) >= 1) definition.instances = { concurrency };
      else this.report(p.concurrency, `instanceConcurrency ${JSON.stringify(concurrency)} is not a whole number ≥ 1; left out.`);
    }
    const env = this.environment(p.env, p.region);
    if (Object.keys(env).length > 0) definition.env = env;
    const port = this.plain(p.port);
    if (port !== undefined) this.portNote(p.port, port);
    return { name, source: key, line: this.reader.lineOf(at.node), definition };
  }

  /** `customRuntimeConfig: { command, args, port }` → the command; the port is FC_SERVER_PORT locally. */
  private customCommand(at: Located): string[] {
    const config = this.plain(at) as { command?: unknown; args?: unknown; port?: unknown } | undefined;
    if (config?.port !== undefined) this.portNote({ node: this.childOf(at, 'port'), path: `${at.path}.port` }, config.port);
    const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : []);
    const command = [...strings(config?.command), ...strings(config?.args)].map((part) => part.replace(/^\/code\//, './'));
    return command.length > 0 ? command : [DEFAULT_BOOTSTRAP];
  }

  private portNote(at: Located, port: unknown): void {
    this.report(at, `Port ${JSON.stringify(port)}: locally each instance listens on a port the platform picks, given in FC_SERVER_PORT and FC_CUSTOM_LISTEN_PORT (and PORT); a server hard-wired to ${JSON.stringify(port)} must read one of them.`);
  }

  private codeFolder(at: Located, name: string): string | undefined {
    const value = this.plain(at);
    const folder = typeof value === 'string' ? value : isRecord(value) && typeof value.src === 'string' ? value.src : undefined;
    if (folder !== undefined) return folder.startsWith('.') || folder.startsWith('/') ? folder : `./${folder}`;
    if (isRecord(value) && (value.ossBucketName !== undefined || value.ossObjectName !== undefined)) {
      this.report(at, `Function ${name} not imported: its code is an OSS object; download it into a folder and point \`code\` at the folder.`);
    } else {
      this.report(at, `Function ${name} not imported: \`${at.path}\` must name the folder holding the code, e.g. ./code.`);
    }
    return undefined;
  }

  private environment(at: Located, region: Located): Record<string, string> {
    const env: Record<string, string> = {};
    const value = this.plain(at);
    if (isRecord(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) this.report(at, `Environment variable \`${key}\` is not a valid name; left out.`);
        else if (item !== null && typeof item === 'object') this.report(at, `Environment variable \`${key}\` is not a string; left out.`);
        else env[key] = String(item ?? '');
      }
    } else if (value !== undefined) {
      this.report(at, `\`${at.path}\` must map names to values; left out.`);
    }
    // What FC's context.region and FC_REGION report locally (src/platform/runtime/fc3.ts).
    const regionValue = this.plain(region);
    if (typeof regionValue === 'string' && regionValue && env.FC_REGION === undefined) env.FC_REGION = regionValue;
    return env;
  }

  /** HTTP triggers are how the local gateway calls every function; other triggers are problems. */
  private triggers(at: Located, typeKey: string, configKey: string): void {
    const node = this.deref(at.node);
    if (!node) return;
    if (!isSeq(node)) {
      this.report(at, `\`${at.path}\` must be a list of triggers; not imported.`);
      return;
    }
    node.items.forEach((item, index) => {
      const trigger: Located = { node: item as Node, path: `${at.path}[${index}]` };
      const type = this.plain({ node: this.childOf(trigger, typeKey), path: `${trigger.path}.${typeKey}` });
      if (type !== 'http') {
        this.report(trigger, `Trigger of type ${JSON.stringify(type ?? null)} not imported: locally functions are called over HTTP at their gateway URL only.`);
        return;
      }
      const config: Located = { node: this.childOf(trigger, configKey), path: `${trigger.path}.${configKey}` };
      const settings = this.plain(config);
      if (!isRecord(settings)) return;
      const auth = settings.authType;
      if (auth !== undefined && auth !== 'anonymous') {
        this.report({ node: this.childOf(config, 'authType'), path: `${config.path}.authType` }, `authType ${JSON.stringify(auth)}: the local gateway does not check FC signatures or JWTs; every request reaches the function.`);
      }
      if (Array.isArray(settings.methods)) {
        this.report({ node: this.childOf(config, 'methods'), path: `${config.path}.methods` }, `methods [${settings.methods.join(', ')}]: the local gateway passes every method to the function.`);
      }
    });
  }

  /** Props the local platform has no use for, one problem each. */
  private unmapped(at: Located, mapped: Set<string>, component: string): void {
    const node = this.deref(at.node);
    if (!isMap(node)) return;
    for (const pair of node.items as Pair<Node, Node>[]) {
      const key = String(isScalar(pair.key) ? pair.key.value : '');
      if (mapped.has(key)) continue;
      this.reader.report({ node: pair.key, anchor: null, path: `${at.path}.${key}` }, `\`${key}\` (${component}) has no local equivalent and is not imported.`);
    }
  }

  private childOf(at: Located, key: string): Node | null {
    const node = this.deref(at.node);
    return isMap(node) ? child(this.doc, node, key) : null;
  }

  private deref(node: Node | null | undefined): Node | null {
    if (!node) return null;
    return isAlias(node) ? ((node.resolve(this.doc) as Node | undefined) ?? null) : node;
  }

  /** The value of a node with every `${…}` resolved; undefined when absent. */
  plain(at: Located): unknown {
    const node = this.deref(at.node);
    if (!node) return undefined;
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items as Pair<Node, Node>[]) {
        const key = String(isScalar(pair.key) ? pair.key.value : '');
        out[key] = this.plain({ node: pair.value, path: `${at.path}.${key}` });
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item, i) => this.plain({ node: item as Node, path: `${at.path}[${i}]` }));
    const value = isScalar(node) ? node.value : undefined;
    return typeof value === 'string' ? this.interpolate(value, { node, path: at.path }) : (value ?? undefined);
  }

  /** A whole-value reference keeps its type (`${vars.list}` stays a list); inside text it is text. */
  private interpolate(text: string, at: Located): unknown {
    const whole = /^\$\{([^}]*)\}$/.exec(text);
    if (whole) return this.reference(whole[1].trim(), at);
    return text.replace(REFERENCE, (_match, expression: string) => {
      const value = this.reference(expression.trim(), at);
      return value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    });
  }

  private reference(expression: string, at: Located): unknown {
    const envCall = /^env\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]*)['"]\s*)?\)$/.exec(expression) ?? /^env\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expression);
    if (envCall) {
      const value = this.env[envCall[1]] ?? envCall[2];
      if (value === undefined) this.report(at, `\${${expression}}: environment variable ${envCall[1]} is not set; imported as empty. Set it and import again.`);
      return value ?? '';
    }
    const path = expression.split('.');
    const [root, ...rest] = path;
    let target: Located | undefined;
    if (root === 'vars') target = this.lookup(['vars', ...rest]);
    else if ((root === 'resources' || root === 'services') && rest[1] === 'props') target = this.lookup([root, rest[0], 'props', ...rest.slice(2)]);
    if (!target?.node) {
      const why = root === 'vars' || rest[1] === 'props' ? 'nothing at that path' : 'only vars, env and another resource\'s props resolve before deployment';
      this.report(at, `\${${expression}} cannot be resolved (${why}); imported as empty.`);
      return undefined;
    }
    if (this.resolving.has(expression)) {
      this.report(at, `\${${expression}} refers to itself; imported as empty.`);
      return undefined;
    }
    this.resolving.add(expression);
    try {
      return this.plain(target);
    } finally {
      this.resolving.delete(expression);
    }
  }

  private lookup(path: string[]): Located | undefined {
    let node: Node | null = this.deref(this.doc.contents as Node | null);
    for (const key of path) {
      if (isMap(node)) node = this.deref(child(this.doc, node, key));
      else if (isSeq(node) && /^\d+$/.test(key)) node = this.deref(node.items[Number(key)] as Node | null);
      else return undefined;
    }
    return { node, path: path.join('.') };
  }
}

function child(doc: Document, map: Node, key: string): Node | null {
  if (!isMap(map)) return null;
  const pair = (map.items as Pair<Node, Node>[]).find((p) => isScalar(p.key) && String(p.key.value) === key);
  const value = pair?.value ?? null;
  return isAlias(value) ? ((value.resolve(doc) as Node | undefined) ?? null) : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** FC allows letters, digits, `_` and `-`; Flightdeck names are DNS labels. */
export function functionName(fcName: string): string {
  const label = fcName.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return isDnsLabel(label) ? label : 'fn';
}

function projectName(name: unknown, file: string): string {
  const fromName = typeof name === 'string' ? functionName(name) : '';
  return fromName && fromName !== 'fn' ? fromName : functionName(basename(file.replace(/[\\/][^\\/]*$/, '')) || 'project');
}

function sorted(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
}

function render(project: string, functions: ImportedFunction[], problems: Problem[], file: string): string {
  const header = [`# Imported from ${basename(file)} by \`flightdeck import\`. Functions keep FC 3.0's calling conventions (events: fc3).`];
  if (problems.length > 0) {
    header.push(`# Not imported, or changed on the way (${problems.length}):`);
    for (const p of problems) header.push(`#   ${basename(file)}:${p.line}:${p.column}: ${p.message.replace(/\n/g, ' ')}`);
  }
  const body = stringify({ project, functions: Object.fromEntries(functions.map((f) => [f.name, f.definition])) }, { lineWidth: 0 });
  return `${header.join('\n')}\n${body}`;
}

/** The s.yaml of a folder (s.yaml, else s.yml), or undefined. */
export function findSYaml(dir: string): string | undefined {
  return S_YAML_NAMES.map((name) => join(dir, name)).find((file) => existsSync(file));
}

export interface WrittenImport extends SYamlImport {
  /** The s.yaml read. */
  source: string;
  /** The flightdeck.yaml written, next to it. */
  file: string;
}

/** Reads and maps an s.yaml; NOT_FOUND when it is not there. */
export function readSYamlFile(source: string, env: Env): SYamlImport {
  if (!existsSync(source)) throw new FlightdeckError('NOT_FOUND', `No s.yaml at ${source}. Pass the path of your Serverless Devs project's s.yaml.`, { file: source });
  return importSYaml(readFileSync(source, 'utf8'), source, env);
}

/**
 * Writes an import as flightdeck.yaml next to its s.yaml. Refuses (CONFIG_INVALID, every problem
 * listed) when no function mapped, and (CONFLICT) to replace an existing flightdeck.yaml unless
 * `overwrite`.
 */
export function writeSYamlImport(imported: SYamlImport, source: string, overwrite: boolean): WrittenImport {
  const file = join(dirname(source), PROJECT_FILE_NAME);
  if (imported.functions.length === 0) {
    const list = imported.problems.map((p) => `  ${source}:${p.line}:${p.column}: ${p.message}`).join('\n');
    const first = imported.problems[0];
    throw new FlightdeckError('CONFIG_INVALID', `${source} has no function the local platform can run:\n${list || '  (no fc3 or fc resources)'}`, {
      file: source,
      ...(first ? { line: first.line, column: first.column } : {}),
    });
  }
  if (existsSync(file) && !overwrite) {
    throw new FlightdeckError('CONFLICT', `${file} already exists; importing would replace it. Pass --force to overwrite it, or move it away first.`, { file });
  }
  writeFileSync(file, imported.text);
  return { ...imported, source, file };
}
