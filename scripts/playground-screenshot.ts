// Takes docs/images/playground.png: `neurona playground` in headless Chromium after a short training
// run in the page, with a 7 drawn by synthetic mouse strokes. Run: node --import tsx scripts/playground-screenshot.ts
// [--limit N] [--epochs N] (defaults 3000 and 2; the picture in docs/ used them).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values } = parseArgs({ options: { limit: { type: 'string', default: '3000' }, epochs: { type: 'string', default: '2' } } });
const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'playground', '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve, reject) => {
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    const found = /playground: (\S+)/.exec(text)?.[1];
    if (found) resolve(found);
  });
  child.on('exit', (code) => reject(new Error(`neurona playground exited with ${code}`)));
});
const profile = mkdtempSync(join(tmpdir(), 'neurona-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
  viewport: { width: 1100, height: 900 },
});
try {
  const page = await context.newPage();
  await page.goto(`${url}?limit=${values.limit}&epochs=${values.epochs}`);
  await page.waitForFunction(`document.body.dataset.data === 'ready' && document.body.dataset.backend`);
  console.log(await page.locator('#backend').textContent());
  const started = Date.now();
  await page.click('#train');
  await page.waitForFunction(`document.body.dataset.trained === 'true'`, null, { timeout: 600_000 });
  console.log(`${await page.locator('#status').textContent()} (${((Date.now() - started) / 1000).toFixed(1)} s wall)`);
  // A 7: the top bar, then the slanted stem.
  const box = (await page.locator('#pad').boundingBox())!;
  const at = (x: number, y: number) => page.mouse.move(box.x + box.width * x, box.y + box.height * y, { steps: 8 });
  await at(0.25, 0.2);
  await page.mouse.down();
  await at(0.75, 0.2);
  await at(0.45, 0.85);
  await page.mouse.up();
  await page.waitForFunction(`document.querySelectorAll('#maps figure').length > 0`);
  const top = await page.locator('#top li').allTextContents();
  console.log(`top 3: ${top.map((text) => text.replace(/^(\d)/, '$1: ')).join(', ')}`);
  await page.screenshot({ path: 'docs/images/playground.png', fullPage: true });
} finally {
  await context.close();
  child.kill('SIGINT');
  rmSync(profile, { recursive: true, force: true });
}
