import type * as z from 'zod';

/** Turns zod issues into `{ "path.to.field": "message" }`, the shape every error response and CLI message uses. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    // An unknown key is reported on its parent; name the key itself so the caller sees which field to drop.
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[[...issue.path, key].map(String).join('.')] ??= 'is not a known field';
      continue;
    }
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    fields[path] ??= issue.message;
  }
  return fields;
}

/** One line naming every bad field, for logs and command-line errors. */
export function describeZodError(error: z.ZodError): string {
  return Object.entries(fieldErrors(error))
    .map(([field, message]) => `${field}: ${message}`)
    .join('; ');
}
