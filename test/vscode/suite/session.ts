// The extension under test, activated, with the fixture's branch deployed: what every suite file
// after the first starts from. A file run on its own deploys the branch itself.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Provider } from '../../../src/provider';
import type { FlightdeckTestApi } from '../../../src/ui/testApi';
import { FIXTURE_FUNCTION } from '../fixture';

export const EXTENSION_ID = 'flightdeck.flightdeck';

export interface Session {
  api: FlightdeckTestApi;
  provider: Provider;
  /** The fixture workspace folder. */
  folder: vscode.Uri;
  /** The personal environment of the fixture's branch. */
  environment: string;
  /** The fixture function's `live` URL. */
  url: string;
}

export async function activateFlightdeck(): Promise<{ api: FlightdeckTestApi; folder: vscode.Uri }> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'VS Code opened no workspace folder');
  const extension = vscode.extensions.getExtension<FlightdeckTestApi>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not loaded (publisher.name in package.json?)`);
  const api = await extension.activate();
  assert.ok(api && typeof api.provider === 'function', 'activate() returned no test API with provider()');
  return { api, folder: folder.uri };
}

/** Activates the extension and makes sure the fixture's branch is deployed to its personal environment. */
export async function deployedSession(): Promise<Session> {
  const { api, folder } = await activateFlightdeck();
  const provider = await api.provider();
  const environment = await api.personalEnvironment();
  assert.ok(environment, 'the workspace has no personal environment name (flightdeck.yaml personal.name?)');
  if (!(await provider.listEnvironments()).some((e) => e.name === environment)) {
    await vscode.commands.executeCommand('flightdeck.deployCurrentBranch');
  }
  return { api, provider, folder, environment, url: await provider.functionUrl(environment, FIXTURE_FUNCTION) };
}
