#include "frontend/file_service/file_page.h"

namespace mcscale {

namespace {

constexpr std::string_view kPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mcscale files</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 960px; padding: 1rem 1.5rem; color: #1d2330; }
  h1 { font-size: 1.4rem; margin: 0 0 .2rem; }
  h2 { font-size: 1.05rem; margin: 0 0 .6rem; }
  p.sub { margin: 0 0 1rem; color: #5b6475; }
  section { border: 1px solid #d7dce5; border-radius: 8px; padding: .9rem 1rem; margin-bottom: 1rem; }
  label { display: inline-block; min-width: 3rem; }
  input[type=text] { width: 22rem; max-width: 100%; padding: .3rem .4rem; }
  button { padding: .35rem .9rem; margin-left: .4rem; cursor: pointer; }
  .msg { margin-top: .5rem; font-family: ui-monospace, monospace; font-size: .9rem; white-space: pre-wrap; }
  .ok { color: #17693a; } .err { color: #b3261e; }
  #preview img { max-width: 100%; max-height: 420px; border: 1px solid #d7dce5; margin-top: .6rem; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; }
  th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eceff4; }
  td.key { font-family: ui-monospace, monospace; word-break: break-all; }
  a { color: #2456c7; cursor: pointer; }
</style>
</head>
<body>
<h1>mcscale files</h1>
<p class="sub">Files on disk, the key index in SQLite, the mcscale cache pool in front.</p>

<section>
  <h2>Upload</h2>
  <form id="upload">
    <label for="up-key">Key</label> <input type="text" id="up-key" name="key" required maxlength="250" placeholder="e.g. photos/cat.png">
    <input type="file" id="up-file" name="file" required>
    <button type="submit" id="up-button">Upload</button>
  </form>
  <div class="msg" id="up-msg"></div>
</section>

<section>
  <h2>Look up</h2>
  <form id="lookup">
    <label for="get-key">Key</label> <input type="text" id="get-key" required maxlength="250">
    <button type="submit" id="get-button">Look up</button>
  </form>
  <div class="msg" id="get-msg"></div>
  <div id="preview"></div>
</section>

<section>
  <h2>Keys <button id="refresh" type="button">Refresh</button></h2>
  <table><thead><tr><th>key</th><th>size</th><th>type</th><th>uploaded (UTC)</th></tr></thead>
  <tbody id="keys"></tbody></table>
  <div class="msg" id="list-msg"></div>
</section>

<script>
"use strict";
const $ = (id) => document.getElementById(id);
function show(el, text, ok) { el.textContent = text; el.className = "msg " + (ok ? "ok" : "err"); }
async function errorOf(resp) {
  try { const j = await resp.json(); return j.error || JSON.stringify(j); } catch (e) { return resp.statusText; }
}
function keyUrl(key) { return "/api/key/" + encodeURIComponent(key); }

$("upload").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData();
  form.append("key", $("up-key").value);
  if ($("up-file").files.length) form.append("file", $("up-file").files[0]);
  const resp = await fetch("/api/upload", { method: "POST", body: form });
  if (resp.ok) {
    const j = await resp.json();
    show($("up-msg"), "stored " + j.key + " (" + j.size + " bytes, " + j.content_type + ")" + (j.replaced ? ", replaced the previous file" : ""), true);
    $("get-key").value = j.key;
    loadKeys();
  } else {
    show($("up-msg"), "HTTP " + resp.status + ": " + await errorOf(resp), false);
  }
});

async function lookUp(key) {
  const preview = $("preview");
  preview.textContent = "";
  const resp = await fetch(keyUrl(key), { cache: "no-store" });
  if (!resp.ok) { show($("get-msg"), "HTTP " + resp.status + ": " + await errorOf(resp), false); return; }
  const type = resp.headers.get("Content-Type") || "";
  const blob = await resp.blob();
  show($("get-msg"), key + ": " + blob.size + " bytes, " + type + " (cache: " + (resp.headers.get("X-Cache") || "?") + ")", true);
  if (type.startsWith("image/")) {
    const img = document.createElement("img");
    img.id = "preview-img";
    img.alt = key;
    img.src = URL.createObjectURL(blob);
    preview.appendChild(img);
  } else {
    const a = document.createElement("a");
    a.href = keyUrl(key);
    a.textContent = "open " + key;
    a.target = "_blank";
    preview.appendChild(a);
  }
}
$("lookup").addEventListener("submit", (ev) => { ev.preventDefault(); lookUp($("get-key").value); });

async function loadKeys() {
  const resp = await fetch("/api/list_keys?limit=100", { cache: "no-store" });
  if (!resp.ok) { show($("list-msg"), "HTTP " + resp.status + ": " + await errorOf(resp), false); return; }
  const j = await resp.json();
  const body = $("keys");
  body.textContent = "";
  for (const k of j.keys) {
    const tr = document.createElement("tr");
    const td = (text, cls) => { const c = document.createElement("td"); c.textContent = text; if (cls) c.className = cls; tr.appendChild(c); return c; };
    const keyCell = td("", "key");
    const a = document.createElement("a");
    a.textContent = k.key;
    a.addEventListener("click", () => { $("get-key").value = k.key; lookUp(k.key); });
    keyCell.appendChild(a);
    td(k.size + " B"); td(k.content_type); td(k.uploaded.replace("T", " ").replace("Z", ""));
    body.appendChild(tr);
  }
  show($("list-msg"), j.total + " key(s)" + (j.total > j.keys.length ? ", first " + j.keys.length + " shown" : ""), true);
}
$("refresh").addEventListener("click", loadKeys);
loadKeys();
</script>
</body>
</html>
)HTML";

}  // namespace

std::string_view FilePage() { return kPage; }

}  // namespace mcscale
