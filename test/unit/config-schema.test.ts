// The JSON Schema the editor validates with and the parser the CLI deploys with must agree on
// every key, or the editor would accept files the deploy rejects (or flag good ones).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  DEFAULT_INSTANCES,
  DEFAULT_PERSONAL_NAME,
  ENVIRONMENT_KEYS,
  FUNCTION_KEYS,
  INSTANCE_KEYS,
  PERSONAL_KEYS,
  PROJECT_KEYS,
  RUNTIMES,
} from '../../src/config/projectFile';
import { ROLLOUT_KEYS } from '../../src/config/rolloutDefaults';
import { ENVIRONMENT_KINDS } from '../../src/model';
import { PROVIDER_KINDS, PROVIDER_OPTION_KEYS } from '../../src/providers/kinds';
import { REPO_ROOT } from '../helpers/platform';

type Schema = any;
const schema: Schema = JSON.parse(readFileSync(join(REPO_ROOT, 'media', 'flightdeck.schema.json'), 'utf8'));
const keysOf = (node: Schema) => Object.keys(node.properties).sort();
const sorted = (keys: readonly string[]) => [...keys].sort();

describe('flightdeck.schema.json', () => {
  it('is draft-07 and closed (additionalProperties false) wherever the parser rejects unknown keys', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    for (const node of [schema, schema.properties.personal, schema.properties.provider, schema.definitions.function, schema.definitions.function.properties.instances, schema.definitions.rollout, schema.definitions.environment]) {
      assert.equal(node.additionalProperties, false);
    }
  });

  it('has the same keys as the parser at every level', () => {
    assert.deepEqual(keysOf(schema), sorted(PROJECT_KEYS));
    assert.deepEqual(keysOf(schema.definitions.function), sorted(FUNCTION_KEYS));
    assert.deepEqual(keysOf(schema.definitions.function.properties.instances), sorted(INSTANCE_KEYS));
    assert.deepEqual(keysOf(schema.definitions.rollout), sorted(ROLLOUT_KEYS));
    assert.deepEqual(keysOf(schema.definitions.environment), sorted(ENVIRONMENT_KEYS));
    assert.deepEqual(keysOf(schema.properties.personal), sorted(PERSONAL_KEYS));
    const optionKeys = [...new Set(Object.values(PROVIDER_OPTION_KEYS).flat())];
    assert.deepEqual(keysOf(schema.properties.provider), sorted(['kind', ...optionKeys]));
    assert.deepEqual(schema.properties.provider.properties.kind.enum, PROVIDER_KINDS);
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    assert.deepEqual(manifest.contributes.configuration.properties['flightdeck.provider'].enum, PROVIDER_KINDS);
  });

  it('has the same required keys, enums and defaults', () => {
    assert.deepEqual(schema.required, ['project', 'functions']);
    assert.deepEqual(schema.definitions.function.required, ['runtime', 'code']);
    assert.deepEqual(schema.definitions.function.properties.runtime.enum, RUNTIMES);
    assert.deepEqual(schema.definitions.environment.properties.kind.enum, ENVIRONMENT_KINDS);
    const instances = schema.definitions.function.properties.instances.properties;
    assert.equal(instances.min.default, DEFAULT_INSTANCES.min);
    assert.equal(instances.max.default, DEFAULT_INSTANCES.max);
    assert.equal(instances.concurrency.default, DEFAULT_INSTANCES.concurrency);
    assert.equal(schema.properties.personal.properties.name.default, DEFAULT_PERSONAL_NAME);
  });

  it('describes every property', () => {
    const missing: string[] = [];
    const visit = (node: Schema, path: string) => {
      for (const [key, child] of Object.entries<Schema>(node.properties ?? {})) {
        if (!child.description) missing.push(`${path}.${key}`);
        visit(child, `${path}.${key}`);
      }
    };
    visit(schema, '');
    for (const [name, definition] of Object.entries<Schema>(schema.definitions)) visit(definition, name);
    assert.deepEqual(missing, []);
  });
});
