/**
 * Node 20 lacks `Promise.withResolvers`, which aws-local-stepfunctions (declared for Node 22+) uses: defined
 * before it is imported, to the spec's behaviour.
 */
export async function loadLocalStepFunctions(): Promise<typeof import('aws-local-stepfunctions')> {
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
  return import('aws-local-stepfunctions');
}
