import { createRequire } from 'node:module';
import type * as Axe from 'axe-core';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * The serious and critical axe-core violations on the page as it is now (an open dialog included), one line per
 * element: `rule (impact) target: what to fix`. axe is injected once per document and stays across in-app navigation.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ path: AXE_SCRIPT });
  return page.evaluate(async () => {
    const { axe } = globalThis as unknown as { axe: typeof Axe };
    const results = await axe.run({ resultTypes: ['violations'] });
    return results.violations
      .filter((rule) => rule.impact === 'serious' || rule.impact === 'critical')
      .flatMap((rule) =>
        rule.nodes.map(
          (node) =>
            `${rule.id} (${node.impact ?? rule.impact}) ${node.target.join(' ')}: ${(node.failureSummary ?? rule.help).replace(/\s+/g, ' ')}`,
        ),
      );
  });
}

/**
 * Fails (softly, so one run lists every page's problems) when axe finds a serious or critical violation; `label`
 * names the page, dialog, theme and width in the failure.
 */
export async function expectNoSeriousViolations(page: Page, label: string): Promise<void> {
  expect.soft(await seriousViolations(page), `axe on ${label}`).toEqual([]);
}
