/**
 * The single DynamoDB table: key attribute and index names shared by the CDK construct, local mode and the
 * repositories. The key design itself (which entity lives under which keys) is documented in
 * functions/shared/keys.ts, next to the key builders.
 */
export const TABLE_KEYS = { partition: 'pk', sort: 'sk' } as const;

/** Every GSI projects all attributes and is keyed by `<name>pk` / `<name>sk` strings. */
export const TABLE_INDEXES = ['gsi1', 'gsi2', 'gsi3', 'gsi4'] as const;
export type TableIndex = (typeof TABLE_INDEXES)[number];

export const indexKeys = (index: TableIndex) => ({ partition: `${index}pk`, sort: `${index}sk` }) as const;

/** Items that expire (idempotency records) carry their deadline, in epoch seconds, in this attribute. */
export const TTL_ATTRIBUTE = 'expiresAt';
