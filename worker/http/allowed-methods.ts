/**
 * 405 Method Not Allowed with its `Allow` header, worked out only for requests no route matched
 * (from the app's notFound handler) rather than by a middleware wrapped around every request.
 */
import { TrieRouter } from 'hono/router/trie-router';
import { notFound, Problem } from './problem.ts';

/**
 * The problem for a request that matched no route of `app`: 405 naming the methods its path does
 * have (GET implies HEAD, as Hono answers HEAD from GET), else 404. Call it after every route is
 * registered: the path table is built from `app.routes` on first use.
 */
export function noRouteProblem(app: {
  readonly routes: readonly { method: string; path: string }[];
}): (method: string, path: string) => Problem {
  let router: TrieRouter<string[]> | undefined;
  const build = (): TrieRouter<string[]> => {
    const byPath = new Map<string, Set<string>>();
    for (const { method, path } of app.routes) {
      // Middleware is registered as ALL; it makes no path exist.
      if (method === 'ALL' || method === 'HEAD') continue;
      const methods = byPath.get(path) ?? new Set();
      methods.add(method);
      if (method === 'GET') methods.add('HEAD');
      byPath.set(path, methods);
    }
    const table = new TrieRouter<string[]>();
    for (const [path, methods] of byPath) table.add('ALL', path, [...methods]);
    return table;
  };
  return (method, path) => {
    router ??= build();
    const allowed = [...new Set(router.match('ALL', path)[0].flatMap(([methods]) => methods))];
    if (allowed.length === 0 || allowed.includes(method))
      return notFound(`no route for ${path}; the API is described at /openapi.json`);
    const allow = allowed.join(', ');
    return new Problem(
      405,
      'Method Not Allowed',
      `${method} is not allowed on ${path}; use ${allow}`,
      { Allow: allow },
    );
  };
}
