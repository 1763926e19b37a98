// The drawing page: strokes on a canvas, read live by POST /v1/predict; uploads read the same way.
"use strict";

const $ = (id) => document.getElementById(id);
const pad = $("pad"), ctx = pad.getContext("2d");
const STROKE = pad.width / 13; // about MNIST's stroke once the drawing is shrunk to 28x28
let strokes = [], current = null, timer = null, pending = null, reading = null, shown = 0;

function model() { return $("model").value; }
// The query every reading asks: the model, and no separator where digits alone are asked for.
function query() { return `model=${model()}` + ($("digits-only").checked ? "&separators=" : ""); }

// ------------------------------------------------------------ drawing

function redraw() {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, pad.width, pad.height);
  ctx.strokeStyle = "#111";
  ctx.fillStyle = "#111";
  ctx.lineWidth = STROKE;
  ctx.lineCap = ctx.lineJoin = "round";
  for (const s of strokes) {
    if (s.length === 1) { ctx.beginPath(); ctx.arc(s[0][0], s[0][1], STROKE / 2, 0, 2 * Math.PI); ctx.fill(); continue; }
    ctx.beginPath();
    ctx.moveTo(s[0][0], s[0][1]);
    for (const [x, y] of s.slice(1)) ctx.lineTo(x, y);
    ctx.stroke();
  }
}

function point(e) {
  const r = pad.getBoundingClientRect();
  return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
}

pad.addEventListener("pointerdown", (e) => {
  e.preventDefault();
  pad.setPointerCapture(e.pointerId);
  current = [point(e)];
  strokes.push(current);
  redraw();
});
pad.addEventListener("pointermove", (e) => {
  if (!current) return;
  for (const ev of e.getCoalescedEvents ? e.getCoalescedEvents() : [e]) current.push(point(ev));
  redraw();
  schedule();
});
for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => { if (current) { current = null; schedule(); } });
}
$("undo").addEventListener("click", () => { strokes.pop(); redraw(); schedule(); });
$("clear").addEventListener("click", () => { strokes = []; redraw(); schedule(); });
document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === "z") { e.preventDefault(); $("undo").click(); }
});

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(readDrawing, 150);
  $("answer").setAttribute("aria-busy", "true"); // until the drawing as it now stands is read
}

async function readDrawing() {
  timer = null;
  if (!strokes.length) { show(null); $("answer").setAttribute("aria-busy", "false"); return; }
  // toDataURL, not toBlob: Chromium runs toBlob's encoding when idle, about a second late.
  const blob = dataToBlob(pad.toDataURL("image/png"));
  const ask = (pending = post(`/v1/predict?inputs=true&${query()}`, blob, { "Content-Type": "image/png" }));
  const result = await ask;
  if (ask !== pending) return; // a newer drawing was sent meanwhile
  show(result);
  if (!timer) $("answer").setAttribute("aria-busy", "false"); // nor is one waiting to be sent
}

function dataToBlob(url) {
  const bytes = atob(url.slice(url.indexOf(",") + 1));
  const array = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) array[i] = bytes.charCodeAt(i);
  return new Blob([array], { type: "image/png" });
}

async function post(url, body, headers = {}) {
  try {
    const response = await fetch(url, { method: "POST", body, headers });
    const json = await response.json();
    return response.ok ? json : { error: json.detail || response.statusText };
  } catch (err) {
    return { error: String(err) };
  }
}

// ------------------------------------------------------------ the reading

function show(result) {
  reading = result;
  shown = 0;
  const answer = $("answer"), detail = $("detail");
  $("chips").replaceChildren();
  answer.classList.toggle("empty", !result || !result.number);
  if (!result) { answer.textContent = "Draw something"; detail.textContent = ""; bars(null); seen(null); return; }
  if (result.error) { answer.textContent = "Error"; detail.textContent = result.error; bars(null); seen(null); return; }
  if (result.no_digit) { answer.textContent = "No digit"; detail.textContent = "Nothing on the canvas looks like ink."; bars(null); seen(null); return; }
  answer.textContent = result.number;
  detail.innerHTML = result.uncertain
    ? `<span class="uncertain">Uncertain</span>: ${pct(result.confidence)} sure. Is it really a number?`
    : `${pct(result.confidence)} sure`;
  if (result.characters.length > 1) {
    result.characters.forEach((d, i) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = `${d.char} · ${pct(d.confidence)}${d.uncertain ? "?" : ""}`;
      b.setAttribute("aria-pressed", String(i === 0));
      b.addEventListener("click", () => { shown = i; pick(); });
      $("chips").append(b);
    });
  }
  pick();
}

function pick() {
  const d = reading.characters[shown];
  [...$("chips").children].forEach((b, i) => b.setAttribute("aria-pressed", String(i === shown)));
  bars(d.probabilities); // the digit models' ten probabilities; the line reader has none per character
  const inputs = reading.inputs || [];
  seen(inputs[Math.min(shown, inputs.length - 1)]);
}

function pct(p) { return `${(100 * p).toFixed(p > 0.995 ? 1 : 0)}%`; }

function bars(p) {
  const list = $("bars");
  if (!list.children.length) {
    for (let i = 0; i < 10; i++) {
      const li = document.createElement("li");
      li.innerHTML = `<span>${i}</span><span class="track"><span class="fill"></span></span><span class="value"></span>`;
      list.append(li);
    }
  }
  const top = p ? p.indexOf(Math.max(...p)) : -1;
  [...list.children].forEach((li, i) => {
    li.classList.toggle("top", i === top);
    li.querySelector(".fill").style.width = p ? `${100 * p[i]}%` : "0";
    li.querySelector(".value").textContent = p ? pct(p[i]) : "";
    li.setAttribute("aria-label", p ? `${i}: ${pct(p[i])}` : `${i}`);
  });
}

function seen(input) {
  // What the network saw: a digit model's 28x28 digit, or the line reader's 32-pixel-high line.
  const canvas = $("seen"), h = input ? input.length : 28, w = input ? input[0].length : 28;
  canvas.width = w;
  canvas.height = h;
  canvas.style.aspectRatio = `${w} / ${h}`;
  const c = canvas.getContext("2d");
  const image = c.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const v = input ? Math.round(255 * input[Math.floor(i / w)][i % w]) : 0;
    image.data.set([v, v, v, 255], 4 * i);
  }
  c.putImageData(image, 0, 0);
}

// ------------------------------------------------------------ upload

const drop = $("drop");
$("file").addEventListener("change", (e) => { if (e.target.files[0]) upload(e.target.files[0]); });
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files[0]) upload(e.dataTransfer.files[0]);
});

// The photo last uploaded, read again when the model or "Digits only" changes; and which read of it
// is the latest, so that an earlier answer arriving late is not drawn over it.
let uploaded = null, uploads = 0;

async function upload(file) {
  const answer = $("upload-answer"), turn = ++uploads;
  uploaded = file;
  answer.textContent = "Reading…";
  answer.setAttribute("aria-busy", "true"); // until the photo and its boxes are drawn too, not just the answer
  try { await read(file, answer, turn); } finally { if (turn === uploads) answer.setAttribute("aria-busy", "false"); }
}

async function read(file, answer, turn) {
  const form = new FormData();
  form.append("file", file);
  const result = await post(`/v1/predict?${query()}`, form);
  if (turn !== uploads) return; // read again meanwhile
  const canvas = $("photo"), c = canvas.getContext("2d");
  canvas.width = canvas.height = 0; // the previous image and its boxes go, whatever comes next
  answer.scrollIntoView({ block: "nearest", behavior: "smooth" });
  if (result.error) { answer.textContent = `Could not read it: ${result.error}`; return; }
  const lines = result.lines || [];
  answer.textContent = result.no_digit ? "No number found"
    : lines.length ? `Read ${lines.length} line${lines.length > 1 ? "s" : ""}${result.pages ? ` on ${result.pages} pages, page by page` : ""}, top to bottom:\n`
      + lines.map((l, i) => `${i + 1}. ${l.page ? `page ${l.page}: ` : ""}${l.number}${l.uncertain ? " (uncertain)" : ""}`).join("\n")
    : `Read: ${result.number}${result.uncertain ? " (uncertain)" : ""}`;
  for (const u of result.unread_pages || []) answer.textContent += `\nPage ${u.page} not read: ${u.error}`;
  if (result.pages) { // a document: one image cannot hold its pages' boxes
    answer.textContent += "\n(A document's boxes are not drawn here: `digitrec predict --boxes` draws each page's.)";
    return;
  }
  const image = await createImageBitmap(file, { imageOrientation: "from-image" }).catch(() => null);
  if (turn !== uploads) return;
  if (!image) { // read on the server, but not a format this browser draws (a PDF, a HEIC photo in Chrome)
    answer.textContent += "\n(This browser cannot show the image itself, so its boxes are not drawn.)";
    return;
  }
  const scale = Math.min(3, 900 / image.width); // small scans are shown larger, big photos smaller
  canvas.width = image.width * scale;
  canvas.height = image.height * scale;
  c.drawImage(image, 0, 0, canvas.width, canvas.height);
  canvas.scrollIntoView({ block: "nearest", behavior: "smooth" });
  const [w] = result.image_size || [image.width];
  const k = canvas.width / w; // boxes refer to the image as read, which may have been shrunk
  // Labels keep about 14 px on screen however small the canvas is shown (a phone).
  const onScreen = canvas.width / Math.max(1, canvas.getBoundingClientRect().width);
  c.lineWidth = 2 * onScreen;
  c.font = `bold ${Math.round(14 * onScreen)}px system-ui, sans-serif`;
  lines.forEach((l, i) => { // each line's box, numbered, dashed around its characters' boxes
    if (!l.box) return;
    const [x, y, bw, bh] = l.box, pad = 4 * onScreen;
    c.strokeStyle = c.fillStyle = "#1d4ed8";
    c.setLineDash([6 * onScreen, 4 * onScreen]);
    c.strokeRect(x * k - pad, y * k - pad, bw * k + 2 * pad, bh * k + 2 * pad);
    c.setLineDash([]);
    c.fillText(`${i + 1}`, Math.max(0, x * k - pad - 12 * onScreen), y * k + bh * k / 2);
  });
  for (const d of result.characters) {
    if (!d.box) continue;
    const [x, y, bw, bh] = d.box;
    c.strokeStyle = c.fillStyle = d.uncertain ? "#b45309" : "#1f8a4c";
    c.strokeRect(x * k, y * k, bw * k, bh * k);
    c.fillText(`${d.char} ${pct(d.confidence)}`, x * k, Math.max(14 * onScreen, y * k - 4 * onScreen));
  }
}

// ------------------------------------------------------------ models

async function models() {
  const list = await (await fetch("/v1/models")).json();
  for (const m of list) {
    const o = document.createElement("option");
    o.value = m.name;
    o.textContent = m.name + (m.test_accuracy ? ` (${(100 * m.test_accuracy).toFixed(2)}% on MNIST)` : "");
    o.selected = m.default;
    $("model").append(o);
  }
}
// A change of model or of "Digits only" reads the drawing and the last photo again.
function settingsChanged() { schedule(); if (uploaded) upload(uploaded); }
$("model").addEventListener("change", settingsChanged);
$("digits-only").addEventListener("change", settingsChanged);

redraw();
bars(null);
seen(null);
models();
