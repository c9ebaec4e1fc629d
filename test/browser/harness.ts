import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_TOKEN } from '../helpers/gateway';

/**
 * Real headless Chromium (Debian's package, never a downloaded one) against a real gateway on
 * 127.0.0.1. The console is built from ui/ first when ui/dist is missing or older than its sources.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI = join(ROOT, 'ui');
export const SCREENSHOTS = join(ROOT, 'test/browser/screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'dist' || name === 'node_modules') continue;
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

let built: Promise<void> | null = null;
/** `npm run build:ui`, in-process, when the bundle is missing or older than ui/. */
export function ensureUiBuilt(): Promise<void> {
  built ??= (async () => {
    let fresh = false;
    try {
      fresh = statSync(join(UI, 'dist', 'index.html')).mtimeMs >= newest(UI);
    } catch {
      fresh = false;
    }
    if (fresh) return;
    const { build } = await import('vite');
    await build({ configFile: join(UI, 'vite.config.ts'), logLevel: 'error' });
  })();
  return built;
}

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/**
 * The browser and a server started side by side. If either fails the other is closed: a failed
 * launch (no Chromium) then fails the file at once instead of leaving a gateway that keeps it open.
 */
export async function launchWith<T extends { close(): Promise<void> }>(server: Promise<T>): Promise<[Browser, T]> {
  const [b, s] = await Promise.allSettled([launch(), server]);
  if (b.status === 'fulfilled' && s.status === 'fulfilled') return [b.value, s.value];
  if (b.status === 'fulfilled') await b.value.close();
  if (s.status === 'fulfilled') await s.value.close();
  throw b.status === 'rejected' ? b.reason : (s as PromiseRejectedResult).reason;
}

const consoleErrors = new WeakMap<Page, string[]>();

/** A fresh browser context (own cookies) and page, laptop-sized unless told otherwise. */
export async function openPage(browser: Browser, viewport = { width: 1280, height: 860 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  // Nothing but the gateway on 127.0.0.1: a request elsewhere (CDN, fonts) is a bug.
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => route.abort(),
  );
  const page = await context.newPage();
  // Generous: the suite shares two cores with other work.
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) errors.push(m.text());
  });
  consoleErrors.set(page, errors);
  return { context, page };
}

/** Script errors and CSP violations the page reported. */
export function pageErrors(page: Page): string[] {
  return consoleErrors.get(page) ?? [];
}

export async function signIn(page: Page, baseUrl: string, token = ADMIN_TOKEN): Promise<void> {
  await page.goto(`${baseUrl}/ui/`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (token === ADMIN_TOKEN) await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Opens a console page by its path after /ui (a full load, as a bookmark would). */
export async function go(page: Page, baseUrl: string, path: string): Promise<void> {
  await page.goto(`${baseUrl}/ui${path}`);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Waits until the page shows `text` and returns that element's whole text. */
export async function sees(page: Page, text: string | RegExp, timeout = 20_000): Promise<string> {
  const loc = page.getByText(text).first();
  await loc.waitFor({ state: 'visible', timeout });
  return (await loc.textContent()) ?? '';
}

export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The CSRF cookie the console's script reads. */
export async function csrfCookie(context: BrowserContext): Promise<string> {
  return (await context.cookies()).find((c) => c.name === 'closeloop_csrf')?.value ?? '';
}

/** Polls `check` until it returns a value (not undefined/false). */
export async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export { ADMIN_TOKEN };
