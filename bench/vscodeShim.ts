// A stand-in for the `vscode` module, for timing the extension's module load and activate() in
// plain Node: every namespace, function, class and event is a callable, constructible no-op that
// returns another such no-op. It makes no claim to behave like VS Code; it only lets activation
// run its real code (construction, registrations, wiring) so the cost of that code can be timed.

type Stub = any;

const EMPTY_ITERATOR = function* (): Generator<never> {};

/** A callable, constructible object whose every property is another stub (properties set stick). */
export function stub(): Stub {
  const own = new Map<PropertyKey, unknown>();
  const target = function () {} as unknown as Stub;
  return new Proxy(target, {
    get(_t, key) {
      if (own.has(key)) return own.get(key);
      if (key === 'then') return undefined; // not a promise
      if (key === Symbol.iterator) return EMPTY_ITERATOR;
      if (key === Symbol.toPrimitive) return () => '';
      if (key === 'prototype') return target.prototype;
      const child = stub();
      own.set(key, child);
      return child;
    },
    set(_t, key, value) {
      own.set(key, value);
      return true;
    },
    apply: () => stub(),
    construct: () => stub(),
  });
}

/** `base` where it has a value, a stub everywhere else. */
export function withDefaults<T extends object>(base: T): T & Stub {
  const fallback = stub();
  return new Proxy(base, {
    get: (t, key) => (key in t ? (t as Record<PropertyKey, unknown>)[key] : fallback[key]),
  });
}

/** Top-level names of the vscode API the extension uses: a bundle copies only own keys. */
const API_NAMES = [
  'window', 'commands', 'languages', 'env', 'extensions', 'l10n', 'Uri', 'TreeItem', 'TreeItemCollapsibleState',
  'EventEmitter', 'Disposable', 'ThemeIcon', 'ThemeColor', 'FileSystemError', 'FileType', 'FilePermission',
  'Diagnostic', 'DiagnosticSeverity', 'Range', 'Position', 'MarkdownString', 'StatusBarAlignment',
  'ProgressLocation', 'CancellationError', 'RelativePattern', 'ViewColumn', 'QuickPickItemKind',
];

/** The `vscode` module for a window with `folder` open, as VS Code activates on workspaceContains. */
export function vscodeModule(folder: string): Record<string, Stub> {
  const uri = withDefaults({ fsPath: folder, path: folder, scheme: 'file', toString: () => `file://${folder}` });
  const api: Record<string, Stub> = Object.fromEntries(API_NAMES.map((name) => [name, stub()]));
  api.workspace = withDefaults({
    workspaceFolders: [{ uri, name: 'bench', index: 0 }],
    getConfiguration: () => withDefaults({ get: (_key: string, fallback?: unknown) => fallback }),
    textDocuments: [],
  });
  return api;
}

/** The ExtensionContext handed to activate(): real subscriptions and paths, stubs for the rest. */
export function extensionContext(extensionPath: string, asAbsolutePath: (relative: string) => string): Stub {
  return withDefaults({ subscriptions: [] as unknown[], extensionPath, asAbsolutePath });
}
