import { randomUUID } from 'node:crypto';

// Hand-written: aws-local-stepfunctions 3.0.0 strips every backslash from intrinsic results and offers no hook to replace them.
/*
 * Amazon States Language intrinsic functions with AWS's semantics, for local mode.
 *
 * The library's `BaseIntrinsicFunction.call` ends with `result.replaceAll('\\', '')` (upstream too), meant to undo
 * `\'` escapes in literals but applied to data: `States.JsonToString` of `{"database":"x\\y"}` gave
 * `{"database":"xy"}`, of a name with a newline `…"anb"`, of one with a `"` invalid JSON. Its functions are
 * module-internal, so instead `prepareDefinition` takes every intrinsic out of a Task's `Parameters`, leaving the
 * library only the JSONPath arguments to resolve, and `resolveIntrinsics` evaluates the call here on the
 * parameters the task handler receives.
 */

/** An argument of an intrinsic call as written in the definition. */
export type IntrinsicArgument =
  | {
      readonly kind: 'string';
      readonly value: string;
      /** The literal split at its unescaped `{}` (States.Format). */ readonly parts: readonly string[];
    }
  | { readonly kind: 'literal'; readonly value: number | boolean | null }
  | {
      readonly kind: 'path';
      readonly path: string;
      /** Position among the call's paths, depth first. */ readonly index: number;
    }
  | IntrinsicCall;

export interface IntrinsicCall {
  readonly kind: 'call';
  readonly name: string;
  readonly args: readonly IntrinsicArgument[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * What AWS raises when an intrinsic fails at run time: `States.Runtime`, which neither Retry nor Catch
 * (`States.ALL` included) matches. The `is…` getters are how aws-local-stepfunctions tells its own such errors.
 */
export class IntrinsicFailure extends Error {
  override readonly name = 'States.Runtime';
  get isRetryable(): boolean {
    return false;
  }
  get isCatchable(): boolean {
    return false;
  }
}

/** The intrinsics local mode implements, by name; a definition using any other is refused when it is loaded. */
const FUNCTIONS: Record<string, (name: string, args: readonly Json[], call: IntrinsicCall) => Json> = {
  'States.Format'(name, args, call) {
    const [template, ...values] = args;
    if (typeof template !== 'string')
      throw new IntrinsicFailure(`${name} expects a string as its first argument, got ${typeOf(template)}`);
    const first = call.args[0];
    // Only an unescaped `{}` of the literal is a placeholder (`\{\}` is text); a template read from a path has no escapes.
    const parts = first?.kind === 'string' ? first.parts : template.split('{}');
    if (parts.length - 1 !== values.length) {
      throw new IntrinsicFailure(
        `${name}: the template has ${parts.length - 1} {} but ${values.length} value(s) were given`,
      );
    }
    return parts.reduce((text, part, i) => {
      if (i === 0) return part;
      const value = values[i - 1];
      if (value !== null && typeof value === 'object')
        throw new IntrinsicFailure(`${name} cannot format ${typeOf(value)} (argument ${i + 1})`);
      return `${text}${String(value)}${part}`;
    }, '');
  },
  'States.JsonToString'(name, args) {
    exactly(name, args, 1);
    return JSON.stringify(args[0]);
  },
  'States.StringToJson'(name, args) {
    exactly(name, args, 1);
    const [text] = args;
    if (typeof text !== 'string') throw new IntrinsicFailure(`${name} expects a string, got ${typeOf(text)}`);
    try {
      return JSON.parse(text) as Json;
    } catch (error) {
      throw new IntrinsicFailure(`${name}: the string is not JSON (${(error as Error).message})`);
    }
  },
  'States.Array'(_name, args) {
    return [...args];
  },
};

function typeOf(value: Json | undefined): string {
  if (value === undefined) return 'nothing';
  return value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`;
}

function exactly(name: string, args: readonly Json[], count: number): void {
  if (args.length !== count)
    throw new IntrinsicFailure(`${name} expects exactly ${count} argument(s), got ${args.length}`);
}

/**
 * Parses an intrinsic call as the States Language writes it: string literals in single quotes, where `\'`, `\{`,
 * `\}` and `\\` stand for `'`, `{`, `}` and `\` (no other escapes); numbers, `true`, `false`, `null`; JSONPaths
 * (`$…`, `$$…`); nested calls. Throws on anything else, as Step Functions refuses such a definition.
 */
export function parseIntrinsic(text: string): IntrinsicCall {
  let at = 0;
  let paths = 0;
  const fail = (why: string): never => {
    throw new Error(`invalid intrinsic function ${JSON.stringify(text)} at ${at}: ${why}`);
  };
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text[at] ?? '')) at++;
  };

  function call(): IntrinsicCall {
    const name = /^States\.[A-Za-z0-9]+/.exec(text.slice(at))?.[0] ?? fail('expected States.<Name>(');
    at += name.length;
    if (text[at] !== '(') fail('expected ( after the function name');
    at++;
    const args: IntrinsicArgument[] = [];
    skipSpace();
    if (text[at] === ')') {
      at++;
      return { kind: 'call', name, args };
    }
    for (;;) {
      skipSpace();
      args.push(argument());
      skipSpace();
      const next = text[at++];
      if (next === ')') return { kind: 'call', name, args };
      if (next !== ',') fail('expected , or ) after an argument');
    }
  }

  function argument(): IntrinsicArgument {
    const rest = text.slice(at);
    if (rest.startsWith("'")) return stringLiteral();
    if (rest.startsWith('$')) return path();
    if (rest.startsWith('States.')) return call();
    const literal = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)(?=\s*[,)])/.exec(rest)?.[0];
    if (literal === undefined) return fail('expected a string, number, true, false, null, path or function');
    at += literal.length;
    return { kind: 'literal', value: JSON.parse(literal) as number | boolean | null };
  }

  function stringLiteral(): IntrinsicArgument {
    at++; // the opening quote
    const parts: string[] = [];
    let part = '';
    for (;;) {
      const char = text[at++] ?? fail('unterminated string literal');
      if (char === "'") break;
      if (char === '\\') {
        const escaped = text[at++] ?? fail('unterminated string literal');
        if (!"'{}\\".includes(escaped)) fail(`\\${escaped} is not an escape (only \\', \\{, \\} and \\\\ are)`);
        part += escaped;
      } else if (char === '{' && text[at] === '}') {
        parts.push(part);
        part = '';
        at++;
      } else {
        part += char;
      }
    }
    parts.push(part);
    return { kind: 'string', value: parts.join('{}'), parts };
  }

  function path(): IntrinsicArgument {
    const start = at;
    let brackets = 0;
    let quote: string | null = null;
    for (; at < text.length; at++) {
      const char = text[at];
      if (quote) {
        if (char === '\\') at++;
        else if (char === quote) quote = null;
      } else if (char === "'" || char === '"') quote = char;
      else if (char === '[') brackets++;
      else if (char === ']') brackets--;
      else if (brackets === 0 && (char === ',' || char === ')')) break;
    }
    return { kind: 'path', path: text.slice(start, at).trim(), index: paths++ };
  }

  skipSpace();
  const parsed = call();
  skipSpace();
  if (at !== text.length) fail('unexpected text after the call');
  const unknown = (c: IntrinsicCall): string[] => [
    ...(c.name in FUNCTIONS ? [] : [c.name]),
    ...c.args.flatMap((a) => (a.kind === 'call' ? unknown(a) : [])),
  ];
  const missing = unknown(parsed);
  if (missing.length > 0) {
    throw new Error(
      `local mode does not implement ${missing.join(', ')} (in ${text}); add it to scripts/local/intrinsics.ts with AWS's semantics`,
    );
  }
  return parsed;
}

/** The JSONPath arguments of a call, depth first (their `index` order). */
export function pathsOf(call: IntrinsicCall): string[] {
  return call.args.flatMap((arg) => (arg.kind === 'path' ? [arg.path] : arg.kind === 'call' ? pathsOf(arg) : []));
}

/** Evaluates a parsed call; `pathValue(i)` is the value of its i-th JSONPath argument. */
export function evaluateIntrinsic(call: IntrinsicCall, pathValue: (index: number) => unknown): unknown {
  const args = call.args.map((arg): Json => {
    if (arg.kind === 'call') return evaluateIntrinsic(arg, pathValue) as Json;
    if (arg.kind === 'path') return pathValue(arg.index) as Json;
    return arg.value;
  });
  const implementation = FUNCTIONS[call.name];
  if (!implementation) throw new IntrinsicFailure(`local mode does not implement ${call.name}`);
  return implementation(call.name, args, call);
}

/** Tags an object standing for an intrinsic in a prepared definition; random, so no data can look like one. */
const MARKER = `keepsake:intrinsic:${randomUUID()}`;
const parsedCalls = new Map<string, IntrinsicCall>();

function parsedCall(text: string): IntrinsicCall {
  let call = parsedCalls.get(text);
  if (!call) {
    call = parseIntrinsic(text);
    parsedCalls.set(text, call);
  }
  return call;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isIntrinsicField = (key: string, value: unknown): value is string =>
  key.endsWith('.$') && typeof value === 'string' && !value.startsWith('$');

/** Whether a payload template (Parameters, ResultSelector, ItemSelector) has an intrinsic anywhere. */
function hasIntrinsic(template: unknown): boolean {
  if (Array.isArray(template)) return template.some(hasIntrinsic);
  if (!isObject(template)) return false;
  return Object.entries(template).some(([key, value]) => isIntrinsicField(key, value) || hasIntrinsic(value));
}

/**
 * A payload template whose `"Key.$": "States.F(…)"` fields become `"Key": {marker: "States.F(…)", "0.$": path0, …}`:
 * the library resolves the paths as it resolves any `.$` field, and `resolveIntrinsics` replaces the object by the call's value.
 */
function markIntrinsics(template: unknown): unknown {
  if (Array.isArray(template)) return template.map(markIntrinsics);
  if (!isObject(template)) return template;
  return Object.fromEntries(
    Object.entries(template).map(([key, value]) => {
      if (!isIntrinsicField(key, value)) return [key, markIntrinsics(value)];
      const paths = pathsOf(parsedCall(value));
      return [key.slice(0, -2), { [MARKER]: value, ...Object.fromEntries(paths.map((path, i) => [`${i}.$`, path])) }];
    }),
  );
}

/** The task parameters a handler gets, every marked intrinsic replaced by its value (computed here, as AWS would). */
export function resolveIntrinsics(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolveIntrinsics);
  if (!isObject(value)) return value;
  const text = value[MARKER];
  if (typeof text === 'string') return evaluateIntrinsic(parsedCall(text), (i) => value[String(i)]);
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolveIntrinsics(inner)]));
}

interface StateLike {
  readonly Type?: string;
  readonly Parameters?: unknown;
  readonly [key: string]: unknown;
}
interface DefinitionLike {
  readonly States: Record<string, StateLike>;
  readonly [key: string]: unknown;
}

/**
 * A definition ready for aws-local-stepfunctions: intrinsics in a Task's `Parameters` are marked for
 * `resolveIntrinsics` (run by the state's local task handler), nested Map and Parallel machines included.
 * Intrinsics anywhere else (Pass `Parameters`, `ResultSelector`, `ItemSelector`) have no handler to run in, so
 * such a definition is refused rather than run with the library's mangling. `tasks` names the marked states.
 */
export function prepareDefinition<D extends DefinitionLike>(
  definition: D,
): { readonly definition: D; readonly tasks: ReadonlySet<string> } {
  const tasks = new Set<string>();
  const prepare = (machine: DefinitionLike): DefinitionLike => ({
    ...machine,
    States: Object.fromEntries(
      Object.entries(machine.States).map(([name, state]) => {
        const refuse = (field: string) => {
          throw new Error(
            `state ${JSON.stringify(name)}: local mode evaluates intrinsic functions only in a Task's Parameters, not in its ${field}`,
          );
        };
        for (const field of ['ResultSelector', 'ItemSelector', ...(state.Type === 'Task' ? [] : ['Parameters'])]) {
          if (hasIntrinsic(state[field])) refuse(field);
        }
        let prepared: StateLike = state;
        if (state.Type === 'Task' && hasIntrinsic(state.Parameters)) {
          prepared = { ...prepared, Parameters: markIntrinsics(state.Parameters) };
          tasks.add(name);
        }
        for (const field of ['ItemProcessor', 'Iterator'] as const) {
          const inner = prepared[field];
          if (isObject(inner) && isObject(inner.States))
            prepared = { ...prepared, [field]: prepare(inner as unknown as DefinitionLike) };
        }
        if (Array.isArray(prepared.Branches))
          prepared = { ...prepared, Branches: (prepared.Branches as DefinitionLike[]).map(prepare) };
        return [name, prepared];
      }),
    ),
  });
  return { definition: prepare(definition) as D, tasks };
}
