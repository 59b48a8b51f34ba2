// Flightdeck: Import s.yaml — writes flightdeck.yaml from the workspace's Serverless Devs s.yaml
// (or the s.yaml clicked in the Explorer), asks before replacing an existing flightdeck.yaml, and
// shows what did not map as warnings at their lines of s.yaml.
import * as vscode from 'vscode';
import { PROJECT_FILE_NAME } from '../../config/projectFile';
import { S_YAML_NAMES } from '../../config/names';
import { readSYamlFile, writeSYamlImport, type WrittenImport } from '../../config/serverlessDevs';
import { FlightdeckError } from '../../errors';
import type { FlightdeckContext } from '../context';
import { fileExists } from '../workspace';

/** From code: which s.yaml, and whether to replace an existing flightdeck.yaml without asking (false: refuse). */
export interface ImportSYamlArgs {
  file?: string;
  overwrite?: boolean;
}

export async function importSYaml(ctx: FlightdeckContext, arg: unknown): Promise<WrittenImport | undefined> {
  const args: ImportSYamlArgs = arg instanceof vscode.Uri ? { file: arg.fsPath } : ((arg as ImportSYamlArgs | undefined) ?? {});
  const source = args.file ? vscode.Uri.file(args.file) : await ctx.workspace.sYamlFile();
  if (!source) {
    throw new FlightdeckError('NOT_FOUND', `This workspace has no ${S_YAML_NAMES.join(' or ')}. Open the folder of your Serverless Devs project, or right-click its s.yaml in the Explorer.`);
  }
  const target = vscode.Uri.joinPath(source, '..', PROJECT_FILE_NAME);
  let overwrite = args.overwrite ?? false;
  if (args.overwrite === undefined && (await fileExists(target))) {
    const answer = await vscode.window.showWarningMessage(
      `${vscode.workspace.asRelativePath(target)} already exists. Replace it with the import of ${vscode.workspace.asRelativePath(source)}?`,
      { modal: true, detail: 'Its current content is lost unless it is committed or saved elsewhere.' },
      'Replace',
    );
    if (answer !== 'Replace') return undefined;
    overwrite = true;
  }
  const imported = readSYamlFile(source.fsPath, process.env);
  ctx.diagnostics.showImportProblems(source, imported.problems);
  const result = writeSYamlImport(imported, source.fsPath, overwrite);
  await vscode.window.showTextDocument(target, { preview: false });
  const functions = result.functions.map((f) => f.name).join(', ');
  const notes = result.problems.length > 0 ? ` ${result.problems.length} thing(s) in s.yaml did not map as they are: see the Problems panel.` : '';
  void vscode.window.showInformationMessage(`Imported ${result.functions.length} function(s) from ${vscode.workspace.asRelativePath(source)}: ${functions}.${notes}`);
  return result;
}

