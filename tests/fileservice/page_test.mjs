// Headless Chromium test of the file service's page (GET /): upload an image under a key
// through the form, look the key up, check that the image rendered (naturalWidth > 0) and
// that the key is listed, and that the page made no request to any other origin. Saves a
// screenshot. Run by scripts/test.d/file_service_e2e.sh:
//
//   node page_test.mjs http://127.0.0.1:PORT/ SCREENSHOT.png
//
// Chromium: /usr/bin/chromium (Debian's), or $CHROMIUM.
import { chromium } from "playwright-core";
import { deflateSync } from "node:zlib";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const [base, screenshot] = process.argv.slice(2);
if (!base || !screenshot) {
  console.error("usage: node page_test.mjs BASE_URL SCREENSHOT.png");
  process.exit(2);
}

// A 64x48 PNG with a gradient, made here so the test needs no image file.
function crc32(buf) {
  let c, crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;  // 8-bit RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = 40 + Math.floor((x / width) * 200);
      raw[row + 2 + x * 3] = 90;
      raw[row + 3 + x * 3] = 40 + Math.floor((y / height) * 200);
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr),
                        chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

const work = mkdtempSync(join(tmpdir(), "mcscale-page-"));
const profile = join(work, "profile");
mkdirSync(profile);
const image = join(work, "gradient.png");
writeFileSync(image, png(64, 48));
const key = "e2e/gradient-" + Date.now() + ".png";

const origin = new URL(base).origin;
const foreign = [];
let context;
let failed = false;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
    viewport: { width: 1000, height: 900 },
  });
  const page = context.pages()[0] || await context.newPage();
  page.on("request", (req) => {
    const url = req.url();
    if (!url.startsWith(origin) && !url.startsWith("blob:") && !url.startsWith("data:")) foreign.push(url);
  });
  page.setDefaultTimeout(20000);
  await page.goto(base);
  await page.fill("#up-key", key);
  await page.setInputFiles("#up-file", image);
  await page.click("#up-button");
  await page.waitForFunction(() => document.getElementById("up-msg").textContent.startsWith("stored "));
  console.log("upload:", await page.textContent("#up-msg"));

  await page.fill("#get-key", key);
  await page.click("#get-button");
  await page.waitForSelector("#preview-img");
  const width = await page.evaluate(async () => {
    const img = document.getElementById("preview-img");
    if (!img.complete) await new Promise((ok) => { img.onload = ok; img.onerror = ok; });
    return img.naturalWidth;
  });
  console.log("look-up:", await page.textContent("#get-msg"), "- naturalWidth", width);
  if (width !== 64) throw new Error("the image did not render: naturalWidth " + width + ", expected 64");

  await page.waitForFunction((k) => [...document.querySelectorAll("#keys td.key")].some((td) => td.textContent === k), key);
  const unknown = "e2e/does-not-exist";
  await page.fill("#get-key", unknown);
  await page.click("#get-button");
  await page.waitForFunction(() => document.getElementById("get-msg").textContent.startsWith("HTTP 404"));
  console.log("unknown key:", await page.textContent("#get-msg"));
  // Leave the page showing the image for the screenshot.
  await page.fill("#get-key", key);
  await page.click("#get-button");
  await page.waitForSelector("#preview-img");
  mkdirSync(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log("screenshot:", screenshot);
  if (foreign.length) throw new Error("the page requested other origins: " + foreign.join(", "));
  console.log("page test: OK");
} catch (err) {
  failed = true;
  console.error("page test: FAILED:", err.message);
} finally {
  if (context) await context.close();
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
