import { errorMessage } from '../api.ts';

/** What a page shows when its data could not be loaded: what, and the API's reason. */
export function LoadFailed({ what, error }: { what: string; error: unknown }) {
  return (
    <p role="alert" className="text-red-700">
      Could not load {what}: {errorMessage(error)}
    </p>
  );
}
