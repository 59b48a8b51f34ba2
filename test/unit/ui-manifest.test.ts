// The extension manifest against the UI's code: every command the code registers is contributed,
// every command the menus, welcome views and code name exists, the schema and icon it points to
// are there. A typo in package.json fails here instead of silently hiding a menu item.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/platform';

interface Manifest {
  name: string;
  publisher: string;
  main: string;
  activationEvents: string[];
  contributes: {
    commands: { command: string; title: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    views: Record<string, { id: string }[]>;
    viewsContainers: { activitybar: { id: string; icon: string }[] };
    viewsWelcome: { view: string; contents: string }[];
    configuration: { properties: Record<string, { default?: unknown }> };
    yamlValidation: { fileMatch: string; url: string }[];
  };
}

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
const UI = join(REPO_ROOT, 'src', 'ui');
const contributed = new Set(manifest.contributes.commands.map((c) => c.command));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Command ids in the command table (src/ui/commands/index.ts). */
function registeredCommands(): string[] {
  const table = readFileSync(join(UI, 'commands', 'index.ts'), 'utf8');
  return [...table.matchAll(/^\s+'(flightdeck\.\w+)': \w+,$/gm)].map((m) => m[1]);
}

describe('extension manifest', () => {
  it('is the extension the test suite loads: flightdeck.flightdeck, main in dist', () => {
    assert.equal(`${manifest.publisher}.${manifest.name}`, 'flightdeck.flightdeck');
    assert.equal(manifest.main, './dist/extension.js');
    assert.ok(manifest.activationEvents.includes('workspaceContains:flightdeck.yaml'));
  });

  it('contributes exactly the commands the command table registers', () => {
    const registered = registeredCommands();
    assert.ok(registered.length >= 15, `found only ${registered.length} commands in the table`);
    assert.deepEqual([...registered].sort(), [...contributed].sort());
  });

  it('names only contributed commands in menus and welcome views', () => {
    for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
      for (const item of items) assert.ok(contributed.has(item.command), `${menu} names unknown command ${item.command}`);
    }
    for (const welcome of manifest.contributes.viewsWelcome) {
      for (const [, id] of welcome.contents.matchAll(/\(command:([\w.]+)\)/g)) {
        assert.ok(contributed.has(id) || id.startsWith('vscode.'), `welcome of ${welcome.view} names unknown command ${id}`);
      }
    }
  });

  it('names only contributed commands and settings in the UI code', () => {
    const settings = new Set(Object.keys(manifest.contributes.configuration.properties).map((k) => k.replace(/^flightdeck\./, '')));
    for (const file of sourceFiles(UI)) {
      const text = readFileSync(file, 'utf8');
      for (const [, id] of text.matchAll(/(?:command: |command = |executeCommand\()'(flightdeck\.\w+)'/g)) {
        assert.ok(contributed.has(id), `${file} names unknown command ${id}`);
      }
      for (const [, key] of text.matchAll(/settings\.get<\w+>\('([\w.]+)'/g)) {
        assert.ok(settings.has(key), `${file} reads setting flightdeck.${key}, which package.json does not contribute`);
      }
    }
  });

  it('matches menu items to the contextValue flags the tree nodes set', () => {
    const nodeKinds = new Set<string>();
    for (const file of sourceFiles(join(UI, 'trees'))) {
      const text = readFileSync(file, 'utf8');
      for (const [, kind] of text.matchAll(/contextFlags\('(\w+)'/g)) nodeKinds.add(kind);
      for (const [, kind] of text.matchAll(/contextValue = '(\w+)'/g)) nodeKinds.add(kind);
    }
    for (const item of manifest.contributes.menus['view/item/context']) {
      const kind = /viewItem =~ \/\^(\w+)\\b/.exec(item.when ?? '')?.[1];
      assert.ok(kind, `${item.command}: when clause without a viewItem match: ${item.when}`);
      assert.ok(nodeKinds.has(kind), `${item.command} targets viewItem ${kind}, which no tree node sets`);
    }
  });

  it('points at files that exist: the activity bar icon and the flightdeck.yaml schema', () => {
    for (const container of manifest.contributes.viewsContainers.activitybar) {
      assert.ok(existsSync(join(REPO_ROOT, container.icon)), `missing icon ${container.icon}`);
    }
    const [validation] = manifest.contributes.yamlValidation;
    assert.equal(validation.fileMatch, 'flightdeck.yaml');
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, validation.url), 'utf8')) as { type?: string; properties?: object };
    assert.ok(schema.properties, `${validation.url} is not an object schema`);
  });

  it('declares both views in the flightdeck container', () => {
    assert.deepEqual(manifest.contributes.views.flightdeck.map((v) => v.id), ['flightdeck.environments', 'flightdeck.versions']);
  });
});
