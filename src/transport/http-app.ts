/**
 * HTTP on the Socket.IO port (docs/contract.md § HTTP) as a fastify app on the transport's own
 * node:http server (`serverFactory`; Socket.IO attaches to the same server and answers
 * `/socket.io/` before fastify sees it):
 *
 *   GET /healthz                              200 {status:'ok'}              (the process is alive)
 *   GET /readyz                               200 {status:'ready', restore?} | 503 {status:'not_ready', reason, restore?}
 *   GET /metrics                              Prometheus text
 *   GET /intents                              200 {intents, nextCursor, position} | 400 {error} (fanout/list.ts)
 *   GET /intents/:intentId                    200 formatted intent | 404 {error, intentId} | 400 {error}
 *   GET /intents/:intentId/settlement-proof   200 the intent:settlement_proof payload | 404 | 400
 *   GET /stats                                200 mempool stats
 *   GET /openapi.json                         OpenAPI 3.1 of these routes (@fastify/swagger)
 *   GET /asyncapi.json                        AsyncAPI 3.0 of the Socket.IO contract (src/asyncapi.ts)
 *   GET /client/intent-client.js (+ siblings) intent-projector/client as browser modules (client-module.ts)
 *   GET /vendor/uplot/...                     the chart library's browser build (node_modules/uplot/dist)
 *   GET /, /<file>                            static files of public/ (404 when missing)
 *
 * Route schemas are the zod schemas of src/contract (fastify-type-provider-zod): they validate
 * the path, serialize the answers and make the OpenAPI document. HEAD is answered like GET without
 * a body; any other method is 405 with `Allow`. Request logs are fastify's, on the service's pino
 * logger (none for probes, scrapes and the two documents).
 */
import type { RequestListener, Server } from 'node:http';
import fastifyCors from '@fastify/cors';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastify, { type FastifyError, type FastifyReply, LogController } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { buildAsyncApi } from '../asyncapi.js';
import type { Config } from '../config.js';
import { formattedIntentSchema, mempoolStatsSchema, settlementProofSchema } from '../contract/socket.js';
import { listQuerySchema, listResponseSchema } from '../contract/http.js';
import { formatIntent, formatSettlementProof } from '../fanout/format.js';
import { listIntents } from '../fanout/list.js';
import type { Stream } from '../fanout/stream.js';
import type { Logger } from '../log.js';
import { PACKAGE_VERSION } from '../package-version.js';
import { CLIENT_MODULES, clientModule } from './client-module.js';
import { MAX_INTENT_ID_ARG_LENGTH } from './guards.js';
import type { Metrics } from './metrics.js';
import { VENDOR_DIRS } from './static-files.js';
import type { ProjectionReader, Readiness } from './transport.js';

export interface HttpRouteDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly store: ProjectionReader;
  /** positions (docs/resume.md) */
  readonly stream: Stream;
  readonly readiness: () => Readiness;
  readonly clock: () => number;
  /** directory of static files (public/) */
  readonly publicDir: string;
  /** refreshes the socket gauges just before a scrape */
  readonly beforeScrape: () => void;
}

/** The app as the transport uses it: its server, and ready() before the server listens. */
export interface HttpApp {
  readonly server: Server;
  ready(): Promise<void>;
}

const BAD_INTENT_ID = 'intentId must be 0x followed by 64 hex digits';
const intentIdParam = z.object({
  intentId: z
    .string()
    .max(MAX_INTENT_ID_ARG_LENGTH)
    .regex(/^0x[0-9a-fA-F]{64}$/)
    .describe('0x followed by 64 hex digits, any case'),
});
const errorBody = z.object({ error: z.string() }).describe('what is wrong');
const notFoundBody = z.object({ error: z.string(), intentId: z.string() }).describe('no such intent (or proof)');
/** how the node started, once caught up (docs/snapshots.md) */
const restore = z
  .object({
    from: z.enum(['snapshot', 'replay']),
    intents: z.number().int(),
    recordsReplayed: z.number().int(),
    seconds: z.number(),
  })
  .optional();
const ready = z.object({ status: z.literal('ready'), caughtUp: z.boolean(), restore });
const notReady = z.object({ status: z.literal('not_ready'), reason: z.string().nullable(), caughtUp: z.boolean(), restore });
/** probes, scrapes and documents: no request log lines (a poller would write one every few seconds) */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json', '/asyncapi.json']);

export function createHttpApp(deps: HttpRouteDeps, serverFactory: (handler: RequestListener) => Server): HttpApp {
  const { config, store, metrics } = deps;
  const app = fastify({
    loggerInstance: deps.logger,
    // fastify's request log lines, except for probes, scrapes and documents (one line per poll)
    logController: new LogController({ disableRequestLogging: (req) => QUIET_ROUTES.has(pathOf(req.url)) }),
    serverFactory: (handler) => serverFactory(handler as RequestListener),
    // an undecodable path (`%zz`) is a bad intent id under /intents/, otherwise a missing file
    frameworkErrors: (err, req, res) => {
      const reply = res as unknown as FastifyReply;
      if (err.code === 'FST_ERR_BAD_URL' && req.url.startsWith('/intents/')) return reply.code(400).send({ error: BAD_INTENT_ID });
      if (err.code === 'FST_ERR_BAD_URL') return notFound(reply);
      return reply.code(400).send({ error: err.message });
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  void app.register(fastifyCors, {
    origin: config.CORS_ORIGINS.includes('*') ? '*' : [...config.CORS_ORIGINS],
    methods: ['GET', 'HEAD'],
  });
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'intent-projector HTTP API',
        version: PACKAGE_VERSION,
        description: 'Health, readiness, metrics and the current projections. The live stream is Socket.IO: /asyncapi.json.',
      },
    },
    transform: jsonSchemaTransform,
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });

  app.setErrorHandler((err: FastifyError, req, res) => {
    const reply = res as unknown as FastifyReply;
    if (hasZodFastifySchemaValidationErrors(err) && err.validationContext === 'params')
      return reply.code(400).send({ error: BAD_INTENT_ID });
    if (hasZodFastifySchemaValidationErrors(err) && err.validationContext === 'querystring') {
      const issue = err.validation[0];
      const where = issue?.instancePath ? `${issue.instancePath.replace(/^\//, '')}: ` : '';
      return reply.code(400).send({ error: `invalid query: ${where}${issue?.message ?? 'see GET /openapi.json'}` });
    }
    if (req.routeOptions.url?.endsWith('*') === true && (err.statusCode ?? 500) < 500) return notFound(reply);
    req.log.error({ err, url: req.url }, 'http request failed');
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return reply
        .code(405)
        .header('allow', 'GET, HEAD')
        .send({ error: `method ${req.method} not allowed` });
    }
    return notFound(reply);
  });

  // after swagger's registration, so that its onRoute hook sees every route
  void app.register(async (scoped) => {
    const api = scoped.withTypeProvider<ZodTypeProvider>();
    api.get('/healthz', { schema: { response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({
      status: 'ok' as const,
    }));

    api.get('/readyz', { schema: { response: { 200: ready, 503: notReady } } }, async (_req, reply) => {
      const r = deps.readiness();
      const how = r.restore === undefined ? {} : { restore: r.restore };
      if (r.ready) return reply.code(200).send({ status: 'ready', caughtUp: r.caughtUp, ...how });
      return reply.code(503).send({ status: 'not_ready', reason: r.reason, caughtUp: r.caughtUp, ...how });
    });

    api.get('/metrics', { schema: { produces: ['text/plain'], response: { 200: z.string() } } }, async (_req, reply) => {
      deps.beforeScrape();
      const text = await metrics.scrape();
      return reply.type(metrics.registry.contentType).serializer(String).send(text);
    });

    api.get('/stats', { schema: { response: { 200: mempoolStatsSchema } } }, async () => store.stats());

    api.get(
      '/intents',
      { schema: { querystring: listQuerySchema, response: { 200: listResponseSchema, 400: errorBody } } },
      async (req, reply) => {
        const list = listIntents(store.listing(), req.query, deps.clock(), deps.stream.position());
        if (!list.ok) return reply.code(400).send({ error: list.error });
        return reply.code(200).send(list.body);
      },
    );

    api.get(
      '/intents/:intentId',
      { schema: { params: intentIdParam, response: { 200: formattedIntentSchema, 400: errorBody, 404: notFoundBody } } },
      async (req, reply) => {
        const id = req.params.intentId.toLowerCase();
        const projection = store.get(id);
        if (projection === undefined) return reply.code(404).send({ error: `intent ${id} not found`, intentId: id });
        return reply.code(200).send(formatIntent(projection, deps.clock(), deps.stream.position()));
      },
    );

    api.get(
      '/intents/:intentId/settlement-proof',
      { schema: { params: intentIdParam, response: { 200: settlementProofSchema, 400: errorBody, 404: notFoundBody } } },
      async (req, reply) => {
        const id = req.params.intentId.toLowerCase();
        const projection = store.get(id);
        if (projection === undefined) return reply.code(404).send({ error: `intent ${id} not found`, intentId: id });
        const proof = projection.settlementProof;
        if (proof === null) return reply.code(404).send({ error: `intent ${id} has no settlement proof`, intentId: id });
        return reply.code(200).send(formatSettlementProof(id, proof, deps.clock(), deps.stream.position()));
      },
    );

    let asyncApi: ReturnType<typeof buildAsyncApi> | undefined;
    api.get('/asyncapi.json', { schema: { hide: true } }, async () => (asyncApi ??= buildAsyncApi()));
    api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    for (const [path, name] of Object.entries(CLIENT_MODULES)) {
      api.get(path, { schema: { hide: true } }, async (_req, reply) =>
        reply
          .type('text/javascript; charset=utf-8')
          .header('cache-control', 'no-cache')
          .send(await clientModule(name)),
      );
    }
  });

  const staticOptions = {
    cacheControl: false,
    setHeaders: (reply: FastifyReply, file: string) => {
      reply.header('cache-control', 'no-cache');
      // RFC 9239: text/javascript (the mime table of @fastify/send still says application/javascript)
      if (/\.m?js$/i.test(file)) reply.header('content-type', 'text/javascript; charset=utf-8');
    },
    allowedPath: (pathName: string) => !pathName.includes('\0'),
  };
  void app.register(fastifyStatic, { root: deps.publicDir, prefix: '/', index: 'index.html', redirect: false, ...staticOptions });
  for (const [prefix, root] of Object.entries(VENDOR_DIRS)) {
    void app.register(fastifyStatic, { root, prefix, decorateReply: false, index: false, redirect: false, ...staticOptions });
  }

  return {
    server: app.server,
    ready: async () => {
      await app.ready();
    },
  };
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}

function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
}
