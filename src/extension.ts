// The extension's entry point: thin on purpose. Everything lives in FlightdeckContext, which
// owns every disposable; activation creates it and wires it up without waiting on the platform.
import type * as vscode from 'vscode';
import { FlightdeckContext } from './ui/context';
import type { FlightdeckTestApi } from './ui/testApi';

export function activate(extension: vscode.ExtensionContext): FlightdeckTestApi {
  const context = new FlightdeckContext(extension);
  extension.subscriptions.push(context);
  return context.activate();
}

export function deactivate(): void {
  // Nothing beyond the disposables; the local platform keeps running for the CLI and other windows.
}
