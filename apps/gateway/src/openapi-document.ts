/**
 * The OpenAPI 3.1 description of the gateway's HTTP API, served at /v1/openapi.json. It is kept true by
 * openapi.test.ts, which asks a live gateway for every documented status of every documented operation and
 * probes that nothing undocumented answers.
 */
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const etagHeader = {
  ETag: {
    description: 'The record version, quoted: `"<wall ms hex>.<counter hex>.<writer id>"`.',
    schema: { type: 'string' },
  },
};

const kvErrors = {
  '400': errorResponse(
    'Bad input: KEY_EMPTY, KEY_TOO_LONG, KEY_INVALID, CONSISTENCY_INVALID, HEADER_INVALID, BODY_INVALID, ' +
      'CONDITION_INVALID (both If-Match and If-None-Match, a weak, unquoted or listed ETag, an ETag that is ' +
      'no version, If-None-Match other than `*`, If-None-Match on DELETE).',
  ),
  '401': errorResponse('AUTH_MISSING: no `Authorization: Bearer <api key>` header.'),
  '403': errorResponse('AUTH_INVALID: the API key is not valid.'),
  '503': errorResponse(
    'QUORUM_NOT_REACHED: fewer than the required replicas confirmed (details: operation, confirmed, required, ' +
      'unknown, failed, replicas). For a write, `unknown` replicas timed out: the write may or may not have ' +
      'been applied; retrying the same PUT is safe. PLACEMENT_UNAVAILABLE: no placement yet. ' +
      'CONSENSUS_NOT_REACHED (conditional writes and serial reads): the Paxos round did not reach a majority ' +
      'or stayed contended; `details.outcome` is `not-applied` (certainly not applied) or `unknown`.',
  ),
};

const preconditionFailed = errorResponse(
  'PRECONDITION_FAILED: the condition does not hold. `details.currentEtag` (and the `ETag` header) is the ' +
    "key's current version, or null when it has no value.",
);

const conditionHeaders = [
  {
    name: 'If-Match',
    in: 'header',
    required: false,
    description:
      '`*` (only if the key has a value) or one strong ETag `"<version>"` (only if that is the current version). ' +
      "Makes the write conditional: a Paxos round among the key's replicas, linearizable per key.",
    schema: { type: 'string' },
  },
  {
    name: 'If-None-Match',
    in: 'header',
    required: false,
    description: 'PUT only: `*` (create only: only if the key has no value, or was deleted).',
    schema: { type: 'string', enum: ['*'] },
  },
];

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'redoubt gateway',
    version: '1.0.0',
    description:
      'A replicated key-value store. Keys are 1 to 1024 bytes of UTF-8 without control characters (C0, DEL, ' +
      'C1), percent-encoded in the path (`a%2Fb` is the key `a/b`). Values are opaque bytes with a content type. Every record has a version ' +
      '(hybrid logical clock + writer id; last writer wins), returned as the ETag.\n\n' +
      'Every error is JSON `{"error": {"code", "message", "details"}, "requestId"}` with a stable code, and ' +
      'every response carries an `x-request-id` header; an INTERNAL error answers a generic message naming ' +
      'that id (the real one is only in the log). Any ' +
      'other path answers 404 ROUTE_NOT_FOUND; a documented path with an undocumented method answers ' +
      '405 METHOD_NOT_ALLOWED with an `Allow` header. HEAD is answered wherever GET is.',
  },
  servers: [{ url: 'http://127.0.0.1:8080' }],
  components: {
    securitySchemes: {
      apiKey: { type: 'http', scheme: 'bearer', description: 'A client API key (API_KEYS).' },
      adminKey: { type: 'http', scheme: 'bearer', description: 'The admin key (ADMIN_KEY).' },
    },
    parameters: {
      key: {
        name: 'key',
        in: 'path',
        required: true,
        description:
          '1 to 1024 bytes of UTF-8, percent-encoded. Control characters are refused with 400 KEY_INVALID ' +
          '(details: character, position): C0 U+0000–U+001F, DEL U+007F and C1 U+0080–U+009F.',
        schema: { type: 'string', minLength: 1 },
      },
      consistency: {
        name: 'x-redoubt-consistency',
        in: 'header',
        required: false,
        description:
          '`one`: W = 1 / R = 1; `quorum` (default): the configured W / R (2 / 2 of N = 3); `all`: W = R = N; ' +
          '`serial` (GET and HEAD, and allowed on conditional writes): a Paxos round at a majority, linearizable ' +
          'with conditional writes (finishes any one left half done).',
        schema: { type: 'string', enum: ['one', 'quorum', 'all', 'serial'], default: 'quorum' },
      },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string', examples: ['QUORUM_NOT_REACHED'] },
              message: { type: 'string' },
              details: { type: 'object', additionalProperties: true },
            },
          },
          requestId: { type: 'string' },
        },
      },
      PutResult: {
        type: 'object',
        required: ['key', 'version', 'confirmed'],
        properties: {
          key: { type: 'string' },
          version: { type: 'string' },
          confirmed: { type: 'integer', description: 'Replicas that had durably written it when answered.' },
          conditional: { type: 'boolean', description: 'Present (true) on a conditional write.' },
          roundTrips: {
            type: 'integer',
            description:
              'Conditional writes: Paxos round trips it took (3 uncontended: prepare, accept, commit).',
          },
        },
      },
    },
  },
  security: [{ apiKey: [] }],
  paths: {
    '/v1/kv/{key}': {
      parameters: [{ $ref: '#/components/parameters/key' }, { $ref: '#/components/parameters/consistency' }],
      put: {
        operationId: 'putValue',
        summary: 'Store a value (a new version of the key).',
        description:
          'Written to all N replicas; answered 201 once W of them confirmed a durable (fsynced) write. ' +
          'Always 201: every PUT creates a new version, whether or not the key existed. With If-Match or ' +
          'If-None-Match the write is conditional and linearizable per key (a Paxos round; 412 when the ' +
          'condition does not hold). A replica that ' +
          'already holds a newer version (a writer whose clock runs ahead) does not count toward W: the ' +
          'gateway moves its clock past that version and writes again, so the acknowledged version is the one ' +
          'reads return. After 3 such attempts, or when the newer version is further ahead of the ' +
          "gateway's clock than MAX_CLOCK_DRIFT_MS, it answers 409 WRITE_SUPERSEDED (details: key, version, " +
          'newerVersion): not acknowledged. DELETE behaves the same.',
        parameters: conditionHeaders,
        requestBody: {
          required: false,
          description: 'The value, any content type (stored and returned as sent), at most MAX_VALUE_BYTES.',
          content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
        },
        responses: {
          '201': {
            description: 'Acknowledged: W replicas have it on disk.',
            headers: etagHeader,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/PutResult' } } },
          },
          ...kvErrors,
          '412': preconditionFailed,
          '413': errorResponse('VALUE_TOO_LARGE: the body is over MAX_VALUE_BYTES.'),
        },
      },
      get: {
        operationId: 'getValue',
        summary: 'Read the newest value among R replicas.',
        responses: {
          '200': {
            description: 'The value, with the content type it was stored with.',
            headers: etagHeader,
            content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
          },
          ...kvErrors,
          '404': errorResponse('RECORD_NOT_FOUND: no value, or the newest version is a delete.'),
        },
      },
      head: {
        operationId: 'headValue',
        summary: 'As GET, without the body.',
        responses: {
          '200': { description: 'The value exists.', headers: etagHeader },
          ...kvErrors,
          '404': { description: 'RECORD_NOT_FOUND (no body).' },
        },
      },
      delete: {
        operationId: 'deleteValue',
        summary: 'Delete the key: writes a tombstone version through the same quorum as a PUT.',
        description:
          'With If-Match the delete is conditional (a Paxos round; 412 when the condition does not hold).',
        parameters: [conditionHeaders[0]],
        responses: {
          '204': { description: 'Acknowledged: W replicas have the tombstone.', headers: etagHeader },
          ...kvErrors,
          '412': preconditionFailed,
        },
      },
    },
    '/v1/openapi.json': {
      get: {
        operationId: 'openApi',
        summary: 'This document.',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': {} } } },
      },
    },
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'Liveness: the process serves HTTP.',
        security: [],
        responses: { '200': { description: 'Alive.', content: { 'application/json': {} } } },
      },
    },
    '/readyz': {
      get: {
        operationId: 'ready',
        summary: 'Readiness: a placement is known and at least W data nodes have a breaker that is not open.',
        security: [],
        responses: {
          '200': { description: 'Ready.', content: { 'application/json': {} } },
          '503': { description: 'Not ready (body says why).', content: { 'application/json': {} } },
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics.',
        security: [],
        responses: { '200': { description: 'Prometheus text format.', content: { 'text/plain': {} } } },
      },
    },
    '/admin/status': {
      get: {
        operationId: 'adminStatus',
        summary:
          'Breaker states, placement epoch, quorum settings, the data nodes it reaches and handoff backlog.',
        security: [{ adminKey: [] }],
        responses: {
          '200': { description: 'Status.', content: { 'application/json': {} } },
          '401': errorResponse('AUTH_MISSING'),
          '403': errorResponse('AUTH_INVALID'),
        },
      },
    },
  },
} as const;
