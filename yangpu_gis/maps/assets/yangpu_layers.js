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

  /* A packed path straight to Leaflet LatLngs (no intermediate arrays: large layers). */
  function decodePacked(str, o, s) {
    var out = [], v = 0, f = 1, n = 0, x = 0, y = 0;
    for (var i = 0; i < str.length; i++) {
      var k = CODE[str.charCodeAt(i)];
      v += (k & 31) * f;
      if (k >= 32) { f *= 32; continue; }
      var d = v % 2 ? -(v + 1) / 2 : v / 2;
      v = 0; f = 1;
      if (n % 2 === 0) { x += d; } else { y += d; out.push(new L.LatLng((y + o[1]) / s, (x + o[0]) / s)); }
      n += 1;
    }
    return out;
  }

  function nest(g, o, s) {
    if (typeof g === "string") { return decodePacked(g, o, s); }
    if (typeof g[0] === "number") { return decodePath(g, o, s); }
    var out = new Array(g.length);
    for (var i = 0; i < g.length; i++) { out[i] = nest(g[i], o, s); }
    return out;
  }

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
      group.bindPopup(function (layer) {
        var i = layer._yi, h = "<div class='yp-popup'><div class='yp-popup-title'>" + d.title + "</div><table>";
        if (d.k && d.clabel) { h += row(d.clabel, d.cl[d.k[i]]); }
        for (var c = 0; c < d.cols.length; c++) {
          var v = d.cols[c][1][i];
          if (v !== null && v !== undefined) { h += row(d.cols[c][0], v); }
        }
        return h + "</table></div>";
      }, { maxWidth: 380 });
      group.bindTooltip(function (layer) {
        var i = layer._yi, parts = [];
        if (d.tip >= 0 && d.cols[d.tip][1][i] !== null) { parts.push(d.cols[d.tip][1][i]); }
        if (d.k) { parts.push(d.cl[d.k[i]]); } else { parts.push(d.title); }
        return parts.join(" · ");
      }, { sticky: true, className: "yp-tip" });
    }
    (d.labels || []).forEach(function (lb) {
      group.addLayer(L.tooltip({ permanent: true, direction: "center", className: "yp-label", interactive: false })
        .setLatLng([(lb[1] + o[1]) / s, (lb[0] + o[0]) / s]).setContent(lb[2]));
    });
    state.layers[d.name] = { features: d.t.length, layers: layers.length, group: group };
    return group;
  };

  /* Count, per layer, the paths the canvas renderer holds and would paint now: layers in its
   * draw list that survived clipping to the view (non-empty pixel parts). */
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
      var n = 0;
      state.layers[name].group.eachLayer(function (l) { if (drawn[L.stamp(l)]) { n++; } });
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
