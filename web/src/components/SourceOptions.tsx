import type { DataSource } from '../../../types/dataSource.ts';

/** The `<option>`s of a data source picker, by name. */
export function SourceOptions({ sources }: { sources: readonly DataSource[] | undefined }) {
  return (
    <>
      {sources?.map((s) => (
        <option key={s.id} value={s.id}>
          {s.name}
        </option>
      ))}
    </>
  );
}
