// A function's own errors told in its own terms: `index.js:2: SyntaxError: Unexpected token ')'`.
// Paths under the function's code folder become relative to it; the platform's own paths (the
// code store in the state folder, the runtime bundle, node: internals) never reach the person.
import { sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const ERROR_LINE = /^(?:[A-Z]\w*)?(?:Error|Exception)\b.*$/;

/** One line naming the error and where in the function's code it happened, when that is known. */
export function describeUserError(error: unknown, codeDir: string): string {
  if (!(error instanceof Error)) return stripCodeDir(String(error), codeDir);
  const message = stripCodeDir(error.message.split('\n')[0], codeDir);
  return located(`${error.name}: ${message}`, error.stack ?? '', codeDir);
}

/**
 * What a custom command's output says about why it stopped: the last error line (not a runtime's
 * version banner), with the first place in the function's code its trace names.
 */
export function describeUserOutput(lines: readonly string[], codeDir: string): string | undefined {
  const text = lines.join('\n');
  const errorLine = [...lines].reverse().find((line) => ERROR_LINE.test(line.trim())) ?? lines.filter((l) => l.trim()).at(-1);
  return errorLine === undefined ? undefined : located(stripCodeDir(errorLine.trim(), codeDir), text, codeDir);
}

/** Removes the code folder's absolute path (plain or file: URL) wherever it appears. */
export function stripCodeDir(text: string, codeDir: string): string {
  let out = text;
  for (const root of roots(codeDir)) out = out.split(root).join('');
  return out;
}

function located(text: string, trace: string, codeDir: string): string {
  const where = userLocation(trace, codeDir);
  return where ? `${where}: ${text}` : text;
}

/** `file:line` of the first line in `trace` inside the code folder (a frame, a SyntaxError's head, a require stack). */
function userLocation(trace: string, codeDir: string): string | undefined {
  for (const line of trace.split('\n')) {
    for (const root of roots(codeDir)) {
      const at = line.indexOf(root);
      if (at < 0) continue;
      const match = /^([^:()\s]+)(?::(\d+))?/.exec(line.slice(at + root.length));
      if (match) return match[2] ? `${match[1]}:${match[2]}` : match[1];
    }
  }
  return undefined;
}

function roots(codeDir: string): string[] {
  const dir = codeDir.endsWith(sep) ? codeDir : codeDir + sep;
  return [pathToFileURL(dir).href, dir];
}
