import { describe, expect, it } from 'vitest';
import { loadLocalStepFunctions } from '../../../scripts/local/aslRuntime.ts';
import { parseIntrinsic } from '../../../scripts/local/intrinsics.ts';

/** Strings that break a naive escaper: each must come out of an intrinsic exactly as AWS gives it. */
const HOSTILE = [
  'x\\y',
  'a"b',
  '\\"',
  'line\nbreak',
  'tab\there\r\n',
  "it's",
  '{}',
  '\\{\\}',
  '\\\\server\\share',
  '\\u0000 looks like an escape',
  'a real \u0000 NUL and \u001f',
  'unicode ✓ é 日本 🎉',
  'trailing backslash\\',
  '',
];

const RUN_TASK = 'arn:aws:states:::ecs:runTask.sync';

/** Runs a one-Task machine with `parameters` on `input` under local mode's runtime; resolves with what the task received. */
async function taskReceives(
  parameters: Record<string, unknown>,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const { StateMachine } = await loadLocalStepFunctions();
  const machine = new StateMachine(
    {
      StartAt: 'Work',
      States: { Work: { Type: 'Task', Resource: RUN_TASK, Parameters: parameters, End: true } },
    } as never,
    {
      validationOptions: { checkArn: false, checkPaths: false },
    },
  );
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: { Work: async (received: unknown) => received as never } },
  });
  return (await execution.result) as Record<string, unknown>;
}

/**
 * Local mode's intrinsic functions against what Step Functions produces (aws-local-stepfunctions alone strips
 * every backslash from an intrinsic's result: `{"database":"x\\y"}` became `{"database":"xy"}`).
 */
describe("local mode's intrinsic functions", () => {
  it.each(HOSTILE)(
    'States.JsonToString gives JSON.stringify of the value, which parses back to it: %j',
    async (name) => {
      const job = { database: name, nested: { list: [name, 1, true, null] } };
      const received = await taskReceives({ 'Value.$': 'States.JsonToString($.begun.job)' }, { begun: { job } });
      expect(received.Value).toBe(JSON.stringify(job));
      expect(JSON.parse(received.Value as string)).toEqual(job);
    },
  );

  it('States.JsonToString of a bare string, number and the whole input', async () => {
    const input = { s: 'a\\b"c\nd', n: 1.5 };
    const received = await taskReceives(
      { 's.$': 'States.JsonToString($.s)', 'n.$': 'States.JsonToString($.n)', 'all.$': 'States.JsonToString($)' },
      input,
    );
    expect(received).toEqual({ s: JSON.stringify(input.s), n: '1.5', all: JSON.stringify(input) });
  });

  it.each(HOSTILE)('States.Format inserts path values verbatim: %j', async (name) => {
    const received = await taskReceives(
      {
        'Message.$':
          "States.Format('The backup of data source {} succeeded, but applying its retention failed: {}.', $.id, $.cause)",
      },
      { id: name, cause: `${name}!` },
    );
    expect(received.Message).toBe(
      `The backup of data source ${name} succeeded, but applying its retention failed: ${name}!.`,
    );
  });

  it("States.Format's literal: \\' \\{ \\} \\\\ are its only escapes, and an escaped {} is no placeholder", async () => {
    // The intrinsic as Step Functions reads it (after JSON): 'it\'s \{\} {} \\ and {}'
    const received = await taskReceives(
      { 'm.$': "States.Format('it\\'s \\{\\} {} \\\\ and {}', $.a, $.b)" },
      { a: 'x\\y', b: 42 },
    );
    expect(received.m).toBe("it's {} x\\y \\ and 42");
  });

  it('States.Format formats numbers, booleans and null, and refuses a count mismatch or an object as States.Runtime', async () => {
    expect(
      (await taskReceives({ 'm.$': "States.Format('{} {} {}', $.n, $.t, $.z)" }, { n: -2.5, t: true, z: null })).m,
    ).toBe('-2.5 true null');
    await expect(taskReceives({ 'm.$': "States.Format('{} {}', $.n)" }, { n: 1 })).rejects.toMatchObject({
      cause: { name: 'States.Runtime' },
    });
    await expect(taskReceives({ 'm.$': "States.Format('{}', $.o)" }, { o: { a: 1 } })).rejects.toMatchObject({
      cause: { name: 'States.Runtime' },
    });
  });

  it.each(HOSTILE)('States.StringToJson(States.JsonToString(x)) gives x back: %j', async (name) => {
    const value = { name, list: [name] };
    const received = await taskReceives(
      {
        'v.$': 'States.StringToJson(States.JsonToString($.value))',
        'a.$': "States.Array($.value.name, 'lit\\'eral', 3, null)",
      },
      { value },
    );
    expect(received.v).toEqual(value);
    expect(received.a).toEqual([name, "lit'eral", 3, null]);
  });

  it('a failing intrinsic is States.Runtime, which Catch States.ALL does not catch (as in AWS)', async () => {
    const { StateMachine } = await loadLocalStepFunctions();
    const machine = new StateMachine(
      {
        StartAt: 'Work',
        States: {
          Work: {
            Type: 'Task',
            Resource: RUN_TASK,
            Parameters: { 'v.$': 'States.StringToJson($.text)' },
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
            End: true,
          },
          Caught: { Type: 'Succeed' },
        },
      } as never,
      { validationOptions: { checkArn: false, checkPaths: false } },
    );
    const execution = machine.run({ text: 'not json' } as never, {
      overrides: { taskResourceLocalHandlers: { Work: async () => ({}) } },
    });
    await expect(execution.result).rejects.toMatchObject({ cause: { name: 'States.Runtime' } });
  });

  it("evaluates intrinsics in the tasks of a Map state's item processor too", async () => {
    const { StateMachine } = await loadLocalStepFunctions();
    const machine = new StateMachine(
      {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.names',
            ItemProcessor: {
              StartAt: 'Work',
              States: {
                Work: {
                  Type: 'Task',
                  Resource: RUN_TASK,
                  Parameters: { 'Value.$': 'States.JsonToString($)' },
                  End: true,
                },
              },
            },
            End: true,
          },
        },
      } as never,
      { validationOptions: { checkArn: false, checkPaths: false } },
    );
    const items = HOSTILE.map((name) => ({ name }));
    const execution = machine.run({ names: items } as never, {
      overrides: { taskResourceLocalHandlers: { Work: async (p: unknown) => p as never } },
    });
    expect(await execution.result).toEqual(items.map((item) => ({ Value: JSON.stringify(item) })));
  });

  it('refuses intrinsics it would have to leave to the library, and ones it does not implement', async () => {
    const { StateMachine } = await loadLocalStepFunctions();
    const make = (states: Record<string, unknown>) => () =>
      new StateMachine({ StartAt: Object.keys(states)[0], States: states } as never, {
        validationOptions: { checkArn: false, checkPaths: false },
      });
    expect(make({ P: { Type: 'Pass', Parameters: { 'v.$': 'States.JsonToString($)' }, End: true } })).toThrow(
      /only in a Task's Parameters, not in its Parameters/,
    );
    expect(
      make({ T: { Type: 'Task', Resource: RUN_TASK, ResultSelector: { 'v.$': 'States.JsonToString($)' }, End: true } }),
    ).toThrow(/not in its ResultSelector/);
    expect(
      make({
        T: { Type: 'Task', Resource: RUN_TASK, Parameters: { 'v.$': "States.Hash($.a, 'SHA-256')" }, End: true },
      }),
    ).toThrow(/does not implement States\.Hash/);
  });

  it('parses the grammar strictly: quotes, commas and parentheses inside literals and paths', () => {
    expect(parseIntrinsic("States.Format('a, (b) \\'c\\' {}', $['x,y)'])")).toEqual({
      kind: 'call',
      name: 'States.Format',
      args: [
        { kind: 'string', value: "a, (b) 'c' {}", parts: ["a, (b) 'c' ", ''] },
        { kind: 'path', path: "$['x,y)']", index: 0 },
      ],
    });
    expect(() => parseIntrinsic("States.Format('\\n')")).toThrow(/\\n is not an escape/);
    expect(() => parseIntrinsic("States.Format('open")).toThrow(/unterminated/);
    expect(() => parseIntrinsic('States.JsonToString($.a) extra')).toThrow(/unexpected text/);
  });
});
