// The run page's live curves: every point from /runs/:id/stream (Server-Sent Events), drawn by uPlot.
// Points are kept by step, so a resumed run's repeated steps replace the old numbers.
(() => {
  const lossEl = document.getElementById('loss-chart');
  const lrEl = document.getElementById('lr-chart');
  const statusEl = document.getElementById('chart-status');
  const stepEl = document.getElementById('run-step');
  if (!lossEl || !window.uPlot) return;
  const points = new Map();
  const width = (el) => Math.max(300, el.clientWidth - 8);
  const axes = [{ label: 'step' }, { label: '' }];
  const loss = new uPlot(
    {
      width: width(lossEl), height: 240, axes, scales: { x: { time: false } },
      series: [{ label: 'step' }, { label: 'train loss', stroke: '#2456c7', spanGaps: true }, { label: 'eval loss', stroke: '#c2262e', spanGaps: true, points: { show: true, size: 6 } }],
    },
    [[], [], []],
    lossEl,
  );
  const lr = lrEl
    ? new uPlot({ width: width(lrEl), height: 240, axes, scales: { x: { time: false } }, series: [{ label: 'step' }, { label: 'learning rate', stroke: '#1a7f37', spanGaps: true }] }, [[], []], lrEl)
    : null;

  function redraw() {
    const steps = [...points.keys()].sort((a, b) => a - b);
    const at = (key) => steps.map((step) => points.get(step)[key] ?? null);
    loss.setData([steps, at('train_loss'), at('eval_loss')]);
    if (lr) lr.setData([steps, at('learning_rate')]);
    // The number of drawn points, for people and for the browser tests.
    lossEl.dataset.points = String(steps.filter((step) => points.get(step).train_loss !== null).length);
    lossEl.dataset.evalPoints = String(steps.filter((step) => points.get(step).eval_loss !== null).length);
  }

  const source = new EventSource(`/runs/${lossEl.dataset.run}/stream`);
  source.addEventListener('metrics', (event) => {
    for (const point of JSON.parse(event.data)) points.set(point.step, { ...(points.get(point.step) ?? {}), ...point });
    redraw();
  });
  source.addEventListener('status', (event) => {
    const status = JSON.parse(event.data);
    if (statusEl) statusEl.textContent = `${status.status}${status.step !== null ? ` · step ${status.step}${status.total_steps ? ` of ${status.total_steps}` : ''}` : ''}`;
    if (stepEl && status.step !== null) stepEl.textContent = String(status.step);
  });
  source.addEventListener('end', (event) => {
    source.close();
    const status = JSON.parse(event.data);
    if (statusEl) statusEl.textContent = `finished: ${status.status}`;
    // A run that finished while watched: reload once for its checkpoints, events and model.
    if (lossEl.dataset.live === 'true') setTimeout(() => location.reload(), 1500);
    lossEl.dataset.live = 'false';
  });
  window.addEventListener('resize', () => {
    loss.setSize({ width: width(lossEl), height: 240 });
    if (lr && lrEl) lr.setSize({ width: width(lrEl), height: 240 });
  });
  redraw();
})();
