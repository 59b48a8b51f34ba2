// Choosing a provider: flightdeck.yaml's provider block (problems at their line and column), the
// precedence of an explicit choice over it, and the registry loading the local provider for real.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseProjectFile } from '../../src/config/projectFile';
import { loadProviderBlock, parseProviderBlock } from '../../src/config/providerBlock';
import { isFlightdeckError } from '../../src/errors';
import { describeProvider } from '../../src/provider';
import { providerKindOf, selectProvider } from '../../src/providers/kinds';

const PROJECT = 'project: shop\nfunctions:\n  api: { runtime: nodejs, code: ., handler: index.handler }\n';

describe('provider block of flightdeck.yaml', () => {
  it('reads kind and options; a long account id written as a number stays exact', () => {
    const { selection, problems } = parseProviderBlock(`${PROJECT}provider:\n  kind: fc3\n  region: cn-hangzhou\n  accountId: 1234567890123\n`);
    assert.deepEqual(problems, []);
    assert.deepEqual(selection, { kind: 'fc3', options: { region: 'cn-hangzhou', accountId: '1234567890123' } });
  });

  it('is part of the project file, with every problem at its line and column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-provider-'));
    try {
      const text = `${PROJECT}provider:\n  kind: lambda\n  regoin: x\n`;
      const { problems } = parseProjectFile(text, join(dir, 'flightdeck.yaml'));
      assert.deepEqual(problems.map((p) => [p.line, p.column, p.path]), [[5, 9, 'provider.kind'], [6, 3, 'provider.regoin']]);
      assert.match(problems[0].message, /must be one of local, fc3, knative, not "lambda"/);
      assert.match(problems[1].message, /Did you mean `region`\?/);
      // Knative runs images: its functions name one (test/unit/provider-knative.test.ts checks the problem when they do not).
      const withImage = PROJECT.replace('handler: index.handler }', 'handler: index.handler, image: registry.example.com/shop/api:1 }');
      const ok = parseProjectFile(`${withImage}provider: { kind: knative, context: kind-dev }\n`, join(dir, 'flightdeck.yaml'));
      assert.deepEqual(ok.project?.provider, { kind: 'knative', options: { context: 'kind-dev' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses options of another kind, a missing kind and a non-URL endpoint', () => {
    const cases: [string, RegExp][] = [
      ['provider:\n  kind: local\n  region: cn-hangzhou\n', /`provider.region` does not apply to kind local\./],
      ['provider:\n  region: cn-hangzhou\n', /Missing required key `kind` under `provider`/],
      ['provider:\n  kind: fc3\n  endpoint: fc.example\n', /must be an http\(s\) URL/],
    ];
    for (const [block, message] of cases) {
      const { selection, problems } = parseProviderBlock(`${PROJECT}${block}`);
      assert.equal(selection, undefined);
      assert.match(problems.map((p) => p.message).join('\n'), message);
    }
  });

  it('loadProviderBlock names the file, line and column; a file without the block has none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-provider-'));
    try {
      const file = join(dir, 'flightdeck.yaml');
      writeFileSync(file, PROJECT);
      assert.equal(loadProviderBlock(file), undefined);
      writeFileSync(file, `${PROJECT}provider:\n  kind: fc3\n  accountId: [1]\n`);
      assert.throws(() => loadProviderBlock(file), (error: unknown) =>
        isFlightdeckError(error, 'CONFIG_INVALID') && error.message.includes(`${file}:6:14: \`provider.accountId\` must be a string`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('selecting a provider', () => {
  const block = { kind: 'fc3' as const, options: { region: 'cn-shanghai' } };

  it('an explicit kind wins; the block applies only to its own kind; the default is local', () => {
    assert.deepEqual(selectProvider(undefined, undefined), { kind: 'local', options: {} });
    assert.deepEqual(selectProvider(undefined, block), block);
    assert.deepEqual(selectProvider('fc3', block), block);
    assert.deepEqual(selectProvider('local', block), { kind: 'local', options: {} });
  });

  it('an unknown kind names where it came from and the choices', () => {
    assert.throws(() => providerKindOf('aws', 'Setting flightdeck.provider'),
      /Setting flightdeck.provider is "aws", which is not a provider; use one of: local, fc3, knative\./);
  });

  it('describeProvider adds the account when there is one', () => {
    assert.equal(describeProvider({ label: 'Local platform (127.0.0.1:7420)' }), 'Local platform (127.0.0.1:7420)');
    assert.equal(describeProvider({ label: 'Function Compute 3.0 (cn-hangzhou)', account: '1234' }), 'Function Compute 3.0 (cn-hangzhou) · account 1234');
  });
});
