/** The parts of an UpdateItem/Update action that change attributes, with placeholders for every name and value. */
export interface UpdateParts {
  readonly UpdateExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

export interface UpdateSpec {
  readonly set?: Record<string, unknown>;
  readonly add?: Record<string, number>;
  readonly remove?: readonly string[];
}

export interface ConditionSpec {
  readonly expression: string;
  readonly names?: Record<string, string>;
  readonly values?: Record<string, unknown>;
}

/**
 * Builds `SET a = :v, … ADD n :d REMOVE r` from plain objects (undefined values are skipped), plus an
 * optional condition whose own `#name`/`:value` placeholders must not start with `#u`/`:u`.
 */
export function updateExpression(
  spec: UpdateSpec,
  condition?: ConditionSpec,
): UpdateParts & { ConditionExpression?: string } {
  const names: Record<string, string> = { ...condition?.names };
  const values: Record<string, unknown> = { ...condition?.values };
  let n = 0;
  const name = (attribute: string) => {
    const placeholder = `#u${n}`;
    names[placeholder] = attribute;
    return placeholder;
  };
  const value = (v: unknown) => {
    const placeholder = `:u${n++}`;
    values[placeholder] = v;
    return placeholder;
  };
  const clauses: string[] = [];
  const sets = Object.entries(spec.set ?? {}).filter(([, v]) => v !== undefined);
  if (sets.length) clauses.push(`SET ${sets.map(([a, v]) => `${name(a)} = ${value(v)}`).join(', ')}`);
  const adds = Object.entries(spec.add ?? {});
  if (adds.length) clauses.push(`ADD ${adds.map(([a, v]) => `${name(a)} ${value(v)}`).join(', ')}`);
  if (spec.remove?.length) {
    clauses.push(
      `REMOVE ${spec.remove
        .map((a) => {
          const placeholder = name(a);
          n++;
          return placeholder;
        })
        .join(', ')}`,
    );
  }
  return {
    UpdateExpression: clauses.join(' '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length > 0 && { ExpressionAttributeValues: values }),
    ...(condition && { ConditionExpression: condition.expression }),
  };
}
