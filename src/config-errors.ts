import type { z } from 'zod';
import type { UnknownKey } from './config-walk';

/**
 * Config problems as one `path: problem — fix` line each: what an operator reads at boot instead
 * of a stack trace (main.ts prints ConfigError.problems and exits 1).
 */
export function unknownKeyLine(u: UnknownKey): string {
  const fix = u.suggestion ? `did you mean "${u.suggestion}"?` : 'remove it (see closeloop.example.yaml for the keys of this section)';
  return `${u.path}: unknown key "${u.key}" — ${fix}`;
}

type Issue = z.core.$ZodIssue;

export function issueLine(issue: Issue, input: unknown): string {
  const path = issue.path.map(String).join('.') || '(root)';
  const given = valueAt(input, issue.path);
  const { problem, fix } = describe(issue, given);
  return `${path}: ${problem} — ${fix}`;
}

function describe(issue: Issue, given: unknown): { problem: string; fix: string } {
  switch (issue.code) {
    case 'invalid_type':
      if (given === undefined) return { problem: 'is required', fix: `add it (a ${issue.expected})` };
      return {
        problem: `must be a ${issue.expected}, got ${typeName(given)}`,
        fix: `write a ${issue.expected}${issue.expected === 'number' || issue.expected === 'boolean' ? ' (unquoted)' : ''}`,
      };
    case 'invalid_value':
      return { problem: plain(issue.message, 'is not an allowed value'), fix: `use one of: ${issue.values.map(String).join(', ')}` };
    case 'too_small':
      return {
        problem: plain(issue.message, 'is too small'),
        fix: `use ${issue.origin === 'string' || issue.origin === 'array' ? 'a length of ' : ''}at least ${String(issue.minimum)}`,
      };
    case 'too_big':
      return {
        problem: plain(issue.message, 'is too big'),
        fix: `use ${issue.origin === 'string' || issue.origin === 'array' ? 'a length of ' : ''}at most ${String(issue.maximum)}`,
      };
    case 'invalid_format':
      return { problem: plain(issue.message, `is not a valid ${issue.format}`), fix: `write a valid ${issue.format}` };
    default:
      return { problem: plain(issue.message, 'is invalid'), fix: 'see closeloop.example.yaml' };
  }
}

/** zod's default texts start with "Invalid input: …"; our own messages are already plain. */
function plain(message: string, fallback: string): string {
  if (/^(Invalid input|Invalid option|Too (small|big)|Invalid)/.test(message)) return fallback;
  return message;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  // The text itself is not echoed: it may be a secret.
  if (typeof v === 'string') return 'text';
  return `a ${typeof v}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}
