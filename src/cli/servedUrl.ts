// Where a function, one of its aliases or one of its versions is served, checked first: a mistyped
// alias or a version that does not exist fails with NOT_FOUND instead of giving a URL that answers
// the platform's own 404.

import type { Provider, UrlTarget } from '../provider';

export async function servedUrl(provider: Provider, environment: string, fn: string, target: UrlTarget): Promise<string> {
  if (target.version !== undefined) await provider.getVersion(environment, fn, target.version);
  else if (target.alias !== undefined) await provider.getAlias(environment, fn, target.alias);
  else await provider.getFunction(environment, fn);
  return provider.functionUrl(environment, fn, target);
}
