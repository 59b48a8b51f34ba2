// `flightdeck serve` runs the platform in the foreground; other commands use it rather than
// starting their own, and Ctrl-C stops it cleanly.
import { strict as assert } from 'node:assert';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DIST, tempHome } from '../helpers/platform';

describe('flightdeck serve', () => {
  const home = tempHome();
  let serve: ChildProcess | undefined;
  after(() => {
    if (serve && serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  it('serves until interrupted, is found by other commands, and removes its discovery file', async () => {
    const env = { ...process.env, FLIGHTDECK_HOME: home };
    const child = spawn(process.execPath, [join(DIST, 'cli.js'), 'serve', '--port', '0', '--max-blob-bytes', '1000'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    serve = child;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 15_000);
      const onData = (chunk: Buffer) => {
        output += chunk;
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    });
    const discovery = JSON.parse(readFileSync(join(home, 'platform.json'), 'utf8')) as { url: string; pid: number };
    assert.deepEqual([discovery.url, discovery.pid], [url, child.pid]);

    const envs = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [join(DIST, 'cli.js'), 'envs', '--json'], { env, timeout: 30_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout))));
    assert.deepEqual(JSON.parse(envs), { provider: { kind: 'local', label: `Local platform (${new URL(url).host})` }, environments: [] });
    assert.equal(JSON.parse(readFileSync(join(home, 'platform.json'), 'utf8')).pid, child.pid, 'envs must reuse the served platform');
    // serve's own limits reach the platform, as the limit's message tells people to set them.
    const big = Buffer.alloc(1001, 7);
    const tooBig = await fetch(`${url}/v1/blobs/${createHash('sha256').update(big).digest('hex')}`, {
      method: 'PUT', body: big, headers: { authorization: `Bearer ${JSON.parse(readFileSync(join(home, 'platform.json'), 'utf8')).token}` },
    });
    assert.equal(tooBig.status, 413);
    assert.match(await tooBig.text(), /limit of 1000 bytes.*flightdeck serve --max-blob-bytes N/);

    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.equal(existsSync(join(home, 'platform.json')), false);
  });

  it('rejects a bad port as usage', async () => {
    const code = await new Promise<number>((resolve) =>
      execFile(process.execPath, [join(DIST, 'cli.js'), 'serve', '--port', 'eighty'], { timeout: 30_000 }, (error) => resolve(Number(error?.code ?? 0))));
    assert.equal(code, 2);
  });
});
