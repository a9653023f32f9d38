/**
 * The HTML of the run report (see report.ts): one self-contained page, everything inline (styles,
 * SVG charts, PNG thumbnails as data URLs), so it opens from the file system with no server and no
 * network. Pure string building, no I/O.
 */

/** Metric values by name, as in the training logs. */
export type MetricRecord = Record<string, number>;

/** One sample prediction shown on the page. */
export interface SamplePrediction {
  /** A `data:image/png;base64,...` URL, or null when the inputs are not images. */
  image: string | null;
  trueLabel: string;
  predictedLabel: string;
  /** The model's probability (or score) of the predicted class. */
  confidence: number;
}

/** Everything the page shows; fields that are not known yet are left out. */
export interface ReportState {
  title: string;
  /**
   * 'running' pages reload themselves every `refreshSeconds`; 'finished' pages and 'failed' ones
   * (training stopped by `error`) do not.
   */
  status: 'running' | 'finished' | 'failed';
  startedAt: Date;
  /** Seconds since training began. */
  elapsedSeconds: number;
  /** 1-based epoch in progress (or the last one run) and the planned number of epochs. */
  epoch: number;
  epochs: number;
  /** Batches done in the current epoch and batches per epoch. */
  step: number;
  steps: number;
  /** The latest logs: running averages of the epoch in progress, or the last epoch's results. */
  currentMetrics: MetricRecord;
  /** Seconds each finished epoch took. */
  epochSeconds: number[];
  /** Learning curves as inline SVG (null until the first epoch ends). */
  curvesSvg: string | null;
  refreshSeconds: number;
  /** A running page older than this (by `writtenAt`) stops reloading and says so. */
  staleSeconds: number;
  /** When the page was written. */
  writtenAt: Date;
  /** Why training stopped (status 'failed'). */
  error?: string;
  /** At the end: `model.summary()` text. */
  summary?: string;
  /** At the end: the last epoch's logs (the History's final values). */
  finalMetrics?: MetricRecord;
  /** At the end: confusion matrix SVG and a line saying what data it counts. */
  confusionSvg?: string;
  confusionCaption?: string;
  samples?: SamplePrediction[];
  /** Why a part is missing (e.g. no data was given for the confusion matrix). */
  notes?: string[];
}

const STYLE = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1b1b1b; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.status { color: #555; } .running { color: #b35c00; } .finished { color: #17702c; } .failed, .stale { color: #c00; }
table { border-collapse: collapse; } th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
progress { width: 320px; vertical-align: middle; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 12px; }
#summary { line-height: 1; }
.chart svg { max-width: 100%; height: auto; }
#samples .grid { display: flex; flex-wrap: wrap; gap: 10px; }
figure { margin: 0; padding: 4px; border: 2px solid #cfe8d4; border-radius: 4px; text-align: center; font-size: 12px; }
figure.wrong { border-color: #d33; background: #fdeaea; }
figure img { width: 56px; height: 56px; image-rendering: pixelated; display: block; margin: 0 auto 2px; }
.note { color: #666; font-style: italic; }
`;

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Makes an SVG safe to inline next to others: drops an XML prolog or doctype, and gives every id a
 * prefix (with the `url(#id)` and `href="#id"` references to it), because two inline SVGs that both
 * define `clip1` would share the first one's clip path and draw wrongly.
 */
export function inlineSvg(svg: string, prefix: string): string {
  const body = svg.replace(/^\s*<\?xml[^>]*\?>\s*/, '').replace(/^\s*<!DOCTYPE[^>]*>\s*/i, '');
  return body
    .replace(/\bid="([^"]+)"/g, (_m, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${prefix}-${id})`)
    .replace(/(\bhref=")#([^"]+)"/g, (_m, attr: string, id: string) => `${attr}#${prefix}-${id}"`);
}

/** Seconds as `42.1 s`, `3 min 05 s` or `1 h 02 min`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.round(seconds - minutes * 60)).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A metric value for people: 4 decimals, or exponent notation for very small or large values. */
export function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  return magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6) ? value.toExponential(3) : value.toFixed(4);
}

/** A table of metrics; each value cell carries the exact number in `data-value` (tests read it). */
function metricsTable(id: string, metrics: MetricRecord): string {
  const rows = Object.entries(metrics).map(
    ([name, value]) =>
      `<tr data-metric="${escapeHtml(name)}"><th>${escapeHtml(name)}</th>` +
      `<td class="number" data-value="${value}">${formatMetric(value)}</td></tr>`,
  );
  return `<table id="${id}">${rows.join('')}</table>`;
}

/** Status line texts; the live script puts the stale one in place (`AGE` becomes the file's age). */
const STATUS_TEXT = {
  running: 'training&hellip; (this page reloads itself)',
  finished: 'finished',
  failed: 'stopped by an error',
  stale: 'no update for AGE: training has stopped, or is busy in a long step; reload the page to look again',
} as const;

/**
 * The script of a running page. It reloads the page every `refreshSeconds` so an open tab follows
 * the run, unless the file is older than `staleSeconds`: a process that died (killed, or `fit`
 * threw without `Report.fail`) never writes the final page, and the tab would otherwise reload
 * forever saying "training". Page and file share the clock of the machine that trains.
 */
function liveScript(state: ReportState): string {
  return `<script id="live-reload">(function () {
var age = (Date.now() - ${state.writtenAt.getTime()}) / 1000;
if (age <= ${state.staleSeconds}) { setTimeout(function () { location.reload(); }, ${Math.round(state.refreshSeconds * 1000)}); return; }
var status = document.getElementById('status');
status.className = 'stale';
status.textContent = '${STATUS_TEXT.stale}'.replace('AGE', age < 120 ? Math.round(age) + ' s' : Math.round(age / 60) + ' min');
})();</script>`;
}

function progressSection(state: ReportState): string {
  const total = state.epochs * Math.max(state.steps, 1);
  const done = state.status === 'finished' ? total : Math.min(total, (state.epoch - 1) * Math.max(state.steps, 1) + state.step);
  const percent = total > 0 ? Math.round((100 * done) / total) : 0;
  const epochTimes = state.epochSeconds
    .map((s, i) => `<tr><th>epoch ${i + 1}</th><td class="number">${formatDuration(s)}</td></tr>`)
    .join('');
  return `<section id="progress"><h2>Progress</h2>
<p>Epoch <span id="epoch">${state.epoch}</span>/${state.epochs}, batch ${state.step}/${state.steps}
<progress value="${done}" max="${total}">${percent}%</progress> ${percent}%, elapsed ${formatDuration(state.elapsedSeconds)}</p>
${epochTimes ? `<table id="epoch-times">${epochTimes}</table>` : ''}</section>`;
}

function samplesSection(samples: readonly SamplePrediction[]): string {
  const wrong = samples.filter((s) => s.trueLabel !== s.predictedLabel).length;
  const figures = samples.map((s) => {
    const correct = s.trueLabel === s.predictedLabel;
    const image = s.image ? `<img src="${s.image}" alt="sample, true ${escapeHtml(s.trueLabel)}">` : '';
    return (
      `<figure class="${correct ? 'right' : 'wrong'}" data-true="${escapeHtml(s.trueLabel)}" ` +
      `data-predicted="${escapeHtml(s.predictedLabel)}">${image}` +
      `<figcaption>${correct ? '' : '&#10007; '}true ${escapeHtml(s.trueLabel)} &rarr; ${escapeHtml(s.predictedLabel)}` +
      `<br>${(100 * s.confidence).toFixed(1)}%</figcaption></figure>`
    );
  });
  return `<section id="samples"><h2>Sample predictions</h2>
<p>${samples.length} samples, ${wrong} misclassified (red, marked &#10007;).</p><div class="grid">${figures.join('')}</div></section>`;
}

/** The whole page for a state. */
export function renderReportPage(state: ReportState): string {
  const running = state.status === 'running';
  const parts: string[] = [];
  const totalTime = running
    ? ''
    : ` &middot; ${state.status === 'failed' ? 'after' : 'total time'} ` +
      `<span id="total-time">${formatDuration(state.elapsedSeconds)}</span>`;
  parts.push(`<h1>${escapeHtml(state.title)}</h1>
<p class="status">Started ${escapeHtml(state.startedAt.toISOString().replace('T', ' ').slice(0, 19))} UTC &middot;
<span id="status" class="${state.status}">${STATUS_TEXT[state.status]}</span>
${totalTime}</p>`);
  if (state.error !== undefined) parts.push(`<section id="error"><h2>Training stopped</h2><pre>${escapeHtml(state.error)}</pre></section>`);
  if (state.finalMetrics) parts.push(`<section><h2>Final metrics</h2>${metricsTable('final-metrics', state.finalMetrics)}</section>`);
  parts.push(progressSection(state));
  if (state.status !== 'finished') {
    parts.push(
      `<section><h2>${running ? 'Current' : 'Last'} metrics</h2>${metricsTable('current-metrics', state.currentMetrics)}</section>`,
    );
  }
  parts.push(
    `<section id="curves" class="chart"><h2>Learning curves</h2>${
      state.curvesSvg ? inlineSvg(state.curvesSvg, 'curves') : '<p class="note">The curves appear when the first epoch ends.</p>'
    }</section>`,
  );
  if (state.confusionSvg) {
    parts.push(
      `<section id="confusion-matrix" class="chart"><h2>Confusion matrix</h2><p>${escapeHtml(state.confusionCaption ?? '')}</p>` +
        `${inlineSvg(state.confusionSvg, 'confusion')}</section>`,
    );
  }
  if (state.samples && state.samples.length > 0) parts.push(samplesSection(state.samples));
  if (state.summary !== undefined)
    parts.push(`<section><h2>Model summary</h2><pre id="summary">${escapeHtml(state.summary)}</pre></section>`);
  for (const note of state.notes ?? []) parts.push(`<p class="note">${escapeHtml(note)}</p>`);
  // While training runs the page reloads itself so an open tab follows along; the final page drops
  // the script. Each write replaces the file atomically, so a reload never sees half a page. The
  // script comes last so that the status line it may rewrite already exists.
  if (running) parts.push(liveScript(state));
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(state.title)}${running ? ' (training)' : state.status === 'failed' ? ' (stopped)' : ''}</title>
<style>${STYLE}</style></head>
<body>
${parts.join('\n')}
</body></html>
`;
}
