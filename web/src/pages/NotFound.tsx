import { Link } from 'react-router';

export function NotFound() {
  return (
    <section>
      <h1 className="text-2xl font-semibold">Page not found</h1>
      <p className="mt-2">
        <Link className="text-sky-700 underline" to="/">
          Back to the dashboard
        </Link>
      </p>
    </section>
  );
}
