import type { Finding } from '../doctor/findings';

const MARK = { error: '✗ error  ', warning: '! warning', info: 'i info   ' } as const;

/** Findings for a terminal: severity, code, the message, the marked part of the URL, the fix. */
export function formatFindings(url: string, findings: readonly Finding[]): string {
  if (findings.length === 0) return 'No problems found.\n';
  const lines: string[] = [];
  const oneLine = !/[\r\n]/.test(url) && url.length <= 200;
  for (const f of findings) {
    lines.push(`${MARK[f.severity]} ${f.code}`);
    lines.push(`  ${f.message}`);
    if (f.position && oneLine && f.position.end > f.position.start) {
      lines.push(`    ${url}`);
      lines.push(`    ${' '.repeat(f.position.start)}${'^'.repeat(Math.max(1, f.position.end - f.position.start))}`);
    }
    lines.push(`  fix: ${f.fix}`, '');
  }
  const n = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  lines.push(`${plural(n('error'), 'error')}, ${plural(n('warning'), 'warning')}, ${n('info')} info`);
  return `${lines.join('\n')}\n`;
}
