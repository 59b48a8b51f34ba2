// Writes a starter flightdeck.yaml and a sample Node.js function into the workspace folder. Never
// overwrites: an existing project file is only opened, an existing sample file is left alone.
import * as vscode from 'vscode';
import { FlightdeckError } from '../../errors';
import type { FlightdeckContext } from '../context';
import { starterProject } from '../starterProject';
import { fileExists } from '../workspace';

export interface InitResult {
  /** The project file, existing or written. */
  file: vscode.Uri;
  /** Paths written (relative); empty when everything already existed. */
  written: string[];
}

export async function init(ctx: FlightdeckContext): Promise<InitResult> {
  const [folder] = vscode.workspace.workspaceFolders ?? [];
  if (!folder) throw new FlightdeckError('NO_PROJECT', 'Open the folder of your project first (File > Open Folder), then create flightdeck.yaml.');
  const existing = await ctx.workspace.projectFile();
  if (existing) {
    await vscode.window.showTextDocument(existing, { preview: false });
    void vscode.window.showInformationMessage('This workspace already has a flightdeck.yaml; nothing was changed.');
    return { file: existing, written: [] };
  }
  const written: string[] = [];
  for (const file of starterProject(folder.name)) {
    const uri = vscode.Uri.joinPath(folder.uri, file.path);
    if (await fileExists(uri)) continue;
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(file.text));
    written.push(file.path);
  }
  const projectFile = vscode.Uri.joinPath(folder.uri, 'flightdeck.yaml');
  await vscode.window.showTextDocument(projectFile, { preview: false });
  return { file: projectFile, written };
}

