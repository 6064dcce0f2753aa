/**
 * The dashboard of one pipeline in headless Chromium (Debian's /usr/bin/chromium via playwright-core),
 * for end-to-end checks of what a user sees, with screenshots under test-artifacts/dashboard/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startAdmin, type RunningAdmin } from '@distributary/admin';
import { loadConfig } from '@distributary/config';
import { repoRoot } from '../harness/role-process';

const TOKEN = 'slot-loss-operator-token';
const ARTIFACTS = join(repoRoot, 'test-artifacts', 'dashboard');

export class DashboardView {
  private constructor(
    private readonly admin: RunningAdmin,
    private readonly context: BrowserContext,
    readonly page: Page,
    private readonly profileDir: string,
  ) {}

  static async open(configFile: string): Promise<DashboardView> {
    execFileSync('bash', [join(repoRoot, 'scripts/setup.d/dashboard.sh')], { stdio: 'inherit' });
    execFileSync('bash', [join(repoRoot, 'scripts/extras/chromium.sh')], { stdio: 'inherit' });
    mkdirSync(ARTIFACTS, { recursive: true });
    const config = loadConfig(configFile);
    config.admin = { ...config.admin, tokens: [{ token: TOKEN, role: 'operator' }] };
    const admin = await startAdmin(config, { port: 0, envTokens: '' });
    const profileDir = mkdtempSync(join(tmpdir(), 'distributary-chromium-'));
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      viewport: { width: 1440, height: 1000 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(admin.url);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('flow').waitFor();
    return new DashboardView(admin, context, page, profileDir);
  }

  async text(testId: string): Promise<string> {
    return (await this.page.getByTestId(testId).textContent({ timeout: 15_000 })) ?? '';
  }

  async shot(name: string): Promise<void> {
    await this.page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    rmSync(this.profileDir, { recursive: true, force: true });
    await this.admin.close();
  }
}
