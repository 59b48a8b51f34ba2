// What a first-time user meets before any code runs: the Marketplace fields and icon, the
// walkthrough's steps (media that exist, completion on real events) and the words of the welcome
// views and the walkthrough, which must be the commands' own titles.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/platform';

interface Step {
  id: string;
  title: string;
  description: string;
  media: { image?: string; markdown?: string; altText?: string };
  completionEvents: string[];
}

interface Manifest {
  version: string;
  license: string;
  icon: string;
  repository: { url: string };
  categories: string[];
  keywords: string[];
  galleryBanner: { color: string; theme: string };
  contributes: {
    commands: { command: string; title: string }[];
    viewsWelcome: { view: string; contents: string }[];
    walkthroughs: { id: string; title: string; steps: Step[] }[];
  };
}

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
const titles = new Map(manifest.contributes.commands.map((c) => [c.command, c.title]));
const [walkthrough] = manifest.contributes.walkthroughs;

/** Context keys the extension sets (setContext calls in src/ui). */
function contextKeysSet(): Set<string> {
  const text = readFileSync(join(REPO_ROOT, 'src', 'ui', 'context.ts'), 'utf8');
  return new Set([...text.matchAll(/'setContext', '([\w.]+)'/g)].map((m) => m[1]));
}

/** `[Title](command:id)` links in a text. */
function commandLinks(text: string): { title: string; id: string }[] {
  return [...text.matchAll(/\[([^\]]+)\]\(command:([\w.]+)\)/g)].map((m) => ({ title: m[1], id: m[2] }));
}

describe('Marketplace listing', () => {
  it('has a 128×128 PNG icon, repository, categories, keywords and a gallery banner', () => {
    const png = readFileSync(join(REPO_ROOT, manifest.icon));
    assert.equal(png.subarray(1, 4).toString(), 'PNG', `${manifest.icon} is not a PNG`);
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128], 'the icon must be 128×128');
    assert.match(manifest.repository.url, /^https:\/\//);
    assert.ok(manifest.categories.length > 0 && manifest.keywords.length >= 3);
    assert.match(manifest.galleryBanner.color, /^#[0-9a-f]{6}$/i);
    assert.ok(['dark', 'light'].includes(manifest.galleryBanner.theme));
  });

  it('ships an MIT LICENSE and a CHANGELOG.md entry for this version', () => {
    assert.equal(manifest.license, 'MIT');
    assert.match(readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8'), /^MIT License/);
    assert.match(readFileSync(join(REPO_ROOT, 'CHANGELOG.md'), 'utf8'), new RegExp(`^## ${manifest.version.replace(/\./g, '\\.')}$`, 'm'));
  });
});

describe('walkthrough', () => {
  it('has 4–6 steps from a project to a rollout, each with media that exists', () => {
    assert.ok(walkthrough, 'no walkthrough contributed');
    assert.ok(walkthrough.steps.length >= 4 && walkthrough.steps.length <= 6, `${walkthrough.steps.length} steps`);
    assert.deepEqual(walkthrough.steps.map((s) => s.id), ['project', 'deploy', 'url', 'canary', 'rollout']);
    for (const step of walkthrough.steps) {
      const file = step.media.image ?? step.media.markdown;
      assert.ok(file, `step ${step.id} has no media`);
      assert.ok(file.startsWith('media/'), `step ${step.id}: ${file} is outside media/, so not in the VSIX`);
      assert.ok(existsSync(join(REPO_ROOT, file)), `step ${step.id}: missing ${file}`);
      if (step.media.image) assert.ok(step.media.altText, `step ${step.id}: an image needs altText`);
    }
  });

  it('completes each step on a real event: a contributed command run, or a context key the extension sets', () => {
    const keys = contextKeysSet();
    for (const step of walkthrough.steps) {
      assert.ok(step.completionEvents.length > 0, `step ${step.id} never completes`);
      for (const event of step.completionEvents) {
        const [kind, name] = event.split(':');
        if (kind === 'onCommand') assert.ok(titles.has(name), `step ${step.id}: ${name} is not a contributed command`);
        else if (kind === 'onContext') assert.ok(keys.has(name), `step ${step.id}: nothing sets context key ${name}`);
        else assert.fail(`step ${step.id}: unexpected completion event ${event}`);
      }
    }
  });

  it('uses the commands\' own titles for its steps\' buttons and the welcome views\' links', () => {
    const texts = [...walkthrough.steps.map((s) => s.description), ...manifest.contributes.viewsWelcome.map((w) => w.contents)];
    const links = texts.flatMap(commandLinks).filter((link) => link.id.startsWith('flightdeck.'));
    assert.ok(links.length >= 8, `only ${links.length} command links`);
    for (const link of links) assert.equal(link.title, titles.get(link.id), `"${link.title}" links ${link.id}, titled "${titles.get(link.id)}"`);
    for (const step of walkthrough.steps) {
      const [button] = commandLinks(step.description);
      if (button) assert.ok(step.title.startsWith(button.title), `step "${step.title}" is not named like its command "${button.title}"`);
    }
  });
});
