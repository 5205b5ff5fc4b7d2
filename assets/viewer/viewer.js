/* downhill map viewer. Reads the JSON in #downhill-data (and the basin
 * outlines in #downhill-basins) and draws them with Leaflet. Makes no
 * network request of its own; the OpenStreetMap basemap is requested only
 * when the reader switches it on. */
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('downhill-data').textContent);
  var SVG_NS = 'http://www.w3.org/2000/svg';

  // ---- small helpers ------------------------------------------------------

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function fmt(v, digits) {
    return Number(v).toLocaleString('en-GB', {
      minimumFractionDigits: digits, maximumFractionDigits: digits
    });
  }
  // Four significant digits, trailing zeros dropped (0.01, 2.45, 0.995).
  function sig(v) { return String(Number(Number(v).toPrecision(4))); }
  function km(m) { return m >= 1000 ? fmt(m / 1000, 2) + ' km' : fmt(m, 0) + ' m'; }
  function latLonText(lat, lon) {
    return fmt(Math.abs(lat), 5) + '° ' + (lat >= 0 ? 'N' : 'S') + ', ' +
      fmt(Math.abs(lon), 5) + '° ' + (lon >= 0 ? 'E' : 'W');
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG_NS, tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function note(text, cls) {
    var p = el('p', cls ? { 'class': cls } : null, text);
    document.getElementById('notes').appendChild(p);
  }

  // ---- the map -------------------------------------------------------------

  var map = L.map('map', { zoomSnap: 0.25, zoomDelta: 0.5, attributionControl: true });
  map.createPane('relief').style.zIndex = 250;
  map.createPane('basins').style.zIndex = 300;
  map.createPane('hover').style.zIndex = 620;
  var canvas = L.canvas({ padding: 0.3, pane: 'basins' });
  var fit = null;
  function extendFit(b) {
    if (!b || !b.isValid()) return;
    fit = fit ? fit.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
  }
  function boundsOf(b) { return L.latLngBounds([b.south, b.west], [b.north, b.east]); }

  map.attributionControl.addAttribution(esc(data.attribution || ''));
  map.attributionControl.addAttribution('drawn by ' + esc(data.generator || 'downhill'));
  L.control.scale({ metric: true, imperial: false, maxWidth: 160 }).addTo(map);

  var overlays = [];  // {label, layer, on} for the layer switches

  var relief = null;
  if (data.relief) {
    relief = L.imageOverlay(data.relief.uri, boundsOf(data.relief.bounds), {
      pane: 'relief', interactive: false, className: 'downhill-relief'
    }).addTo(map);
    relief.once('load', function () { window.downhillReliefMs = performance.now(); });
    extendFit(boundsOf(data.relief.bounds));
    overlays.push({ label: 'Shaded relief', layer: relief, on: true });
  }

  // ---- heights under the cursor -------------------------------------------

  var heights = null;
  if (data.heights) {
    var raw = atob(data.heights.data);
    var view = new DataView(new ArrayBuffer(raw.length));
    for (var i = 0; i < raw.length; i++) view.setUint8(i, raw.charCodeAt(i));
    var values = new Int16Array(raw.length / 2);
    for (var k = 0; k < values.length; k++) values[k] = view.getInt16(2 * k, true);
    heights = { grid: data.heights, values: values };
  }
  function heightAt(lat, lon) {
    if (!heights) return null;
    var g = heights.grid;
    var fx = (lon - g.west) / g.step_lon, fy = (g.north - lat) / g.step_lat;
    if (!(fx >= 0 && fy >= 0 && fx <= g.cols - 1 && fy <= g.rows - 1)) return null;
    var x0 = Math.min(Math.floor(fx), g.cols - 2), y0 = Math.min(Math.floor(fy), g.rows - 2);
    x0 = Math.max(x0, 0); y0 = Math.max(y0, 0);
    var tx = fx - x0, ty = fy - y0, v = heights.values;
    var at = function (r, c) { return v[r * g.cols + c]; };
    var a = at(y0, x0), b = at(y0, Math.min(x0 + 1, g.cols - 1));
    var c = at(Math.min(y0 + 1, g.rows - 1), x0), d = at(Math.min(y0 + 1, g.rows - 1), Math.min(x0 + 1, g.cols - 1));
    if (a === -32768 || b === -32768 || c === -32768 || d === -32768) return null;
    return (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty;
  }

  var Readout = L.Control.extend({
    options: { position: 'bottomleft' },
    onAdd: function () {
      var div = L.DomUtil.create('div', 'downhill-panel downhill-readout');
      div.id = 'downhill-cursor';
      div.textContent = 'Move the pointer over the map';
      return div;
    }
  });
  var readout = new Readout().addTo(map);
  map.on('mousemove', function (e) {
    var h = heightAt(e.latlng.lat, e.latlng.lng);
    readout.getContainer().textContent = latLonText(e.latlng.lat, e.latlng.lng) +
      (h === null ? ' · no height here' : ' · ' + fmt(h, 0) + ' m');
  });

  // ---- basins ----------------------------------------------------------------

  var sinksById = {};
  if (data.basins) {
    var b = data.basins;
    b.sinks.forEach(function (s) { sinksById[s.id] = s; });
    var outletText = function (s) {
      if (!s) return '';
      return 'outlet ' + (s.elevation_m === null ? 'in a void' : fmt(s.elevation_m, 0) + ' m') +
        ' (' + esc(s.ending) + ') at ' + latLonText(s.lat, s.lon);
    };
    if (b.kind === 'outlines') {
      var geo = JSON.parse(document.getElementById('downhill-basins').textContent);
      var basinLayer = L.geoJSON(geo, {
        renderer: canvas,
        style: function (f) {
          var id = f.properties.id;
          return { color: '#2b2b2b', weight: 0.7, opacity: 0.8,
                   fillColor: b.colours[id - 1] || '#999', fillOpacity: 0.38 };
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindTooltip(function () {
            return '<b class="basin-id" data-id="' + p.id + '">Basin ' + p.id + '</b><br>' + fmt(p.area_km2, 2) + ' km² · ' +
              p.starts.toLocaleString('en-GB') + ' starts<br>' + outletText(sinksById[p.id]);
          }, { sticky: true, className: 'downhill-basin-tip' });
          layer.on('mouseover', function () { layer.setStyle({ weight: 2.5, fillOpacity: 0.6 }); });
          layer.on('mouseout', function () { basinLayer.resetStyle(layer); });
        }
      }).addTo(map);
      extendFit(basinLayer.getBounds());
      overlays.push({ label: 'Basins (' + geo.features.length.toLocaleString('en-GB') + ')', layer: basinLayer, on: true });
    } else {
      var pic = L.imageOverlay(b.uri, boundsOf(b.bounds), {
        pane: 'basins', opacity: 0.85, interactive: false, className: 'downhill-basins-picture'
      }).addTo(map);
      extendFit(boundsOf(b.bounds));
      overlays.push({ label: 'Basins (picture)', layer: pic, on: true });
      note(b.reason, 'warning');
    }
    // Markers are made when the layer is first shown: a raw SRTM1 tile has
    // tens of thousands of sinks, and a few hundred dots already hide the basins.
    var sinkLayer = L.layerGroup();
    var sinksMade = false;
    sinkLayer.on('add', function () {
      if (sinksMade) return;
      sinksMade = true;
      b.sinks.forEach(function (s) {
        L.circleMarker([s.lat, s.lon], {
          renderer: canvas, radius: 3, color: '#fff', weight: 1, fillColor: '#111', fillOpacity: 1
        }).bindTooltip(function () {
          return 'Sink of basin ' + s.id + '<br>' + fmt(s.area_km2, 2) + ' km² · ' + outletText(s);
        }).addTo(sinkLayer);
      });
    });
    var SINKS_SHOWN_UP_TO = 300;
    var sinksOn = b.sinks.length <= SINKS_SHOWN_UP_TO;
    if (sinksOn) {
      sinkLayer.addTo(map);
    } else {
      note(b.sinks.length.toLocaleString('en-GB') + ' sinks: too many to show at once; switch them on under Layers.');
    }
    overlays.push({ label: 'Sinks (' + b.sinks.length.toLocaleString('en-GB') + ')', layer: sinkLayer, on: sinksOn });
  }

  // ---- summits ---------------------------------------------------------------

  if (data.summits.length) {
    var summitLayer = L.layerGroup(data.summits.map(function (s) {
      var icon = L.divIcon({ className: 'downhill-summit', html: '▲', iconSize: [14, 14], iconAnchor: [7, 9] });
      var html = '<div class="downhill-popup"><div class="head">' + esc(s.name) + '</div><table>' +
        '<tr><th>elevation</th><td>' + fmt(s.elevation_m, 0) + ' m</td></tr>' +
        (s.prominence_m === null ? '' : '<tr><th>prominence</th><td>' + fmt(s.prominence_m, 0) + ' m</td></tr>') +
        '<tr><th>position</th><td>' + latLonText(s.lat, s.lon) + '</td></tr></table></div>';
      // A few dozen names fit on the map; more would cover it.
      var labelled = data.summits.length <= 60;
      return L.marker([s.lat, s.lon], { icon: icon, title: s.name, keyboard: false })
        .bindPopup(html).bindTooltip(esc(s.name) + ', ' + fmt(s.elevation_m, 0) + ' m', {
          direction: labelled ? 'right' : 'top', offset: labelled ? [6, 0] : [0, -6],
          permanent: labelled, className: labelled ? 'downhill-summit-label' : ''
        });
    })).addTo(map);
    if (!fit) extendFit(L.latLngBounds(data.summits.map(function (s) { return [s.lat, s.lon]; })));
    overlays.push({ label: 'Summits (' + data.summits.length + ')', layer: summitLayer, on: true });
  }

  // ---- tracks ----------------------------------------------------------------

  var hoverMarker = L.circleMarker([0, 0], {
    pane: 'hover', radius: 7, weight: 3, color: '#fff', fillOpacity: 1, interactive: false,
    className: 'downhill-hover-marker'
  });
  var tracks = data.tracks.map(function (t, ti) {
    var latlngs = t.lat.map(function (lat, i) { return [lat, t.lon[i]]; });
    var popup = trackPopup(t);
    // Later tracks are drawn thinner on top of earlier ones, so tracks
    // that run together show as nested stripes instead of hiding each other.
    var weight = 3 + 2 * (data.tracks.length - 1 - ti);
    var halo = L.polyline(latlngs, { color: '#fff', weight: weight + 3, opacity: 0.75, interactive: false, className: 'downhill-halo' });
    var line = L.polyline(latlngs, {
      color: t.colour, weight: weight, opacity: 1, lineJoin: 'round',
      className: 'downhill-track downhill-track-' + t.agent
    }).bindPopup(popup, { maxWidth: 360 });
    var start = L.circleMarker(latlngs[0], {
      radius: 6, color: t.colour, weight: 3, fillColor: '#fff', fillOpacity: 1, className: 'downhill-start'
    }).bindTooltip('Start: ' + fmt(t.start_elevation_m, 0) + ' m').bindPopup(popup);
    var end = L.circleMarker(latlngs[latlngs.length - 1], {
      radius: 6.5, color: '#fff', weight: 2, fillColor: t.colour, fillOpacity: 1, className: 'downhill-end'
    }).bindTooltip(esc(t.title) + ' ends at ' + fmt(t.end_elevation_m, 1) + ' m').bindPopup(popup);
    var group = L.featureGroup([halo, line, start, end]).addTo(map);
    line.on('mousemove', function (e) { showHover(ti, nearestIndex(ti, e.latlng)); });
    line.on('mouseout', hideHover);
    extendFit(line.getBounds());
    return { t: t, group: group, halo: halo, line: line, ends: [start, end], visible: true };
  });
  // Every halo under every line, starts and ends above them all, in the
  // tracks' order (again after a track is switched back on).
  function restack() {
    var shown = tracks.filter(function (tr) { return tr.visible; });
    shown.forEach(function (tr) { tr.halo.bringToFront(); });
    shown.forEach(function (tr) { tr.line.bringToFront(); });
    shown.forEach(function (tr) { tr.ends.forEach(function (m) { m.bringToFront(); }); });
  }
  restack();

  function trackPopup(t) {
    var params = 'α ' + sig(t.alpha) + ' m per unit slope';
    if (t.beta > 0) params += ', β ' + sig(t.beta);
    if (t.dt_s !== null) params += ', Δt ' + sig(t.dt_s) + ' s';
    if (t.friction_per_s !== null) params += ', friction ' + sig(t.friction_per_s) + ' /s';
    var rows = [
      ['agent', esc(t.agent)],
      ['parameters', params],
      ['steps', t.steps.toLocaleString('en-GB')],
      ['stop reason', esc(t.stop_reason)],
      ['length', km(t.length_m)],
      ['descent', fmt(t.descent_m, 1) + ' m'],
      ['start elevation', fmt(t.start_elevation_m, 1) + ' m'],
      ['end elevation', '<span class="end-elevation">' + fmt(t.end_elevation_m, 1) + ' m</span>'],
      ['end position', latLonText(t.lat[t.lat.length - 1], t.lon[t.lon.length - 1])]
    ];
    return '<div class="downhill-popup" data-agent="' + esc(t.agent) + '"><div class="head">' +
      '<span class="swatch" style="display:inline-block;width:18px;height:4px;background:' + esc(t.colour) + '"></span>' +
      esc(t.title) + '</div><table>' +
      rows.map(function (r) { return '<tr><th>' + r[0] + '</th><td>' + r[1] + '</td></tr>'; }).join('') +
      '</table></div>';
  }

  function nearestIndex(ti, latlng) {
    var t = tracks[ti].t, p = map.latLngToLayerPoint(latlng), best = 0, bestD = Infinity;
    for (var i = 0; i < t.lat.length; i++) {
      var q = map.latLngToLayerPoint([t.lat[i], t.lon[i]]);
      var d = (q.x - p.x) * (q.x - p.x) + (q.y - p.y) * (q.y - p.y);
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  }

  // ---- legend and layer switches --------------------------------------------

  var osm = null;
  var Legend = L.Control.extend({
    options: { position: 'topright' },
    onAdd: function () {
      var div = L.DomUtil.create('div', 'downhill-panel downhill-legend');
      div.id = 'downhill-legend';
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      if (tracks.length) {
        div.appendChild(el('h3', null, 'Tracks'));
        tracks.forEach(function (tr, ti) {
          var label = el('label', { 'data-agent': tr.t.agent });
          var box = el('input', { type: 'checkbox', 'class': 'downhill-toggle-track', 'data-agent': tr.t.agent });
          box.checked = true;
          box.addEventListener('change', function () { setTrackVisible(ti, box.checked); });
          var sw = el('span', { 'class': 'swatch' });
          sw.style.background = tr.t.colour;
          label.appendChild(box);
          label.appendChild(sw);
          label.appendChild(el('span', null, tr.t.title));
          label.appendChild(el('span', { 'class': 'muted' }, fmt(tr.t.end_elevation_m, 0) + ' m'));
          div.appendChild(label);
        });
        div.appendChild(el('div', { 'class': 'muted' }, '○ start   ● end · click a track for its numbers'));
        div.appendChild(el('hr'));
      }
      div.appendChild(el('h3', null, 'Layers'));
      overlays.forEach(function (o) {
        var label = el('label');
        var box = el('input', { type: 'checkbox' });
        box.checked = o.on;
        box.addEventListener('change', function () {
          if (box.checked) map.addLayer(o.layer); else map.removeLayer(o.layer);
        });
        label.appendChild(box);
        label.appendChild(el('span', null, o.label));
        div.appendChild(label);
      });
      var label = el('label', { title: 'Needs the internet; off by default. Tiles come from tile.openstreetmap.org.' });
      var box = el('input', { type: 'checkbox', id: 'downhill-osm' });
      box.addEventListener('change', function () { setBasemap(box.checked); });
      label.appendChild(box);
      label.appendChild(el('span', null, 'OpenStreetMap basemap (online)'));
      div.appendChild(label);
      return div;
    }
  });
  new Legend().addTo(map);

  function setBasemap(on) {
    if (on) {
      if (!osm) {
        osm = L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', {
          maxZoom: 19,
          attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
        });
      }
      osm.addTo(map);
      if (relief) relief.setOpacity(0.55);
    } else if (osm) {
      map.removeLayer(osm);
      if (relief) relief.setOpacity(1);
    }
  }

  function setTrackVisible(ti, on) {
    var tr = tracks[ti];
    tr.visible = on;
    if (on) { tr.group.addTo(map); restack(); } else map.removeLayer(tr.group);
    var path = document.querySelector('#profile .downhill-profile-line[data-agent="' + tr.t.agent + '"]');
    if (path) path.style.display = on ? '' : 'none';
    hideHover();
  }

  // ---- elevation profile --------------------------------------------------------

  var profile = { svg: null, x: null, y: null, width: 0, left: 56, right: 16, top: 22, bottom: 30, height: 200 };

  function niceStep(span, target) {
    var raw = span / target, p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  }

  function drawProfile() {
    var host = document.getElementById('profile');
    host.innerHTML = '';
    var width = Math.max(host.clientWidth, 300), height = profile.height;
    var s = svg('svg', { id: 'downhill-profile', viewBox: '0 0 ' + width + ' ' + height,
                         role: 'img', 'aria-label': 'elevation against distance' });
    host.appendChild(s);
    profile.svg = s; profile.width = width;
    if (!tracks.length) {
      document.getElementById('profile-panel').style.display = 'none';
      return;
    }
    var maxD = 0, minE = Infinity, maxE = -Infinity;
    tracks.forEach(function (tr) {
      var t = tr.t;
      maxD = Math.max(maxD, t.distance_m[t.distance_m.length - 1]);
      t.elevation_m.forEach(function (e) { minE = Math.min(minE, e); maxE = Math.max(maxE, e); });
    });
    if (maxD <= 0) maxD = 1;
    if (maxE - minE < 1) { maxE += 0.5; minE -= 0.5; }
    var eStep = niceStep(maxE - minE, 4);
    minE = Math.floor(minE / eStep) * eStep; maxE = Math.ceil(maxE / eStep) * eStep;
    var L0 = profile.left, R0 = width - profile.right, T0 = profile.top, B0 = height - profile.bottom;
    var x = function (d) { return L0 + (R0 - L0) * d / maxD; };
    var y = function (e) { return B0 - (B0 - T0) * (e - minE) / (maxE - minE); };
    profile.x = x; profile.y = y; profile.maxD = maxD;
    profile.xInv = function (px) { return (px - L0) / (R0 - L0) * maxD; };
    var grid = svg('g', { 'class': 'grid' }), axis = svg('g', { 'class': 'axis' });
    for (var e = minE; e <= maxE + 1e-9; e += eStep) {
      grid.appendChild(svg('line', { x1: L0, x2: R0, y1: y(e), y2: y(e) }));
      axis.appendChild(svg('text', { x: L0 - 6, y: y(e) + 4, 'text-anchor': 'end' }, fmt(e, 0)));
    }
    var dStep = niceStep(maxD, Math.max(2, Math.floor((R0 - L0) / 90)));
    for (var d = 0; d <= maxD + 1e-9; d += dStep) {
      grid.appendChild(svg('line', { x1: x(d), x2: x(d), y1: T0, y2: B0 }));
      axis.appendChild(svg('text', { x: x(d), y: B0 + 15, 'text-anchor': 'middle' },
        maxD >= 2000 ? fmt(d / 1000, dStep >= 1000 ? 0 : 1) : fmt(d, 0)));
    }
    axis.appendChild(svg('line', { x1: L0, x2: L0, y1: T0, y2: B0 }));
    axis.appendChild(svg('line', { x1: L0, x2: R0, y1: B0, y2: B0 }));
    axis.appendChild(svg('text', { x: R0, y: B0 + 27, 'text-anchor': 'end' },
      maxD >= 2000 ? 'distance along the track, km' : 'distance along the track, m'));
    axis.appendChild(svg('text', { x: 4, y: 12, 'class': 'title' }, 'Elevation profile (m)'));
    s.appendChild(grid);
    s.appendChild(axis);
    tracks.forEach(function (tr) {
      var t = tr.t, dpath = '';
      for (var i = 0; i < t.distance_m.length; i++) {
        dpath += (i ? 'L' : 'M') + x(t.distance_m[i]).toFixed(1) + ',' + y(t.elevation_m[i]).toFixed(1);
      }
      var p = svg('path', { d: dpath, stroke: t.colour, 'class': 'downhill-profile-line', 'data-agent': t.agent,
                            'stroke-width': 1.5 + (tracks.length - 1 - tracks.indexOf(tr)) });
      p.appendChild(svg('title', null, t.title));
      if (!tr.visible) p.style.display = 'none';
      s.appendChild(p);
    });
    profile.cursor = svg('line', { 'class': 'cursor-line', x1: 0, x2: 0, y1: T0, y2: B0, visibility: 'hidden' });
    profile.dot = svg('circle', { r: 5, stroke: '#fff', 'stroke-width': 2, visibility: 'hidden', 'class': 'profile-dot' });
    profile.text = svg('text', { 'class': 'readout', x: L0 + 8, y: T0 + 12, visibility: 'hidden' });
    s.appendChild(profile.cursor); s.appendChild(profile.dot); s.appendChild(profile.text);
    s.addEventListener('mousemove', function (ev) {
      var r = s.getBoundingClientRect();
      var px = (ev.clientX - r.left) * width / r.width, py = (ev.clientY - r.top) * height / r.height;
      var dist = profile.xInv(px);
      if (dist < 0 || dist > maxD) { hideHover(); return; }
      // The visible track whose line passes closest to the pointer at this distance.
      var best = -1, bestGap = Infinity, bestI = 0;
      tracks.forEach(function (tr, ti) {
        if (!tr.visible) return;
        var t = tr.t, n = t.distance_m.length;
        if (dist > t.distance_m[n - 1]) return;
        var lo = 0, hi = n - 1;
        while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (t.distance_m[mid] <= dist) lo = mid; else hi = mid; }
        var i = (dist - t.distance_m[lo] <= t.distance_m[hi] - dist) ? lo : hi;
        var gap = Math.abs(y(t.elevation_m[i]) - py);
        if (gap < bestGap) { bestGap = gap; best = ti; bestI = i; }
      });
      if (best < 0) { hideHover(); return; }
      showHover(best, bestI);
    });
    s.addEventListener('mouseleave', hideHover);
  }

  function showHover(ti, i) {
    var t = tracks[ti].t;
    hoverMarker.setLatLng([t.lat[i], t.lon[i]]);
    hoverMarker.setStyle({ fillColor: t.colour });
    if (!map.hasLayer(hoverMarker)) hoverMarker.addTo(map);
    if (!profile.x) return;
    var px = profile.x(t.distance_m[i]), py = profile.y(t.elevation_m[i]);
    profile.cursor.setAttribute('x1', px); profile.cursor.setAttribute('x2', px);
    profile.cursor.setAttribute('visibility', 'visible');
    profile.dot.setAttribute('cx', px); profile.dot.setAttribute('cy', py);
    profile.dot.setAttribute('fill', t.colour);
    profile.dot.setAttribute('visibility', 'visible');
    profile.text.textContent = t.title + ': ' + km(t.distance_m[i]) + ' along, ' + fmt(t.elevation_m[i], 1) + ' m';
    profile.text.setAttribute('visibility', 'visible');
  }

  function hideHover() {
    if (map.hasLayer(hoverMarker)) map.removeLayer(hoverMarker);
    if (profile.cursor) {
      profile.cursor.setAttribute('visibility', 'hidden');
      profile.dot.setAttribute('visibility', 'hidden');
      profile.text.setAttribute('visibility', 'hidden');
    }
  }

  // ---- start -------------------------------------------------------------------

  (data.notes || []).forEach(function (n) { note(n); });
  drawProfile();
  var redraw = null;
  window.addEventListener('resize', function () {
    clearTimeout(redraw);
    redraw = setTimeout(function () { drawProfile(); map.invalidateSize(); }, 150);
  });
  var trackFit = null;
  tracks.forEach(function (tr) {
    var b = tr.line.getBounds();
    trackFit = trackFit ? trackFit.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
  });
  var initialView = trackFit || fit;
  // The map's size is measured now that the profile below it is drawn;
  // the legend's width is kept clear on the right.
  function showAll() {
    map.invalidateSize();
    var legendWidth = document.getElementById('downhill-legend').offsetWidth;
    if (initialView) {
      map.fitBounds(initialView, {
        paddingTopLeft: [60, 40], paddingBottomRight: [legendWidth + 40, 100], maxZoom: 15
      });
    } else {
      map.setView([0, 0], 2);
    }
  }
  showAll();
  window.downhillViewer = { map: map, tracks: tracks, heightAt: heightAt, showAll: showAll };
  window.downhillReadyMs = performance.now();
  document.documentElement.setAttribute('data-ready', '1');
}());
