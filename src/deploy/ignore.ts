// Gitignore-style patterns, the basics: `*.log` (any depth), `dir/sub` and `/build` (from the
// code folder's root), `**/x`, `a/**`, `a/**/b`, a trailing `/` for folders only, `#` comments.
// A matched folder excludes everything under it, as in git.

export type IgnoreMatcher = (relativePath: string, isDirectory: boolean) => boolean;

interface CompiledPattern {
  regex: RegExp;
  directoryOnly: boolean;
}

export function compileIgnore(patterns: readonly string[]): IgnoreMatcher {
  const compiled = patterns.map((p) => p.trim()).filter((p) => p !== '' && !p.startsWith('#')).map(compilePattern);
  return (relativePath, isDirectory) =>
    compiled.some((pattern) => (isDirectory || !pattern.directoryOnly) && pattern.regex.test(relativePath));
}

function compilePattern(pattern: string): CompiledPattern {
  const directoryOnly = pattern.endsWith('/');
  let body = directoryOnly ? pattern.slice(0, -1) : pattern;
  // Without an inner slash the pattern matches a name at any depth; with one it is rooted.
  const anchored = body.includes('/');
  body = body.replace(/^\//, '');
  const source = anchored ? globToRegex(body) : `(?:.*/)?${globToRegex(body)}`;
  return { regex: new RegExp(`^${source}$`), directoryOnly };
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const rest = glob.slice(i);
    if (rest.startsWith('**/')) {
      out += '(?:.*/)?';
      i += 2;
    } else if (rest === '/**') {
      out += '/.*';
      i += 2;
    } else if (rest.startsWith('**')) {
      out += '.*';
      i += 1;
    } else if (glob[i] === '*') {
      out += '[^/]*';
    } else if (glob[i] === '?') {
      out += '[^/]';
    } else {
      out += glob[i].replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return out;
}
