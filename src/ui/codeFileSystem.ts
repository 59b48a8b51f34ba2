// A read-only file system over versions' code, `flightdeck:/<env>/<fn>/v<id>/<path>`, so two
// versions can be compared with the editor's own diff. `?absent` names the side of a diff where a
// file added or deleted between the versions does not exist: it reads as an empty file.
import * as vscode from 'vscode';
import { FlightdeckError } from '../errors';
import type { ManifestEntry } from '../model';
import type { Provider } from '../provider';

export const CODE_SCHEME = 'flightdeck';

export interface VersionFileRef {
  environment: string;
  function: string;
  version: number;
  /** POSIX path inside the version's code; '' for its root. */
  path: string;
  /** The file is not in this version: served empty, for the missing side of a diff. */
  absent?: boolean;
}

const ABSENT_QUERY = 'absent';

export function versionFileUri(ref: VersionFileRef): vscode.Uri {
  const segments = [ref.environment, ref.function, `v${ref.version}`, ...ref.path.split('/').filter(Boolean)];
  return vscode.Uri.from({ scheme: CODE_SCHEME, path: `/${segments.map(encodeURIComponent).join('/')}`, query: ref.absent ? ABSENT_QUERY : '' });
}

function parseVersionFileUri(uri: vscode.Uri): VersionFileRef {
  const [environment, fn, version, ...rest] = uri.path.split('/').filter(Boolean).map(decodeURIComponent);
  const id = /^v(\d+)$/.exec(version ?? '');
  if (!environment || !fn || !id) {
    throw vscode.FileSystemError.FileNotFound(uri);
  }
  return { environment, function: fn, version: Number(id[1]), path: rest.join('/'), absent: uri.query === ABSENT_QUERY };
}

export class CodeFileSystem implements vscode.FileSystemProvider {
  // Versions are immutable: nothing ever changes, so there is nothing to report.
  private readonly never = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.never.event;

  constructor(private readonly provider: () => Promise<Provider>) {}

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const ref = parseVersionFileUri(uri);
    if (ref.absent) return { type: vscode.FileType.File, ctime: 0, mtime: 0, size: 0, permissions: vscode.FilePermission.Readonly };
    const files = await this.files(ref);
    const file = files.find((f) => f.path === ref.path);
    if (file) return { type: vscode.FileType.File, ctime: 0, mtime: 0, size: file.size, permissions: vscode.FilePermission.Readonly };
    if (ref.path === '' || files.some((f) => f.path.startsWith(`${ref.path}/`))) {
      return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0, permissions: vscode.FilePermission.Readonly };
    }
    throw vscode.FileSystemError.FileNotFound(uri);
  }

  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    const ref = parseVersionFileUri(uri);
    const prefix = ref.path ? `${ref.path}/` : '';
    const entries = new Map<string, vscode.FileType>();
    for (const file of await this.files(ref)) {
      if (!file.path.startsWith(prefix)) continue;
      const [name, ...below] = file.path.slice(prefix.length).split('/');
      entries.set(name, below.length ? vscode.FileType.Directory : vscode.FileType.File);
    }
    return [...entries];
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const ref = parseVersionFileUri(uri);
    if (ref.absent) return new Uint8Array();
    try {
      return await (await this.provider()).readVersionFile(ref.environment, ref.function, ref.version, ref.path);
    } catch (error) {
      if (error instanceof FlightdeckError && error.code === 'NOT_FOUND') throw vscode.FileSystemError.FileNotFound(uri);
      throw error;
    }
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  createDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  private async files(ref: VersionFileRef): Promise<ManifestEntry[]> {
    return (await this.provider()).listVersionFiles(ref.environment, ref.function, ref.version);
  }
}
