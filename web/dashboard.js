// ferry's dashboard: polls GET /v2/ferry/status and draws every panel as hand-made SVG
// (no library, nothing fetched from elsewhere). The token, when the gateway has one, is
// taken once (the form, or a #token= fragment that is then removed from the address) and
// kept in this closure only: never in storage, a cookie or the URL.
(() => {
  'use strict';
  const pollMs = 2000;
  const reasons = ['full', 'payload', 'deadline', 'max-wait', 'drain'];
  const reasonColors = { full: '#1f6feb', payload: '#7048e8', deadline: '#f08c00', 'max-wait': '#0ca678', drain: '#adb5bd' };
  const W = 560, H = 170, L = 48, R = 40, T = 10, B = 20;
  let token;
  let timer;
  const sections = new Map();

  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const usd = (v) => {
    if (v === null || v === undefined) return '–';
    const a = Math.abs(v);
    return `${v < 0 ? '−' : ''}$${a === 0 ? '0' : a >= 1 ? a.toFixed(2) : a >= 0.01 ? a.toFixed(4) : a.toPrecision(3)}`;
  };
  const pct = (v) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(v >= 0.999 || v < 0.1 ? 1 : 0)}%`);
  const ms = (v) => (v === null || v === undefined ? '–' : v === 0 ? '0' : v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
  const num = (v, digits = 1) => (v === null || v === undefined ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(digits));
  const ago = (nowMs, atMs) => {
    const s = Math.max(0, Math.round((nowMs - atMs) / 1000));
    return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s ago` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
  };

  const fromHash = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (fromHash) {
    token = decodeURIComponent(fromHash[1]);
    history.replaceState(null, '', location.pathname + location.search);
  }
  $('token').addEventListener('submit', (event) => {
    event.preventDefault();
    token = $('token-input').value;
    $('token-input').value = '';
    poll();
  });

  async function poll() {
    clearTimeout(timer);
    try {
      const response = await fetch('/v2/ferry/status', { headers: token ? { authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
      if (response.status === 401) {
        // Wait for a token rather than poll with a wrong one.
        $('token').hidden = false;
        $('token-error').textContent = token ? 'that token was refused' : '';
        $('state').textContent = 'waiting for the token';
        $('token-input').focus();
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      $('token').hidden = true;
      render(await response.json());
    } catch (error) {
      $('state').textContent = `cannot reach the gateway (${error.message}); retrying`;
    }
    timer = setTimeout(poll, pollMs);
  }

  function render(status) {
    $('state').innerHTML = `updated <b>${new Date().toLocaleTimeString()}</b> · ${status.accepting ? 'accepting' : '<b class="bad">draining</b>'} · ` +
      `<b>${status.invocationsInFlight}</b> invocation(s) in flight · ${status.windowMs / 1000} s windows`;
    for (const model of status.models) renderModel(model, status);
  }

  /** One model's section, built once and updated in place (the decisions list keeps its scroll). */
  function section(name) {
    let s = sections.get(name);
    if (s) return s;
    const el = document.createElement('section');
    el.className = 'model';
    el.dataset.model = name;
    const panel = (id, title) => `<div class="panel" data-panel="${id}"><h3>${title}</h3><div class="sub"></div><div class="chart"></div><div class="legend"></div></div>`;
    el.innerHTML = `<h2><span>${esc(name)}</span><span class="chips"></span></h2><div class="kpis"></div><div class="grid">` +
      panel('cost', 'Cost per 1,000 requests') + panel('latency', 'Request latency') + panel('arrivals', 'Arrival rate') +
      panel('batches', 'Batches dispatched') + panel('config', 'Configuration in force') +
      `<div class="panel" data-panel="decisions"><h3>Tuner's decisions, newest first</h3><div class="sub"></div><div class="decisions"><table><tbody></tbody></table></div></div></div>`;
    $('models').append(el);
    s = { el, panels: Object.fromEntries([...el.querySelectorAll('.panel')].map((p) => [p.dataset.panel, p])) };
    sections.set(name, s);
    return s;
  }

  function fill(panel, { sub, chart, legend, points }) {
    panel.querySelector('.sub').innerHTML = sub;
    if (chart !== undefined) panel.querySelector('.chart').innerHTML = chart;
    if (legend !== undefined) panel.querySelector('.legend').innerHTML = legend.map(([color, label, dash]) =>
      `<span><i style="background:${dash ? `repeating-linear-gradient(90deg,${color} 0 4px,transparent 4px 7px)` : color}"></i>${label}</span>`).join('');
    panel.dataset.points = String(points);
  }

  function renderModel(m, status) {
    const { el, panels } = section(m.model);
    const c = m.config;
    const ws = m.windows;
    const closed = ws.filter((w) => !w.open && w.answered > 0);
    const last = closed[closed.length - 1] ?? ws[ws.length - 1];
    const t = m.totals;
    el.querySelector('.chips').innerHTML = [`${c.memoryMb} MB`, `batch ${c.batchSize}`, `${c.processes} process(es) × ${c.threadsPerProcess} thread(s)`, `SLO ${c.sloMs} ms`, `queue ${m.queueDepth}`]
      .map((x) => `<span class="chip">${x}</span>`).join('');
    const kpi = (k, v, s = '', cls = '') => `<div class="kpi"><div class="k">${k}</div><div class="v ${cls}">${v}</div><div class="s">${s}</div></div>`;
    const saving = t.savingFraction;
    el.querySelector('.kpis').innerHTML =
      kpi('cost / 1k req.', usd(last?.costUsdPer1k), `overall ${usd(t.costUsdPer1k)}`) +
      kpi('per-request / 1k', usd(last?.baselineCostUsdPer1k), m.baseline ? 'estimate from the profile' : 'no profile') +
      kpi('saved so far', usd(t.savingUsd), saving === null ? '' : `${pct(saving)} of the estimate`, saving === null ? '' : saving >= 0 ? 'good' : 'bad') +
      kpi('p99 latency', ms(last?.p99Ms), `SLO ${c.sloMs} ms`, last?.p99Ms == null ? '' : last.p99Ms <= c.sloMs ? 'good' : 'bad') +
      kpi('SLO attainment', pct(t.sloAttainment), `last window ${pct(last?.sloAttainment)}`) +
      kpi('arrival rate', `${num(last?.arrivalRatePerS)} /s`, `${t.arrivals} requests in all`) +
      kpi('errors', `${t.throttled} · ${t.failed}`, `throttled · failed; ${t.throttledInvocations} got 429`, t.throttled + t.failed > 0 ? 'bad' : '') +
      kpi('cold starts', String(t.coldStarts), `${t.invocations} invocations`);

    const x0 = ws.length > 0 ? ws[0].startMs : status.nowMs - status.windowMs;
    const x1 = Math.max(status.nowMs, x0 + status.windowMs);
    const mid = (w) => (w.open ? w.endMs : (w.startMs + w.endMs) / 2);
    const axes = { x0, x1, nowMs: status.nowMs };

    const costPts = ws.map((w) => [mid(w), w.costUsdPer1k]);
    const basePts = ws.map((w) => [mid(w), w.baselineCostUsdPer1k]);
    const costMax = Math.max(0, ...costPts.map((p) => p[1] ?? 0), ...basePts.map((p) => p[1] ?? 0));
    fill(panels.cost, {
      sub: m.baseline
        ? `saved so far <b>${usd(t.savingUsd)}</b> (${pct(saving)}) · per-request estimate: ${m.baseline.memoryMb} MB, batch 1, 1 process, ${ms(m.baseline.serviceMs)} per request (host ${num(m.baseline.hostScale, 2)}× the profile)`
        : 'no profile for this model: no per-request estimate',
      chart: chart(axes, costMax, usd, [line(axes, costMax, costPts, '#1f6feb'), line(axes, costMax, basePts, '#d9480f', '5 4')]),
      legend: [['#1f6feb', 'ferry, billed (warm-ups included)'], ['#d9480f', 'one request per invocation, 3008 MB, 1 process (estimate from the profile)', true]],
      points: count(costPts),
    });

    const p50 = ws.map((w) => [mid(w), w.p50Ms]);
    const p99 = ws.map((w) => [mid(w), w.p99Ms]);
    const latMax = Math.max(c.sloMs * 1.25, ...p99.map((p) => p[1] ?? 0));
    const errMax = Math.max(1, ...ws.map((w) => w.throttled + w.failed));
    const errBars = ws.filter((w) => w.throttled + w.failed > 0).map((w) => {
      const x = sx(axes, w.startMs), wd = Math.max(1.5, sx(axes, w.endMs) - x - 1);
      const hT = (w.throttled / errMax) * 24, hF = (w.failed / errMax) * 24;
      return `<rect x="${x}" y="${H - B - hT - hF}" width="${wd}" height="${hF}" fill="#e03131" opacity=".7"/><rect x="${x}" y="${H - B - hT}" width="${wd}" height="${hT}" fill="#f08c00" opacity=".7"/>`;
    }).join('');
    fill(panels.latency, {
      sub: `SLO attainment <b>${pct(t.sloAttainment)}</b> overall, ${pct(last?.sloAttainment)} last window · throttled <b>${t.throttled}</b> · failed <b>${t.failed}</b> since start`,
      chart: chart(axes, latMax, ms, [hline(latMax, c.sloMs, `SLO ${c.sloMs} ms`), errBars, line(axes, latMax, p50, '#2f9e44'), line(axes, latMax, p99, '#1f6feb')]),
      legend: [['#2f9e44', 'p50'], ['#1f6feb', 'p99'], ['#e03131', 'SLO', true], ['#f08c00', 'throttled'], ['#e03131', 'failed']],
      points: count(p99),
    });

    const rate = ws.map((w) => [mid(w), w.arrivalRatePerS]);
    const rateMax = Math.max(1, ...rate.map((p) => p[1]));
    const cps = m.changePointsMs.filter((at) => at >= x0);
    fill(panels.arrivals, {
      sub: `${num(last?.arrivalRatePerS)} req/s · ${m.changePointsMs.length} change point(s) detected${m.tuning.length === 0 ? ' (detection runs with --tune)' : ''}`,
      chart: chart(axes, rateMax, (v) => `${num(v)}/s`, [area(axes, rateMax, rate, '#1f6feb'), ...cps.map((at) => vline(axes, at, 'change point'))]),
      legend: [['#1f6feb', 'arrivals per second'], ['#f08c00', 'change point (tuner re-tunes)', true]],
      points: count(rate),
    });

    const batchMax = Math.max(1, ...ws.map((w) => reasons.reduce((n, r) => n + w.batches[r].count, 0)));
    const bars = ws.map((w) => {
      const x = sx(axes, w.startMs), wd = Math.max(1.5, sx(axes, w.endMs) - x - 1);
      let y = H - B;
      let out = '';
      for (const r of reasons) {
        const h = (w.batches[r].count / niceMax(batchMax)) * (H - T - B);
        if (h > 0) out += `<rect x="${x.toFixed(1)}" y="${(y - h).toFixed(1)}" width="${wd.toFixed(1)}" height="${h.toFixed(1)}" fill="${reasonColors[r]}"><title>${w.batches[r].count} ${r}</title></rect>`;
        y -= h;
      }
      if (w.coldStarts > 0) out += `<path d="M${(x + wd / 2).toFixed(1)},${T + 1}l4,7h-8z" fill="#e03131"><title>${w.coldStarts} cold start(s)</title></path>`;
      return out;
    }).join('');
    const sizeMax = Math.max(c.batchSize, ...ws.map((w) => w.meanBatchSize ?? 0));
    const meanLine = line(axes, sizeMax, ws.map((w) => [mid(w), w.meanBatchSize]), '#111827', '2 2');
    const byReason = reasons.map((r) => [r, ws.reduce((n, w) => n + w.batches[r].count, 0)]).filter(([, n]) => n > 0);
    const allBatches = byReason.reduce((n, [, k]) => n + k, 0);
    fill(panels.batches, {
      sub: `${allBatches} batch(es) shown (bars: per window), mean size <b>${num(last?.meanBatchSize)}</b> (cap ${c.batchSize}) · ` +
        (byReason.map(([r, n]) => `${r} ${pct(n / allBatches)}`).join(', ') || 'none yet') + ` · cold starts <b>${t.coldStarts}</b>`,
      chart: chart(axes, batchMax, (v) => num(v, 0), [bars, meanLine], { right: { max: sizeMax } }),
      legend: [...reasons.map((r) => [reasonColors[r], r]), ['#111827', 'mean batch size (right axis)', true], ['#e03131', '▲ cold start']],
      points: ws.filter((w) => reasons.some((r) => w.batches[r].count > 0)).length,
    });

    const changes = [...m.configChanges].reverse();
    fill(panels.config, {
      sub: `${m.configChanges.length} configuration(s) since start; in force: ${c.memoryMb} MB, batch ${c.batchSize}, ${c.processes} process(es)`,
      chart: configChart(axes, changes),
      legend: [],
      points: changes.length,
    });

    const rows = m.tuning.map((e) => `<tr><td class="t">${ago(status.nowMs, e.atMs)}</td><td><span class="kind ${esc(e.kind)}">${esc(e.kind)}</span></td><td>${esc(e.text ?? e.reason ?? '')}</td></tr>`);
    el.querySelector('[data-panel="decisions"] tbody').innerHTML = rows.join('') ||
      `<tr><td class="t">–</td><td>No tuning decisions: start the gateway with <code>--tune</code>.</td></tr>`;
    fill(panels.decisions, { sub: `${m.tuning.filter((e) => e.kind === 'applied').length} applied, ${m.tuning.filter((e) => e.kind === 'evaluated').length} evaluated, ${m.changePointsMs.length} change point(s)`, points: m.tuning.length });
  }

  const count = (pts) => pts.filter((p) => p[1] !== null && p[1] !== undefined).length;
  const sx = (a, t) => L + ((t - a.x0) / (a.x1 - a.x0)) * (W - L - R);
  const sy = (yMax, v) => H - B - (v / niceMax(yMax)) * (H - T - B);

  /** A round step (1, 2 or 5 times a power of ten) that divides 0..v into at most 5 parts. */
  function niceStep(v) {
    if (!(v > 0)) return 0.25;
    const p = Math.pow(10, Math.floor(Math.log10(v / 5)));
    return [1, 2, 5, 10].map((k) => k * p).find((step) => v / step <= 5.0001);
  }
  const niceMax = (v) => { const step = niceStep(v); return Math.max(step, Math.ceil(v / step - 1e-9) * step); };

  /** Axes, grid and time ticks (relative to now), around the layers given. */
  function chart(a, yMax, fmt, layers, { right, yGrid = true } = {}) {
    const step = niceStep(yMax), top = niceMax(yMax), parts = Math.round(top / step);
    let grid = '';
    for (let i = 0; i <= parts && yGrid; i++) {
      const v = i * step, y = sy(yMax, v).toFixed(1);
      grid += `<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}"/><text x="${L - 5}" y="${Number(y) + 3}" text-anchor="end">${fmt(v)}</text>`;
    }
    if (right) {
      const rStep = niceStep(right.max), rTop = niceMax(right.max);
      for (let v = 0; v <= rTop + 1e-9; v += rStep) grid += `<text x="${W - R + 5}" y="${sy(right.max, v) + 3}">${num(v)}</text>`;
    }
    const spanS = (a.x1 - a.x0) / 1000;
    const stepS = [5, 10, 30, 60, 120, 300, 600, 1800, 3600].find((s) => spanS / s <= 6) ?? 7200;
    for (let s = 0; s * 1000 <= a.nowMs - a.x0; s += stepS) {
      const x = sx(a, a.nowMs - s * 1000);
      const label = s === 0 ? 'now' : s < 120 || s % 60 ? `−${s}s` : `−${s / 60}m`;
      grid += `<line x1="${x}" x2="${x}" y1="${T}" y2="${H - B}" opacity=".5"/><text x="${x}" y="${H - 6}" text-anchor="middle">${label}</text>`;
    }
    const body = layers.join('');
    return `<svg viewBox="0 0 ${W} ${H}" role="img"><g class="grid">${grid}</g>${body}</svg>`;
  }

  /** A polyline through the points, broken where a value is missing. */
  function line(a, yMax, pts, color, dash) {
    let d = '', pen = false;
    for (const [t, v] of pts) {
      if (v === null || v === undefined) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${sx(a, t).toFixed(1)},${sy(yMax, v).toFixed(1)}`;
      pen = true;
    }
    const dots = pts.filter((p) => p[1] !== null && p[1] !== undefined).length < 3
      ? pts.filter((p) => p[1] !== null && p[1] !== undefined).map(([t, v]) => `<circle cx="${sx(a, t).toFixed(1)}" cy="${sy(yMax, v).toFixed(1)}" r="2.5" fill="${color}"/>`).join('') : '';
    return `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8" stroke-linejoin="round"${dash ? ` stroke-dasharray="${dash}"` : ''}/>${dots}`;
  }

  function area(a, yMax, pts, color) {
    if (pts.length === 0) return '';
    const base = sy(yMax, 0).toFixed(1);
    const d = pts.map(([t, v], i) => `${i ? 'L' : 'M'}${sx(a, t).toFixed(1)},${sy(yMax, v).toFixed(1)}`).join('');
    return `<path d="${d}L${sx(a, pts[pts.length - 1][0]).toFixed(1)},${base}L${sx(a, pts[0][0]).toFixed(1)},${base}Z" fill="${color}" opacity=".12"/>${line(a, yMax, pts, color)}`;
  }

  function hline(yMax, v, label) {
    const y = sy(yMax, v).toFixed(1);
    return `<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="#e03131" stroke-width="1.4" stroke-dasharray="6 4"/><text x="${W - R}" y="${y - 4}" text-anchor="end" style="fill:#e03131">${label}</text>`;
  }

  function vline(a, at, label) {
    const x = sx(a, at).toFixed(1);
    return `<line x1="${x}" x2="${x}" y1="${T}" y2="${H - B}" stroke="#f08c00" stroke-width="1.6" stroke-dasharray="4 3"/><text x="${Number(x) + 3}" y="${T + 9}" style="fill:#b35c00">${label}</text>`;
  }

  /** Three step lanes (memory, batch size, processes) from the configuration changes, oldest first. */
  function configChart(a, changes) {
    const lanes = [['memory', 'memoryMb', (v) => `${v} MB`, '#1f6feb'], ['batch', 'batchSize', String, '#7048e8'], ['processes', 'processes', String, '#0ca678']];
    const laneH = (H - T - B) / 3;
    let out = '';
    lanes.forEach(([name, key, fmt, color], i) => {
      const top = T + i * laneH, bottom = top + laneH - 8;
      const values = changes.map((ch) => ch[key]);
      const lo = Math.min(...values), hi = Math.max(...values);
      const y = (v) => (hi === lo ? (top + bottom) / 2 : bottom - ((v - lo) / (hi - lo)) * (bottom - top));
      let d = '';
      changes.forEach((ch, j) => {
        const xs = Math.max(L, sx(a, ch.atMs)), xe = j + 1 < changes.length ? Math.max(L, sx(a, changes[j + 1].atMs)) : W - R;
        d += `${j ? 'L' : 'M'}${xs.toFixed(1)},${y(ch[key]).toFixed(1)}H${xe.toFixed(1)}`;
        // The newest value is written at the right edge: a label there too would overlap it.
        if (j > 0 && ch[key] !== changes[j - 1][key] && ch.atMs >= a.x0 && xs < W - R - 45) out += `<text x="${(xs + 2).toFixed(1)}" y="${(y(ch[key]) - 3).toFixed(1)}" style="fill:${color}">${fmt(ch[key])}</text>`;
      });
      out += `<line x1="${L}" x2="${W - R}" y1="${top + laneH - 2}" y2="${top + laneH - 2}" stroke="#e3e6ec"/>` +
        `<text x="${L - 5}" y="${(top + bottom) / 2 + 3}" text-anchor="end">${name}</text>` +
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>` +
        (changes.length ? `<text x="${W - R + 4}" y="${y(changes[changes.length - 1][key]) + 3}" style="fill:${color};font-weight:600">${fmt(changes[changes.length - 1][key])}</text>` : '');
    });
    for (const ch of changes.slice(1)) {
      if (ch.atMs < a.x0) continue;
      const x = sx(a, ch.atMs).toFixed(1);
      out += `<line x1="${x}" x2="${x}" y1="${T}" y2="${H - B}" stroke="#adb5bd" stroke-dasharray="2 3"/>`;
    }
    return chart(a, 1, String, [out], { yGrid: false });
  }

  poll();
})();
