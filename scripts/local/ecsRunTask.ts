/**
 * ECS RunTask's documented limits on `overrides`, so that local mode refuses what AWS refuses: "A total of 8192
 * characters are allowed for overrides. This limit includes the JSON formatting characters of the override
 * structure." (RunTask, TaskOverride). Step Functions passes the overrides on in PascalCase; ECS counts its own
 * camelCase JSON, so that is what is measured.
 */

export const MAX_OVERRIDE_CHARACTERS = 8192;

export interface RunTaskOverrides {
  readonly ContainerOverrides?: readonly {
    readonly Name?: string;
    readonly Environment?: readonly { readonly Name?: unknown; readonly Value?: unknown }[];
    readonly [key: string]: unknown;
  }[];
  readonly [key: string]: unknown;
}

/** The error Step Functions reports for a refused `ecs:runTask` call (`ECS.<exception>`). */
export class EcsInvalidParameter extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ECS.InvalidParameterException';
  }
}

const camel = (key: string): string => key.charAt(0).toLowerCase() + key.slice(1);

/** The overrides as ECS's API receives them (camelCase keys, as the SDK serializes them). */
function asEcsJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asEcsJson);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [camel(key), asEcsJson(v)]));
}

/** Refuses overrides ECS would refuse: too long in total, naming no container of the task, or environment entries that are not name/value strings. */
export function checkRunTaskOverrides(
  overrides: RunTaskOverrides | undefined,
  containerNames: readonly string[],
): void {
  if (!overrides) return;
  const length = JSON.stringify(asEcsJson(overrides)).length;
  if (length > MAX_OVERRIDE_CHARACTERS) {
    throw new EcsInvalidParameter(
      `Container Overrides length must be at most ${MAX_OVERRIDE_CHARACTERS} (this RunTask's overrides are ${length} characters)`,
    );
  }
  for (const container of overrides.ContainerOverrides ?? []) {
    if (typeof container.Name !== 'string' || !containerNames.includes(container.Name)) {
      throw new EcsInvalidParameter(
        `Override for container named ${String(container.Name)} is not a container in the TaskDefinition.`,
      );
    }
    for (const variable of container.Environment ?? []) {
      if (typeof variable.Name !== 'string' || variable.Name === '' || typeof variable.Value !== 'string') {
        throw new EcsInvalidParameter(
          `container ${container.Name}: every environment override needs a name and a string value`,
        );
      }
    }
  }
}
