// Area labels: every area gets its number at its label point, moved aside along a leader line
// when it would overlap another; names are shown beside the numbers wherever they fit.
// Names and descriptions arrive as data and are inserted with textContent, never as markup.
var CpaLabels = L.Layer.extend({
    options: {pane: 'cpa-labels'},
    initialize: function (items) { this._items = items; },
    onAdd: function (map) {
        this._box = L.DomUtil.create('div', 'cpa-labels', this.getPane());
        this._labels = this._items.map(function (it) {
            var line = L.DomUtil.create('div', 'cpa-leader', this._box);
            var num = L.DomUtil.create('div', 'cpa-label-num', this._box);
            num.textContent = String(it.n);
            num.setAttribute('data-area', it.area);
            num.title = it.n + '. ' + it.name + ' (' + it.value + '): ' + it.description;
            var name = L.DomUtil.create('div', 'cpa-label-name', this._box);
            name.textContent = it.name;
            name.setAttribute('data-area', it.area);
            name.title = num.title;
            return {item: it, num: num, name: name, line: line};
        }, this);
        map.on('zoomend viewreset resize', this._place, this);
        this._place();
    },
    onRemove: function (map) {
        map.off('zoomend viewreset resize', this._place, this);
        L.DomUtil.remove(this._box);
    },
    _place: function () {
        var map = this._map, placed = [], pad = 2;
        var free = function (r) {
            return !placed.some(function (q) {
                return r.x - pad < q.x + q.w && q.x - pad < r.x + r.w && r.y - pad < q.y + q.h && q.y - pad < r.y + r.h;
            });
        };
        var put = function (el, r) { L.DomUtil.setPosition(el, L.point(r.x, r.y)); placed.push(r); };
        // Numbers first, largest area first: at the label point, else the nearest free spot around it.
        this._labels.forEach(function (lab) {
            var p = map.latLngToLayerPoint([lab.item.lat, lab.item.lon]);
            var w = lab.num.offsetWidth, h = lab.num.offsetHeight;
            var at = function (dx, dy) { return {x: p.x + dx - w / 2, y: p.y + dy - h / 2, w: w, h: h}; };
            var spot = at(0, 0);
            if (!free(spot)) {
                found: for (var radius = 20; radius <= 140; radius += 12) {
                    for (var k = 0; k < 16; k++) {
                        var a = Math.PI * 2 * k / 16;
                        var s = at(Math.round(radius * Math.cos(a)), Math.round(radius * Math.sin(a)));
                        if (free(s)) { spot = s; break found; }
                    }
                }
            }
            put(lab.num, spot);
            lab.p = p;
            lab.spot = spot;
        });
        // Leader lines from the label point to a moved number (drawn under the numbers).
        this._labels.forEach(function (lab) {
            var cx = lab.spot.x + lab.spot.w / 2, cy = lab.spot.y + lab.spot.h / 2;
            var dx = cx - lab.p.x, dy = cy - lab.p.y, len = Math.sqrt(dx * dx + dy * dy);
            lab.line.style.display = len > 1 ? '' : 'none';
            if (len > 1) {
                L.DomUtil.setPosition(lab.line, lab.p);
                lab.line.style.width = (len - lab.spot.h / 2) + 'px';
                lab.line.style.transform += ' rotate(' + Math.atan2(dy, dx) + 'rad)';
            }
        });
        // Names beside their numbers (right, left, below, above) where they overlap nothing, stay in
        // the map's frame and clear of the title and legend column.
        var topLeft = map.containerPointToLayerPoint([0, 0]), size = map.getSize();
        var inside = function (r) {
            return r.x >= topLeft.x + 2 && r.y >= topLeft.y + 2 && r.x + r.w <= topLeft.x + size.x - 2 &&
                r.y + r.h <= topLeft.y + size.y - 2;
        };
        var side = document.querySelector('.cpa-side');
        if (side && side.offsetParent) {
            var sb = side.getBoundingClientRect(), cb = map.getContainer().getBoundingClientRect();
            placed.push({x: topLeft.x + sb.left - cb.left, y: topLeft.y + sb.top - cb.top, w: sb.width, h: sb.height});
        }
        this._labels.forEach(function (lab) {
            var el = lab.name, s = lab.spot;
            el.style.display = '';
            var w = el.offsetWidth, h = el.offsetHeight;
            var tries = [{x: s.x + s.w + 2, y: s.y + (s.h - h) / 2}, {x: s.x - w - 2, y: s.y + (s.h - h) / 2},
                         {x: s.x + (s.w - w) / 2, y: s.y + s.h + 1}, {x: s.x + (s.w - w) / 2, y: s.y - h - 1}];
            var fit = null;
            for (var i = 0; i < tries.length && !fit; i++) {
                var r = {x: Math.round(tries[i].x), y: Math.round(tries[i].y), w: w, h: h};
                if (inside(r) && free(r)) { fit = r; }
            }
            if (fit) { put(el, fit); } else { el.style.display = 'none'; }
        });
    }
});
