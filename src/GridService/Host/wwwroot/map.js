// The planners' web map: MapLibre GL JS served from this service (vendor/, copied from npm at build time), no CDN
// and no internet basemap. The newest orthophoto survey is the base layer; without surveys, a plain background.
// Coordinates: MapLibre works in longitude/latitude (x = lon, y = lat, WGS84 = CGCS2000 to centimetres).
import * as maplibregl from './vendor/maplibre-gl.mjs';

const ORIGIN = location.origin;
const $ = id => document.getElementById(id);
const esc = v => String(v ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

// ---- language -------------------------------------------------------------------------------------------------
const I18N = {
  zh: {
    title: '汝州市数字化城管 · 地理信息一张图', subtitle: '责任网格 · 城市部件 · 无人机影像 · 变化发现',
    searchPlaceholder: '输入部件编码或网格编码定位', search: '定位', apiDocs: 'API 文档',
    layers: '图层', surveyLayer: '无人机影像', gridLayer: '责任网格', componentLayer: '城市部件', findingLayer: '变化发现',
    noSurvey: '暂无影像（纯色底图）', swipe: '卷帘对比', before: '前期', after: '后期', swipeOn: '开启卷帘', swipeOff: '关闭卷帘',
    swipeNeedsTwo: '需要至少两期影像。', swipeReady: '拖动中间的滑块比较前后两期影像。',
    ownership: '归属查询', ownershipHint: '点击地图任意位置，或输入坐标查询责任网格与责任部门。', crs: '坐标系', class: '类别', query: '查询',
    rawJson: '原始 JSON', gridsGeojson: '当前网格 GeoJSON', departments: '部门', matrix: '责任矩阵', health: '健康检查',
    grid: '网格', code: '编码', subdistrict: '街道', community: '社区', department: '责任部门', phone: '电话', rule: '依据规则',
    onBoundary: '位于网格边界附近（0.5 米内），请人工复核', outside: '不在任何责任网格内', nearest: '最近网格',
    component: '部件', componentClass: '部件类别', status: '状态', finding: '变化发现', querying: '查询中…', notFound: '未找到：',
    findingLegend: '变化发现', gridLegend: '责任网格', version: '版本',
    review: '变化核查', reviewHint: '点击地图上的变化图斑查看前后影像与核查信息。输入具有 GIS 或管理员角色的 API 密钥后可确认或排除（密钥只保存在本页会话中）。',
    apiKey: '审核密钥', pending: '待核查', confirmed: '已确认', dismissed: '已排除', kind: '类型', area: '面积', heights: '高差（平均/最大）',
    confidence: '置信度', permit: '建设许可', permitted: '许可范围内', notPermitted: '无', reviewer: '核查人', comment: '核查意见',
    confirm: '确认违建', dismiss: '排除', confirmedFinal: '已确认并推送派遣，不可更改。', needKey: '在左侧“变化核查”中输入审核密钥后可确认或排除。',
    compareSwipe: '前后卷帘对比', reviewed: '已保存核查结果', run: '检测任务', beforeImg: '前期影像', afterImg: '后期影像',
    new_structure: '新建构筑物', extension: '扩建/加层', demolition: '拆除', other: '其他变化',
  },
  en: {
    title: 'Ruzhou Urban Management · One Map', subtitle: 'Grids · Components · Drone surveys · Changes',
    searchPlaceholder: 'Component or grid code', search: 'Find', apiDocs: 'API docs',
    layers: 'Layers', surveyLayer: 'Drone survey', gridLayer: 'Responsibility grids', componentLayer: 'Components', findingLayer: 'Change findings',
    noSurvey: 'No survey yet (plain background)', swipe: 'Before / after swipe', before: 'Before', after: 'After', swipeOn: 'Start swipe', swipeOff: 'Stop swipe',
    swipeNeedsTwo: 'Needs at least two surveys.', swipeReady: 'Drag the handle to compare the two surveys.',
    ownership: 'Ownership', ownershipHint: 'Click anywhere on the map, or enter a coordinate: which grid and which department.', crs: 'CRS', class: 'Class', query: 'Query',
    rawJson: 'Raw JSON', gridsGeojson: 'Current grids (GeoJSON)', departments: 'Departments', matrix: 'Matrix', health: 'Health',
    grid: 'Grid', code: 'Code', subdistrict: 'Subdistrict', community: 'Community', department: 'Department', phone: 'Phone', rule: 'Rule',
    onBoundary: 'Within 0.5 m of a grid boundary: please double-check', outside: 'Outside every grid', nearest: 'Nearest grid',
    component: 'Component', componentClass: 'Class', status: 'Status', finding: 'Finding', querying: 'Querying…', notFound: 'Not found: ',
    findingLegend: 'Findings', gridLegend: 'Grids', version: 'version',
    review: 'Change review', reviewHint: 'Click a change on the map for its before/after images and facts. With an API key of the gis or admin role you can confirm or dismiss it (the key stays in this tab\'s session only).',
    apiKey: 'Reviewer key', pending: 'Pending', confirmed: 'Confirmed', dismissed: 'Dismissed', kind: 'Kind', area: 'Area', heights: 'Height change (mean/max)',
    confidence: 'Confidence', permit: 'Permit', permitted: 'Inside a permit', notPermitted: 'None', reviewer: 'Reviewer', comment: 'Comment',
    confirm: 'Confirm', dismiss: 'Dismiss', confirmedFinal: 'Confirmed and sent to dispatch; final.', needKey: 'Enter a reviewer key under "Change review" to confirm or dismiss.',
    compareSwipe: 'Before/after swipe', reviewed: 'Review saved', run: 'Run', beforeImg: 'Before', afterImg: 'After',
    new_structure: 'New structure', extension: 'Extension / added storey', demolition: 'Demolition', other: 'Other change',
  },
};
let lang = localStorage.getItem('geo.lang') === 'en' ? 'en' : 'zh';
const t = key => I18N[lang][key] ?? I18N.zh[key] ?? key;

// GB/T 30428.2 major component classes, coloured on the map and in the legend.
const MAJORS = [
  { code: '01', zh: '公用设施', en: 'Public utilities', color: '#2563eb' },
  { code: '02', zh: '道路交通', en: 'Roads & traffic', color: '#dc2626' },
  { code: '03', zh: '市容环境', en: 'City appearance', color: '#9333ea' },
  { code: '04', zh: '园林绿化', en: 'Landscaping', color: '#16a34a' },
  { code: '05', zh: '房屋土地', en: 'Housing & land', color: '#b45309' },
  { code: '06', zh: '其他设施', en: 'Other', color: '#475569' },
];
// Findings are coloured by review state (the tile property status).
const REVIEW_COLORS = [['pending', '#e8590c'], ['confirmed', '#d92d20'], ['dismissed', '#98a2b3']];
const REVIEW_MATCH = ['match', ['get', 'status'], ...REVIEW_COLORS.flat(), '#e8590c'];
const SUBDISTRICT_COLORS = ['match', ['get', 'subdistrict_code'],
  '410482001', '#8ecae6', '410482002', '#ffd6a5', '410482003', '#caffbf', '410482004', '#fdffb6', '410482005', '#bdb2ff', '410482006', '#ffc6ff',
  '#dde3ea'];

function applyLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  document.querySelectorAll('[data-i18n]').forEach(el => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll('[data-i18n-placeholder]').forEach(el => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  $('lang').textContent = lang === 'zh' ? 'EN' : '中文';
  $('legend').innerHTML = MAJORS.map(m => `<span><i style="background:${m.color}"></i>${esc(m[lang])}</span>`).join('') +
    REVIEW_COLORS.map(([state, color]) => `<span><i class="sq" style="background:${color}"></i>${esc(t('findingLegend'))} · ${esc(t(state))}</span>`).join('') +
    `<span><i class="sq" style="background:#0b5cad"></i>${esc(t('gridLegend'))}</span>`;
  fillSurveySelects();
  updateSwipeUi();
}
$('lang').addEventListener('click', () => { lang = lang === 'zh' ? 'en' : 'zh'; localStorage.setItem('geo.lang', lang); applyLang(); });

// ---- data ---------------------------------------------------------------------------------------------------------
async function getJson(url) {
  const r = await fetch(url, { headers: { Accept: 'application/json' } });
  const body = await r.json().catch(() => null);
  return { ok: r.ok, status: r.status, body };
}

let surveys = [];
try {
  const r = await getJson('/api/v1/surveys');
  if (r.ok && Array.isArray(r.body)) surveys = r.body.filter(s => s && s.id && Array.isArray(s.boundsLonLat));
} catch { /* no survey service yet: plain background */ }
surveys.sort((a, b) => String(b.flightDate ?? '').localeCompare(String(a.flightDate ?? '')));
const orthos = surveys.filter(s => s.kind !== 'dsm');
const surveyLabel = s => `${s.name ?? s.id}${s.flightDate ? ' · ' + s.flightDate : ''}`;

let gridBounds = [112.812, 34.149, 112.878, 34.185];
try {
  const tj = await getJson('/api/v1/tiles/grids.json');
  if (tj.ok && Array.isArray(tj.body?.bounds)) gridBounds = tj.body.bounds;
} catch { /* keep the default view */ }

function surveySource(s) {
  return {
    type: 'raster', tileSize: 256, bounds: s.boundsLonLat, maxzoom: 22,
    tiles: [`${ORIGIN}/api/v1/surveys/${encodeURIComponent(s.id)}/tiles/{z}/{x}/{y}.png`],
    attribution: esc(surveyLabel(s)),
  };
}

// ---- the map ------------------------------------------------------------------------------------------------------
const style = {
  version: 8,
  // No "glyphs": MapLibre renders label text locally (TinySDF) with the browser's fonts, Chinese included, offline.
  sources: {
    grids: { type: 'vector', url: `${ORIGIN}/api/v1/tiles/grids.json` },
    components: { type: 'vector', url: `${ORIGIN}/api/v1/tiles/components.json` },
    findings: { type: 'vector', url: `${ORIGIN}/api/v1/tiles/findings.json` },
  },
  layers: [
    { id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } },
    { id: 'grids-fill', type: 'fill', source: 'grids', 'source-layer': 'grids',
      paint: { 'fill-color': SUBDISTRICT_COLORS, 'fill-opacity': orthos.length ? 0.12 : 0.55 } },
    { id: 'grids-line', type: 'line', source: 'grids', 'source-layer': 'grids',
      paint: { 'line-color': '#0b5cad', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.6, 14, 1.4, 18, 2.5], 'line-opacity': 0.9 } },
    { id: 'grids-selected', type: 'line', source: 'grids', 'source-layer': 'grids', filter: ['==', ['get', 'code'], ''],
      paint: { 'line-color': '#e8590c', 'line-width': 3.5 } },
    { id: 'findings-fill', type: 'fill', source: 'findings', 'source-layer': 'findings', paint: { 'fill-color': REVIEW_MATCH, 'fill-opacity': 0.3 } },
    { id: 'findings-line', type: 'line', source: 'findings', 'source-layer': 'findings', paint: { 'line-color': REVIEW_MATCH, 'line-width': 2 } },
    // Census lines (fences) and areas (green patches) arrive as themselves from zoom 16, as points below it.
    { id: 'components-fill', type: 'fill', source: 'components', 'source-layer': 'components', filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': ['match', ['get', 'major'], ...MAJORS.flatMap(m => [m.code, m.color]), '#475569'], 'fill-opacity': 0.35 } },
    { id: 'components-line', type: 'line', source: 'components', 'source-layer': 'components', filter: ['!=', ['geometry-type'], 'Point'],
      paint: { 'line-color': ['match', ['get', 'major'], ...MAJORS.flatMap(m => [m.code, m.color]), '#475569'], 'line-width': 2 } },
    { id: 'components', type: 'circle', source: 'components', 'source-layer': 'components', filter: ['==', ['geometry-type'], 'Point'],
      paint: {
        'circle-color': ['match', ['get', 'major'], ...MAJORS.flatMap(m => [m.code, m.color]), '#475569'],
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 2, 16, 4, 19, 7],
        'circle-stroke-color': '#ffffff', 'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 12, 0.5, 16, 1.2],
      } },
    { id: 'grid-labels', type: 'symbol', source: 'grids', 'source-layer': 'grid_labels', minzoom: 12,
      layout: {
        'text-field': ['format', ['get', 'name'], { 'font-scale': 1 }, '\n', {}, ['get', 'code'], { 'font-scale': 0.78 }],
        'text-size': ['interpolate', ['linear'], ['zoom'], 12, 11, 16, 14], 'text-max-width': 14, 'text-line-height': 1.25,
      },
      paint: { 'text-color': '#0b2e59', 'text-halo-color': 'rgba(255,255,255,0.95)', 'text-halo-width': 1.6 } },
  ],
};
if (orthos.length) {
  style.sources.survey = surveySource(orthos[0]);
  style.layers.splice(1, 0, { id: 'survey', type: 'raster', source: 'survey' });
}

const COMPONENT_LAYERS = ['components', 'components-line', 'components-fill'];
const map = new maplibregl.Map({
  container: 'map', style, bounds: gridBounds, fitBoundsOptions: { padding: 30 }, maxZoom: 21,
  localIdeographFontFamily: "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif",
  attributionControl: { compact: true, customAttribution: '汝州市数字化城管' },
});
map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), 'top-right');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
window.geoMap = map; // for the browser test and the console
window.geoMapReady = new Promise(resolve => map.once('idle', () => resolve(true)));

map.on('mousemove', e => { $('coords').textContent = `${e.lngLat.lng.toFixed(6)}, ${e.lngLat.lat.toFixed(6)} (EPSG:4326)`; });
for (const id of [...COMPONENT_LAYERS, 'findings-fill']) {
  map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
}

// ---- layer switches -----------------------------------------------------------------------------------------------
const setVisible = (ids, on) => ids.forEach(id => map.getLayer(id) && map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none'));
$('layer-grids').addEventListener('change', e => setVisible(['grids-fill', 'grids-line', 'grids-selected', 'grid-labels'], e.target.checked));
$('layer-components').addEventListener('change', e => setVisible(COMPONENT_LAYERS, e.target.checked));
$('layer-findings').addEventListener('change', e => setVisible(['findings-fill', 'findings-line'], e.target.checked));
$('layer-survey').addEventListener('change', e => setVisible(['survey'], e.target.checked));
$('survey-select').addEventListener('change', e => {
  const s = orthos.find(x => x.id === e.target.value);
  if (!s) return;
  if (map.getLayer('survey')) map.removeLayer('survey');
  if (map.getSource('survey')) map.removeSource('survey');
  map.addSource('survey', surveySource(s));
  map.addLayer({ id: 'survey', type: 'raster', source: 'survey' }, 'grids-fill');
  map.setPaintProperty('grids-fill', 'fill-opacity', 0.12);
});

function fillSurveySelects() {
  const opts = orthos.map(s => `<option value="${esc(s.id)}">${esc(surveyLabel(s))}</option>`).join('');
  for (const id of ['survey-select', 'swipe-before', 'swipe-after']) {
    const el = $(id), keep = el.value;
    el.innerHTML = orthos.length ? opts : `<option value="">${esc(t('noSurvey'))}</option>`;
    if (keep) el.value = keep;
  }
  if (orthos.length > 1 && !$('swipe-before').dataset.set) {
    $('swipe-before').value = orthos[1].id; $('swipe-after').value = orthos[0].id; $('swipe-before').dataset.set = '1';
  }
}

// ---- ownership: click anywhere, or the form -----------------------------------------------------------------------
const popup = new maplibregl.Popup({ maxWidth: '340px', closeOnClick: false });

function ownershipHtml(r) {
  if (!r.ok) {
    const p = r.body ?? {};
    const nearest = p.nearestGrid ? `<div>${esc(t('nearest'))}: ${esc(p.nearestGrid.name ?? p.nearestGrid)} ${p.distanceMetres != null ? '(' + esc(p.distanceMetres) + ' m)' : ''}</div>` : '';
    const title = p.code === 'outside_all_grids' ? t('outside') : (p.title ?? r.status);
    return `<h3 class="err">${esc(title)}</h3><div>${esc(p.detail ?? '')}</div>${nearest}`;
  }
  const a = r.body;
  const rows = [
    [t('grid'), `${esc(a.grid?.name)}<br><small>${esc(a.grid?.code)}</small>`],
    [t('subdistrict'), esc(a.grid?.subdistrictName ?? a.grid?.subdistrictCode)],
    [t('community'), esc(a.grid?.communityName ?? '')],
    [t('department'), esc(a.department?.name ?? '—')],
    [t('phone'), esc(a.department?.phone ?? '')],
    [t('rule'), esc(a.rule?.description ?? '')],
  ].filter(([, v]) => v);
  return `<h3>${esc(a.department?.name ?? a.grid?.name)}</h3><table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${v}</td></tr>`).join('')}</table>` +
    (a.onBoundary ? `<div class="boundary">${esc(t('onBoundary'))}</div>` : '');
}

async function askOwnership(params) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v != null));
  const r = await getJson('/api/v1/ownership?' + q);
  $('out').textContent = r.status + '\n' + JSON.stringify(r.body, null, 2);
  $('answer').innerHTML = `<div class="card">${ownershipHtml(r)}</div>`;
  return r;
}

function featureHtml(f) {
  const p = f.properties ?? {};
  if (COMPONENT_LAYERS.includes(f.layer.id)) {
    const m = MAJORS.find(x => x.code === p.major);
    return `<h3>${esc(t('component'))} ${esc(p.name ?? '')}</h3><table><tr><td>${esc(t('code'))}</td><td>${esc(p.code)}</td></tr>` +
      `<tr><td>${esc(t('componentClass'))}</td><td>${esc(p.class)} ${esc(m ? m[lang] : '')}</td></tr>` +
      (p.status ? `<tr><td>${esc(t('status'))}</td><td>${esc(p.status)}</td></tr>` : '') + '</table><hr>';
  }
  return `<h3>${esc(t('finding'))} ${esc(p.kind)}</h3><table><tr><td>${esc(t('status'))}</td><td>${esc(p.status)}</td></tr>` +
    `<tr><td>conf.</td><td>${esc(p.confidence)}</td></tr></table><hr>`;
}

map.on('click', async e => {
  const { lng, lat } = e.lngLat;
  const hits = map.queryRenderedFeatures(e.point, { layers: [...COMPONENT_LAYERS, 'findings-fill'].filter(id => map.getLayer(id)) });
  const findingHit = hits.find(h => h.layer.id === 'findings-fill');
  if (findingHit) { await showFinding(findingHit.properties, e.lngLat); return; }
  const form = $('q');
  form.x.value = lng.toFixed(7); form.y.value = lat.toFixed(7); form.crs.value = 'EPSG:4326';
  const cls = hits[0]?.properties?.class ? 'C' + hits[0].properties.class : form.class.value.trim();
  popup.setMaxWidth('340px').setLngLat(e.lngLat).setHTML(`<div class="popup">${esc(t('querying'))}</div>`).addTo(map);
  const r = await askOwnership({ x: lng.toFixed(7), y: lat.toFixed(7), crs: 'EPSG:4326', class: cls });
  map.setFilter('grids-selected', ['==', ['get', 'code'], r.ok ? r.body.grid.code : '']);
  popup.setHTML(`<div class="popup">${hits.slice(0, 1).map(featureHtml).join('')}${ownershipHtml(r)}</div>`);
});

$('q').addEventListener('submit', async e => {
  e.preventDefault();
  const f = new FormData(e.target);
  const params = Object.fromEntries(f.entries());
  const r = await askOwnership(params);
  if (r.ok) {
    map.setFilter('grids-selected', ['==', ['get', 'code'], r.body.grid.code]);
    map.flyTo({ center: [r.body.lon, r.body.lat], zoom: Math.max(map.getZoom(), 15) });
    popup.setLngLat([r.body.lon, r.body.lat]).setHTML(`<div class="popup">${ownershipHtml(r)}</div>`).addTo(map);
  }
});

// ---- search: a component code (16 digits) or a grid code (14/15 digits) -------------------------------------------
function toast(text) {
  const el = $('toast'); el.textContent = text; el.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { el.hidden = true; }, 3500);
}

function bboxOf(geometry) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const walk = c => { if (typeof c[0] === 'number') { w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]); } else c.forEach(walk); };
  walk(geometry.coordinates);
  return [w, s, e, n];
}

function positionOf(body) {
  const g = body?.geometry ?? body?.features?.[0]?.geometry ?? body?.location;
  if (g?.type && g.coordinates) { const b = bboxOf(g); return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]; }
  for (const [x, y] of [['lon', 'lat'], ['longitude', 'latitude'], ['x', 'y']])
    if (typeof body?.[x] === 'number' && typeof body?.[y] === 'number') return [body[x], body[y]];
  return null;
}

$('search').addEventListener('submit', async e => {
  e.preventDefault();
  const code = $('search-input').value.trim();
  if (!/^\d{14,16}$/.test(code)) { toast(t('notFound') + code); return; }
  if (code.length < 16) {
    const r = await getJson(`/api/v1/grids/${code}`);
    const feature = r.body?.features?.[0] ?? r.body;
    if (!r.ok || !feature?.geometry) { toast(t('notFound') + code); return; }
    const b = bboxOf(feature.geometry);
    map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 60, maxZoom: 17 });
    map.setFilter('grids-selected', ['==', ['get', 'code'], code]);
    return;
  }
  let pos = null, r = null;
  try { r = await getJson(`/api/v1/components/${code}`); if (r.ok) pos = positionOf(r.body); } catch { /* census not available */ }
  if (!pos) {
    const f = map.querySourceFeatures('components', { sourceLayer: 'components', filter: ['==', ['get', 'code'], code] })[0];
    if (f) pos = f.geometry.coordinates;
  }
  if (!pos) { toast(t('notFound') + code); return; }
  map.flyTo({ center: pos, zoom: 18 });
  const p = r?.ok ? (r.body.properties ?? r.body) : { code };
  popup.setLngLat(pos).setHTML(`<div class="popup"><h3>${esc(t('component'))} ${esc(p.name ?? '')}</h3>${esc(t('code'))}: ${esc(code)}` +
    `${p.classCode || p.class ? '<br>' + esc(t('componentClass')) + ': ' + esc(p.classCode ?? p.class) : ''}</div>`).addTo(map);
});

// ---- before/after swipe: a second map clipped over the first, cameras synced ------------------------------------
let after = null, swipeX = 0.5;
function updateSwipeUi() {
  const can = orthos.length >= 2;
  $('swipe-toggle').disabled = !can;
  $('swipe-toggle').textContent = t(after ? 'swipeOff' : 'swipeOn');
  $('swipe-hint').textContent = t(can ? 'swipeReady' : 'swipeNeedsTwo');
  $('swipe-label-before').textContent = t('before') + ' · ' + (orthos.find(s => s.id === $('swipe-before').value)?.flightDate ?? '');
  $('swipe-label-after').textContent = t('after') + ' · ' + (orthos.find(s => s.id === $('swipe-after').value)?.flightDate ?? '');
}
function placeSwipe() {
  const w = $('map').clientWidth, x = Math.round(w * swipeX);
  $('map-after').style.clipPath = `inset(0 0 0 ${x}px)`;
  $('swipe-handle').style.left = x + 'px';
}
function syncAfter() { if (after) after.jumpTo({ center: map.getCenter(), zoom: map.getZoom(), bearing: map.getBearing(), pitch: map.getPitch() }); }
function startSwipe() {
  const before = orthos.find(s => s.id === $('swipe-before').value), later = orthos.find(s => s.id === $('swipe-after').value);
  if (!before || !later) return;
  $('survey-select').value = before.id; $('survey-select').dispatchEvent(new Event('change'));
  $('map-after').hidden = false; $('swipe-handle').hidden = false; $('swipe-labels').hidden = false;
  after = new maplibregl.Map({
    container: 'map-after', interactive: false, attributionControl: false,
    center: map.getCenter(), zoom: map.getZoom(),
    style: { version: 8, sources: { survey: surveySource(later), grids: style.sources.grids },
      layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } },
        { id: 'survey', type: 'raster', source: 'survey' },
        { id: 'grids-line', type: 'line', source: 'grids', 'source-layer': 'grids', paint: { 'line-color': '#0b5cad', 'line-width': 1.4 } }] },
  });
  map.on('move', syncAfter);
  placeSwipe(); updateSwipeUi();
}
function stopSwipe() {
  map.off('move', syncAfter);
  after?.remove(); after = null;
  $('map-after').hidden = true; $('swipe-handle').hidden = true; $('swipe-labels').hidden = true;
  updateSwipeUi();
}
$('swipe-toggle').addEventListener('click', () => (after ? stopSwipe() : startSwipe()));
$('swipe-before').addEventListener('change', () => { if (after) { stopSwipe(); startSwipe(); } updateSwipeUi(); });
$('swipe-after').addEventListener('change', () => { if (after) { stopSwipe(); startSwipe(); } updateSwipeUi(); });
$('swipe-handle').addEventListener('pointerdown', e => {
  const handle = e.currentTarget; handle.setPointerCapture(e.pointerId);
  const move = ev => { const r = $('map').getBoundingClientRect(); swipeX = Math.min(1, Math.max(0, (ev.clientX - r.left) / r.width)); placeSwipe(); };
  const up = () => { handle.removeEventListener('pointermove', move); handle.removeEventListener('pointerup', up); };
  handle.addEventListener('pointermove', move); handle.addEventListener('pointerup', up);
});
window.addEventListener('resize', () => { if (after) placeSwipe(); });

// ---- findings: facts, before/after chips, swipe, review (with a reviewer key) -------------------------------------
const KEY_STORE = 'geo.reviewKey';
$('review-key').value = sessionStorage.getItem(KEY_STORE) ?? '';
$('review-key').addEventListener('change', e => {
  const v = e.target.value.trim();
  if (v) sessionStorage.setItem(KEY_STORE, v); else sessionStorage.removeItem(KEY_STORE);
});
const reviewKey = () => sessionStorage.getItem(KEY_STORE) ?? '';
const fmt = (v, digits = 1) => (typeof v === 'number' ? v.toFixed(digits) : '—');

function findingHtml(f, dept, before, afterId) {
  const id = encodeURIComponent(f.id);
  const rows = [
    [t('status'), `<span class="rv-${esc(f.review)}">${esc(t(f.review))}</span>`],
    [t('kind'), esc(t(f.kind))],
    [t('area'), `${fmt(f.areaM2)} m²`],
    [t('heights'), `${fmt(f.meanDhM, 2)} / ${fmt(f.maxDhM, 2)} m`],
    [t('confidence'), fmt(f.confidence, 2)],
    [t('grid'), esc(f.grid ?? '—')],
    [t('department'), dept ? `${esc(dept.name)}<br><small>${esc(f.department)}${dept.phone ? ' · ' + esc(dept.phone) : ''}</small>` : esc(f.department ?? '—')],
    [t('permit'), f.permitted ? `${esc(t('permitted'))} ${esc(f.permit)}` : esc(t('notPermitted'))],
    [t('run'), `<small>${esc(f.runId)}</small>`],
  ];
  if (f.reviewer) rows.push([t('reviewer'), `${esc(f.reviewer)}<br><small>${esc(f.reviewedAt ?? '')}</small>`]);
  if (f.reviewComment) rows.push([t('comment'), esc(f.reviewComment)]);
  let review;
  if (f.review === 'confirmed') review = `<div class="hint">${esc(t('confirmedFinal'))}</div>`;
  else if (!reviewKey()) review = `<div class="hint">${esc(t('needKey'))}</div>`;
  else review = `<textarea class="rv-comment" rows="2" maxlength="2000" placeholder="${esc(t('comment'))}"></textarea>` +
    `<div class="rv-buttons"><button type="button" class="rv-confirm" data-decision="confirm">${esc(t('confirm'))}</button>` +
    (f.review === 'dismissed' ? '' : `<button type="button" class="rv-dismiss" data-decision="dismiss">${esc(t('dismiss'))}</button>`) + '</div>';
  return `<div class="popup finding-card" data-id="${esc(f.id)}"><h3>${esc(t('finding'))} · ${esc(t(f.kind))}</h3>` +
    `<table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${v}</td></tr>`).join('')}</table>` +
    `<div class="chips"><figure><img alt="before" src="/api/v1/findings/${id}/chips/before.png"><figcaption>${esc(t('beforeImg'))}</figcaption></figure>` +
    `<figure><img alt="after" src="/api/v1/findings/${id}/chips/after.png"><figcaption>${esc(t('afterImg'))}</figcaption></figure></div>` +
    (before && afterId ? `<button type="button" class="swipe-to">${esc(t('compareSwipe'))}</button>` : '') +
    `<div class="rv">${review}</div><div class="rv-msg" aria-live="polite"></div></div>`;
}

async function showFinding(props, lngLat) {
  popup.setMaxWidth('400px').setLngLat(lngLat).setHTML(`<div class="popup">${esc(t('querying'))}</div>`).addTo(map);
  const r = await getJson(`/api/v1/findings/${encodeURIComponent(props.id)}`);
  if (!r.ok) { popup.setHTML(`<div class="popup"><h3 class="err">${esc(r.body?.title ?? r.status)}</h3>${esc(r.body?.detail ?? '')}</div>`); return; }
  const f = r.body.finding;
  popup.setHTML(findingHtml(f, r.body.department, props.before, props.after));
  const el = popup.getElement();
  el.querySelector('.swipe-to')?.addEventListener('click', () => {
    if (!orthos.some(s => s.id === props.before) || !orthos.some(s => s.id === props.after)) return;
    $('swipe-before').value = props.before; $('swipe-after').value = props.after;
    if (after) stopSwipe();
    startSwipe();
  });
  el.querySelectorAll('.rv-buttons button').forEach(b => b.addEventListener('click', async () => {
    const comment = el.querySelector('.rv-comment')?.value ?? '';
    const res = await fetch(`/api/v1/findings/${encodeURIComponent(f.id)}/review`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Api-Key': reviewKey() },
      body: JSON.stringify({ decision: b.dataset.decision, comment }),
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) { el.querySelector('.rv-msg').textContent = `${res.status} ${body?.detail ?? body?.title ?? ''}`; return; }
    toast(t('reviewed'));
    refreshFindings();
    await showFinding(props, lngLat);
  }));
}

// New review states show at once: the tiles carry ETags, so reloading the source revalidates them.
function refreshFindings() {
  const src = map.getSource('findings');
  if (src?.setUrl) src.setUrl(`${ORIGIN}/api/v1/tiles/findings.json?v=${Date.now()}`);
}
window.geoRefreshFindings = refreshFindings;

applyLang();
