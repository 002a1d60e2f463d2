/**
 * The Worker's routed application: the three APIs, the demo page, the browser helper and the
 * OpenAPI document, and the error mapping that makes every failure an RFC 9457 problem. A Problem
 * keeps its status; anything else is a bug and becomes a 500 that says nothing about the internals
 * (the details go to the log).
 * What every request gets around it (CORS, token, Server-Timing, draining) is http/envelope.ts.
 */
import { Hono } from 'hono';
import type { AppEnv } from './env.ts';
import { noRouteProblem } from './http/allowed-methods.ts';
import { internalError, Problem, problemResponse } from './http/problem.ts';
import { openApiDocument } from './openapi.ts';
import { isProtocolPath } from './protocol/paths.ts';
import { classify } from './routes/classify.ts';
import { client } from './routes/client.ts';
import { demo } from './routes/demo.ts';
import { kserve } from './routes/kserve.ts';
import { runtime } from './routes/runtime.ts';
import { tfServing } from './routes/tfserving.ts';

const app = new Hono<AppEnv>();

app.route('/', demo);
app.route('/', classify);
app.route('/', client);
app.route('/', tfServing);
app.route('/', kserve);
app.route('/', runtime);
app.get('/openapi.json', (c) => c.json(openApiDocument));

const noRoute = noRouteProblem(app);
app.notFound((c) => problemResponse(noRoute(c.req.method, c.req.path), isProtocolPath(c.req.path)));

app.onError((error, c) => {
  const errorMember = isProtocolPath(c.req.path);
  return error instanceof Problem
    ? problemResponse(error, errorMember)
    : internalError(error, errorMember);
});

/** The routed application; worker/index.ts wraps its `fetch` in the envelope. */
export default app;
