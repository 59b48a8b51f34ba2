// The extension as a user gets it: packs the VSIX (`vsce package`), installs it into a fresh VS Code
// server with `--install-extension`, opens a fresh git repository with a flightdeck.yaml (no
// extensionDevelopmentPath, no test module) and works the workbench through the browser the way a
// person does: clicks, right-clicks, typing into quick picks. Nothing here runs a command; every
// check reads what the page shows. Screenshots of each step: test-results/installed-*.png.
//
//   node out/test/vscode/runInstalled.js      prints each step and `N passed, N failed`
//
// clickThroughInstalled is also the benchmark's (bench/installedBench.ts): it returns the time from
// the click on the rocket to the function's row in the tree.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { FIXTURE_FUNCTION, REPO_ROOT, TEST_RESULTS } from './fixture';
import { launchChromium, withEditor } from './runCodeServer';

const STEP_TIMEOUT_MS = 60_000;
/** Open, click the Flightdeck icon, click the rocket: what the benchmark times. */
const FIRST_DEPLOY_STEPS = 3;
/** What the VSIX may hold: the manifest, the extension's bundles (the cloud providers' too), media/, README, CHANGELOG, LICENSE. */
const ALLOWED_IN_VSIX = /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|dist\/(extension|platform|runtime-node|vendor-yaml|provider-(fc3|knative))\.js|media\/.+)$/;
export const VSIX_LIMIT_BYTES = 1024 * 1024;

export interface PackedVsix {
  file: string;
  bytes: number;
  /** Paths inside the extension, as `vsce ls` lists them. */
  files: string[];
}

/** `vsce package` of the built dist/ into `outDir` (flightdeck-<version>.vsix), and `vsce ls`. */
export async function packVsix(outDir: string): Promise<PackedVsix> {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const vsce = join(REPO_ROOT, 'node_modules', '.bin', 'vsce');
  const file = join(outDir, `flightdeck-${version}.vsix`);
  const run = (args: string[]) => promisify(execFile)(vsce, args, { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
  const packed = await run(['package', '--no-dependencies', '--out', file]);
  if (/WARNING/i.test(packed.stdout + packed.stderr)) throw new Error(`vsce package warned:\n${packed.stdout}${packed.stderr}`);
  const listed = await run(['ls', '--no-dependencies']);
  return { file, bytes: statSync(file).size, files: listed.stdout.trim().split('\n').filter(Boolean) };
}

export interface InstalledRun {
  /** Click on the rocket to the function's row showing in the tree, first deploy. */
  rocketToRowMs: number;
}

interface Step {
  title: string;
  run: () => Promise<void>;
}

/**
 * Installs `vsix` and clicks through deploy, redeploy, roll back, a 25% canary, the live figures,
 * the URL, a rollout and deleting a stale environment. `onStep` hears each step's verdict; a failed step ends the run (later ones depend on it).
 */
export async function clickThroughInstalled(
  vsix: string,
  onStep: (title: string, error?: Error) => void,
  options: { untilFirstDeploy?: boolean } = {},
): Promise<InstalledRun> {
  const result: InstalledRun = { rocketToRowMs: NaN };
  await withEditor({ workspace: 'fixture', installVsix: vsix, log: () => {} }, async (editor, dirs) => {
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      const ui = new Workbench(page);
      const environment = 'alice-feature-login';
      let url = '';
      const steps: Step[] = [
        {
          title: 'the installed extension activates on the repository and opens its walkthrough',
          run: async () => {
            await page.goto(`${editor.base}/?${new URLSearchParams({ folder: dirs.workspace })}`);
            await page.getByText('Get Started with Flightdeck').first().waitFor();
            await ui.shot('01-walkthrough');
          },
        },
        {
          title: 'clicking the Flightdeck icon shows the Environments view with its welcome',
          run: async () => {
            await page.locator('.activitybar [aria-label^="Flightdeck"]').first().click();
            // The welcome's button, not the title bar's rocket of the same name (there once the view's actions render).
            await ui.pane('Environments').locator('.monaco-button', { hasText: 'Deploy Current Branch' }).waitFor();
            await ui.shot('02-flightdeck-view');
          },
        },
        {
          title: 'the rocket deploys the branch: the personal environment and its function show, its start proof serving warm; two walkthrough steps done',
          run: async () => {
            const started = Date.now();
            await ui.clickTitleAction('Environments', 'Deploy Current Branch');
            await ui.row('Environments', environment).waitFor();
            await ui.row('Environments', FIXTURE_FUNCTION).waitFor();
            result.rocketToRowMs = Date.now() - started;
            await ui.notification(`Deployed to ${environment}: ${FIXTURE_FUNCTION}: v1 published; live → v1`).waitFor();
            // The deploy's start proof stays as v1's first instance (it scales to zero once idle).
            await ui.rowWith('Environments', FIXTURE_FUNCTION, /v1 · 1\/1 ready/);
            await ui.walkthroughStepDone('Create flightdeck.yaml').waitFor();
            await ui.walkthroughStepDone('Deploy Current Branch').waitFor();
            await ui.shot('03-deployed');
          },
        },
        {
          title: 'an edit typed in the editor and saved, the rocket again: v2 is live',
          run: async () => {
            await ui.openFile('index.js');
            await ui.replaceLine(1, "const GREETING = 'hello from v2';");
            await ui.replaceLine(2, 'const STATUS = 500;');
            await page.keyboard.press('Control+S');
            await ui.until('the edit saved', () => /hello from v2';\nconst STATUS = 500;/.test(readFileSync(join(dirs.workspace, FIXTURE_FUNCTION, 'index.js'), 'utf8')));
            // As a person sees it: the tab's unsaved mark gone (a busy machine writes the file first).
            await ui.until('the tab to show no unsaved changes', async () => (await page.locator('.tabs-container .tab.dirty').count()) === 0);
            await ui.clickTitleAction('Environments', 'Deploy Current Branch');
            await ui.notification(`Deployed to ${environment}: ${FIXTURE_FUNCTION}: v2 published; live moved to v2`).waitFor();
            // The deploy's final state: v2's instance (its start proof) serves, v1's has retired.
            await ui.rowWith('Environments', FIXTURE_FUNCTION, /^v2 · 1\/1 ready/);
            // A full tree refresh drops VS Code's handles of the rows it replaces, so a context-menu
            // command run during one gets no row (and asks which environment): the next step
            // right-clicks once the refresh the deploy's events scheduled (150 ms debounce) has run.
            await page.waitForTimeout(500);
          },
        },
        {
          title: 'right-click the function, Roll Back: live is on v1 again, v2 the latest',
          run: async () => {
            await ui.contextMenu(ui.row('Environments', FIXTURE_FUNCTION), 'Roll Back');
            await ui.rowWith('Environments', FIXTURE_FUNCTION, /live v1 · latest v2/);
          },
        },
        {
          title: 'right-click the function, Set Canary Weight… typed into its quick picks: 25% to v2 in the row, the status bar and a notification',
          run: async () => {
            await ui.contextMenu(ui.row('Environments', FIXTURE_FUNCTION), 'Set Canary Weight…');
            await ui.answerQuickPick(/^Canary version for live \(now v1\)/, 'v2');
            await ui.answerQuickPick(/^Share of traffic for v2/, '25%');
            await ui.notification(`${environment}/${FIXTURE_FUNCTION} live: v2 gets 25% · live → v1 75% · v2 25%`).waitFor();
            await ui.rowWith('Environments', FIXTURE_FUNCTION, /^v1 75% · v2 25%/);
            await page.locator('.statusbar-item').filter({ hasText: `${environment} v1 · v2 25%` }).first().waitFor();
            await ui.shot('04-canary');
          },
        },
        {
          title: 'clicking the function shows its versions with last-minute figures; the failing canary is marked above the gate',
          run: async () => {
            await ui.row('Environments', FIXTURE_FUNCTION).click();
            await ui.expand(ui.row('Environments', FIXTURE_FUNCTION));
            url = (await ui.row('Environments', '/fn/').innerText()).trim();
            // Traffic, as from a browser or curl: 75% to v1 (200), 25% to v2 (500).
            for (let i = 0; i < 40; i++) await (await fetch(`${url}canary-${i}`)).text();
            await ui.rowWith('Versions', 'v2', /← live 25% · ⚠ \d+ req\/min · 100% errors · p95 \d+ ms/);
            await ui.rowWith('Versions', 'v1', /← live 75% · \d+ req\/min · 0% errors · p95 \d+ ms/);
            await ui.shot('05-versions-live');
          },
        },
        {
          title: 'clicking the URL row opens a browser tab on the function, which shows its answer',
          run: async () => {
            const tab = await ui.clickOpeningTab(context, ui.row('Environments', '/fn/'));
            // The web client (code-server's) sends a localhost URL through its port forwarding,
            // /proxy/<port>/, and drops the path there; desktop VS Code opens the URL as it is. So:
            // the tab must be for the row's port, and the row's URL is what the person then reads.
            const port = new URL(url).port;
            if (!tab.url().includes(`:${port}/`) && !tab.url().includes(`/proxy/${port}/`)) throw new Error(`opened ${tab.url()}, not the port of ${url}`);
            await tab.goto(url);
            const body = (await tab.locator('body').innerText()).trim();
            if (!/^hello from v[12] \(version [12], path \/\)$/.test(body)) throw new Error(`${url} shows "${body}"`);
            await tab.screenshot({ path: join(TEST_RESULTS, 'installed-06-url-page.png') });
            await tab.close();
          },
        },
        {
          title: 'right-click the function, Start Rollout… typed into its quick picks: the status bar follows the rollout',
          run: async () => {
            await ui.contextMenu(ui.row('Environments', FIXTURE_FUNCTION), 'Start Rollout…');
            await ui.answerQuickPick(/^Roll out which version to live \(now v1\)/, 'v2');
            await ui.answerQuickPick(/^How to roll it out\?/, 'Canary');
            await page.locator('.statusbar-item').filter({ hasText: /v1→v2 \d+% · step \d\/4/ }).first().waitFor();
            await ui.shot('07-rollout');
          },
        },
        {
          title: 'a teammate\'s merged branch: its environment is marked merged, and Delete Stale Environments… from the view\'s menu lists it checked, with why; one confirmation deletes it',
          run: async () => {
            // feature/old: a commit of its own, merged into main (the work tree untouched), and its
            // environment made from the shell, as the teammate's deploy would have.
            const git = async (...args: string[]) => (await promisify(execFile)('git', args, { cwd: dirs.workspace })).stdout.trim();
            const tree = await git('rev-parse', 'main^{tree}');
            const old = await git('commit-tree', tree, '-p', 'main', '-m', 'old work');
            await git('branch', '-f', 'feature/old', old);
            await git('update-ref', 'refs/heads/main', await git('commit-tree', tree, '-p', 'main', '-p', old, '-m', 'Merge feature/old'));
            await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'dist', 'cli.js'), 'env', 'create', '--branch', 'feature/old', '--user', 'bob'], {
              cwd: dirs.workspace, env: { ...process.env, FLIGHTDECK_HOME: dirs.home },
            });
            await ui.clickTitleAction('Environments', 'Refresh');
            // Why comes first in the row, where the side bar does not cut it off.
            await ui.rowWith('Environments', 'bob-feature-old', /^merged · personal · bob · feature\/old$/);
            // The branch checked out (alice's, no commit of its own, now behind main) is not stale.
            if (/merged/.test(await ui.row('Environments', environment).locator('.label-description').innerText())) throw new Error(`${environment} is marked merged`);
            await ui.clickTitleMenu('Environments', 'Delete Stale Environments…');
            const item = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'bob-feature-old' });
            await item.filter({ hasText: 'merged into main' }).waitFor();
            // Offered alone, and checked: the pick counts it selected before anyone clicks.
            if ((await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').count()) !== 1) throw new Error('more than the stale environment is offered');
            await page.locator('.quick-input-widget .quick-input-count', { hasText: '1 Selected' }).waitFor();
            await ui.shot('08-stale-pick');
            await page.keyboard.press('Enter');
            const dialog = page.locator('.monaco-dialog-box');
            await dialog.filter({ hasText: 'Delete 1 stale environment(s) and stop their instances? bob-feature-old' }).waitFor();
            await ui.shot('09-stale-confirm');
            await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
            await ui.notification('Deleted 1 stale environment(s): bob-feature-old.').waitFor();
            await ui.until('bob-feature-old to leave the tree', async () => (await ui.row('Environments', 'bob-feature-old').count()) === 0);
            await ui.row('Environments', environment).waitFor();
          },
        },
      ];
      const toRun = options.untilFirstDeploy ? steps.slice(0, FIRST_DEPLOY_STEPS) : steps;
      for (const step of toRun) {
        try {
          await step.run();
          onStep(step.title);
        } catch (error) {
          await ui.shot('failure');
          onStep(step.title, error as Error);
          break;
        }
      }
    } finally {
      await browser.close();
    }
  });
  return result;
}

/** The workbench as a person sees it: views by their titles, rows by their text, menus by their words. */
class Workbench {
  constructor(private readonly page: Page) {}

  pane(title: string): Locator {
    return this.page.locator('.pane').filter({ has: this.page.locator('.pane-header h3.title', { hasText: new RegExp(`^${title}$`, 'i') }) });
  }

  /** The first tree row of a view whose label contains `label`. */
  row(view: string, label: string): Locator {
    return this.pane(view).locator('.monaco-list-row').filter({ has: this.page.locator('.label-name', { hasText: label }) }).first();
  }

  /** Waits until the row's description (the grey text after the label) matches. */
  async rowWith(view: string, label: string, description: RegExp): Promise<void> {
    const row = this.row(view, label);
    await this.until(`the ${view} row "${label}" to read ${description}`, async () => description.test(await row.locator('.label-description').innerText().catch(() => '')));
  }

  /** Hovers the view's title bar (its actions show on hover) and clicks the action. */
  async clickTitleAction(view: string, action: string): Promise<void> {
    const header = this.pane(view).locator('.pane-header');
    await header.hover();
    await header.locator(`.action-label[aria-label^="${action}"]`).click();
  }

  /** Opens the view's title bar overflow menu (More Actions…) and clicks the item. */
  async clickTitleMenu(view: string, item: string): Promise<void> {
    const header = this.pane(view).locator('.pane-header');
    await header.hover();
    await header.locator('.action-label[aria-label^="More Actions"]').click();
    await this.clickMenuItem(item);
  }

  /** Clicks and returns the browser tab that opens; clicks once more if none did (a click can land on a row being re-rendered). */
  async clickOpeningTab(context: BrowserContext, target: Locator): Promise<Page> {
    for (let attempt = 1; ; attempt++) {
      const opened = context.waitForEvent('page', { timeout: 10_000 });
      await target.click();
      try {
        return await opened;
      } catch (error) {
        if (attempt === 2) throw error;
      }
    }
  }

  async expand(row: Locator): Promise<void> {
    if ((await row.getAttribute('aria-expanded')) !== 'true') await row.locator('.monaco-tl-twistie').click();
  }

  async contextMenu(row: Locator, item: string): Promise<void> {
    await row.click({ button: 'right' });
    await this.clickMenuItem(item);
  }

  /** Clicks `item` of the menu that is opening. */
  private async clickMenuItem(item: string): Promise<void> {
    const entry = this.page.getByRole('menuitem', { name: item, exact: true });
    await entry.waitFor();
    // The menu ignores a click that comes right as it opens (so a right-click's release picks
    // nothing); a person's pointer takes longer than that to travel to the item.
    await this.page.waitForTimeout(400);
    await entry.click();
  }

  /** Waits for the quick pick asking `prompt`, types `answer`, and takes the item it leaves on top. */
  async answerQuickPick(prompt: RegExp, answer: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await this.until(`a quick pick asking ${prompt}`, async () => (await input.isVisible()) && prompt.test((await input.getAttribute('placeholder')) ?? ''));
    await input.pressSequentially(answer);
    await this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused', { hasText: answer }).waitFor();
    await this.page.keyboard.press('Enter');
  }

  /** A walkthrough step's button showing its checked checkbox. */
  walkthroughStepDone(title: string): Locator {
    return this.page.locator('button:has(.complete)', { hasText: title }).first();
  }

  notification(text: string): Locator {
    return this.page.locator('.notification-toast').filter({ hasText: text }).first();
  }

  /** Quick Open (Ctrl+P), typed. */
  async openFile(name: string): Promise<void> {
    await this.page.locator('.monaco-workbench').press('Control+P');
    await this.page.locator('.quick-input-widget .quick-input-box input').pressSequentially(name);
    await this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
    await this.page.keyboard.press('Enter');
    await this.page.locator('.monaco-editor .view-lines').first().waitFor();
  }

  /** Selects line `line` (1-based) of the focused editor with the keyboard and types over it. */
  async replaceLine(line: number, text: string): Promise<void> {
    await this.page.locator('.monaco-editor .view-lines').first().click();
    await this.page.keyboard.press('Control+Home');
    for (let i = 1; i < line; i++) await this.page.keyboard.press('ArrowDown');
    await this.page.keyboard.press('Home');
    await this.page.keyboard.press('Shift+End');
    await this.page.keyboard.type(text);
  }

  async until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${STEP_TIMEOUT_MS / 1000} s waiting for ${what}`);
      await this.page.waitForTimeout(100);
    }
  }

  async shot(name: string): Promise<void> {
    mkdirSync(TEST_RESULTS, { recursive: true });
    await this.page.waitForTimeout(300); // let the last change paint
    await this.page.screenshot({ path: join(TEST_RESULTS, `installed-${name}.png`) });
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  let passed = 0;
  let failed = 0;
  const report = (title: string, error?: Error) => {
    if (error) {
      failed++;
      console.log(`  ✘ ${title}\n      ${(error.stack ?? error.message).split('\n').join('\n      ')}`);
    } else {
      passed++;
      console.log(`  ✔ ${title}`);
    }
  };
  const outDir = mkdtempSync(join(tmpdir(), 'flightdeck-vsix-'));
  try {
    const vsix = await packVsix(outDir);
    const stray = vsix.files.filter((f) => !ALLOWED_IN_VSIX.test(f));
    const missing = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'dist/extension.js', 'dist/platform.js', 'dist/runtime-node.js', 'dist/provider-fc3.js', 'dist/provider-knative.js', 'dist/vendor-yaml.js', 'media/icon.png'].filter((f) => !vsix.files.includes(f));
    const packaging = stray.length || missing.length || vsix.bytes > VSIX_LIMIT_BYTES
      ? new Error(`VSIX ${vsix.bytes} bytes (limit ${VSIX_LIMIT_BYTES}); not allowed: ${stray.join(', ') || 'none'}; missing: ${missing.join(', ') || 'none'}`)
      : undefined;
    report(`vsce packs ${vsix.files.length} files, ${(vsix.bytes / 1024).toFixed(0)} KB, without warnings: only bundles, media/, manifest, README, CHANGELOG, LICENSE`, packaging);
    await clickThroughInstalled(vsix.file, report);
  } catch (error) {
    report('packing and installing the VSIX', error as Error);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  console.log(`Installed-VSIX run finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(error.stack ?? error.message);
      console.log('0 passed, 1 failed');
      process.exit(1);
    },
  );
}
