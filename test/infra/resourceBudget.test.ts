import { describe, expect, it } from 'vitest';
import { keepsakeTemplate } from '../../scripts/local/stack.ts';

/**
 * CloudFormation refuses a stack of more than 500 resources. Keepsake stays at 350 or fewer so that new features
 * have room, and so that growth is a decision: a change that crosses the budget makes room first (fewer resources
 * per Lambda, Lambdas shared by operations with the same grants, or a nested stack).
 */
const BUDGET = 350;

/** Resource types by count, most first. */
function countsByType(resources: Record<string, { Type: string }>): [string, number][] {
  const counts = new Map<string, number>();
  for (const { Type } of Object.values(resources)) counts.set(Type, (counts.get(Type) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

describe('Keepsake stack size', () => {
  it(`keeps the stack within ${BUDGET} resources (CloudFormation's limit is 500)`, () => {
    const resources = keepsakeTemplate({ alarmEmail: 'ops@example.com' }).toJSON().Resources as Record<
      string,
      { Type: string }
    >;
    const total = Object.keys(resources).length;
    const biggest = countsByType(resources)
      .slice(0, 6)
      .map(([type, count]) => `${count} ${type}`)
      .join(', ');
    expect(total, `${total} resources, budget ${BUDGET}; the biggest types: ${biggest}`).toBeLessThanOrEqual(BUDGET);
  });
});
