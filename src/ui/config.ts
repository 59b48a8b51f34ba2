// A typed view of the `flightdeck.*` settings, so no other module spells a setting key.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultHome, portFromEnvironment } from '../platform/paths';
import { providerKindOf, type ProviderKind } from '../providers/kinds';

export interface LocalSettings {
  /** Absolute state folder of the local platform. */
  home: string;
  /** Port to start the platform on (undefined: the platform's default); 0 picks a free one. A taken port also falls back to a free one. */
  port: number | undefined;
}

export class Config {
  static readonly section = 'flightdeck';

  private get settings(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(Config.section);
  }

  /**
   * The kind the user set (user, workspace or folder setting); undefined at the default, so the
   * project's `provider:` block chooses. BAD_REQUEST naming the setting for an unknown value.
   */
  get provider(): ProviderKind | undefined {
    const inspected = this.settings.inspect<string>('provider');
    const value = inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
    return value === undefined ? undefined : providerKindOf(value, 'Setting flightdeck.provider');
  }

  get local(): LocalSettings {
    // Empty setting: the same default as the CLI ($FLIGHTDECK_HOME, else ~/.flightdeck), so both find the same platform.
    const configured = this.settings.get<string>('local.home', '').trim();
    return {
      home: configured ? expandHome(configured) : defaultHome(process.env),
      // Unset: the same order as the CLI ($FLIGHTDECK_PORT, else the platform's default 7420).
      port: this.settings.get<number | null>('local.port', null) ?? portFromEnvironment(process.env),
    };
  }

  /** True when a change touches a setting that needs a new provider. */
  static affectsProvider(event: vscode.ConfigurationChangeEvent): boolean {
    return event.affectsConfiguration(`${Config.section}.provider`) || event.affectsConfiguration(`${Config.section}.local`);
  }
}

function expandHome(folder: string): string {
  return folder === '~' || folder.startsWith('~/') ? path.join(os.homedir(), folder.slice(1)) : path.resolve(folder);
}
