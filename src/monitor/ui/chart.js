/**
 * A uPlot chart as a Preact component: created once per series layout, fed new data in place
 * (uPlot redraws a canvas, it does not diff), resized with its container.
 */
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

const HEIGHT = 200;
const X_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

/** HH:MM, or HH:MM:SS when ticks are less than a minute apart (`seconds`: epoch seconds). */
function clock(seconds, step) {
  const text = new Date(seconds * 1000).toTimeString();
  return step < 60 ? text.slice(0, 8) : text.slice(0, 5);
}

/**
 * `series`: [{ label, color, scale ('y' left, 'ms' right), bars? }]; `data`: [xs (seconds), ...ys].
 * `yLabel` and `msLabel` name the two axes.
 */
export function Chart({ title, series, data, yLabel = '', msLabel = 'ms' }) {
  const box = useRef(null);
  const plot = useRef(null);
  const layout = series.map((s) => `${s.label}:${s.scale}`).join('|');

  useEffect(() => {
    const element = box.current;
    const usesMs = series.some((s) => s.scale === 'ms');
    const usesY = series.some((s) => s.scale === 'y');
    const options = {
      width: element.clientWidth || 600,
      height: HEIGHT,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [
        {
          stroke: '#64748b',
          grid: { stroke: '#e2e8f0' },
          // Whole seconds and up, on a 24-hour clock: uPlot's defaults go down to milliseconds and am/pm.
          incrs: X_STEPS,
          values: (_u, ticks, _axis, _space, step) => ticks.map((t) => clock(t, step)),
        },
        usesY ? { scale: 'y', label: yLabel, stroke: '#64748b', grid: { stroke: '#e2e8f0' } } : null,
        usesMs ? { scale: 'ms', label: msLabel, side: 1, stroke: '#64748b', grid: { show: !usesY } } : null,
      ].filter(Boolean),
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          scale: s.scale,
          stroke: s.color,
          width: s.bars ? 0 : 2,
          fill: s.bars ? `${s.color}99` : undefined,
          paths: s.bars ? uPlot.paths.bars({ size: [0.7, 24] }) : undefined,
          points: { show: !s.bars && data[0].length < 60 },
          spanGaps: true,
          value: (_u, v) =>
            v === null || v === undefined ? '—' : s.scale === 'ms' ? `${Math.round(v)} ms` : v,
        })),
      ],
    };
    plot.current = new uPlot(options, data, element);
    const resize = new ResizeObserver(() =>
      plot.current?.setSize({ width: element.clientWidth, height: HEIGHT }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt only when the series change; data updates go through setData below.
  }, [layout]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <div ref=${box} class="chart-canvas"></div>
  </figure>`;
}
