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

/** Daily KPI lines drawn with uPlot (a ~50 KB canvas chart library), sized to its container. */
export function KpiChart({ kpis, labels }: { kpis: Kpis; labels: Record<string, string> }) {
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
        series: [{}, ...SERIES.map(([k, stroke]) => ({ label: labels[k] ?? k, stroke, width: 2 }))],
        axes: [{}, { size: 40 }],
      },
      data,
      el,
    );
    return () => plot.destroy();
  }, [kpis, labels]);
  return <div ref={box} data-testid="kpi-chart" role="img" aria-label="KPI chart" />;
}
