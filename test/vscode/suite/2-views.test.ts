// What the views and read-only commands show for the deployed fixture: the Versions view against
// the platform's versions and live alias, the environments tree's function children, flightdeck.yaml
// problems in the Problems panel at their line, Compare through the flightdeck: file system,
// Copy URL and Show Logs. Nothing here changes the platform's state.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { describeAlias } from '../../../src/model';
import { FIXTURE_FUNCTION } from '../fixture';
import { get } from './platform';
import { deployedSession, type Session } from './session';
import { replaceLine, treeTexts, waitFor } from './workbench';

const fn = FIXTURE_FUNCTION;

suite('Views', () => {
  let s: Session;

  suiteSetup(async function () {
    this.timeout(60_000);
    s = await deployedSession();
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('the Versions view lists every version newest first, the live one with its traffic share', async () => {
    const { versions } = await s.provider.listVersions(s.environment, fn, { limit: 50 });
    const live = await s.provider.getAlias(s.environment, fn, 'live');
    assert.equal(Object.keys(live.additionalVersionWeight).length, 0, `expected live on one version, got ${describeAlias(live)}`);
    const ids = versions.map((v) => v.id).sort((a, b) => b - a);
    s.api.selectFunction(s.environment, fn);
    const texts = await waitFor(`the Versions view to list v${ids.join(', v')}`, async () => {
      const shown = await treeTexts(s.api.versionsTree, 1);
      return shown.length === ids.length && shown.every((text, i) => text.startsWith(`v${ids[i]} `)) && shown;
    });
    for (const [i, id] of ids.entries()) {
      if (id === live.versionId) assert.match(texts[i], /live 100%/, `the live version's item: ${texts[i]}`);
      else assert.doesNotMatch(texts[i], /live/, `v${id} takes no live traffic: ${texts[i]}`);
    }
  });

  test('the Versions view shows the serving version\'s last minute: requests per minute, error rate, p95', async function () {
    this.timeout(40_000);
    const live = await s.provider.getAlias(s.environment, fn, 'live');
    const url = await s.provider.functionUrl(s.environment, fn);
    for (let i = 0; i < 12; i++) await (await fetch(`${url}figures-${i}`)).text();
    s.api.selectFunction(s.environment, fn);
    // The view is not shown here, so nothing polls it: a refresh (as on any platform event) re-reads the figures.
    await vscode.commands.executeCommand('flightdeck.refresh');
    const text = await waitFor(`v${live.versionId}'s figures in the Versions view`, async () => {
      const shown = (await treeTexts(s.api.versionsTree, 1)).find((t) => t.startsWith(`v${live.versionId} `));
      return shown && /\d+ req\/min · 0% errors · p95 \d+ ms/.test(shown) && shown;
    });
    assert.match(text, /← live 100% · (1[2-9]|[2-9]\d|\d{3,}) req\/min/, text);
  });

  test('a function in the environments tree shows what live serves (and the latest version when it differs) and opens onto its aliases', async () => {
    const latest = (await s.provider.getFunction(s.environment, fn)).latestVersion;
    const liveAlias = await s.provider.getAlias(s.environment, fn, 'live');
    // After the rollback in the first suite, live serves v2 while v3 is the latest.
    const expected = liveAlias.versionId === latest ? `v${latest}` : `live v${liveAlias.versionId} · latest v${latest}`;
    const texts = await treeTexts(s.api.environmentsTree, 3);
    const fnLine = texts.findIndex((t) => t.startsWith(`  ${fn} — ${expected} `));
    assert.ok(fnLine >= 0, `no item "${fn} — ${expected} …" under the environment:\n${texts.join('\n')}`);
    const children = texts.slice(fnLine + 1).filter((t) => t.startsWith('    '));
    const live = describeAlias(liveAlias);
    assert.ok(children.some((t) => t.includes(live)), `"${live}" is not among the function's children:\n${children.join('\n')}`);
  });

  test('a flightdeck.yaml problem shows in the Problems panel at its line, and goes when fixed', async function () {
    this.timeout(30_000);
    const file = vscode.Uri.joinPath(s.folder, 'flightdeck.yaml');
    await vscode.window.showTextDocument(file);
    const { line, before } = await replaceLine(file, '    runtime: nodejs', '    runtime: nodjs');
    try {
      const problems = await waitFor('a problem for "runtime: nodjs" in the Problems panel', () => {
        const shown = vscode.languages.getDiagnostics(file);
        return shown.length > 0 && shown;
      });
      assert.equal(problems.length, 1, problems.map((p) => p.message).join('\n'));
      assert.equal(problems[0].range.start.line, line, `the problem is at line ${problems[0].range.start.line + 1}, the typo at ${line + 1}`);
      assert.match(problems[0].message, /runtime/);
      assert.match(problems[0].message, /nodjs/);
      assert.equal(problems[0].severity, vscode.DiagnosticSeverity.Error);
    } finally {
      await replaceLine(file, '    runtime: nodjs', before);
    }
    await waitFor('the Problems panel to clear once the typo is fixed', () => vscode.languages.getDiagnostics(file).length === 0);
    assert.ok(await (await vscode.workspace.openTextDocument(file)).save());
  });

  test('Compare opens a diff of two versions read through the flightdeck: file system', async () => {
    const comparison = await vscode.commands.executeCommand<{ left: vscode.Uri; right: vscode.Uri; changed: string[] }>('flightdeck.compareVersions', {
      environment: s.environment,
      function: fn,
      version: 1,
      other: 2,
    });
    assert.deepEqual(comparison.changed, ['index.js']);
    assert.equal(comparison.left.scheme, 'flightdeck');
    const read = async (uri: vscode.Uri) => new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    assert.match(await read(comparison.left), /hello from v1/);
    assert.match(await read(comparison.right), /hello from v2/);
    // The missing side of an added or deleted file reads as empty instead of failing.
    const missing = comparison.left.with({ path: comparison.left.path.replace(/index\.js$/, 'added.js'), query: 'absent' });
    assert.equal((await vscode.workspace.fs.readFile(missing)).length, 0);
    assert.equal((await vscode.workspace.fs.stat(missing)).size, 0);
    const tab = await waitFor('the diff editor to open', () => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputTextDiff && input;
    });
    assert.equal(tab.original.toString(), comparison.left.toString());
    assert.equal(tab.modified.toString(), comparison.right.toString());
  });

  test('Copy URL puts the live URL on the clipboard, and it serves', async () => {
    const url = await vscode.commands.executeCommand<string>('flightdeck.copyUrl', { environment: s.environment, function: fn });
    assert.equal(url, s.url);
    assert.equal(await vscode.env.clipboard.readText(), url);
    const served = await get(url);
    assert.equal(served.status, 200, served.body);
  });

  test('Show Logs opens the version’s output channel, fed by the platform’s log of its console output', async function () {
    this.timeout(30_000);
    const live = (await s.provider.getAlias(s.environment, fn, 'live')).versionId;
    const channel = await vscode.commands.executeCommand<string>('flightdeck.showLogs', { environment: s.environment, function: fn, version: live });
    assert.equal(channel, `Flightdeck: ${s.environment}/${fn} v${live}`);
    // The Output panel's active channel is now this one: opened as a document (output:<extension>.<name>).
    const shown = await waitFor(`the Output panel to show "${channel}"`, async () => {
      await vscode.commands.executeCommand('workbench.action.openActiveLogOutputFile');
      const uri = vscode.window.activeTextEditor?.document.uri;
      return uri?.scheme === 'output' && decodeURIComponent(uri.path);
    });
    assert.ok(shown.includes(s.environment) && shown.endsWith(` v${live}`), `the active output channel is "${shown}"`);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');

    // What the channel follows: a request's console line, through the platform's logs API. (The
    // channel's text is not readable here: in the web workbench every output channel reads empty.)
    const marker = `logs-check-${randomUUID()}`;
    const served = await get(`${s.url.replace(/\/$/, '')}/${marker}`);
    assert.equal(served.status, 200, served.body);
    const line = await waitFor(`"served …${marker}" in the v${live} logs`, async () =>
      (await s.provider.readLogs(s.environment, fn, { version: live, tail: 50 })).find((l) => l.text.includes(marker)),
    );
    assert.equal(line.stream, 'stdout');
    assert.equal(line.versionId, live);
    assert.match(line.text, new RegExp(`^served \\S*${marker}$`));
  });
});
