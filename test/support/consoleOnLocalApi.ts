import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { startLocalHttpApi, type LocalHttpApi } from '../../scripts/local/httpApi.ts';
import { launchChromium } from './browser.ts';

const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

/**
 * The built console and the real API handlers (in this process, over whatever table and clients the test set up)
 * behind local mode's HTTP server, signed in as the admin `principal`, with a headless Chromium to open it.
 */
export interface ConsoleOnLocalApi {
  readonly api: LocalHttpApi;
  readonly browser: Browser;
  readonly close: () => Promise<void>;
}

export async function startConsoleOnLocalApi(principal: string): Promise<ConsoleOnLocalApi> {
  const api = await startLocalHttpApi({
    port: 0,
    principal,
    role: () => 'admin',
    console: {
      dir: WEB_DIST,
      config: (origin) => ({ apiUrl: origin, region: 'local', auth: { kind: 'local', principal, role: 'admin' } }),
    },
  });
  const browser = await launchChromium().catch(async (error: unknown) => {
    await api.close();
    throw error;
  });
  return {
    api,
    browser,
    close: async () => {
      await browser.close();
      await api.close();
    },
  };
}
