/* yangpu_gis map runtime: decodes the compact layers written by yangpu_gis.maps.encode
 * and draws them with Leaflet's canvas renderer. Part of yangpu_gis (MIT licence). */
(function (global) {
  "use strict";
  var state = global.__yangpu = global.__yangpu || { layers: {}, map: null };
  if (global.L) { L.Control.Scale.mergeOptions({ imperial: false, maxWidth: 150 }); }

  function decodePath(flat, o, s) {
    var out = new Array(flat.length / 2), x = 0, y = 0;
    for (var i = 0; i < flat.length; i += 2) {
      if (i === 0) { x = flat[0]; y = flat[1]; } else { x += flat[i]; y += flat[i + 1]; }
      out[i / 2] = [(y + o[1]) / s, (x + o[0]) / s];
    }
    return out;
  }

  /* Packed paths (yangpu_gis.maps.encode.pack_ints): zigzag varints, 5 bits a character. */
  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var CODE = new Int8Array(128).fill(-1);
  for (var q = 0; q < 64; q++) { CODE[ALPHABET.charCodeAt(q)] = q; }
  function unpack(str) {
    var out = [], v = 0, f = 1;
    for (var i = 0; i < str.length; i++) {
      var k = CODE[str.charCodeAt(i)];
      v += (k & 31) * f;
      if (k < 32) { out.push(v % 2 ? -(v + 1) / 2 : v / 2); v = 0; f = 1; } else { f *= 32; }
    }
    return out;
  }
  global.yangpuUnpack = unpack;

  /* Every vertex of a packed path, as (lat, lng), to `sink`: zigzag varints of x, y deltas. */
  function eachVertex(str, o, s, sink) {
    var v = 0, f = 1, n = 0, x = 0, y = 0;
    for (var i = 0; i < str.length; i++) {
      var k = CODE[str.charCodeAt(i)];
      v += (k & 31) * f;
      if (k >= 32) { f *= 32; continue; }
      var d = v % 2 ? -(v + 1) / 2 : v / 2;
      v = 0; f = 1;
      if (n % 2 === 0) { x += d; } else { y += d; sink((y + o[1]) / s, (x + o[0]) / s); }
      n += 1;
    }
  }

  /* A packed path straight to Leaflet LatLngs (no intermediate arrays: large layers). */
  function decodePacked(str, o, s) {
    var out = [];
    eachVertex(str, o, s, function (lat, lng) { out.push(new L.LatLng(lat, lng)); });
    return out;
  }

  function nest(g, o, s) {
    if (typeof g === "string") { return decodePacked(g, o, s); }
    if (typeof g[0] === "number") { return decodePath(g, o, s); }
    var out = new Array(g.length);
    for (var i = 0; i < g.length; i++) { out[i] = nest(g[i], o, s); }
    return out;
  }

  /* Large line layers: one canvas layer that keeps every path as numbers and strokes each
   * style class with a single path (Leaflet's canvas renderer strokes, and keeps a layer
   * object for, every feature). Hover and click find the nearest line within the tolerance. */
  var BulkLines = global.L ? L.Layer.extend({
    options: { padding: 0.5, tolerance: 4 },

    initialize: function (d, styles, popup, tip) {
      this._d = d; this._styles = styles; this._popup = popup; this._tip = tip;
      this._hover = -1; this.drawnCount = 0;
    },

    /* Decode and project every vertex once, to world pixels at zoom 0; order the parts by
     * style class once (`_order`, with `_classStart[c]` where class c begins). */
    _prepare: function (map) {
      var d = this._d, crs = map.options.crs, ll = new L.LatLng(0, 0);
      var feat = [], start = [0], xy = [], box = [];
      var x0, y0, x1, y1;
      function sink(lat, lng) {
        ll.lat = lat; ll.lng = lng;
        var pt = crs.latLngToPoint(ll, 0);
        xy.push(pt.x, pt.y);
        if (pt.x < x0) { x0 = pt.x; } if (pt.x > x1) { x1 = pt.x; }
        if (pt.y < y0) { y0 = pt.y; } if (pt.y > y1) { y1 = pt.y; }
      }
      for (var i = 0; i < d.t.length; i++) {
        if (d.t.charAt(i) !== "L" || !d.g[i]) { continue; }
        for (var p = 0; p < d.g[i].length; p++) {
          x0 = Infinity; y0 = Infinity; x1 = -Infinity; y1 = -Infinity;
          eachVertex(d.g[i][p], d.o, d.s, sink);
          if (xy.length / 2 === start[start.length - 1]) { continue; }
          feat.push(i); start.push(xy.length / 2); box.push(x0, y0, x1, y1);
        }
      }
      var nc = this._styles.length, classStart = new Int32Array(nc + 1);
      for (var q = 0; q < feat.length; q++) { classStart[(d.k ? d.k[feat[q]] : 0) + 1] += 1; }
      for (var c = 0; c < nc; c++) { classStart[c + 1] += classStart[c]; }
      var order = new Int32Array(feat.length), fill = classStart.slice(0, nc);
      for (q = 0; q < feat.length; q++) { order[fill[d.k ? d.k[feat[q]] : 0]++] = q; }
      this._feat = feat; this._start = start; this._xy = new Float64Array(xy);
      this._box = new Float64Array(box); this._order = order; this._classStart = classStart;
    },

    onAdd: function (map) {
      if (!this._canvas) {
        this._canvas = L.DomUtil.create("canvas", "leaflet-zoom-animated yp-bulk");
        this._ctx = this._canvas.getContext("2d");
        this._prepare(map);
        this._hoverTip = L.tooltip({ sticky: true, className: "yp-tip" });
      }
      // beneath the shared canvas of the other layers, and transparent to the mouse: their
      // markers stay clickable over the lines; the lines answer the map's own events
      var pane = this.getPane();
      this._canvas.style.pointerEvents = "none";
      pane.insertBefore(this._canvas, pane.firstChild);
      this._reset();
    },

    onRemove: function () {
      L.DomUtil.remove(this._canvas);
      if (this._map) { this._map.closeTooltip(this._hoverTip); }
      this._hover = -1;
    },

    getEvents: function () {
      var ev = { viewreset: this._reset, moveend: this._reset, resize: this._reset };
      if (this._d.interactive) {
        ev.click = this._onClick; ev.mousemove = this._onMove; ev.mouseout = this._onOut;
      }
      if (this._map && this._map._zoomAnimated) { ev.zoomanim = this._onAnimZoom; }
      return ev;
    },

    _onAnimZoom: function (e) {
      var map = this._map, scale = map.getZoomScale(e.zoom, this._zoom);
      var half = map.getSize().multiplyBy(0.5 + this.options.padding);
      var offset = half.multiplyBy(-scale).add(map.project(this._center, e.zoom))
        .subtract(map._getNewPixelOrigin(e.center, e.zoom));
      L.DomUtil.setTransform(this._canvas, offset, scale);
    },

    _reset: function () {
      var map = this._map, size = map.getSize(), p = this.options.padding;
      var min = map.containerPointToLayerPoint(size.multiplyBy(-p)).round();
      var full = size.multiplyBy(1 + 2 * p).round();
      var r = global.devicePixelRatio || 1, cv = this._canvas;
      this._center = map.getCenter(); this._zoom = map.getZoom();
      this._min = min; this._size = full;
      L.DomUtil.setPosition(cv, min);
      cv.width = Math.round(full.x * r); cv.height = Math.round(full.y * r);
      cv.style.width = full.x + "px"; cv.style.height = full.y + "px";
      this._ctx.setTransform(r, 0, 0, r, 0, 0);
      this._draw();
    },

    /* World pixels at zoom 0 to this canvas' pixels: k·xy − shift. */
    _frame: function () {
      var map = this._map, crs = map.options.crs;
      var k = crs.scale(this._zoom) / crs.scale(0), org = map.getPixelOrigin();
      return { k: k, sx: org.x + this._min.x, sy: org.y + this._min.y };
    },

    _draw: function () {
      var ctx = this._ctx, fr = this._frame(), k = fr.k, sx = fr.sx, sy = fr.sy;
      var w = this._size.x, h = this._size.y, xy = this._xy, box = this._box;
      var d = this._d, styles = this._styles, start = this._start, feat = this._feat;
      var order = this._order, classStart = this._classStart;
      ctx.clearRect(0, 0, w, h);
      ctx.lineCap = "round"; ctx.lineJoin = "round";
      var seen = new Uint8Array(d.t.length), drawn = 0;
      // the legend's first class is painted last, on top (the highest renewal scores, …)
      for (var c = styles.length - 1; c >= 0; c--) {
        var st = styles[c];
        ctx.beginPath();
        for (var r = classStart[c]; r < classStart[c + 1]; r++) {
          var q = order[r], i = feat[q];
          var pad = st.weight;
          if (box[4 * q + 2] * k - sx < -pad || box[4 * q] * k - sx > w + pad ||
              box[4 * q + 3] * k - sy < -pad || box[4 * q + 1] * k - sy > h + pad) { continue; }
          if (!seen[i]) { seen[i] = 1; drawn += 1; }
          var a = start[q], b = start[q + 1];
          var lx = xy[2 * a] * k - sx, ly = xy[2 * a + 1] * k - sy;
          ctx.moveTo(lx, ly);
          for (var j = a + 1; j < b; j++) {
            var px = xy[2 * j] * k - sx, py = xy[2 * j + 1] * k - sy;
            if (j < b - 1 && Math.abs(px - lx) + Math.abs(py - ly) < 0.5) { continue; }
            ctx.lineTo(px, py); lx = px; ly = py;
          }
        }
        ctx.globalAlpha = st.opacity === undefined ? 1 : st.opacity;
        ctx.strokeStyle = st.color; ctx.lineWidth = st.weight;
        ctx.setLineDash(st.dashArray ? String(st.dashArray).split(/[ ,]+/).map(Number) : []);
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
      this.drawnCount = drawn;
    },

    /* The feature whose line passes nearest to a container point, within the tolerance. */
    featureAt: function (cp) {
      var fr = this._frame(), k = fr.k, lp = this._map.containerPointToLayerPoint(cp);
      var x = lp.x - this._min.x, y = lp.y - this._min.y;
      var xy = this._xy, box = this._box, start = this._start, feat = this._feat;
      var best = -1, bestD = Infinity, d = this._d;
      for (var q = 0; q < feat.length; q++) {
        var tol = this.options.tolerance + this._styles[d.k ? d.k[feat[q]] : 0].weight / 2;
        if (box[4 * q] * k - fr.sx > x + tol || box[4 * q + 2] * k - fr.sx < x - tol ||
            box[4 * q + 1] * k - fr.sy > y + tol || box[4 * q + 3] * k - fr.sy < y - tol) { continue; }
        for (var j = start[q]; j < start[q + 1] - 1; j++) {
          var dist = L.LineUtil.pointToSegmentDistance(L.point(x, y),
            L.point(xy[2 * j] * k - fr.sx, xy[2 * j + 1] * k - fr.sy),
            L.point(xy[2 * j + 2] * k - fr.sx, xy[2 * j + 3] * k - fr.sy));
          if (dist <= tol && dist <= bestD) { bestD = dist; best = feat[q]; }
        }
      }
      return best;
    },

    /* A feature's vertices as LatLngs, decoded from the payload (one array per part). */
    latLngs: function (i) {
      var d = this._d;
      return d.g[i].map(function (str) { return decodePacked(str, d.o, d.s); });
    },

    openPopupOf: function (i, latlng) {
      this._map.openPopup(L.popup({ maxWidth: 380 }).setLatLng(latlng).setContent(this._popup(i)));
    },

    _onClick: function (e) {
      var i = this.featureAt(e.containerPoint);
      if (i >= 0) { this.openPopupOf(i, e.latlng); }
    },

    _onMove: function (e) {
      var i = this.featureAt(e.containerPoint), map = this._map;
      map.getContainer().style.cursor = i >= 0 ? "pointer" : "";
      if (i < 0) { this._onOut(); return; }
      this._hoverTip.setLatLng(e.latlng);
      if (i !== this._hover) { this._hoverTip.setContent(this._tip(i)); }
      if (!map.hasLayer(this._hoverTip)) { map.openTooltip(this._hoverTip); }
      this._hover = i;
    },

    _onOut: function () {
      if (this._hover >= 0 && this._map) {
        this._map.closeTooltip(this._hoverTip);
        this._map.getContainer().style.cursor = "";
      }
      this._hover = -1;
    }
  }) : null;

  function row(label, value) {
    return "<tr><th>" + label + "</th><td>" + value + "</td></tr>";
  }

  /* Build a Leaflet layer group from a compact layer `d` (all strings arrive HTML-escaped). */
  global.yangpuLayer = function (map, d) {
    state.map = map;
    var renderer = map.__yangpuCanvas ||
      (map.__yangpuCanvas = L.canvas({ padding: 0.5, tolerance: 4 }));
    var group = d.cluster && L.markerClusterGroup
      ? L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 45 })
      : L.featureGroup();
    var styles = d.classes.map(function (c) {
      return L.extend({}, c, { renderer: renderer, interactive: d.interactive });
    });
    var lineStyles = styles.map(function (st) { return L.extend({}, st, { fill: false }); });
    d.cols.forEach(function (c) {  // {p, w, d}: prefix, width and number deltas of ids
      var v = c[1];
      if (v && v.d) {
        var out = new Array(v.d.length), n = 0;
        for (var i = 0; i < v.d.length; i++) {
          n += v.d[i];
          var t = String(n);
          while (t.length < v.w) { t = "0" + t; }
          out[i] = v.p + t;
        }
        c[1] = out;
      }
    });
    function popupHtml(i) {
      var h = "<div class='yp-popup'><div class='yp-popup-title'>" + d.title + "</div><table>";
      if (d.k && d.clabel) { h += row(d.clabel, d.cl[d.k[i]]); }
      for (var c = 0; c < d.cols.length; c++) {
        var v = d.cols[c][1][i];
        if (v !== null && v !== undefined) { h += row(d.cols[c][0], v); }
      }
      return h + "</table></div>";
    }
    function tipText(i) {
      var parts = [];
      if (d.tip >= 0 && d.cols[d.tip][1][i] !== null) { parts.push(d.cols[d.tip][1][i]); }
      if (d.k) { parts.push(d.cl[d.k[i]]); } else { parts.push(d.title); }
      return parts.join(" · ");
    }
    if (d.bulk && BulkLines) {
      var bulk = new BulkLines(d, lineStyles, popupHtml, tipText);
      state.layers[d.name] = { features: d.t.length, layers: 0, group: bulk, bulk: true };
      return bulk;
    }
    var o = d.o, s = d.s, layers = [];
    for (var i = 0; i < d.t.length; i++) {
      var t = d.t.charAt(i), g = d.g[i];
      if (t === "-" || !g || !g.length) { continue; }
      var st = styles[d.k ? d.k[i] : 0];
      if (t === "P") {
        if (typeof g[0] === "string") { g = unpack(g.join("")); }
        var opts = d.r ? L.extend({}, st, { radius: d.r[i] }) : st;
        for (var j = 0; j < g.length; j += 2) {
          var c = L.circleMarker([(g[j + 1] + o[1]) / s, (g[j] + o[0]) / s], opts);
          c._yi = i; layers.push(c);
        }
        continue;
      }
      var ll = nest(g, o, s);
      var lyr = t === "A" ? L.polygon(ll, st)
        : L.polyline(ll.length === 1 ? ll[0] : ll, lineStyles[d.k ? d.k[i] : 0]);
      lyr._yi = i; layers.push(lyr);
    }
    if (d.cluster && group.addLayers) { group.addLayers(layers); }
    else { for (var k = 0; k < layers.length; k++) { group.addLayer(layers[k]); } }

    if (d.interactive) {
      group.bindPopup(function (layer) { return popupHtml(layer._yi); }, { maxWidth: 380 });
      group.bindTooltip(function (layer) { return tipText(layer._yi); },
        { sticky: true, className: "yp-tip" });
    }
    (d.labels || []).forEach(function (lb) {
      group.addLayer(L.tooltip({ permanent: true, direction: "center", className: "yp-label", interactive: false })
        .setLatLng([(lb[1] + o[1]) / s, (lb[0] + o[0]) / s]).setContent(lb[2]));
    });
    state.layers[d.name] = { features: d.t.length, layers: layers.length, group: group };
    return group;
  };

  /* Count, per layer, the paths the canvas renderer holds and would paint now: layers in its
   * draw list that survived clipping to the view (non-empty pixel parts); for a bulk layer,
   * the features with a line in its canvas. */
  global.yangpuDrawn = function () {
    var map = state.map, counts = {}, drawn = {};
    var r = map && map.__yangpuCanvas;
    if (!r) { return counts; }
    for (var node = r._drawFirst; node; node = node.next) {
      var l = node.layer;
      var visible = l._parts ? l._parts.length > 0 : !l._empty();
      if (visible) { drawn[L.stamp(l)] = true; }
    }
    Object.keys(state.layers).forEach(function (name) {
      var n = 0, rec = state.layers[name];
      if (rec.bulk) { counts[name] = map.hasLayer(rec.group) ? rec.group.drawnCount : 0; return; }
      rec.group.eachLayer(function (l) { if (drawn[L.stamp(l)]) { n++; } });
      counts[name] = n;
    });
    return counts;
  };

  global.addEventListener("load", function () {
    global.requestAnimationFrame(function () {
      global.requestAnimationFrame(function () {
        global.__drawn_ms = global.performance.now();
        global.__drawn = true;
      });
    });
  });
})(window);
