// msi report: sortable tables (summary page) and synchronised playback (utterance pages).
// Plain browser JavaScript, no library, no network: works from file://.
"use strict";

// ------------------------------------------------------------------ sortable tables
function sortable(table) {
  const heads = table.tHead.rows[0].cells;
  Array.from(heads).forEach((th, col) => {
    th.classList.add("sort");
    th.addEventListener("click", () => {
      const body = table.tBodies[0];
      const dir = th.dataset.dir === "asc" ? "desc" : "asc";
      Array.from(heads).forEach(h => delete h.dataset.dir);
      th.dataset.dir = dir;
      const key = tr => {
        const td = tr.cells[col];
        const s = td.dataset.sort !== undefined ? td.dataset.sort : td.textContent.trim();
        const n = parseFloat(s);
        return {empty: s === "", num: isNaN(n) ? null : n, text: s};
      };
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        if (x.empty !== y.empty) return x.empty ? 1 : -1;  // gaps and errors last
        const c = (x.num !== null && y.num !== null) ? x.num - y.num : x.text.localeCompare(y.text);
        return dir === "asc" ? c : -c;
      });
      rows.forEach(r => body.appendChild(r));
    });
  });
}

// ------------------------------------------------------------------ utterance page
const COLOURS = {lip: "#d62728", jaw: "#1f77b4", open: "#111111", truth: "#8a8a8a", worst: "rgba(255,176,0,0.30)",
                 skip: "rgba(150,150,150,0.25)"};

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmt(x, d) { return x === null || x === undefined ? "–" : Number(x).toFixed(d === undefined ? 3 : d); }

class Player {
  constructor(data) {
    this.data = data;
    this.fps = data.fps || 25;
    this.videos = [];
    this.canvases = [];
    this.heads = [];
    this.bands = [];
    this.playing = false;
    this.duration = data.duration || 0;
  }

  build() {
    const box = document.getElementById("videos");
    const sound = document.getElementById("sound");
    sound.appendChild(el("option", {value: "-1"}, "off"));
    this.data.lanes.forEach((lane, i) => {
      const cell = el("figure", {class: "cell " + lane.state, id: "cell-" + lane.id});
      const cap = el("figcaption");
      cap.appendChild(el("b", {}, lane.label));
      if (lane.msi_lip !== undefined && lane.msi_lip !== null)
        cap.appendChild(document.createTextNode(`  MSI-Lip ${fmt(lane.msi_lip)} · MSI-Jaw ${fmt(lane.msi_jaw)}`));
      cell.appendChild(cap);
      if (lane.state === "ok" && lane.video) {
        const v = el("video", {class: "sync", preload: "auto", playsinline: "", "data-lane": lane.id,
                               title: lane.path || ""});
        v.muted = true;
        v.src = lane.video;
        v.addEventListener("loadedmetadata", () => {
          if (isFinite(v.duration)) this.duration = Math.max(this.duration, v.duration);
          this.update();
        });
        v.addEventListener("error", () => {
          const err = el("div", {class: "reason"}, "the browser cannot play " + (lane.video || "this video"));
          cell.appendChild(err);
        });
        cell.appendChild(v);
        this.videos.push(v);
        sound.appendChild(el("option", {value: String(this.videos.length - 1)}, lane.label));
      } else {
        const why = lane.state === "missing" ? "missing: " + lane.reason
          : lane.state === "error" ? "error: " + lane.reason : "no preview: " + (lane.preview_error || "?");
        cell.appendChild(el("div", {class: "reason"}, why));
      }
      (lane.warnings || []).forEach(w => cell.appendChild(el("div", {class: "warn"}, "⚠ " + w)));
      box.appendChild(cell);
    });
    this.master = this.videos[0] || null;
    this.buildWorst();
    this.buildLanes();
    this.bindControls();
    if (!this.master) document.getElementById("controls").classList.add("disabled");
    const range = this.yRange();
    this.msiLow = range;
    window.addEventListener("resize", () => this.draw());
    this.draw();
    this.update();
  }

  buildWorst() {
    // one row per video, its worst windows as buttons (lowest MSI first); a click seeks every video
    const body = document.querySelector("#worst tbody");
    let any = false;
    this.data.lanes.forEach(lane => {
      if (!(lane.worst || []).length) return;
      any = true;
      const tr = el("tr");
      tr.appendChild(el("td", {}, lane.label));
      const td = el("td");
      lane.worst.forEach(w => {
        const b = el("button", {class: "window", "data-start": w.s, "data-end": w.e, "data-lane": lane.id,
                                title: `seek every video to ${fmt(w.s, 2)} s and loop to ${fmt(w.e, 2)} s`},
                     `#${w.rank}  ${fmt(w.s, 2)}–${fmt(w.e, 2)} s  lip ${fmt(w.lip)} · jaw ${fmt(w.jaw)}`);
        b.addEventListener("click", () => this.showWindow(w.s, w.e));
        td.appendChild(b);
      });
      tr.appendChild(td);
      body.appendChild(tr);
    });
    if (!any) {
      const tr = el("tr");
      tr.appendChild(el("td", {colspan: "2"}, "no scored window"));
      body.appendChild(tr);
    }
  }

  buildLanes() {
    const box = document.getElementById("lanes");
    this.data.lanes.forEach(lane => {
      const row = el("section", {class: "lane " + lane.state, id: "lane-" + lane.id});
      const label = el("div", {class: "label"});
      label.appendChild(el("b", {}, lane.label));
      if (lane.state !== "ok") label.appendChild(el("div", {class: "reason"}, lane.state + ": " + lane.reason));
      else if (lane.analysis_error) label.appendChild(el("div", {class: "reason"}, "not scored: " + lane.analysis_error));
      row.appendChild(label);
      const plots = el("div", {class: "plots"});
      if (lane.state === "ok") {
        for (const kind of ["msi", "open"]) {
          const c = el("canvas", {class: "plot " + kind, "data-kind": kind});
          c.lane = lane;
          plots.appendChild(c);
          this.canvases.push(c);
        }
        const strip = el("div", {class: "strip"});
        if (lane.slice) {
          const img = el("img", {src: lane.slice, alt: "vertical slice of " + lane.label, class: "slice"});
          img.dataset.frames = lane.slice_frames;
          img.lane = lane;
          strip.appendChild(img);
        } else {
          strip.appendChild(el("div", {class: "reason"}, "no slice: " + (lane.slice_error || "?")));
        }
        plots.appendChild(strip);
      }
      const band = el("div", {class: "band"});
      const head = el("div", {class: "head"});
      plots.appendChild(band);
      plots.appendChild(head);
      this.bands.push(band);
      this.heads.push(head);
      plots.addEventListener("click", ev => {
        const r = plots.getBoundingClientRect();
        this.pause();
        this.seek((ev.clientX - r.left) / r.width * this.duration);
      });
      row.appendChild(plots);
      box.appendChild(row);
    });
    const axis = el("section", {class: "lane axis"});
    axis.appendChild(el("div", {class: "label"}, "time (s)"));
    const c = el("canvas", {class: "plot axis", "data-kind": "axis"});
    c.lane = {};
    const wrap = el("div", {class: "plots"});
    wrap.appendChild(c);
    axis.appendChild(wrap);
    this.canvases.push(c);
    box.appendChild(axis);
  }

  yRange() {
    let low = 2;
    this.data.lanes.forEach(l => (l.timeline || []).forEach(w => {
      if (!w.skip) for (const v of [w.lip, w.jaw]) if (v !== null) low = Math.min(low, v);
    }));
    return Math.max(0, Math.floor(low * 10 - 1) / 10);
  }

  draw() {
    const D = this.duration || 1;
    let omax = 0;
    this.data.lanes.forEach(l => (l.opening || []).forEach(v => { if (v !== null) omax = Math.max(omax, v); }));
    omax = omax > 0 ? omax * 1.1 : 1;
    const truth = this.data.truth !== null ? this.data.lanes[this.data.truth] : null;
    for (const c of this.canvases) {
      const dpr = window.devicePixelRatio || 1;
      const w = c.clientWidth, h = c.clientHeight;
      c.width = Math.max(1, Math.round(w * dpr));
      c.height = Math.max(1, Math.round(h * dpr));
      const g = c.getContext("2d");
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, w, h);
      const X = t => t / D * w;
      const lane = c.lane;
      g.strokeStyle = "#e4e4e4";
      g.lineWidth = 1;
      for (let t = 0; t <= D; t += 1) { g.beginPath(); g.moveTo(X(t), 0); g.lineTo(X(t), h); g.stroke(); }
      if (c.dataset.kind === "axis") {
        const step = D > 20 ? 5 : D > 8 ? 2 : D > 2 ? 0.5 : 0.1;
        g.fillStyle = "#333"; g.strokeStyle = "#333"; g.font = "11px sans-serif"; g.textAlign = "center";
        for (let t = 0; t <= D + 1e-9; t += step) {
          const x = Math.min(X(t), w - 1);
          g.beginPath(); g.moveTo(x, 0); g.lineTo(x, 5); g.stroke();
          g.fillText(t.toFixed(step < 1 ? 1 : 0), Math.max(10, Math.min(x, w - 12)), 17);
        }
        g.textAlign = "start";
        continue;
      }
      if (c.dataset.kind === "msi") {
        const lo = this.msiLow, Y = v => h - 4 - (v - lo) / (2 - lo) * (h - 8);
        (lane.timeline || []).filter(wd => wd.skip).forEach(wd => {
          g.fillStyle = COLOURS.skip; g.fillRect(X(wd.s), 0, X(wd.e) - X(wd.s), h);
        });
        (lane.worst || []).forEach(wd => {
          g.fillStyle = COLOURS.worst; g.fillRect(X(wd.s), 0, X(wd.e) - X(wd.s), h);
          g.fillStyle = "#7a5200"; g.font = "bold 10px sans-serif"; g.fillText("#" + wd.rank, X(wd.s) + 2, 11);
        });
        for (const r of ["lip", "jaw"]) {
          g.strokeStyle = COLOURS[r]; g.lineWidth = 1.5; g.beginPath();
          let pen = false;
          (lane.timeline || []).forEach(wd => {
            const v = wd[r];
            if (v === null || wd.skip) { pen = false; return; }
            const x = X((wd.s + wd.e) / 2), y = Y(v);
            if (pen) g.lineTo(x, y); else g.moveTo(x, y);
            pen = true;
          });
          g.stroke();
        }
        g.fillStyle = "#555"; g.font = "10px sans-serif";
        g.fillText("MSI 2.0", w - 44, 10); g.fillText(lo.toFixed(1), w - 22, h - 3);
      } else {
        const Y = v => h - 3 - v / omax * (h - 6);
        const trace = (vals, fps, colour, dash) => {
          g.strokeStyle = colour; g.lineWidth = 1.3; g.setLineDash(dash); g.beginPath();
          let pen = false;
          vals.forEach((v, k) => {
            if (v === null) { pen = false; return; }
            const x = X((k + 0.5) / fps), y = Y(v);
            if (pen) g.lineTo(x, y); else g.moveTo(x, y);
            pen = true;
          });
          g.stroke(); g.setLineDash([]);
        };
        if (truth && truth !== lane && truth.opening) trace(truth.opening, truth.fps || this.fps, COLOURS.truth, [4, 3]);
        if (lane.opening) trace(lane.opening, lane.fps || this.fps, COLOURS.open, []);
        g.fillStyle = "#555"; g.font = "10px sans-serif"; g.fillText("mouth opening", w - 80, 10);
      }
    }
    document.querySelectorAll("img.slice").forEach(img => {
      const f = Number(img.dataset.frames), fps = img.lane.fps || this.fps;
      img.style.width = (100 * Math.min(1, f / fps / D)) + "%";
    });
    this.update();
  }

  bindControls() {
    const $ = id => document.getElementById(id);
    $("play").addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    $("back").addEventListener("click", () => this.step(-1));
    $("fwd").addEventListener("click", () => this.step(1));
    $("seek").addEventListener("input", ev => { this.pause(); this.seek(ev.target.value / 1000 * this.duration); });
    $("setA").addEventListener("click", () => { $("loopA").value = this.now().toFixed(2); });
    $("setB").addEventListener("click", () => { $("loopB").value = this.now().toFixed(2); $("loop").checked = true; this.update(); });
    for (const id of ["loop", "loopA", "loopB"]) $(id).addEventListener("change", () => this.update());
    $("rate").addEventListener("change", ev => this.videos.forEach(v => { v.playbackRate = Number(ev.target.value); }));
    $("sound").addEventListener("change", ev => {
      const k = Number(ev.target.value);
      this.videos.forEach((v, i) => { v.muted = i !== k; });
    });
    document.addEventListener("keydown", ev => {
      if (["INPUT", "SELECT", "BUTTON"].includes(ev.target.tagName)) return;
      if (ev.key === " ") { ev.preventDefault(); this.playing ? this.pause() : this.play(); }
      else if (ev.key === "ArrowLeft") this.step(-1);
      else if (ev.key === "ArrowRight") this.step(1);
    });
    this.videos.forEach(v => v.addEventListener("seeked", () => this.update()));
    if (this.master) this.master.addEventListener("ended", () => {
      if (this.loopRange()) this.seekPlay(this.loopRange()[0]); else this.pause();
    });
  }

  now() { return this.master ? this.master.currentTime : 0; }

  loopRange() {
    const a = Number(document.getElementById("loopA").value), b = Number(document.getElementById("loopB").value);
    return document.getElementById("loop").checked && b > a ? [a, b] : null;
  }

  seek(t) {
    t = Math.max(0, Math.min(t, this.duration || 0));
    this.videos.forEach(v => {
      const end = isFinite(v.duration) ? v.duration : t;
      v.currentTime = Math.min(t, end);
    });
    this.update(t);
  }

  seekPlay(t) { this.seek(t); if (this.playing) this.videos.forEach(v => v.play().catch(() => {})); }

  step(d) {
    this.pause();
    const k = Math.floor(this.now() * this.fps + 1e-6) + d;
    this.seek((Math.max(0, k) + 0.5) / this.fps);  // the middle of frame k: every decoder shows frame k
  }

  showWindow(s, e) {
    this.pause();
    document.getElementById("loopA").value = s.toFixed(2);
    document.getElementById("loopB").value = e.toFixed(2);
    document.getElementById("loop").checked = true;
    this.seek(s);
  }

  play() {
    if (!this.master) return;
    const r = this.loopRange();
    if (r && (this.now() < r[0] || this.now() >= r[1])) this.seek(r[0]);
    this.playing = true;
    this.videos.forEach(v => v.play().catch(() => {}));  // a refused play is not an error of the page
    document.getElementById("play").textContent = "❚❚ pause";
    const tick = () => {
      if (!this.playing) return;
      const t = this.now(), r = this.loopRange();
      if (r && t >= r[1]) this.seekPlay(r[0]);
      else this.videos.forEach(v => {  // keep every video on the first one's clock
        if (v !== this.master && !v.ended && Math.abs(v.currentTime - t) > 1.5 / this.fps && t < v.duration) v.currentTime = t;
      });
      this.update();
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  pause() {
    this.playing = false;
    this.videos.forEach(v => v.pause());
    const b = document.getElementById("play");
    if (b) b.textContent = "▶ play";
  }

  update(t) {
    if (t === undefined) t = this.now();
    const D = this.duration || 1;
    const pct = 100 * Math.min(1, t / D) + "%";
    this.heads.forEach(h => { h.style.left = pct; });
    const r = this.loopRange();
    this.bands.forEach(b => {
      b.style.display = r ? "block" : "none";
      if (r) { b.style.left = (100 * r[0] / D) + "%"; b.style.width = (100 * (r[1] - r[0]) / D) + "%"; }
    });
    const seek = document.getElementById("seek");
    if (seek && document.activeElement !== seek) seek.value = Math.round(1000 * t / D);
    const clock = document.getElementById("clock");
    if (clock) clock.textContent = `${t.toFixed(3)} s · frame ${Math.floor(t * this.fps + 1e-6)}`;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable").forEach(sortable);
  const data = document.getElementById("report-data");
  if (data) {
    window.msiPlayer = new Player(JSON.parse(data.textContent));
    window.msiPlayer.build();
  }
});
