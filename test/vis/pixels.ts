/*
 * Pixel helpers for the plot tests: colour matching, connected regions and their bounding boxes in
 * rendered RGBA images, and a temporary directory for the files the tests write.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { RgbaImage } from '../../src/vis/grid.js';

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-vis-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type Rgb = [number, number, number];

export function hexToRgb(hex: string): Rgb {
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
}

export function pixelAt(image: RgbaImage, x: number, y: number): Rgb {
  const at = (Math.round(y) * image.width + Math.round(x)) * 4;
  return [image.rgba[at]!, image.rgba[at + 1]!, image.rgba[at + 2]!];
}

/** Largest per-channel difference. */
export function colorDistance(a: Rgb, b: Rgb): number {
  return Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2]));
}

export type PixelTest = (rgb: Rgb, x: number, y: number) => boolean;

export const near = (color: string, tolerance = 24): ((rgb: Rgb) => boolean) => {
  const target = hexToRgb(color);
  return (rgb) => colorDistance(rgb, target) <= tolerance;
};

export function countPixels(image: RgbaImage, test: PixelTest, box?: Box): number {
  const { x0, y0, x1, y1 } = box ?? { x0: 0, y0: 0, x1: image.width - 1, y1: image.height - 1 };
  let n = 0;
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (test(pixelAt(image, x, y), x, y)) n++;
  return n;
}

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface Region extends Box {
  /** Pixel indices (y * width + x). */
  pixels: number[];
}

/** Connected regions (8-neighbour) of pixels passing `test`, largest first. */
export function regions(image: RgbaImage, test: PixelTest): Region[] {
  const { width, height } = image;
  const inside = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (test(pixelAt(image, x, y), x, y)) inside[y * width + x] = 1;
  const seen = new Uint8Array(width * height);
  const found: Region[] = [];
  for (let start = 0; start < inside.length; start++) {
    if (!inside[start] || seen[start]) continue;
    const region: Region = { x0: width, y0: height, x1: -1, y1: -1, pixels: [] };
    const stack = [start];
    seen[start] = 1;
    while (stack.length > 0) {
      const p = stack.pop()!;
      const x = p % width;
      const y = (p - x) / width;
      region.pixels.push(p);
      region.x0 = Math.min(region.x0, x);
      region.x1 = Math.max(region.x1, x);
      region.y0 = Math.min(region.y0, y);
      region.y1 = Math.max(region.y1, y);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const q = ny * width + nx;
          if (inside[q] && !seen[q]) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    found.push(region);
  }
  return found.sort((a, b) => b.pixels.length - a.pixels.length);
}

/** Mean row of the region's pixels in column x (NaN if none). */
export function meanRowInColumn(region: Region, width: number, x: number): number {
  let sum = 0;
  let n = 0;
  for (const p of region.pixels)
    if (p % width === x) {
      sum += (p - x) / width;
      n++;
    }
  return n === 0 ? NaN : sum / n;
}

export function luminance([r, g, b]: Rgb): number {
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The width and height attributes of an SVG's root element. */
export function svgSize(svg: string): [number, number] {
  const match = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  if (!match) throw new Error('no width/height on the svg element');
  return [Number(match[1]), Number(match[2])];
}
