import { describe, expect, it } from 'vitest';
import { keepsakeTemplate } from '../../scripts/local/stack.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON, read by the shapes the checks expect
type Resource = { Properties: Record<string, any> };

describe('X-Ray tracing', () => {
  const template = keepsakeTemplate();
  const resources = (type: string) => Object.entries(template.findResources(type) as Record<string, Resource>);

  it('is on at every hop a request takes: the API stage, each state machine and each Keepsake Lambda', () => {
    const stages = resources('AWS::ApiGateway::Stage');
    expect(stages.length).toBeGreaterThan(0);
    for (const [id, stage] of stages) expect([id, stage.Properties.TracingEnabled]).toEqual([id, true]);

    const machines = resources('AWS::StepFunctions::StateMachine');
    expect(machines.length).toBeGreaterThanOrEqual(4);
    for (const [id, machine] of machines) {
      expect([id, machine.Properties.TracingConfiguration]).toEqual([id, { Enabled: true }]);
    }

    // KeepsakeFunction's (Node 24 on ARM64); CDK's own helper functions (log retention, deployments) are not ours.
    const lambdas = resources('AWS::Lambda::Function').filter(([, fn]) => fn.Properties.Runtime === 'nodejs24.x');
    expect(lambdas.length).toBeGreaterThan(20);
    for (const [id, fn] of lambdas) expect([id, fn.Properties.TracingConfig]).toEqual([id, { Mode: 'Active' }]);
  });
});
