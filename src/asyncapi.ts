/**
 * The AsyncAPI 3.0 document of the Socket.IO contract (`schemas/asyncapi.json`, `GET /asyncapi.json`),
 * generated from the zod schemas of `src/contract/socket.ts` like the JSON Schemas of `schemas/`
 * (src/schemas.ts), for frontends in languages that start from AsyncAPI rather than TypeScript.
 *
 * The document describes the service: `send` operations are server → client events, `receive`
 * operations are client → server events, each with the acknowledgement as its `reply`. One channel,
 * Socket.IO's default namespace `/`. Payloads are AsyncAPI schemas (JSON Schema draft 07): a server
 * event's payload is its one argument; a client event's payload is its first argument (none for
 * events without one); any further arguments before the acknowledgement callback are listed, in
 * order, in the message's `x-arguments`.
 */
import { z } from 'zod';
import {
  type ClientEventName,
  ackSchema,
  clientEventSchemas,
  ERROR_CODES,
  type ServerEventName,
  serverEventSchemas,
} from './contract/socket.js';
import { PACKAGE_VERSION } from './package-version.js';

export type AsyncApiDocument = Record<string, unknown>;

const SERVER_EVENTS: Readonly<Record<ServerEventName, string>> = {
  'intent:status': 'To the intent room: on subscribe when the intent exists, then on every change of its projection.',
  'intent:not_found': 'To the subscriber: on subscribe when the intent does not exist (the socket stays in the room).',
  'intent:proof': 'To the intent room: the proof status changed.',
  'intent:settlement_proof': 'To the intent room: a settlement proof was applied.',
  'intent:new': 'To the all-intents room: a projection was created.',
  'intent:status_changed': 'To the all-intents room: the internal status changed (creation sends intent:new instead).',
  'intent:proof_changed': 'To the all-intents room: the proof status changed.',
  'intent:removed': 'To the intent room and the all-intents room: the projection was deleted.',
  'mempool:stats':
    'To the subscriber at once on subscribe:all, then to the all-intents room when counts change (at most once per STATS_INTERVAL_MS).',
  pong: 'To the sender: the reply to ping.',
  error: `To the sender: a refused client event (codes ${ERROR_CODES.join(', ')}).`,
};

const CLIENT_EVENTS: Readonly<Record<ClientEventName, string>> = {
  'subscribe:intent':
    'Join the room of one intent; answered with intent:status (then intent:settlement_proof when it has one) or intent:not_found. An optional {since: position} before the ack resumes (docs/resume.md).',
  'unsubscribe:intent': 'Leave the room of one intent.',
  'subscribe:all': 'Join the all-intents room (needs auth {token} in the handshake when ADMIN_TOKEN is set); answered with mempool:stats.',
  'unsubscribe:all': 'Leave the all-intents room.',
  'subscribe:intents':
    'Follow the intents matching a filter {user?, solver?, fromChain?, toChain?}: intent:status for each (newest first, at most MAX_FILTER_SNAPSHOT), then their all-intents events. Optional {since} as for subscribe:intent.',
  'unsubscribe:intents': 'Stop following a filter (the same fields).',
  ping: 'Ask for a pong.',
};

/** `intent:status` → `intent.status` (AsyncAPI component keys allow no `:`). */
const key = (event: string): string => event.replace(/:/g, '.');

function payload(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'throw' });
  return rest;
}

export function buildAsyncApi(): AsyncApiDocument {
  const schemas: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const channel = { $ref: '#/channels/root' };
  const messageRef = (k: string) => ({ $ref: `#/channels/root/messages/${k}` });

  for (const [event, schema] of Object.entries(serverEventSchemas) as [ServerEventName, z.ZodType][]) {
    const k = key(event);
    schemas[k] = payload(schema);
    messages[k] = { name: event, title: event, summary: SERVER_EVENTS[event], payload: { $ref: `#/components/schemas/${k}` } };
    operations[`send.${k}`] = { action: 'send', channel, summary: SERVER_EVENTS[event], messages: [messageRef(k)] };
  }
  schemas['ack'] = payload(ackSchema);
  messages['ack'] = {
    name: 'ack',
    title: 'acknowledgement',
    summary: 'The argument of the acknowledgement callback a client passes with any event: {ok:true} or {ok:false, code, message}.',
    payload: { $ref: '#/components/schemas/ack' },
  };
  for (const [event, tuple] of Object.entries(clientEventSchemas) as [ClientEventName, z.ZodTuple][]) {
    const k = key(event);
    const args = tuple.def.items as readonly z.ZodType[];
    const message: Record<string, unknown> = { name: event, title: event, summary: CLIENT_EVENTS[event] };
    const first = args[0];
    if (first !== undefined) {
      schemas[k] = payload(first);
      message['payload'] = { $ref: `#/components/schemas/${k}` };
    }
    if (args.length > 1) message['x-arguments'] = args.map(payload);
    messages[k] = message;
    operations[`receive.${k}`] = {
      action: 'receive',
      channel,
      summary: CLIENT_EVENTS[event],
      messages: [messageRef(k)],
      reply: { channel, messages: [messageRef('ack')] },
    };
  }
  const channelMessages = Object.fromEntries(Object.keys(messages).map((k) => [k, { $ref: `#/components/messages/${k}` }]));

  return {
    asyncapi: '3.0.0',
    id: 'urn:intent-projector:asyncapi',
    info: {
      title: 'intent-projector Socket.IO API',
      version: PACKAGE_VERSION,
      description:
        'Live projections of cross-chain intents over Socket.IO 4 (path /socket.io/, websocket and HTTP long-polling). ' +
        'Generated from src/contract/socket.ts; the TypeScript types are exported as intent-projector/contract.',
    },
    defaultContentType: 'application/json',
    servers: {
      service: {
        host: '{host}',
        protocol: 'ws',
        pathname: '/socket.io/',
        description: 'Socket.IO (Engine.IO protocol 4); the same port serves HTTP.',
        variables: { host: { default: 'localhost:3000', description: 'HOST:PORT of a node' } },
      },
    },
    channels: {
      root: { address: '/', title: 'default namespace', description: 'Socket.IO namespace "/".', messages: channelMessages },
    },
    operations,
    components: { schemas, messages },
  };
}
