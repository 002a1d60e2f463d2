/**
 * The Worker's HTTP application: middleware, the three APIs, and the error mapping that makes every
 * failure an RFC 9457 problem. A Problem keeps its status; anything else is a bug and becomes a 500
 * that says nothing about the internals (the details go to the log).
 */
import { Hono } from 'hono';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { limitsOf, type AppEnv } from './env.ts';
import { requireToken } from './http/auth.ts';
import { discardUnreadBody } from './http/body.ts';
import { cors } from './http/cors.ts';
import { notFound, Problem, problemResponse } from './http/problem.ts';
import { serverTiming } from './http/timing.ts';
import { openApiDocument } from './openapi.ts';
import { classify } from './routes/classify.ts';
import { demo } from './routes/demo.ts';
import { kserve } from './routes/kserve.ts';
import { tfServing } from './routes/tfserving.ts';

const app = new Hono<AppEnv>();

// Outermost, so it runs after whatever answered: a body left unread would cost the client its
// keep-alive connection (see discardUnreadBody). Draining after the answer has gone out (waitUntil)
// is not enough: measured, 12 of 3,000 mixed requests on one connection still failed.
app.use(async (c, next) => {
  await next();
  await discardUnreadBody(c.req.raw, limitsOf(c.env).maxBodyBytes);
});

// CORS first so that every answer, errors included, carries the headers a browser needs to read it.
app.use(cors);
app.use(
  methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) =>
      problemResponse(
        new Problem(405, 'Method Not Allowed', `${c.req.method} is not allowed on ${c.req.path}; use ${methods.join(', ')}`, {
          Allow: methods.join(', '),
        }),
      ),
  }),
);
app.use(serverTiming());
// After CORS (preflights stay public, 401s readable cross-origin) and after 405, so a wrong method
// is reported as such.
app.use(requireToken);

app.route('/', demo);
app.route('/', classify);
app.route('/', tfServing);
app.route('/', kserve);
app.get('/openapi.json', (c) => c.json(openApiDocument));

app.notFound((c) => problemResponse(notFound(`no route for ${c.req.path}; the API is described at /openapi.json`)));

app.onError((error) => {
  if (error instanceof Problem) return problemResponse(error);
  console.error(error);
  return problemResponse(new Problem(500, 'Internal Server Error', 'the server failed to handle this request; the error has been logged'));
});

/** The composed Hono app; its `fetch` is the Worker's fetch handler. */
export default app;
