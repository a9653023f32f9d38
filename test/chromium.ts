/**
 * Headless Chromium as the browser tests drive it through playwright-core: Debian's package, and the
 * flags that keep it from reaching the network on its own (the tests assert that every request stays
 * on 127.0.0.1). A test skips when the binary is missing; CI installs it (.ci/run).
 */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
