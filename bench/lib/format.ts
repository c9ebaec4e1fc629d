/** Markdown table lines: the report is markdown both on stdout and in bench/results/latest.md. */
export function table(header: string[], rows: Array<Array<string | number>>): string[] {
  const cells = rows.map((r) => r.map((c) => String(c)));
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...cells.map((r) => `| ${r.join(' | ')} |`)];
}

export const fmtRps = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
export const fmtMs = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '–');
export const fmtPct = (ratio: number): string => (Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)} %` : '–');
export const fmtUs = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '–');

/** "✅ PASS" / "❌ MISS" against a target. */
export const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
