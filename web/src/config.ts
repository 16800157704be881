import { ConsoleConfigSchema, type ConsoleConfig } from '../../types/consoleConfig.ts';

/**
 * The runtime config the deployment writes next to the build (`/config.json`: API URL, region, how to sign in),
 * so one build serves every stack and local mode. A missing or malformed file is an error the app shows.
 */
export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json answered HTTP ${response.status}`);
  const parsed = ConsoleConfigSchema.safeParse(await response.json());
  if (!parsed.success)
    throw new Error(
      `/config.json is not a Keepsake console config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
