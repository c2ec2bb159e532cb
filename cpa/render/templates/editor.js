/* cpa plan editor: the page's logic (data from the JSON block #cpa-data, see cpa/render/editor.py).

   The scorecard is recomputed after every change exactly as cpa/metrics.py computes it:
   value per area, share, deviation; hub = value-weighted 1-median, costs summed in member
   order (units sorted by code, as numpy sums a column) and ties to the lowest code; travel
   from each unit to the hub; PFAs and trusts split; contiguity over shared borders and the
   named links; floor / cap / maximum breaches; the market measures and rules (cpa/market.py);
   and the solver's objective with its terms.
   Every string from the data is inserted with textContent, never as HTML. */
(function () {
  'use strict';

  const D = JSON.parse(document.getElementById('cpa-data').textContent);
  const U = D.units;
  const N = U.code.length;
  const TOTAL = D.total;
  const RULES = D.rules;
  const FMT = D.formats;
  const VALUE = Float64Array.from(U.value);
  const ORDER = Int32Array.from(D.order);
  const RANK = new Int32Array(N);
  ORDER.forEach((i, k) => { RANK[i] = k; });
  const dist = distances(D.distance);
  const NEIGHBOURS = Array.from({length: N}, () => []);
  for (const [i, j] of D.links) { NEIGHBOURS[i].push(j); NEIGHBOURS[j].push(i); }
  const NAMED_LINKS = D.links.filter((l) => l[2] !== 'shared_border');
  const PFA_UNITS = D.pfas.code.map(() => []);
  for (const i of ORDER) PFA_UNITS[U.pfa[i]].push(i);
  const HAS_TRUSTS = D.trusts !== null;

  // ------------------------------------------------------------------ distances
  /* dist(i, j) in km: from the embedded matrix (bit for bit Python's), or for large geographies the
     same haversine as cpa.geography.haversine_km, in the same order of operations, on demand. */
  function distances(spec) {
    if (spec.kind === 'haversine') {
      const rad = Math.PI / 180, twoR = 2 * spec.radius_km;  // numpy's radians is x * (pi / 180)
      const phi = U.lat.map((x) => x * rad), lam = U.lon.map((x) => x * rad), cosPhi = phi.map(Math.cos);
      return (i, j) => {
        const s1 = Math.sin((phi[i] - phi[j]) / 2), s2 = Math.sin((lam[i] - lam[j]) / 2);
        const a = s1 * s1 + cosPhi[i] * cosPhi[j] * (s2 * s2);
        return twoR * Math.asin(Math.sqrt(Math.min(Math.max(a, 0), 1)));
      };
    }
    const bin = atob(spec.data);
    const view = new DataView(new ArrayBuffer(bin.length));
    for (let k = 0; k < bin.length; k++) view.setUint8(k, bin.charCodeAt(k));
    const d = new Float64Array(N * N);
    if (spec.kind === 'full') {
      for (let k = 0; k < N * N; k++) d[k] = view.getFloat64(8 * k, true);
    } else {
      let k = 0;
      for (let i = 0; i < N; i++) {
        for (let j = i + 1; j < N; j++) {
          const x = view.getFloat64(8 * k++, true);
          d[i * N + j] = x;
          d[j * N + i] = x;
        }
      }
    }
    return (i, j) => d[i * N + j];
  }

  // ------------------------------------------------ numbers as Python's format()
  /* x.toFixed(digits), but exact halves go to the even digit as in Python (JS rounds them up). */
  function pyFixed(x, digits) {
    const neg = x < 0 || Object.is(x, -0);
    const a = Math.abs(x);
    let s = a.toFixed(digits);
    const long = a.toFixed(digits + 30);
    const cut = long.length - 30;
    if (/^50*$/.test(long.slice(cut))) {
      const down = long.slice(0, cut).replace(/\.$/, '');
      const last = down.charCodeAt(down.length - 1) - 48;
      if (last % 2 === 0) s = down;
    }
    return (neg ? '-' : '') + s;
  }

  function groupThousands(s) {
    const m = /^(-?)(\d+)(.*)$/.exec(s);
    return m ? m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',') + m[3] : s;
  }

  /* The subset of Python's format spec the page uses: [+][,][.N](d|f|%). */
  function pyFormat(x, spec) {
    if (x === null || x === undefined) return 'n/a';
    const m = /^(\+)?(,)?(?:\.(\d+))?([df%])$/.exec(spec);
    if (!m) throw new Error('unsupported format spec ' + spec);
    const plus = m[1], comma = m[2], type = m[4];
    const digits = type === 'd' ? 0 : (m[3] === undefined ? 6 : Number(m[3]));
    const v = type === '%' ? x * 100 : x;
    let s = isFinite(v) ? pyFixed(v, digits) : (v > 0 ? 'inf' : (v < 0 ? '-inf' : 'nan'));
    if (comma) s = groupThousands(s);
    if (plus && s[0] !== '-') s = '+' + s;
    return type === '%' ? s + '%' : s;
  }

  // ------------------------------------------------------------------ market
  /* The market measures as cpa/market.py computes them: the minimum detectable change by the same
     safeguarded Newton steps on sqrt(n) d = h(d) (the normal quantiles come from Python), expected
     bidders N_max (1 - exp(-(A - A0)+ / kappa)), P(at most one bid) = exp(-lambda) (1 + lambda). */
  const M = D.market;
  function pbrH(d) {
    const p0 = M.pbr_baseline, p1 = p0 - d;
    if (M.pbr_design === 'baseline') return M.za * Math.sqrt(p0 * (1 - p0)) + M.zb * Math.sqrt(p1 * (1 - p1));
    const pbar = p0 - d / 2;
    return M.za * Math.sqrt(2 * pbar * (1 - pbar)) + M.zb * Math.sqrt(p0 * (1 - p0) + p1 * (1 - p1));
  }
  function pbrDH(d) {
    const p0 = M.pbr_baseline, p1 = p0 - d;
    if (M.pbr_design === 'baseline') return -M.zb * (1 - 2 * p1) / (2 * Math.sqrt(p1 * (1 - p1)));
    const pbar = p0 - d / 2;
    return (-M.za * (1 - 2 * pbar) / (2 * Math.sqrt(2 * pbar * (1 - pbar)))
            - M.zb * (1 - 2 * p1) / (2 * Math.sqrt(p0 * (1 - p0) + p1 * (1 - p1))));
  }
  function detectableChange(n) {
    const top = M.pbr_baseline;
    if (!(n > M.smallest_cohort)) return top * 100.0;
    const rn = Math.sqrt(n);
    let lo = 0.0, hi = top * (1 - M.edge);
    let d = Math.min(pbrH(0.0) / rn, hi);
    for (let it = 0; it < 200; it++) {
      const f = rn * d - pbrH(d);
      const step = f / (rn - pbrDH(d));
      if (Math.abs(step) <= M.done * d) { d -= step; break; }
      if (f > 0) hi = d; else lo = d;
      d = (lo < d - step && d - step < hi) ? d - step : (lo + hi) / 2;
    }
    return d * 100.0;
  }
  function expectedBidders(valueM) {
    const a = Math.max(valueM - M.bidders_offset, 0.0);
    return M.bidders_max * -Math.expm1(-a / M.bidders_scale);
  }
  function thinRisk(valueM) {
    const lam = expectedBidders(valueM);
    return Math.exp(-lam) * (1.0 + lam);
  }
  const isSmallLot = (valueM) => valueM <= M.small_lot_value_m + 1e-9;

  // --------------------------------------------------------------- scorecard
  /* The scorecard of an assignment (unit -> index into areaList); areas with no unit or removed
     are left out, so K and every figure are those of the plan CSV the page exports. */
  function score(asg, areaList) {
    const A = areaList.length;
    const members = Array.from({length: A}, () => []);
    for (let k = 0; k < N; k++) members[asg[ORDER[k]]].push(ORDER[k]);
    const live = [];
    for (let a = 0; a < A; a++) if (!areaList[a].removed && members[a].length) live.push(a);
    // Areas in Python's order (plan.members(): by each area's lowest unit code), so lists and
    // first-of-ties (largest share, smallest value) come out as cpa evaluate gives them.
    live.sort((x, y) => RANK[members[x][0]] - RANK[members[y][0]]);
    const K = live.length;
    const meanValue = TOTAL / K;

    const pfaAreas = D.pfas.code.map(() => new Set());
    const trustAreas = HAS_TRUSTS ? D.trusts.code.map(() => new Set()) : [];
    for (let i = 0; i < N; i++) {
      pfaAreas[U.pfa[i]].add(asg[i]);
      if (HAS_TRUSTS) trustAreas[U.trust[i]].add(asg[i]);
    }
    const pfaSplit = pfaAreas.map((s) => s.size > 1);
    let fragments = 0, pfasSplit = 0;
    for (const s of pfaAreas) if (s.size > 1) { pfasSplit++; fragments += s.size - 1; }
    let splitValue = 0;
    for (let i = 0; i < N; i++) if (pfaSplit[U.pfa[i]]) splitValue += VALUE[i];

    const detached = new Uint8Array(N);
    const mark = new Int32Array(N).fill(-1);
    const rows = [];
    for (const a of live) {
      const m = members[a];
      let value = 0;
      for (const i of m) value += VALUE[i];
      // Hub: the member minimising sum_i v_i d(i, j), summed in member order; the first minimum
      // wins, and members are sorted by code, so ties go to the lowest code.
      let hub = -1, best = Infinity;
      for (const j of m) {
        let cost = 0;
        for (const i of m) cost += VALUE[i] * dist(i, j);
        if (cost < best) { best = cost; hub = j; }
      }
      let wsum = 0, wkm = 0, maxKm = 0;
      for (const i of m) {
        const km = dist(i, hub);
        wsum += VALUE[i];
        wkm += VALUE[i] * km;
        if (VALUE[i] > 0 && km > maxKm) maxKm = km;
      }
      // Pieces: connected components of the area in the unit graph (borders and named links).
      const pieces = [];
      for (const s of m) {
        if (mark[s] === a) continue;
        mark[s] = a;
        const piece = [s], stack = [s];
        let pv = 0;
        while (stack.length) {
          const u = stack.pop();
          pv += VALUE[u];
          for (const w of NEIGHBOURS[u]) {
            if (asg[w] === a && mark[w] !== a) { mark[w] = a; piece.push(w); stack.push(w); }
          }
        }
        pieces.push({units: piece, value: pv});
      }
      if (pieces.length > 1) {
        // The main piece holds the most value (then the most units; then the lowest code, found first).
        let main = 0;
        pieces.forEach((p, k) => {
          const q = pieces[main];
          if (p.value > q.value || (p.value === q.value && p.units.length > q.units.length)) main = k;
        });
        pieces.forEach((p, k) => { if (k !== main) for (const u of p.units) detached[u] = 1; });
      }
      const pfas = [...new Set(m.map((i) => U.pfa[i]))].sort((x, y) => x - y);  // PFAs sorted by code
      const links = NAMED_LINKS.filter((l) => asg[l[0]] === a && asg[l[1]] === a).map((l) => l[3] || l[2]);
      const cohort = M.pbr_cohort * (value / 1e6) / (TOTAL / 1e6);
      rows.push({
        a: a, label: areaList[a].label, name: areaList[a].name,
        value: value, value_m: value / 1e6, share: value / TOTAL, deviation: value / meanValue - 1,
        pbr_cohort: cohort, pbr_detectable_pts: detectableChange(cohort),
        expected_bidders: expectedBidders(value / 1e6), thin_risk: thinRisk(value / 1e6),
        small_lot: isSmallLot(value / 1e6), value_above_small_m: Math.max(value / 1e6 - M.small_lot_value_m, 0.0),
        lads: m.length, pfas: pfas,
        pfas_whole: pfas.filter((p) => !pfaSplit[p]).length, pfas_cut: pfas.filter((p) => pfaSplit[p]).length,
        pfa_names: pfas.map((p) => D.pfas.name[p]).join('; '),
        hub: hub, hub_code: U.code[hub], hub_name: U.name[hub],
        mean_travel_km: wsum > 0 ? wkm / wsum : 0, max_travel_km: maxKm, weighted_km: wkm,
        pieces: pieces.length, contiguous: pieces.length === 1, named_links: links,
      });
    }

    const vals = rows.map((r) => r.value_m);
    const vmin = Math.min(...vals), vmax = Math.max(...vals);
    const vmean = vals.reduce((s, x) => s + x, 0) / K;
    const vvar = vals.reduce((s, x) => s + (x - vmean) ** 2, 0) / K;
    let largest = rows[0], smallest = rows[0], weighted = 0, maxTravel = 0, deviation = 0;
    for (const r of rows) {
      if (r.share > largest.share) largest = r;
      if (r.value_m < smallest.value_m) smallest = r;
      weighted += r.weighted_km;
      if (r.max_travel_km > maxTravel) maxTravel = r.max_travel_km;
      deviation += Math.abs(r.value - meanValue);
    }
    let trustsSplit = null;
    if (HAS_TRUSTS) trustsSplit = trustAreas.filter((s) => s.size > 1).length;
    const summary = {
      areas: K, lads: N, total_value_m: TOTAL / 1e6,
      value_min_m: vmin, value_max_m: vmax, value_ratio: vmin > 0 ? vmax / vmin : Infinity,
      value_cv: Math.sqrt(vvar) / vmean, largest_share: largest.share, largest_area: largest.label,
      smallest_area: smallest.label,
      pfas_split: pfasSplit, pfa_fragments: fragments, value_share_in_split_pfas: splitValue / TOTAL,
      trusts_split: trustsSplit,
      mean_travel_km: weighted / TOTAL, max_travel_km: maxTravel,
      all_contiguous: rows.every((r) => r.contiguous),
      noncontiguous_areas: rows.filter((r) => !r.contiguous).map((r) => r.label),
    };
    if (RULES.min_value !== null) summary.areas_under_floor = rows.filter((r) => r.value < RULES.min_value - 1e-6).map((r) => r.label);
    if (RULES.max_value !== null) summary.areas_over_max_value = rows.filter((r) => r.value > RULES.max_value + 1e-6).map((r) => r.label);
    if (RULES.max_share !== null) summary.areas_over_cap = rows.filter((r) => r.value / TOTAL > RULES.max_share + 1e-9).map((r) => r.label);
    // The market figures (cpa.metrics.market_columns): the worst area is the first largest.
    let worst = rows[0], thinSum = 0, smallLots = 0;
    for (const r of rows) {
      if (r.pbr_detectable_pts > worst.pbr_detectable_pts) worst = r;
      thinSum += r.thin_risk;
      if (r.small_lot) smallLots++;
    }
    Object.assign(summary, {pbr_detectable_max_pts: worst.pbr_detectable_pts, pbr_worst_area: worst.label,
                            thin_risk_sum: thinSum, small_lots: smallLots});
    if (RULES.pbr_detect !== null) {
      summary.areas_below_pbr_detect = rows.filter((r) => r.value < RULES.pbr_detect_value - 1e-6).map((r) => r.label);
      summary.pbr_detect_holds = summary.areas_below_pbr_detect.length === 0;
    }
    if (RULES.small_lots !== null) summary.small_lots_holds = smallLots >= RULES.small_lots - 1e-6;

    // The solver's objective (cpa/objective.py, Objective.plan_terms): the split term only in soft mode.
    const w = RULES.weights;
    const travel = weighted / TOTAL, balance = 100 * deviation / TOTAL;
    let pbrSum = 0, aboveSmall = 0;
    for (const r of rows) { pbrSum += r.pbr_detectable_pts; aboveSmall += r.value_above_small_m; }
    const objective = {
      travel_km: travel, balance_pct: balance, pfa_fragments: fragments,
      pbr_detectable_pts: pbrSum, thin_risk_sum: thinSum, value_above_small_m: aboveSmall,
      objective: w.travel * travel + w.balance * balance + (RULES.coterminous === 'soft' ? w.split * fragments : 0)
        + w.pbr * pbrSum + w.thin * thinSum + w.small * aboveSmall,
    };

    const adjacency = new Map();  // area -> set of neighbouring areas (for colouring)
    for (const a of live) adjacency.set(a, new Set());
    for (const [i, j] of D.links) if (asg[i] !== asg[j]) { adjacency.get(asg[i]).add(asg[j]); adjacency.get(asg[j]).add(asg[i]); }
    return {rows: rows, summary: summary, objective: objective, pfaSplit: pfaSplit, detached: detached,
            adjacency: adjacency, members: members};
  }

  // ------------------------------------------------------------------ state
  let areas = D.areas.map((a) => ({label: a.label, name: a.name, colour: a.colour, frozen: false, removed: false}));
  let assign = Int32Array.from(D.assignment);
  let selected = 0;
  let card = null;
  const undoStack = [], redoStack = [];
  const UNDO_LIMIT = 500;
  const timings = [];
  const extraColours = [];

  function snapshot() {
    return {assign: assign.slice(), areas: areas.map((a) => Object.assign({}, a)), selected: selected};
  }
  function restore(s) { assign = s.assign.slice(); areas = s.areas.map((a) => Object.assign({}, a)); selected = s.selected; }
  function pushUndo(s) {
    undoStack.push(s);
    if (undoStack.length > UNDO_LIMIT) undoStack.shift();
    redoStack.length = 0;
  }

  // ---------------------------------------------------------------- colours
  function palette() { return D.palette.concat(extraColours); }

  /* A colour for area a that none of its neighbours has, the least used one (then palette order);
     when all are taken, one more colour is made (golden-angle hues). */
  function freeColour(a, adjacency) {
    const taken = new Set([...(adjacency.get(a) || [])].map((b) => areas[b].colour));
    const used = new Map();
    for (const b of adjacency.keys()) if (b !== a) used.set(areas[b].colour, (used.get(areas[b].colour) || 0) + 1);
    let best = null, bestUse = Infinity;
    for (const c of palette()) {
      if (taken.has(c)) continue;
      const u = used.get(c) || 0;
      if (u < bestUse) { best = c; bestUse = u; }
    }
    if (best === null) {
      const hue = Math.round((extraColours.length * 137.508 + 20) % 360);
      best = 'hsl(' + hue + ', 55%, 62%)';
      extraColours.push(best);
    }
    return best;
  }

  /* Keep neighbouring areas apart: recolour one side of each clash, never the selected area. */
  function repairColours(c) {
    for (const a of c.adjacency.keys()) if (!areas[a].colour) areas[a].colour = freeColour(a, c.adjacency);
    for (const [a, nbs] of c.adjacency) {
      for (const b of nbs) {
        if (areas[a].colour !== areas[b].colour) continue;
        const change = (a === selected) ? b : (b === selected ? a : Math.max(a, b));
        areas[change].colour = freeColour(change, c.adjacency);
      }
    }
    for (let a = 0; a < areas.length; a++) if (!areas[a].colour) areas[a].colour = freeColour(a, c.adjacency);
  }

  // -------------------------------------------------------------------- map
  const mapEl = document.getElementById('map');
  const map = L.map(mapEl, {zoomSnap: 0.25, boxZoom: false, doubleClickZoom: false, attributionControl: false});
  map.fitBounds(D.bounds);
  for (const [name, z] of [['cpa-pfas', 450], ['cpa-links', 455], ['cpa-hubs', 460]]) {
    const pane = map.createPane(name);
    pane.style.zIndex = z;
    pane.style.pointerEvents = 'none';
  }
  const ladLayers = new Array(N);
  const ladKeys = new Array(N).fill('');
  L.geoJSON(D.lads, {
    style: () => ({className: 'cpa-lad', weight: 0.5, color: '#555', opacity: 0.8, fillOpacity: 0.7}),
    onEachFeature: (f, layer) => {
      const i = f.properties.i;
      ladLayers[i] = layer;
      layer.on('mousedown', (e) => onLadDown(e, i));
      layer.on('mouseover', (e) => onLadOver(e, i));
      layer.on('contextmenu', (e) => { L.DomEvent.preventDefault(e.originalEvent); pickArea(i); });
      layer.bindTooltip(() => ladTip(i), {sticky: true, direction: 'top', offset: [0, -10]});
    },
  }).addTo(map);
  const pfaLayers = new Array(D.pfas.code.length);
  const PFA_PLAIN = {color: '#000', weight: 1.2, opacity: 0.9, dashArray: null, fill: false};
  const PFA_SPLIT = {color: D.split_colour, weight: 3.5, opacity: 0.95, dashArray: '8 5', fill: false};
  L.geoJSON(D.pfa_shapes, {
    pane: 'cpa-pfas', interactive: false, style: () => Object.assign({className: 'cpa-pfa'}, PFA_PLAIN),
    onEachFeature: (f, layer) => { pfaLayers[f.properties.p] = layer; },
  }).addTo(map);
  for (const [i, j] of NAMED_LINKS) {
    L.polyline([[U.lat[i], U.lon[i]], [U.lat[j], U.lon[j]]], {pane: 'cpa-links', interactive: false,
      color: '#2166ac', weight: 2, dashArray: '5 4', className: 'cpa-link'}).addTo(map);
  }
  const hubLayer = L.layerGroup().addTo(map);
  const hubMarkers = new Map();
  const detachedLayer = L.layerGroup().addTo(map);

  function ladTip(i) {
    const box = document.createElement('div');
    box.className = 'cpa-tip';
    const b = document.createElement('b');
    b.textContent = U.name[i] + ' (' + U.code[i] + ')';
    box.append(b);
    const area = areas[assign[i]];
    for (const text of ['PFA: ' + D.pfas.name[U.pfa[i]], 'area: ' + area.name + (area.frozen ? ' (frozen)' : ''),
                        'value: £' + pyFormat(VALUE[i] / 1e6, ',.2f') + 'm a year']) {
      const div = document.createElement('div');
      div.textContent = text;
      box.append(div);
    }
    return box;
  }

  // ------------------------------------------------------------ rendering
  const $ = (id) => document.getElementById(id);
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fig(key, x, spec, cls) {
    const s = el('span', 'fig' + (cls ? ' ' + cls : ''), pyFormat(x, spec));
    s.dataset.fig = key;
    return s;
  }
  function names(labels) {
    const byLabel = new Map(areas.map((a) => [a.label, a.name]));
    return labels.length ? labels.map((l) => byLabel.get(l)).join(', ') : 'none';
  }
  function listFig(key, labels) {
    const s = el('span', 'fig ' + (labels.length ? 'breach' : 'ok'), names(labels));
    s.dataset.fig = key;
    return s;
  }
  function line(parent, parts) {
    const div = el('div');
    for (const p of parts) div.append(typeof p === 'string' ? document.createTextNode(p) : p);
    parent.append(div);
  }

  function renderMap(c) {
    for (let i = 0; i < N; i++) {
      const area = areas[assign[i]];
      const key = area.colour + (c.detached[i] ? '|d' : '') + (area.frozen ? '|f' : '');
      if (key === ladKeys[i]) continue;
      ladKeys[i] = key;
      const layer = ladLayers[i];
      layer.setStyle({
        fillColor: area.colour, fillOpacity: area.frozen ? 0.35 : 0.7,
        color: c.detached[i] ? '#c51b7d' : '#555', weight: c.detached[i] ? 3 : 0.5,
        dashArray: c.detached[i] ? '2 4' : null, opacity: c.detached[i] ? 1 : 0.8,
      });
      const path = layer.getElement();
      if (path) path.classList.toggle('cpa-detached', !!c.detached[i]);
      if (layer.isTooltipOpen()) layer.getTooltip().update();
    }
    c.pfaSplit.forEach((split, p) => {
      const layer = pfaLayers[p];
      if (!layer || layer._cpaSplit === split) return;
      layer._cpaSplit = split;
      layer.setStyle(split ? PFA_SPLIT : PFA_PLAIN);
      const path = layer.getElement();
      if (path) path.classList.toggle('cpa-pfa-split', split);
    });
    // Cut-off LADs also get a ring at their centre, visible at the national zoom.
    detachedLayer.clearLayers();
    for (let i = 0; i < N; i++) {
      if (!c.detached[i]) continue;
      L.circleMarker([U.lat[i], U.lon[i]], {pane: 'cpa-hubs', interactive: false, radius: 9, color: '#c51b7d',
        weight: 3, fill: false, className: 'cpa-detached-mark'}).addTo(detachedLayer);
    }
    // Hub markers: one per hub unit, kept while the unit stays a hub.
    const hubs = new Set(c.rows.map((r) => r.hub));
    for (const [u, marker] of hubMarkers) if (!hubs.has(u)) { hubLayer.removeLayer(marker); hubMarkers.delete(u); }
    for (const u of hubs) {
      if (hubMarkers.has(u)) continue;
      hubMarkers.set(u, L.circleMarker([U.lat[u], U.lon[u]], {pane: 'cpa-hubs', interactive: false, radius: 4.5,
        color: '#000', weight: 1.5, fillColor: '#fff', fillOpacity: 1, className: 'cpa-hub'}).addTo(hubLayer));
    }
  }

  function renderObjective(c) {
    const o = c.objective, w = RULES.weights, f = FMT.objective, box = $('objective');
    box.replaceChildren();
    $('objective-mode').textContent = '(as the solver scores it; coterminosity ' + RULES.coterminous + ')';
    line(box, [el('span', 'total', 'Objective '), fig('objective', o.objective, f.objective, 'total')]);
    line(box, ['= ' + w.travel + ' × travel ', fig('travel_km', o.travel_km, f.travel_km),
               ' km + ' + w.balance + ' × balance ', fig('balance_pct', o.balance_pct, f.balance_pct),
               ' points of value off the mean']);
    const splitLine = [RULES.coterminous === 'soft' ? '+ ' + w.split + ' × PFA fragments ' : 'PFA fragments ',
                       fig('pfa_fragments', o.pfa_fragments, f.pfa_fragments)];
    if (RULES.coterminous === 'soft') splitLine.push(' (soft coterminosity)');
    else if (RULES.coterminous === 'strict') splitLine.push(o.pfa_fragments ? el('span', 'breach', ' (strict: PFAs may not be split)') : ' (strict: none allowed)');
    else splitLine.push(' (not counted: coterminosity off)');
    line(box, splitLine);
    const mark = (weight, what) => (weight ? '+ ' + weight + ' × ' : '') + what;
    line(box, [mark(w.pbr, 'detectable change summed over areas '), fig('pbr_detectable_pts', o.pbr_detectable_pts, f.pbr_detectable_pts),
               ' points ' + (w.pbr ? '' : '(not weighted)')]);
    line(box, [mark(w.thin, 'lots with at most one bid '), fig('thin_risk_sum', o.thin_risk_sum, f.thin_risk_sum),
               w.thin ? '' : ' (not weighted)']);
    line(box, [mark(w.small, 'value above small lots £'), fig('value_above_small_m', o.value_above_small_m, f.value_above_small_m),
               'm' + (w.small ? '' : ' (not weighted)')]);
  }

  function renderSummary(c) {
    const s = c.summary, f = FMT.summary, box = $('summary');
    box.replaceChildren();
    const byLabel = new Map(areas.map((a) => [a.label, a.name]));
    line(box, [fig('areas', s.areas, f.areas), ' areas over ' + N + ' LADs, £', fig('total_value_m', s.total_value_m, f.total_value_m), 'm a year']);
    line(box, ['Smallest contract £', fig('value_min_m', s.value_min_m, f.value_min_m), 'm (' + byLabel.get(s.smallest_area) + '); largest £',
               fig('value_max_m', s.value_max_m, f.value_max_m), 'm (' + byLabel.get(s.largest_area) + ')']);
    line(box, ['Max/min ', fig('value_ratio', s.value_ratio, f.value_ratio), ', CV ', fig('value_cv', s.value_cv, f.value_cv),
               ', largest share ', fig('largest_share', s.largest_share, f.largest_share), ' (' + byLabel.get(s.largest_area) + ')']);
    if ('areas_under_floor' in s) line(box, ['Under the £' + pyFormat(RULES.min_value / 1e6, ',.1f') + 'm floor: ', listFig('areas_under_floor', s.areas_under_floor)]);
    if ('areas_over_cap' in s) line(box, ['Over the ' + pyFormat(RULES.max_share, '.1%') + ' share cap: ', listFig('areas_over_cap', s.areas_over_cap)]);
    if ('areas_over_max_value' in s) line(box, ['Over the £' + pyFormat(RULES.max_value / 1e6, ',.1f') + 'm maximum: ', listFig('areas_over_max_value', s.areas_over_max_value)]);
    const split = ['PFAs split: ', fig('pfas_split', s.pfas_split, f.pfas_split, s.pfas_split && RULES.coterminous === 'strict' ? 'breach' : ''),
                   ' (', fig('pfa_fragments', s.pfa_fragments, f.pfa_fragments), ' extra fragments, ',
                   fig('value_share_in_split_pfas', s.value_share_in_split_pfas, f.value_share_in_split_pfas), ' of value in split PFAs)'];
    if (s.trusts_split !== null) split.push('; trusts split: ', fig('trusts_split', s.trusts_split, f.trusts_split), ' of ' + D.trusts.code.length);
    line(box, split);
    line(box, ['Travel to hub: mean ', fig('mean_travel_km', s.mean_travel_km, f.mean_travel_km), ' km (value-weighted), max ',
               fig('max_travel_km', s.max_travel_km, f.max_travel_km), ' km']);
    line(box, ['Market: worst detectable change ', fig('pbr_detectable_max_pts', s.pbr_detectable_max_pts, f.pbr_detectable_max_pts),
               ' points (' + byLabel.get(s.pbr_worst_area) + '); lots with at most one bid ',
               fig('thin_risk_sum', s.thin_risk_sum, f.thin_risk_sum), '; small lots (at most £' + M.small_lot_value_m + 'm) ',
               fig('small_lots', s.small_lots, f.small_lots)]);
    if ('areas_below_pbr_detect' in s) line(box, ['Below the ' + RULES.pbr_detect + '-point payment-by-results floor (£' + pyFormat(RULES.pbr_detect_value / 1e6, ',.1f') + 'm): ',
                                                  listFig('areas_below_pbr_detect', s.areas_below_pbr_detect)]);
    if ('small_lots_holds' in s) {
      const holds = el('span', 'fig ' + (s.small_lots_holds ? 'ok' : 'breach'), s.small_lots_holds ? 'holds' : 'FAILS');
      holds.dataset.fig = 'small_lots_holds';
      line(box, ['At least ' + RULES.small_lots + ' small lots: ', holds]);
    }
    const contiguous = el('span', 'fig ' + (s.all_contiguous ? 'ok' : 'breach'), s.all_contiguous ? 'all areas' : 'NO');
    contiguous.dataset.fig = 'all_contiguous';
    const parts = ['Contiguous: ', contiguous];
    if (!s.all_contiguous) parts.push(' – ', listFig('noncontiguous_areas', s.noncontiguous_areas), ' (cut-off LADs outlined)');
    line(box, parts);
  }

  /* One table row per area, made once and then updated in place (only changed text is touched,
     so a change re-lays-out a few cells, not the table). */
  const AREA_COLUMNS = ['value_m', 'share', 'deviation', 'lads', ['pfas_whole', 'pfas_cut'], 'hub_name',
                        'mean_travel_km', 'max_travel_km', 'pbr_detectable_pts', 'thin_risk'];
  const areaRows = [];
  function setText(node, text) { if (node.textContent !== text) node.textContent = text; }

  function areaRow(a) {
    const tr = el('tr');
    const box = el('input');
    box.type = 'checkbox';
    box.addEventListener('click', (e) => { e.stopPropagation(); toggleFreeze(a); });
    const sw = el('span', 'sw'), name = el('span'), flags = el('div', 'flags');
    name.dataset.col = 'area_name';
    flags.dataset.col = 'flags';
    tr.append(el('td'), el('td', 'name'));
    tr.cells[0].append(box);
    tr.cells[1].append(sw, name, flags);
    const cells = {};
    for (const col of AREA_COLUMNS) {
      const td = el('td', col === 'hub_name' ? 'hub' : '');
      for (const [k, key] of [].concat(col).entries()) {
        if (k) td.append(el('span', 'sep', ' / '));
        cells[key] = el('span');
        cells[key].dataset.col = key;
        td.append(cells[key]);
      }
      tr.append(td);
    }
    tr.addEventListener('click', () => select(a));
    return {tr: tr, box: box, sw: sw, name: name, flags: flags, cells: cells, colour: null};
  }

  function renderAreas(c) {
    const body = document.querySelector('#areas tbody'), f = FMT.area, s = c.summary;
    const rowOf = new Map(c.rows.map((r) => [r.a, r]));
    const under = new Set(s.areas_under_floor || []), overCap = new Set(s.areas_over_cap || []);
    const overMax = new Set(s.areas_over_max_value || []), belowPbr = new Set(s.areas_below_pbr_detect || []);
    let at = 0;
    areas.forEach((area, a) => {
      if (area.removed) return;
      const row = areaRows[a] || (areaRows[a] = areaRow(a));
      const r = rowOf.get(a);
      row.tr.className = (a === selected ? 'selected ' : '') + (area.frozen ? 'is-frozen' : '');
      row.tr.dataset.area = area.label;
      row.box.checked = area.frozen;
      row.box.title = (area.frozen ? 'unfreeze ' : 'freeze ') + area.name;
      if (row.colour !== area.colour) { row.sw.style.background = area.colour; row.colour = area.colour; }
      setText(row.name, area.name);
      const flags = [];
      if (!r) flags.push('empty: not in the plan');
      else {
        if (!r.contiguous) flags.push(pyFormat(r.pieces, f.pieces) + ' pieces');
        if (under.has(area.label)) flags.push('under floor');
        if (overCap.has(area.label)) flags.push('over cap');
        if (overMax.has(area.label)) flags.push('over max');
        if (belowPbr.has(area.label)) flags.push('below PbR floor');
        if (r.small_lot) flags.push('small lot');
      }
      setText(row.flags, flags.join(', '));
      for (const [key, span] of Object.entries(row.cells)) setText(span, !r ? '' : key === 'hub_name' ? r.hub_name : pyFormat(r[key], f[key]));
      row.tr.querySelectorAll('.sep').forEach((sep) => { sep.hidden = !r; });
      row.cells.hub_name.parentNode.title = r ? r.hub_name : '';
      if (body.children[at] !== row.tr) body.insertBefore(row.tr, body.children[at] || null);
      at++;
    });
    while (body.children.length > at) body.lastChild.remove();
  }

  function renderSelected(c) {
    const area = areas[selected];
    $('sel-swatch').style.background = area.colour;
    const input = $('sel-name');
    if (document.activeElement !== input) input.value = area.name;
    const r = c.rows.find((x) => x.a === selected);
    const box = $('sel-detail');
    box.replaceChildren();
    line(box, ['Label ' + area.label + (area.frozen ? ' · frozen: it neither gives nor takes LADs' : '')]);
    if (!r) { line(box, ['No LADs yet: click LADs on the map to move them here.']); return; }
    line(box, ['PFAs: ' + r.pfas.map((p) => D.pfas.name[p] + (c.pfaSplit[p] ? ' (part)' : '')).join('; ')]);
    line(box, ['Hub ' + r.hub_name + '; named links inside: ' + (r.named_links.length ? r.named_links.join('; ') : 'none')]);
  }

  function renderButtons() {
    $('undo').disabled = !undoStack.length;
    $('redo').disabled = !redoStack.length;
    $('freeze').textContent = areas[selected].frozen ? 'Unfreeze' : 'Freeze';
    $('remove-area').disabled = areas[selected].frozen || card.rows.length + emptyAreas() < 2;
  }
  function emptyAreas() { return areas.filter((a, i) => !a.removed && !card.members[i].length).length; }

  /* Recompute the scorecard and redraw what changed; t0 is when the change began (for timings). */
  function update(t0, what) {
    card = score(assign, areas);
    repairColours(card);
    renderMap(card);
    renderObjective(card);
    renderSummary(card);
    renderAreas(card);
    renderSelected(card);
    renderButtons();
    if (t0 !== undefined) {
      const rec = {what: what, update_ms: performance.now() - t0, frame_ms: null};
      timings.push(rec);
      requestAnimationFrame(() => setTimeout(() => { rec.frame_ms = performance.now() - t0; }, 0));
    }
  }

  function say(text) { $('status').textContent = text; }

  // --------------------------------------------------------------- editing
  let tool = 'lad';
  let stroke = null;

  function onLadDown(e, i) {
    if (tool === 'pan' || e.originalEvent.button !== 0) return;
    L.DomEvent.preventDefault(e.originalEvent);  // no text selection or drag image while painting
    stroke = {before: snapshot(), changed: false};
    paint(i);
  }
  function onLadOver(e, i) {
    if (stroke && (e.originalEvent.buttons & 1)) paint(i);
  }
  function endStroke() {
    if (!stroke) return;
    if (stroke.changed) pushUndo(stroke.before);
    stroke = null;
    renderButtons();
  }
  document.addEventListener('mouseup', endStroke);
  window.addEventListener('blur', endStroke);

  function paint(i) {
    const t0 = performance.now();
    const target = areas[selected];
    if (target.frozen) { say(target.name + ' is frozen: unfreeze it to move LADs into it.'); return; }
    const units = tool === 'pfa' ? PFA_UNITS[U.pfa[i]] : [i];
    let moved = 0, frozen = null;
    for (const u of units) {
      const from = areas[assign[u]];
      if (assign[u] === selected) continue;
      if (from.frozen) { frozen = from; continue; }
      assign[u] = selected;
      moved++;
    }
    if (frozen) say(frozen.name + ' is frozen: its LADs stay.');
    if (!moved) return;
    if (!frozen) say('');
    stroke.changed = true;
    update(t0, tool === 'pfa' ? 'pfa' : 'lad');
  }

  function pickArea(i) { select(assign[i]); }

  function select(a) {
    if (areas[a] === undefined || areas[a].removed) return;
    selected = a;
    update();
  }

  function edit(fn) {
    const t0 = performance.now();
    const before = snapshot();
    const label = fn();
    if (label === false) return;
    pushUndo(before);
    update(t0, label);
  }

  function toggleFreeze(a) {
    edit(() => { areas[a].frozen = !areas[a].frozen; say(areas[a].name + (areas[a].frozen ? ' frozen.' : ' unfrozen.')); return 'freeze'; });
  }

  function addArea() {
    edit(() => {
      const labels = new Set(areas.map((a) => a.label));
      let n = 1;
      while (labels.has('new' + n)) n++;
      areas.push({label: 'new' + n, name: 'New area ' + n, colour: null, frozen: false, removed: false});
      selected = areas.length - 1;
      say('Added New area ' + n + ': click LADs to move them into it.');
      return 'add';
    });
  }

  function removeArea() {
    const a = selected, area = areas[a];
    if (area.frozen) { say(area.name + ' is frozen: unfreeze it first.'); return; }
    const mine = card.members[a];
    // Its LADs join the neighbouring unfrozen area it shares the most links with (ties: first label).
    const shared = new Map();
    for (const [i, j] of D.links) {
      for (const [x, y] of [[i, j], [j, i]]) {
        if (assign[x] === a && assign[y] !== a && !areas[assign[y]].frozen) shared.set(assign[y], (shared.get(assign[y]) || 0) + 1);
      }
    }
    let to = null;
    for (const [b, n] of shared) if (to === null || n > shared.get(to) || (n === shared.get(to) && areas[b].label < areas[to].label)) to = b;
    if (mine.length && to === null) { say(area.name + ' has no unfrozen neighbour to take its LADs.'); return; }
    const others = areas.filter((x, i) => i !== a && !x.removed);
    if (!others.length) { say('A plan needs at least one area.'); return; }
    edit(() => {
      for (const u of mine) assign[u] = to;
      area.removed = true;
      selected = to !== null ? to : areas.findIndex((x) => !x.removed);
      say('Removed ' + area.name + (mine.length ? '; its ' + mine.length + ' LADs joined ' + areas[to].name + '.' : '.'));
      return 'remove';
    });
  }

  function rename(text) {
    const name = text.trim() || areas[selected].label;
    if (name === areas[selected].name) return;
    edit(() => { areas[selected].name = name; return 'rename'; });
  }

  /* Undo and redo: take the state from one stack, leaving the present on the other. */
  function travel(from, to, what) {
    if (!from.length) return;
    const t0 = performance.now();
    to.push(snapshot());
    restore(from.pop());
    say(what === 'undo' ? 'Undone.' : 'Redone.');
    update(t0, what);
  }
  const undo = () => travel(undoStack, redoStack, 'undo');
  const redo = () => travel(redoStack, undoStack, 'redo');

  // ---------------------------------------------------------------- export
  /* A CSV cell: quoted when needed, and a leading = + - @ tab or CR defused so spreadsheets
     show the text instead of running it as a formula; exactly as cpa.io.safe.csv_cell (plain
     numbers left alone, a leading apostrophe doubled), so every command reads the labels back. */
  const PLAIN_NUMBER = new RegExp('^(?:' + D.plain_number + ')$');
  function csvCell(value) {
    let s = String(value);
    if (s.startsWith("'") || (D.formula_starts.some((c) => s.startsWith(c)) && !PLAIN_NUMBER.test(s))) s = "'" + s;
    if (/[",\r\n]/.test(s) || s !== s.trim()) s = '"' + s.replace(/"/g, '""') + '"';
    return s;
  }
  /* The plan CSV every cpa command reads: lad_code,area,area_name, one row per unit, by code. */
  function exportCsv() {
    const out = ['lad_code,area,area_name'];
    for (const i of ORDER) {
      const area = areas[assign[i]];
      out.push([U.code[i], area.label, area.name].map(csvCell).join(','));
    }
    return out.join('\n') + '\n';
  }
  function download() {
    const url = URL.createObjectURL(new Blob([exportCsv()], {type: 'text/csv;charset=utf-8'}));
    const a = el('a');
    a.href = url;
    a.download = D.export_name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    say('Exported ' + card.rows.length + ' areas as ' + D.export_name + '.');
  }

  // ------------------------------------------------------------------ wiring
  function setTool(value) {
    tool = value;
    if (tool === 'pan') map.dragging.enable(); else map.dragging.disable();
    mapEl.classList.toggle('brush', tool !== 'pan');
  }
  document.querySelectorAll('input[name=tool]').forEach((r) => r.addEventListener('change', () => setTool(r.value)));
  $('undo').addEventListener('click', undo);
  $('redo').addEventListener('click', redo);
  $('add-area').addEventListener('click', addArea);
  $('remove-area').addEventListener('click', removeArea);
  $('freeze').addEventListener('click', () => toggleFreeze(selected));
  $('export').addEventListener('click', download);
  $('sel-name').addEventListener('change', (e) => rename(e.target.value));
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement && e.target.type === 'text') return;
    const key = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && key === 'z') { e.preventDefault(); if (e.shiftKey) redo(); else undo(); }
    else if ((e.ctrlKey || e.metaKey) && key === 'y') { e.preventDefault(); redo(); }
  });
  $('distance-note').textContent = 'Travel: ' + D.distance_note + '.';
  document.querySelector('#key .k-split').style.borderTopColor = D.split_colour;
  setTool('lad');
  update();

  /* For tests and the curious: the live state, figures and export, read-only in spirit. */
  function plainCard(c) {
    return {summary: c.summary, objective: c.objective,
            areas: Object.fromEntries(c.rows.map((r) => [r.label, Object.assign({}, r, {pfas: undefined})]))};
  }
  window.cpaEditor = {
    map: map,
    card: () => plainCard(card),
    exportCsv: exportCsv,
    timings: timings,
    selected: () => areas[selected].label,
    colours: () => Object.fromEntries(card.rows.map((r) => [r.label, areas[r.a].colour])),
    /* The scorecard of any plan given as {unit code: area label}, without touching the editor. */
    scorePlan: (byCode) => {
      const labels = [...new Set(Object.values(byCode))].sort();
      const index = new Map(labels.map((l, k) => [l, k]));
      const asg = Int32Array.from(U.code, (c) => index.get(byCode[c]));
      return plainCard(score(asg, labels.map((l) => ({label: l, name: l, removed: false}))));
    },
    format: pyFormat,
  };
})();
