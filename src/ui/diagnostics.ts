// flightdeck.yaml problems in the Problems panel, at their line and column, as the file is edited;
// and what an s.yaml import could not map, at its line of s.yaml, until the next import.
import * as vscode from 'vscode';
import { parseProjectFile, PROJECT_FILE_NAME, type Problem } from '../config/projectFile';

export class ProjectDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('flightdeck');
  private readonly importCollection = vscode.languages.createDiagnosticCollection('flightdeck-import');
  private readonly listeners: vscode.Disposable[];

  constructor() {
    this.listeners = [
      vscode.workspace.onDidOpenTextDocument((doc) => this.update(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => this.update(e.document)),
      // A closed editor may have held unsaved text: show what is on disk again.
      vscode.workspace.onDidCloseTextDocument((doc) => isProjectFile(doc.uri) && void this.checkOnDisk(doc.uri)),
    ];
    vscode.workspace.textDocuments.forEach((doc) => this.update(doc));
  }

  /** Checks project files not open in an editor, so problems show without opening them. */
  async scanWorkspace(): Promise<void> {
    const files = await vscode.workspace.findFiles(`**/${PROJECT_FILE_NAME}`, '**/node_modules/**', 20);
    await Promise.all(files.map((uri) => this.checkOnDisk(uri)));
  }

  /** Re-checks a project file from disk unless an editor holds it; forgets it when deleted. */
  async checkOnDisk(uri: vscode.Uri): Promise<void> {
    if (vscode.workspace.textDocuments.some((doc) => doc.uri.toString() === uri.toString())) return;
    try {
      this.set(uri, new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)));
    } catch {
      this.collection.delete(uri);
    }
  }

  /** The diagnostics currently shown for a file (for tests). */
  problemsOf(uri: vscode.Uri): readonly vscode.Diagnostic[] {
    return [...(this.collection.get(uri) ?? []), ...(this.importCollection.get(uri) ?? [])];
  }

  /** What an import of `sYaml` left behind, as warnings at their lines (replacing the last import's). */
  showImportProblems(sYaml: vscode.Uri, problems: readonly Problem[]): void {
    this.importCollection.set(sYaml, problems.map((p) => toDiagnostic(p, vscode.DiagnosticSeverity.Warning)));
  }

  private update(doc: vscode.TextDocument): void {
    if (isProjectFile(doc.uri)) this.set(doc.uri, doc.getText());
  }

  private set(uri: vscode.Uri, text: string): void {
    const { problems } = parseProjectFile(text, uri.fsPath);
    this.collection.set(uri, problems.map((p) => toDiagnostic(p)));
  }

  dispose(): void {
    this.listeners.forEach((l) => l.dispose());
    this.collection.dispose();
    this.importCollection.dispose();
  }
}

/** Only files being edited: not git: (diff) or flightdeck: (deployed version) views of one. */
function isProjectFile(uri: vscode.Uri): boolean {
  return (uri.scheme === 'file' || uri.scheme === 'untitled') && uri.path.endsWith(`/${PROJECT_FILE_NAME}`);
}

function toDiagnostic(problem: Problem, severity = vscode.DiagnosticSeverity.Error): vscode.Diagnostic {
  const start = new vscode.Position(Math.max(0, problem.line - 1), Math.max(0, problem.column - 1));
  const end = new vscode.Position(Math.max(0, problem.endLine - 1), Math.max(0, problem.endColumn - 1));
  const range = end.isAfter(start) ? new vscode.Range(start, end) : new vscode.Range(start, start.translate(0, 1));
  const diagnostic = new vscode.Diagnostic(range, problem.message, severity);
  diagnostic.source = 'flightdeck';
  if (problem.path) diagnostic.code = problem.path;
  return diagnostic;
}
