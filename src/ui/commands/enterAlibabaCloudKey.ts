// Flightdeck: Enter Alibaba Cloud Access Key… — for the fc3 provider when no standard place
// (environment, credentials file, aliyun CLI, Serverless Devs) has one. The key goes to VS Code's
// SecretStorage (the OS keychain), never to settings; the provider reconnects with it.
import * as vscode from 'vscode';
import { FlightdeckError } from '../../errors';
import { EDITOR_SECRET_KEY } from '../../providers/fc3/credentials';
import type { FlightdeckContext } from '../context';

interface KeyArg {
  accessKeyId?: string;
  accessKeySecret?: string;
}

export async function enterAlibabaCloudKey(ctx: FlightdeckContext, arg: unknown): Promise<void> {
  const given = (typeof arg === 'object' && arg !== null ? arg : {}) as KeyArg;
  const accessKeyId = given.accessKeyId ?? (await vscode.window.showInputBox({
    title: 'Alibaba Cloud AccessKey ID',
    prompt: 'Kept in the editor\'s secret storage; used when no environment variable, credentials file, aliyun CLI or Serverless Devs config has a key.',
    ignoreFocusOut: true,
    validateInput: (value) => (/^\S+$/.test(value) ? undefined : 'Enter the AccessKey ID (no spaces).'),
  }))?.trim();
  if (!accessKeyId) return;
  const accessKeySecret = given.accessKeySecret ?? (await vscode.window.showInputBox({
    title: 'Alibaba Cloud AccessKey Secret',
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'Enter the AccessKey secret.'),
  }))?.trim();
  if (!accessKeySecret) throw new FlightdeckError('CANCELLED', 'No secret entered; the key was not saved.');
  await ctx.extension.secrets.store(EDITOR_SECRET_KEY, JSON.stringify({ accessKeyId, accessKeySecret }));
  await ctx.session.restart().catch(() => undefined);
}
