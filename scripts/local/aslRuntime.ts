import type {
  RunOptions,
  StateMachine as LibraryStateMachine,
  StateMachineDefinition,
  StateMachineOptions,
} from 'aws-local-stepfunctions';
import { prepareDefinition, resolveIntrinsics } from './intrinsics.ts';

type Library = typeof import('aws-local-stepfunctions');
type TaskHandler = (input: unknown) => Promise<unknown>;

/**
 * The library's StateMachine with intrinsic functions evaluated by `intrinsics.ts` (AWS's semantics) instead of
 * its own, which strip backslashes from their results: the definition is prepared once, and every run hands the
 * marked Task states' handlers their parameters with the intrinsics resolved. Map and Parallel states build their
 * inner machines from the library's class, but from the prepared definition and with the same run options, so
 * their tasks are covered too.
 */
function withAwsIntrinsics(Base: Library['StateMachine']): Library['StateMachine'] {
  return class AwsIntrinsicsStateMachine extends Base {
    readonly #intrinsicTasks: ReadonlySet<string>;

    constructor(definition: StateMachineDefinition, options?: StateMachineOptions) {
      const prepared = prepareDefinition(definition as unknown as Parameters<typeof prepareDefinition>[0]);
      super(prepared.definition as unknown as StateMachineDefinition, options);
      this.#intrinsicTasks = prepared.tasks;
    }

    override run(
      input: Parameters<LibraryStateMachine['run']>[0],
      options?: RunOptions,
    ): ReturnType<LibraryStateMachine['run']> {
      const tasks = this.#intrinsicTasks;
      if (tasks.size === 0) return super.run(input, options);
      const handlers = (options?.overrides?.taskResourceLocalHandlers ?? {}) as Record<string, TaskHandler | undefined>;
      // A proxy, not a copy: callers may fill their handler map after starting the run (local mode does).
      const resolving = new Proxy(handlers, {
        get(target, stateName, receiver) {
          const handler = Reflect.get(target, stateName, receiver) as TaskHandler | undefined;
          if (typeof stateName !== 'string' || !tasks.has(stateName)) return handler;
          if (typeof handler !== 'function') {
            return () =>
              Promise.reject(
                new Error(
                  `state ${JSON.stringify(stateName)} uses intrinsic functions, which local mode evaluates only for a task with a local handler`,
                ),
              );
          }
          return (parameters: unknown) => handler(resolveIntrinsics(parameters));
        },
      });
      return super.run(input, {
        ...options,
        overrides: { ...options?.overrides, taskResourceLocalHandlers: resolving as never },
      });
    }
  };
}

let loaded: Promise<Library> | undefined;

/**
 * aws-local-stepfunctions for local mode and the tests: its StateMachine evaluates intrinsic functions as AWS
 * does (see `withAwsIntrinsics`). Node 20 lacks `Promise.withResolvers`, which the library (declared for Node
 * 22+) uses: defined before it is imported, to the spec's behaviour.
 */
export function loadLocalStepFunctions(): Promise<Library> {
  if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
    Object.defineProperty(Promise, 'withResolvers', {
      configurable: true,
      writable: true,
      value<T>() {
        let resolve!: (value: T | PromiseLike<T>) => void;
        let reject!: (reason?: unknown) => void;
        const promise = new Promise<T>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        return { promise, resolve, reject };
      },
    });
  }
  loaded ??= import('aws-local-stepfunctions').then((library) => ({
    ...library,
    StateMachine: withAwsIntrinsics(library.StateMachine),
  }));
  return loaded;
}
