import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Kpis } from '@playloop/contracts';

const SERIES = [
  ['active_users', '#5b3df5'],
  ['signups', '#1f9d55'],
  ['sessions', '#ff9800'],
  ['claims', '#e91e63'],
  ['purchases', '#00838f'],
] as const;

const DAY_S = 86_400;
/** Every figure is a count: the y axis ticks whole numbers only. */
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000];
/** A point's day as the range speaks it (UTC), `MM-DD` on the axis. */
const dayOf = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

/** Daily KPI lines drawn with uPlot (a ~50 KB canvas chart library), sized to its container; `label` names it for screen readers. */
export function KpiChart({ kpis, labels, dateLabel, label }: { kpis: Kpis; labels: Record<string, string>; dateLabel: string; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = kpis.daily.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000);
    const data: uPlot.AlignedData = [xs, ...SERIES.map(([k]) => kpis.daily.map((d) => d[k]))];
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 240,
        // One point per day: the x axis ticks whole days (never hours) and the legend names the day.
        series: [{ label: dateLabel, value: (_u, v) => (v == null ? '—' : dayOf(v)) }, ...SERIES.map(([k, stroke]) => ({ label: labels[k] ?? k, stroke, width: 2 }))],
        axes: [{ incrs: [DAY_S, 2 * DAY_S, 7 * DAY_S, 14 * DAY_S, 28 * DAY_S, 91 * DAY_S], values: (_u, splits) => splits.map((v) => dayOf(v).slice(5)) }, { size: 40, incrs: COUNT_STEPS }],
      },
      data,
      el,
    );
    return () => plot.destroy();
  }, [kpis, labels, dateLabel]);
  return <div ref={box} data-testid="kpi-chart" role="img" aria-label={label} />;
}
