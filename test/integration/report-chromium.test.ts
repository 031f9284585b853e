import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/report/html.js';
import { reportRows } from '../../src/report/model.js';
import { reportScenario } from '../support/report-scenario.js';
import { NOW } from '../unit/plan/fixtures.js';

/**
 * The HTML report as a person sees it, in headless Chromium (Debian's `chromium` package) driven
 * by playwright-core. CI installs the browser (.ci/run); there a missing browser fails the run.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const INSTALL_HINT = `headless Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`;
const available = existsSync(CHROMIUM);
/** Where the screenshot goes, for people to look at (CI keeps it as an artifact). */
export const SCREENSHOT = resolve('test-results/report-chromium.png');

if (!available && !process.env.CI) console.warn(`skipping the report's browser test: ${INSTALL_HINT}`);

describe.skipIf(!available && !process.env.CI)('HTML report in headless Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const { config, observed, plan } = reportScenario();
  const total = reportRows(config, observed, plan).length;

  beforeAll(async () => {
    if (!available) throw new Error(INSTALL_HINT);
    const dir = mkdtempSync(join(tmpdir(), 'orgbridge-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(
      file,
      renderHtmlReport({ config, observed, plan, planSource: 'computed now, not applied', generatedAt: NOW }),
    );
    // An empty profile of its own: nothing from a previous run or another test leaks in.
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    await page.goto(`file://${file}`);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
  });

  const visibleKeys = () =>
    page.$$eval('#accounts tbody tr', (rows) =>
      rows
        .filter((r) => !(r as unknown as { hidden: boolean }).hidden)
        .map((r) => r.querySelector('td a, td small')?.textContent ?? ''),
    );

  it('loads with no console error and lists every account, page wide', async () => {
    expect(await page.title()).toBe('orgbridge report');
    expect(await page.locator('#shown').textContent()).toBe(`${total} of ${total} accounts`);
    expect(await visibleKeys()).toHaveLength(total);
    // The accounts table uses the whole width of the window (minus the page padding).
    const width = await page.$eval('#accounts', (t) => t.getBoundingClientRect().width);
    expect(width).toBeGreaterThan(1400 - 2 * 24 - 20);
    expect(problems).toEqual([]);
  });

  it('the search box filters the list as one types', async () => {
    await page.fill('#search', 'web');
    expect(await visibleKeys()).toEqual(['web']);
    expect(await page.locator('#shown').textContent()).toBe(`1 of ${total} accounts`);
    await page.fill('#search', 'zzz-no-such-account');
    expect(await visibleKeys()).toEqual([]);
    expect(await page.locator('#no-match').isVisible()).toBe(true);
    await page.fill('#search', 'sandbox-by-hand');
    expect(await visibleKeys()).toEqual(['(not in the config)']);
    await page.fill('#search', '');
    expect(await visibleKeys()).toHaveLength(total);
  });

  it('filters by drift, scope, OU and state', async () => {
    await page.selectOption('#filter-show', 'drift');
    expect(await visibleKeys()).toEqual(['web']);
    await page.selectOption('#filter-show', '');
    await page.selectOption('#filter-scope', 'standard');
    expect(await visibleKeys()).toEqual(['vault']);
    await page.selectOption('#filter-scope', '');
    await page.selectOption('#filter-ou', 'Morgue');
    expect(await visibleKeys()).toEqual(['legacy']);
    await page.selectOption('#filter-ou', 'Internal');
    expect((await visibleKeys()).sort()).toEqual(['api', 'batch', 'old', 'vault', 'web']);
    await page.selectOption('#filter-ou', '');
    await page.selectOption('#filter-state', 'protected');
    expect(await visibleKeys()).toEqual(['vault']);
    await page.selectOption('#filter-state', '');
    expect(problems).toEqual([]);
  });

  it('takes a screenshot for people to look at', async () => {
    mkdirSync(resolve('test-results'), { recursive: true });
    await page.fill('#search', '');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const png = readFileSync(SCREENSHOT);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
    console.info(`report screenshot: ${SCREENSHOT}`);
  });
});
