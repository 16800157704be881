import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHttpApi, type LocalHttpApi } from '../../scripts/local/httpApi.ts';
import type { ConsoleConfig } from '../../types/consoleConfig.ts';
import { executeApiSigner } from '../../types/sigV4.ts';
import { consolePage, launchChromium, screenshot } from '../support/browser.ts';
import {
  FAKE_CLIENT_ID,
  FAKE_IDENTITY_POOL_ID,
  FAKE_REGION,
  FAKE_USER_POOL_ID,
  startFakeCognito,
  type FakeCognito,
} from '../support/fakeCognito.ts';
import { startLocalMode, type LocalModeProcess } from '../support/localMode.ts';
import { startSignedApiGateway, type SignedApiGateway } from '../support/signedApiGateway.ts';

/**
 * The deployed console's sign-in in real Chromium, with AWS faked only where it must be: a fake of the Cognito
 * endpoints the console calls, and in front of local mode's API a stand-in for API Gateway's AWS_IAM authorizer
 * that verifies every SigV4 signature and refuses what the signer's role may not do. The console is served from
 * an origin of its own with a `cognito` config.json, so its API calls are cross-origin as in AWS (CORS included).
 */
const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

let dataDir: string;
let local: LocalModeProcess;
let cognito: FakeCognito;
let gateway: SignedApiGateway;
let site: LocalHttpApi;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  // The console's origin is known once its server listens, after the fake and the gateway that must name it.
  let consoleOrigin = '';
  cognito = await startFakeCognito(() => consoleOrigin);
  site = await startLocalHttpApi({
    port: 0,
    principal: 'static files only',
    role: () => 'viewer',
    console: {
      dir: WEB_DIST,
      config: (): ConsoleConfig => ({
        apiUrl: gateway.apiUrl,
        region: FAKE_REGION,
        auth: {
          kind: 'cognito',
          userPoolId: FAKE_USER_POOL_ID,
          userPoolClientId: FAKE_CLIENT_ID,
          identityPoolId: FAKE_IDENTITY_POOL_ID,
          authDomain: cognito.url,
          identityEndpoint: cognito.url,
        },
      }),
    },
  });
  consoleOrigin = site.url;
  dataDir = await mkdtemp(join(tmpdir(), 'keepsake-sign-in-'));
  // Local mode's handlers name the console's origin in every answer, as the Lambdas do with CONSOLE_ORIGIN.
  local = await startLocalMode(['--data-dir', dataDir, '--api-port', '0'], { CONSOLE_ORIGIN: consoleOrigin });
  gateway = await startSignedApiGateway({
    upstream: local.apiUrl,
    region: FAKE_REGION,
    consoleOrigin: () => consoleOrigin,
    credentials: cognito.credentials,
  });
  browser = await launchChromium();
  page = await consolePage(browser, pageErrors);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await local?.stop('SIGINT');
  await Promise.all([site?.close(), gateway?.close(), cognito?.close()]);
  await rm(dataDir, { recursive: true, force: true });
});

const shot = (name: string) => screenshot(page, name);
const signInButton = () => page.getByRole('button', { name: 'Sign in', exact: true });

async function signInAs(email: string, groups: string[]): Promise<void> {
  cognito.user = { email, groups };
  await page.goto(`${site.url}/`);
  await signInButton().click();
  await expect.poll(() => page.getByRole('heading', { name: 'Dashboard' }).isVisible(), { timeout: 20_000 }).toBe(true);
}

/** Credentials the fake identity pool gave `email`'s last sign-in, as a signer for calls outside the browser. */
function signerOf(email: string) {
  const [accessKeyId, issued] = [...cognito.credentials].filter(([, c]) => c.email === email).at(-1) ?? [];
  if (!accessKeyId || !issued) throw new Error(`no credentials were issued to ${email}`);
  return executeApiSigner({
    region: FAKE_REGION,
    credentials: { accessKeyId, secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken },
  });
}

describe('signing in to the deployed console (Cognito, SigV4, CORS)', () => {
  it('lands on the sign-in page, calling no API before sign-in', async () => {
    await page.goto(`${site.url}/backups`);
    await signInButton().waitFor();
    expect(await page.getByRole('heading', { name: 'Keepsake' }).isVisible()).toBe(true);
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    expect(gateway.calls).toEqual([]);
    await shot('sign-in');
  });

  it('signs in on the hosted UI with PKCE and loads the dashboard through signed cross-origin calls', async () => {
    await signInAs('ada@example.com', ['viewer', 'admin']);
    expect(page.url()).toBe(`${site.url}/`);
    expect(cognito.calls.slice(0, 4)).toEqual([
      'authorize',
      'token:authorization_code',
      'GetId',
      'GetCredentialsForIdentity',
    ]);
    await page.getByRole('row').filter({ hasText: 'demo (local MariaDB)' }).first().waitFor();
    expect(await page.getByText('ada@example.com, admin').isVisible()).toBe(true);

    const admin = [...cognito.credentials].find(([, c]) => c.email === 'ada@example.com');
    expect(admin?.[1].role).toBe('admin');
    expect(gateway.calls.length).toBeGreaterThan(0);
    for (const call of gateway.calls) expect(call).toMatchObject({ status: 200, signedBy: admin?.[0] });
    expect(gateway.calls.every((call) => call.path.startsWith('/prod/v1/'))).toBe(true);

    // Tokens live in this tab's sessionStorage, never in localStorage; the PKCE verifier is gone once used.
    const storage = (await page.evaluate(
      '({ session: { ...sessionStorage }, local: JSON.stringify({ ...localStorage }) })',
    )) as { session: Record<string, string>; local: string };
    expect(Object.keys(storage.session)).toEqual(['keepsake.tokens']);
    expect(JSON.parse(storage.session['keepsake.tokens'] ?? '{}')).toMatchObject({
      idToken: expect.any(String),
      refreshToken: expect.any(String),
    });
    expect(storage.local).not.toMatch(/keepsake\.tokens|idToken|refreshToken/);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Audit log' }).isVisible()).toBe(true);
    await expect
      .poll(() => gateway.calls.filter((c) => c.path === '/prod/v1/audit').map((c) => c.status))
      .toContain(200);
    await shot('signed-in-admin');
  });

  it('has unsigned and tampered calls refused (403, readable cross-origin), and the signed original served', async () => {
    const sign = signerOf('ada@example.com');
    const url = `${gateway.apiUrl}v1/data-sources`;
    expect((await fetch(await sign(new Request(url)))).status).toBe(200);
    expect((await fetch(url)).status).toBe(403);
    const signed = await sign(new Request(url));
    const tampered = await fetch(new Request(`${gateway.apiUrl}v1/audit`, { headers: signed.headers }));
    expect(tampered.status).toBe(403);
    expect(tampered.headers.get('access-control-allow-origin')).toBe(site.url);
    expect(gateway.calls.filter((c) => c.refused).map((c) => c.refused)).toEqual([
      'missing or malformed Authorization',
      'signature does not match',
    ]);

    // From the console's page, an unsigned call gets the 403 with a CORS header the browser lets it read.
    const fromPage = await page.evaluate(async (target) => {
      const response = await fetch(target);
      return { status: response.status, body: await response.json() };
    }, url);
    expect(fromPage).toMatchObject({ status: 403, body: { message: expect.stringContaining('signature') } });
  });

  it('signs out through the hosted UI back to the sign-in page, with the tokens gone', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInButton().waitFor();
    expect(cognito.calls.at(-1)).toBe('logout');
    expect(page.url()).toBe(`${site.url}/`);
    expect(await page.evaluate('sessionStorage.getItem("keepsake.tokens")')).toBeNull();
  });

  it('shows a viewer no admin or operator actions, and the API refuses them anyway', async () => {
    await signInAs('val@example.com', ['viewer']);
    expect(await page.getByText('val@example.com, viewer').isVisible()).toBe(true);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).count()).toBe(
      0,
    );
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Data sources' }).click();
    await page.getByRole('row').filter({ hasText: 'demo (local MariaDB)' }).waitFor();
    for (const name of ['Add data source', 'Back up now', 'Test connection', 'Disable', 'Delete']) {
      expect({ name, count: await page.getByRole('button', { name, exact: true }).count() }).toEqual({
        name,
        count: 0,
      });
    }
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Backups' }).click();
    await page.getByRole('row').filter({ hasText: 'succeeded' }).first().waitFor();
    for (const name of ['Download', 'Verify', 'Restore', 'Trash']) {
      expect({ name, count: await page.getByRole('button', { name, exact: true }).count() }).toEqual({
        name,
        count: 0,
      });
    }
    await shot('signed-in-viewer');

    const sign = signerOf('val@example.com');
    expect((await fetch(await sign(new Request(`${gateway.apiUrl}v1/backups`)))).status).toBe(200);
    const restore = await fetch(
      await sign(
        new Request(`${gateway.apiUrl}v1/restores`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }),
      ),
    );
    expect(restore.status).toBe(403);
    expect(((await restore.json()) as { message: string }).message).toMatch(
      /not authorized to perform: execute-api:Invoke on POST \/v1\/restores/,
    );
  });

  it('renews its tokens with the refresh token and takes new credentials before the old ones expire', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInButton().waitFor();
    // Tokens and credentials that expire within the console's 5-minute margin: renewed before every call.
    cognito.lifetimeSeconds = 200;
    const callsBefore = cognito.calls.length;
    await signInAs('otto@example.com', ['operator']);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Backups' }).click();
    await page.getByRole('row').filter({ hasText: 'succeeded' }).first().waitFor();
    expect(await page.getByRole('button', { name: 'Verify', exact: true }).count()).toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: 'Restore', exact: true }).count()).toBe(0);

    const calls = cognito.calls.slice(callsBefore);
    expect(calls.filter((c) => c === 'token:authorization_code')).toHaveLength(1);
    expect(calls.filter((c) => c === 'token:refresh_token').length).toBeGreaterThan(1);
    const keys = [...cognito.credentials].filter(([, c]) => c.email === 'otto@example.com').map(([key]) => key);
    expect(keys.length).toBeGreaterThan(1);
    const signedBy = new Set(gateway.calls.filter((c) => keys.includes(c.signedBy ?? '')).map((c) => c.signedBy));
    expect(signedBy.size).toBeGreaterThan(1);
    expect(gateway.calls.filter((c) => keys.includes(c.signedBy ?? '')).every((c) => c.status === 200)).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
