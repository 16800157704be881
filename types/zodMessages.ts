import type * as z from 'zod';

/** Turns zod issues into `{ "path.to.field": "message" }`, the shape every error response and CLI message uses. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  // A Map, not an object literal: a field named `__proto__` or `constructor` would find Object.prototype's and be lost.
  const fields = new Map<string, string>();
  const add = (path: string, message: string) => {
    if (!fields.has(path)) fields.set(path, message);
  };
  for (const issue of error.issues) {
    // An unknown key is reported on its parent; name the key itself so the caller sees which field to drop.
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add([...issue.path, key].map(String).join('.'), 'is not a known field');
      continue;
    }
    add(issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)', issue.message);
  }
  return Object.fromEntries(fields);
}

/** One line naming every bad field, for logs and command-line errors. */
export function describeZodError(error: z.ZodError): string {
  return Object.entries(fieldErrors(error))
    .map(([field, message]) => `${field}: ${message}`)
    .join('; ');
}
