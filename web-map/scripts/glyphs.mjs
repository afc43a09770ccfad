// Builds MapLibre glyph PBFs (SDF, 24 px, buffer 3, radius 8, cutoff 0.25: the layout
// MapLibre GL JS expects from a `glyphs` URL) for the "Noto Sans Regular" fontstack, offline,
// from the Noto Sans WOFF subsets that npm's @fontsource/noto-sans ships.
//
// Output: public/fonts/Noto Sans Regular/{start}-{end}.pbf for every 256-codepoint range of
// the Basic Multilingual Plane (ranges the font does not cover are written empty, so the
// server answers 200 instead of 404). CJK ideographs are drawn in the browser with
// `localIdeographFontFamily`; these PBFs cover Latin, digits, Greek, Cyrillic, Vietnamese.
//
// Usage: node scripts/glyphs.mjs [outDir]   (skips the work when the output is up to date)

import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import opentype from "opentype.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const FONTSTACK = "Noto Sans Regular";
const outDir = process.argv[2] ?? join(root, "public", "fonts", FONTSTACK);

const SIZE = 24; // MapLibre's glyph size (ONE_EM)
const BUFFER = 3; // padding around each glyph bitmap
const RADIUS = 8; // distance (px) the field encodes
const CUTOFF = 0.25; // share of the range used inside the glyph (edge at 192/255)

// First font that has a codepoint wins: latin before latin-ext, and so on.
const SUBSETS = ["latin", "latin-ext", "greek", "greek-ext", "cyrillic", "cyrillic-ext", "vietnamese"];
const fontFiles = SUBSETS.map((s) =>
  join(root, "node_modules", "@fontsource", "noto-sans", "files", `noto-sans-${s}-400-normal.woff`),
);

const stamp = join(outDir, "0-255.pbf");
if (existsSync(stamp) && fontFiles.every((f) => statSync(f).mtimeMs < statSync(stamp).mtimeMs)
    && statSync(fileURLToPath(import.meta.url)).mtimeMs < statSync(stamp).mtimeMs) {
  console.log(`glyphs: ${outDir} is up to date`);
  process.exit(0);
}

const fonts = fontFiles.map((f) => {
  const b = readFileSync(f);
  return opentype.parse(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
});

/** The glyph for a codepoint and the font it comes from, or null. */
function lookup(cp) {
  for (const font of fonts) {
    const index = font.charToGlyphIndex(String.fromCodePoint(cp));
    if (index > 0) return { font, glyph: font.glyphs.get(index) };
  }
  return null;
}

/** The outline as closed polylines in pixels, y up (curves flattened). */
function contours(font, glyph) {
  const scale = SIZE / font.unitsPerEm;
  const out = [];
  let cur = null;
  let x = 0;
  let y = 0;
  const steps = 8;
  for (const c of glyph.path.commands) {
    if (c.type === "M") {
      if (cur && cur.length > 2) out.push(cur);
      cur = [[c.x * scale, c.y * scale]];
      x = c.x; y = c.y;
    } else if (c.type === "L") {
      cur.push([c.x * scale, c.y * scale]);
      x = c.x; y = c.y;
    } else if (c.type === "Q") {
      for (let i = 1; i <= steps; i++) {
        const t = i / steps, u = 1 - t;
        cur.push([(u * u * x + 2 * u * t * c.x1 + t * t * c.x) * scale,
                  (u * u * y + 2 * u * t * c.y1 + t * t * c.y) * scale]);
      }
      x = c.x; y = c.y;
    } else if (c.type === "C") {
      for (let i = 1; i <= steps; i++) {
        const t = i / steps, u = 1 - t;
        cur.push([(u * u * u * x + 3 * u * u * t * c.x1 + 3 * u * t * t * c.x2 + t * t * t * c.x) * scale,
                  (u * u * u * y + 3 * u * u * t * c.y1 + 3 * u * t * t * c.y2 + t * t * t * c.y) * scale]);
      }
      x = c.x; y = c.y;
    } else if (c.type === "Z") {
      if (cur && cur.length > 2) out.push(cur);
      cur = null;
    }
  }
  if (cur && cur.length > 2) out.push(cur);
  return out;
}

/** Signed distance field of one glyph, with MapLibre's metrics. */
function render(font, glyph, ascender) {
  const scale = SIZE / font.unitsPerEm;
  const advance = Math.round(glyph.advanceWidth * scale);
  const rings = contours(font, glyph);
  if (rings.length === 0) {
    return { width: 0, height: 0, left: 0, top: -ascender, advance, bitmap: new Uint8Array(0) };
  }
  let xMin = Infinity, yMin = Infinity, xMax = -Infinity, yMax = -Infinity;
  for (const r of rings) for (const [px, py] of r) {
    xMin = Math.min(xMin, px); xMax = Math.max(xMax, px);
    yMin = Math.min(yMin, py); yMax = Math.max(yMax, py);
  }
  const left = Math.floor(xMin);
  const bottom = Math.floor(yMin);
  const top = Math.ceil(yMax);
  const width = Math.max(1, Math.ceil(xMax) - left);
  const height = Math.max(1, top - bottom);
  const w = width + 2 * BUFFER;
  const h = height + 2 * BUFFER;
  const segs = [];
  for (const r of rings) {
    for (let i = 0; i < r.length; i++) {
      const a = r[i], b = r[(i + 1) % r.length];
      if (a[0] !== b[0] || a[1] !== b[1]) segs.push([a[0], a[1], b[0], b[1]]);
    }
  }
  const bitmap = new Uint8Array(w * h);
  for (let j = 0; j < h; j++) {
    const py = top + BUFFER - j - 0.5;
    for (let i = 0; i < w; i++) {
      const px = left - BUFFER + i + 0.5;
      let best = Infinity;
      let winding = 0;
      for (const [ax, ay, bx, by] of segs) {
        const dx = bx - ax, dy = by - ay;
        const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
        const ex = ax + t * dx - px, ey = ay + t * dy - py;
        const d2 = ex * ex + ey * ey;
        if (d2 < best) best = d2;
        // Non-zero winding: TrueType and CFF outlines both fill by it.
        if (ay <= py) {
          if (by > py && dx * (py - ay) - (px - ax) * dy > 0) winding++;
        } else if (by <= py && dx * (py - ay) - (px - ax) * dy < 0) {
          winding--;
        }
      }
      const d = Math.sqrt(best) * (winding !== 0 ? -1 : 1);
      const v = Math.round(255 - 255 * (d / RADIUS + CUTOFF));
      bitmap[j * w + i] = Math.max(0, Math.min(255, v));
    }
  }
  return { width, height, left, top: top - ascender, advance, bitmap };
}

// Minimal protobuf writer for glyphs.proto: glyphs{1: fontstack{1 name, 2 range, 3 glyph{
// 1 id, 2 bitmap, 3 width, 4 height, 5 left (sint32), 6 top (sint32), 7 advance}}}.
function varint(out, n) {
  while (n > 127) { out.push((n & 127) | 128); n >>>= 7; }
  out.push(n);
}
const zigzag = (n) => (n << 1) ^ (n >> 31);
function field(out, tag, wire) { varint(out, (tag << 3) | wire); }
function bytesField(out, tag, bytes) { field(out, tag, 2); varint(out, bytes.length); for (const b of bytes) out.push(b); }
function uintField(out, tag, n) { field(out, tag, 0); varint(out, n >>> 0); }
function sintField(out, tag, n) { field(out, tag, 0); varint(out, zigzag(n) >>> 0); }

function encodeGlyph(id, g) {
  const out = [];
  uintField(out, 1, id);
  if (g.bitmap.length) bytesField(out, 2, g.bitmap);
  uintField(out, 3, g.width);
  uintField(out, 4, g.height);
  sintField(out, 5, g.left);
  sintField(out, 6, g.top);
  uintField(out, 7, g.advance);
  return out;
}

function encodeRange(start, end, glyphs) {
  const stack = [];
  bytesField(stack, 1, Buffer.from(FONTSTACK, "utf8"));
  bytesField(stack, 2, Buffer.from(`${start}-${end}`, "utf8"));
  for (const [id, g] of glyphs) bytesField(stack, 3, encodeGlyph(id, g));
  const out = [];
  bytesField(out, 1, stack);
  return Uint8Array.from(out);
}

mkdirSync(outDir, { recursive: true });
const ascender = Math.round((fonts[0].ascender / fonts[0].unitsPerEm) * SIZE);
let total = 0;
for (let start = 0; start < 65536; start += 256) {
  const end = start + 255;
  const glyphs = [];
  for (let cp = start; cp <= end; cp++) {
    // Surrogates and the private use area are not characters a label holds.
    if (cp >= 0xd800 && cp <= 0xf8ff) continue;
    const hit = lookup(cp);
    if (hit) glyphs.push([cp, render(hit.font, hit.glyph, ascender)]);
  }
  total += glyphs.length;
  writeFileSync(join(outDir, `${start}-${end}.pbf`), encodeRange(start, end, glyphs));
}
console.log(`glyphs: ${total} glyphs of ${FONTSTACK} in 256 ranges -> ${outDir}`);
