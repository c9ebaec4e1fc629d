/**
 * Small inline-SVG charts (no chart library): stacked columns per time bucket, one colour per
 * series, with a legend and an accessible table-like title per column.
 */
const COLOURS = ['#2454d6', '#0f9d74', '#c77700', '#8a3ffc', '#d12771', '#1192e8', '#6f6f6f', '#b28600'];

export interface Point {
  t: number;
  series: string;
  value: number;
}

export function StackedColumns({
  points,
  bucketMs,
  from,
  to,
  title,
  empty,
}: {
  points: Point[];
  bucketMs: number;
  from: number;
  to: number;
  title: string;
  empty: string;
}) {
  const names = [...new Set(points.map((p) => p.series))].sort();
  const buckets = Math.max(1, Math.ceil((to - from) / bucketMs));
  const totals = new Array<number>(buckets).fill(0);
  const cells = new Map<string, number>();
  for (const p of points) {
    const i = Math.min(buckets - 1, Math.max(0, Math.floor((p.t - from) / bucketMs)));
    totals[i] = (totals[i] ?? 0) + p.value;
    cells.set(`${i}|${p.series}`, (cells.get(`${i}|${p.series}`) ?? 0) + p.value);
  }
  const max = Math.max(1, ...totals);
  const W = 600;
  const H = 160;
  const pad = 24;
  const bw = (W - pad) / buckets;
  const sum = totals.reduce((a, b) => a + b, 0);
  const label = (i: number) =>
    new Date(from + i * bucketMs).toLocaleString(
      undefined,
      bucketMs >= 86_400_000 ? { month: 'short', day: 'numeric' } : { weekday: 'short', hour: '2-digit' },
    );
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      {sum === 0 ? (
        <p class="muted">{empty}</p>
      ) : (
        <>
          <svg viewBox={`0 0 ${W} ${H + 18}`} role="img" aria-label={`${title}: ${sum} in total`} preserveAspectRatio="none">
            <line x1={pad} y1={H} x2={W} y2={H} class="axis" />
            <text x={0} y={10} class="tick">
              {max}
            </text>
            <text x={0} y={H} class="tick">
              0
            </text>
            {totals.map((_, i) => {
              let y = H;
              return (
                <g key={i}>
                  <title>{`${label(i)}: ${names.map((n) => `${n} ${cells.get(`${i}|${n}`) ?? 0}`).join(', ')}`}</title>
                  {names.map((n, k) => {
                    const v = cells.get(`${i}|${n}`) ?? 0;
                    if (!v) return null;
                    const h = (v / max) * (H - 12);
                    y -= h;
                    return <rect key={n} x={pad + i * bw + 1} y={y} width={Math.max(1, bw - 2)} height={h} fill={COLOURS[k % COLOURS.length]} />;
                  })}
                </g>
              );
            })}
            {(
              [
                [0, 'start'],
                [Math.floor(buckets / 2), 'middle'],
                [buckets - 1, 'end'],
              ] as const
            ).map(([i, anchor]) => (
              <text key={i} x={anchor === 'end' ? W : pad + i * bw + (anchor === 'middle' ? bw / 2 : 0)} y={H + 14} class="tick" text-anchor={anchor}>
                {label(i)}
              </text>
            ))}
          </svg>
          <ul class="legend">
            {names.map((n, k) => (
              <li key={n}>
                <svg class="swatch" viewBox="0 0 10 10" aria-hidden="true">
                  <rect width="10" height="10" fill={COLOURS[k % COLOURS.length]} />
                </svg>
                {n}
              </li>
            ))}
          </ul>
        </>
      )}
    </figure>
  );
}
