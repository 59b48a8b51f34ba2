// The bench's verdict logic without running a benchmark: which rows fail the run, what a row with
// a target must carry, and the counting relay the deploy row reads its wire bytes from.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { startCountingProxy } from '../../bench/countingProxy';
import { Report, type Row } from '../../bench/report';

const row = (extra: Partial<Row>): Row => ({ section: 's', name: 'n', value: 'v', figures: {}, target: '', ...extra });

describe('bench report', () => {
  it('a missed target or a section that could not be measured fails the run; passes, references and skips do not', () => {
    const report = new Report();
    report.add(row({ name: 'ref' }));
    report.add(row({ name: 'met', target: '≤ 1 ms', pass: true }));
    report.add(row({ name: 'no nginx', target: '≥ 1.00×', skipped: 'nginx is not installed' }));
    assert.deepEqual(report.misses(), []);
    assert.match(report.summary(), /^all targets met; skipped: s · no nginx \(nginx is not installed\)$/);
    report.add(row({ name: 'slow', target: '≤ 1 ms', pass: false }));
    report.failed('gateway', new Error('platform did not start\nstack…'));
    assert.deepEqual(report.misses().map((r) => r.name), ['slow', 'not measured']);
    assert.match(report.summary(), /^2 row\(s\) missed their target: s · slow; gateway · not measured/);
    const table = report.table();
    assert.match(table, /\| slow +\| v +\| ≤ 1 ms +\| MISS +\|/);
    assert.match(table, /\| no nginx +\| v +\| ≥ 1\.00× +\| skipped: nginx is not installed +\|/);
    assert.match(table, /\| ref +\| v +\| +\| ref +\|/);
  });

  it('refuses a row with a target but neither a verdict nor why it has none', () => {
    assert.throws(() => new Report().add(row({ name: 'bare', target: '≤ 300 ms' })), /"bare" has a target \(≤ 300 ms\) but neither a verdict nor why/);
  });
});

describe('the counting relay', () => {
  it('counts every byte the client sends on the socket, headers and body, not what the client says it sent', async () => {
    const server = createServer((req, res) => req.resume().on('end', () => res.end('ok')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = await startCountingProxy(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const body = 'x'.repeat(1000);
      const raw = `POST /upload HTTP/1.1\r\nHost: here\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
      const { port } = new URL(proxy.url);
      const answer = await new Promise<string>((resolve, reject) => {
        let text = '';
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(raw));
        socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        socket.on('close', () => resolve(text)).on('error', reject);
      });
      assert.match(answer, /^HTTP\/1\.1 200 OK/);
      assert.equal(proxy.bytesUp(), Buffer.byteLength(raw));
      proxy.reset();
      assert.equal(proxy.bytesUp(), 0);
    } finally {
      await proxy.close();
      server.close();
    }
  });
});
