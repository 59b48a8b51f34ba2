// Delete Environment, last because it removes what the other files use: a protected environment
// is only deleted through the modal naming it or with `confirm` equal to its name; the personal
// one goes from code at once, and with it its views, its selection and its URL.
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { FIXTURE_FUNCTION } from '../fixture';
import { get } from './platform';
import { deployedSession, type Session } from './session';
import { treeTexts, waitFor } from './workbench';

const PROTECTED = 'suite-staging';

suite('Deleting environments', () => {
  let s: Session;
  const exists = async (name: string) => (await s.provider.listEnvironments()).some((e) => e.name === name);
  const treeLists = async (name: string) => (await treeTexts(s.api.environmentsTree, 1)).some((t) => t.startsWith(name));
  const deleteEnvironment = (arg: object) => Promise.resolve(vscode.commands.executeCommand<string>('flightdeck.deleteEnvironment', arg));

  suiteSetup(async function () {
    this.timeout(60_000);
    s = await deployedSession();
    if (!(await exists(PROTECTED))) await s.provider.createEnvironment({ name: PROTECTED, kind: 'staging', protected: true });
    await waitFor(`the environments tree to list ${PROTECTED}`, () => treeLists(PROTECTED));
  });

  suiteTeardown(async () => {
    if (await exists(PROTECTED)) await s.provider.deleteEnvironment(PROTECTED, PROTECTED);
  });

  test('a protected environment is deleted only through the modal naming it, or with confirm', async () => {
    // VS Code refuses to show modals to an extension under test, quoting them: that is the modal asked.
    const modal = new RegExp(`'${PROTECTED}' is a protected staging environment\\. Delete in '${PROTECTED}'\\?`);
    await assert.rejects(deleteEnvironment({ environment: PROTECTED }), modal);
    await assert.rejects(deleteEnvironment({ environment: PROTECTED, confirm: 'staging' }), modal, 'a confirm that is not its name still asks');
    assert.ok(await exists(PROTECTED), `${PROTECTED} was deleted without a confirmation`);

    assert.equal(await deleteEnvironment({ environment: PROTECTED, confirm: PROTECTED }), PROTECTED);
    assert.ok(!(await exists(PROTECTED)), `${PROTECTED} is still on the platform`);
    await waitFor(`the environments tree to drop ${PROTECTED}`, async () => !(await treeLists(PROTECTED)));
  });

  test('the personal environment deleted from code leaves the platform, the views and its URL', async () => {
    s.api.selectFunction(s.environment, FIXTURE_FUNCTION);
    await waitFor('the Versions view to show the function', async () => (await s.api.versionsTree.getChildren()).length > 0);

    assert.equal(await deleteEnvironment({ environment: s.environment }), s.environment);
    assert.ok(!(await exists(s.environment)), `${s.environment} is still on the platform`);
    await waitFor(`the environments tree to drop ${s.environment}`, async () => !(await treeLists(s.environment)));
    assert.deepEqual(await s.api.versionsTree.getChildren(), [], 'the Versions view still lists the deleted function');
    const served = await get(s.url);
    assert.equal(served.status, 404, served.body);
    assert.match(served.body, new RegExp(`environment "${s.environment}"`));
  });
});
