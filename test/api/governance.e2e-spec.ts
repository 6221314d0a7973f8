import SwaggerParser from '@apidevtools/swagger-parser';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { Client } from 'pg';
import request from 'supertest';
import { JwtCodec } from '@tandem/governance';
import { RunningService, startService, waitForReadiness } from '../support/services';
import { auditOf, cli, createClientWithCli, Credentials, seedProfile, tokenFor } from './support';

const SECRET = 'e2e-api-token-secret-0123456789-abcdef';

describe('governed API: clients, roles, purposes, policies, audit', () => {
  const run = Date.now().toString(36);
  const source = `api-${run}`;
  // Unique per run: a phone shared by two profiles would make the lookup ambiguous.
  const phone = `+4670${String(Date.now() % 10_000_000).padStart(7, '0')}`;
  const maskedPhone = `+46*******${phone.slice(-2)}`;
  let db: Client;
  let api: RunningService;
  let admin: Credentials;
  let adminToken: string;
  const creds: Record<string, Credentials> = {};
  const tokens: Record<string, string> = {};
  let anna: string;
  let bo: string;

  beforeAll(async () => {
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    api = await startService('api', { API_TOKEN_SECRET: SECRET, API_RATE_LIMIT_PER_SECOND: '1000', API_CONNECTORS_URL: 'http://127.0.0.1:9' });
    await waitForReadiness(api);
    admin = createClientWithCli(`admin-${run}`, ['admin']);
    adminToken = await tokenFor(api.url, admin);
    for (const role of ['marketing', 'it-operator', 'data-office']) {
      const created = await request(api.url).post('/clients').auth(adminToken, { type: 'bearer' }).send({ name: `${role}-${run}`, roles: [role] }).expect(201);
      creds[role] = { clientId: created.body.clientId, clientSecret: created.body.clientSecret };
      tokens[role] = await tokenFor(api.url, creds[role]);
    }
    anna = await seedProfile(db, {
      source, recordId: 'A-1', email: `anna.${run}@example.com`, phone, givenName: 'Anna', familyName: 'Berg', birthDate: '1984-05-12', city: 'Lund',
      consents: [{ channel: 'email', status: 'granted' }],
    });
    bo = await seedProfile(db, {
      source, recordId: 'B-1', email: `bo.${run}@example.com`, givenName: 'Bo', familyName: 'Ek', birthDate: '1990-01-02',
      consents: [{ channel: 'email', status: 'granted' }, { channel: 'email', purpose: 'email-marketing', status: 'withdrawn' }],
    });
  });

  afterAll(async () => {
    await api?.stop();
    await db?.end();
  });

  const get = (path: string, role: string) => request(api.url).get(path).auth(tokens[role], { type: 'bearer' });

  describe('authentication', () => {
    it('should print the new client as JSON and refuse an unknown role when clients are created from the command line', () => {
      expect(admin).toEqual({ clientId: expect.stringMatching(/^[0-9a-f-]{36}$/), clientSecret: expect.any(String) });
      const bad = cli(['clients', 'create', '--name', `bad-${run}`, '--roles', 'marketing,wizard']);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('unknown role(s) wizard');
    });

    it('should issue a bearer token for client credentials sent as a form, as JSON, or with HTTP Basic', async () => {
      const { clientId, clientSecret } = creds.marketing;
      const json = await request(api.url).post('/oauth/token').send({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).expect(200);
      expect(json.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'marketing' });
      expect(json.headers['cache-control']).toBe('no-store');
      const basic = await request(api.url).post('/oauth/token').auth(clientId, clientSecret).type('form').send({ grant_type: 'client_credentials' }).expect(200);
      expect(basic.body.access_token.split('.')).toHaveLength(3);
    });

    it('should refuse a wrong secret, an unknown client, another grant type, and a scope the client does not hold', async () => {
      const { clientId } = creds.marketing;
      const wrong = await request(api.url).post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: clientId, client_secret: 'guess' }).expect(401);
      expect(wrong.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: expect.stringContaining('invalid_client') });
      await request(api.url).post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x' }).expect(401);
      const grant = await request(api.url).post('/oauth/token').type('form').send({ grant_type: 'password', client_id: clientId, client_secret: 'x' }).expect(400);
      expect(grant.body.message).toContain('unsupported_grant_type');
      const scope = await request(api.url).post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: clientId, client_secret: creds.marketing.clientSecret, scope: 'admin' }).expect(400);
      expect(scope.body.message).toContain('invalid_scope');
    });

    it('should answer 401 with the reason for a missing, malformed, forged, re-signed "none" or expired token', async () => {
      const missing = await request(api.url).get('/purposes').expect(401);
      expect(missing.body.message).toContain('access token is required');
      await request(api.url).get('/purposes').set('authorization', 'Token abc').expect(401);
      const [h, p] = tokens.marketing.split('.');
      const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), roles: ['admin'] })).toString('base64url');
      const forged = await request(api.url).get('/clients').set('authorization', `Bearer ${h}.${forgedPayload}.${tokens.marketing.split('.')[2]}`).expect(401);
      expect(forged.body.message).toContain('signature is invalid');
      const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${forgedPayload}.`;
      await request(api.url).get('/clients').set('authorization', `Bearer ${none}`).expect(401);
      const otherKey = `${h}.${p}.${createHmac('sha256', 'not-the-key-not-the-key-not-the-key').update(`${h}.${p}`).digest('base64url')}`;
      await request(api.url).get('/purposes').set('authorization', `Bearer ${otherKey}`).expect(401);
      const expired = new JwtCodec(Buffer.from(SECRET)).sign(creds.marketing.clientId, ['marketing'], 60, Date.now() - 3600_000).token;
      const late = await request(api.url).get('/purposes').set('authorization', `Bearer ${expired}`).expect(401);
      expect(late.body.message).toContain('expired');
    });
  });

  describe('roles', () => {
    it('should let only admin manage clients, and only the data office change policies', async () => {
      for (const role of ['marketing', 'it-operator', 'data-office']) {
        const refused = await get('/clients', role).expect(403);
        expect(refused.body.message).toContain('needs one of the roles admin');
      }
      await request(api.url).get('/clients').auth(adminToken, { type: 'bearer' }).expect(200);
      for (const role of ['marketing', 'it-operator']) {
        await request(api.url).put('/policies/marketing/analytics').auth(tokens[role], { type: 'bearer' }).send({ fields: ['city'] }).expect(403);
      }
      await request(api.url).get('/audit').auth(tokens.marketing, { type: 'bearer' }).expect(403);
      await request(api.url).get('/audit').auth(adminToken, { type: 'bearer' }).expect(403);
    });

    it('should keep IT operations to it-operator and stewardship to the data office', async () => {
      for (const role of ['marketing', 'data-office']) await get('/connectors', role).expect(403);
      const down = await get('/dead-letters', 'it-operator').expect(502);
      expect(down.body.message).toContain('connectors app does not answer');
      for (const role of ['marketing', 'it-operator']) await get('/review-queue', role).expect(403);
      const queue = await get(`/review-queue?source=${source}`, 'data-office').expect(200);
      expect(queue.body).toEqual([]);
      for (const role of ['marketing', 'it-operator']) await get('/review-queue/summary', role).expect(403);
      const summary = await get(`/review-queue/summary?source=${source}`, 'data-office').expect(200);
      expect(summary.body).toEqual({ status: 'open', total: 0, byRule: [] });
      const badRule = await get(`/review-queue?rule=${encodeURIComponent('Fellegi Sunter;')}`, 'data-office').expect(400);
      expect(JSON.stringify(badRule.body.message)).toContain('rule must be a rule name');
      expect((await get(`/review-queue?source=${source}&rule=deterministic:email`, 'data-office').expect(200)).body).toEqual([]);
      expect((await get(`/review-queue/summary?source=${source}&status=household`, 'data-office').expect(200)).body).toEqual({ status: 'household', total: 0, byRule: [] });
      const badStatus = await get('/review-queue?status=waiting', 'data-office').expect(400);
      expect(JSON.stringify(badStatus.body.message)).toContain('status must be one of open, household');
      await request(api.url).post('/links/unmerge').auth(tokens.marketing, { type: 'bearer' }).send({}).expect(403);
      const unmerge = await request(api.url).post('/links/unmerge').auth(tokens['data-office'], { type: 'bearer' }).send({ a: { source, sourceRecordId: 'A-1' } }).expect(400);
      expect(unmerge.body.message).toContain('b');
      await request(api.url).post(`/data-subjects/${anna}/erasure`).auth(tokens.marketing, { type: 'bearer' }).send({ reason: 'not mine to ask' }).expect(403);
      await request(api.url).get(`/data-subjects/${anna}/export`).auth(tokens['it-operator'], { type: 'bearer' }).expect(403);
    });

    it('should stop a token at once when its client is disabled, and drop a role taken away since it was issued', async () => {
      const created = await request(api.url).post('/clients').auth(adminToken, { type: 'bearer' }).send({ name: `temp-${run}`, roles: ['marketing', 'data-office'] }).expect(201);
      const token = await tokenFor(api.url, created.body);
      await request(api.url).get('/audit').auth(token, { type: 'bearer' }).expect(200);
      await request(api.url).patch(`/clients/${created.body.clientId}`).auth(adminToken, { type: 'bearer' }).send({ roles: ['marketing'] }).expect(200);
      await request(api.url).get('/audit').auth(token, { type: 'bearer' }).expect(403);
      await request(api.url).patch(`/clients/${created.body.clientId}`).auth(adminToken, { type: 'bearer' }).send({ disabled: true }).expect(200);
      const stopped = await request(api.url).get('/purposes').auth(token, { type: 'bearer' }).expect(401);
      expect(stopped.body.message).toContain('disabled');
      await request(api.url).post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: created.body.clientId, client_secret: created.body.clientSecret }).expect(401);
    });

    it('should limit each client to its rate and say when to retry', async () => {
      const created = await request(api.url).post('/clients').auth(adminToken, { type: 'bearer' }).send({ name: `slow-${run}`, roles: ['marketing'], rateLimitPerSecond: 1 }).expect(201);
      const token = await tokenFor(api.url, created.body);
      // All at once, so a slow machine cannot refill the bucket between them: a burst of 2 passes.
      const responses = await Promise.all(Array.from({ length: 8 }, () => request(api.url).get('/purposes').auth(token, { type: 'bearer' })));
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(3);
      const limited = responses.find((r) => r.status === 429)!;
      expect(limited.body.message).toContain('rate limit of 1 requests per second');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      await get('/purposes', 'marketing').expect(200);
    });
  });

  describe('purposes, policies and masking on profile reads', () => {
    it('should return only the fields the role may see for the purpose, with the email only under consent', async () => {
      const mail = await get(`/profiles/${anna}?purpose=email-marketing`, 'marketing').expect(200);
      expect(mail.body).toMatchObject({ id: anna, purpose: 'email-marketing', attributes: { givenName: 'Anna', familyName: 'Berg', country: 'SE' }, email: `anna.${run}@example.com` });
      expect(mail.body.attributes.birthDate).toBeUndefined();
      expect(mail.body.phone).toBeUndefined();
      expect(mail.body.links).toBeUndefined();
      const withdrawn = await get(`/profiles/${bo}?purpose=email-marketing`, 'marketing').expect(200);
      expect(withdrawn.body.attributes.givenName).toBe('Bo');
      expect(withdrawn.body).not.toHaveProperty('email');

      const analytics = await get(`/profiles/lookup?purpose=analytics&email=${encodeURIComponent(`  ANNA.${run}@Example.COM `)}`, 'marketing').expect(200);
      expect(analytics.body.id).toBe(anna);
      expect(analytics.body.attributes).toEqual({ birthDate: '1984', city: 'Lund', country: 'SE' });
    });

    it('should show the data office a masked phone, lineage and links, and refuse purposes without a policy', async () => {
      const service = await get(`/profiles/lookup?purpose=customer-service&phone=${encodeURIComponent(`${phone.slice(0, 3)} ${phone.slice(3, 5)} ${phone.slice(5)}`)}`, 'data-office').expect(200);
      expect(service.body.phone).toBe(maskedPhone);
      expect(service.body.lineage.givenName).toMatchObject({ source, sourceRecordId: 'A-1' });
      expect(service.body.links).toEqual([]);
      expect(service.body.consent).toMatchObject({ email: 'granted', sms: 'unknown' });

      const denied = await get(`/profiles/${anna}?purpose=customer-service`, 'marketing').expect(403);
      expect(denied.body.message).toContain('no policy lets role(s) marketing read personal data for purpose "customer-service"');
      await get(`/profiles/${anna}?purpose=personalization`, 'it-operator').expect(403);
      await get(`/profiles/${anna}?purpose=personalization`, 'data-office').expect(403);
      await get(`/profiles/${anna}?purpose=email-marketing`, 'data-office').expect(403);
      const unknown = await get(`/profiles/${anna}?purpose=mind-reading`, 'marketing').expect(400);
      expect(unknown.body.message).toContain('unknown purpose');
      const missing = await get(`/profiles/${anna}`, 'marketing').expect(400);
      expect(missing.body.message).toContain('purpose');
    });

    it('should apply a new policy version at once, keep the history, and audit the change', async () => {
      const purpose = `loyalty-${run}`.slice(0, 40);
      await request(api.url).put(`/purposes/${purpose}`).auth(tokens['data-office'], { type: 'bearer' }).send({ description: 'Loyalty programme mailings', channel: null }).expect(200);
      await get(`/profiles/${anna}?purpose=${purpose}`, 'marketing').expect(403);
      const v1 = await request(api.url).put(`/policies/marketing/${purpose}`).auth(tokens['data-office'], { type: 'bearer' }).send({ fields: ['givenName', 'phone'], masking: { phone: 'partial' }, reason: 'pilot' }).expect(200);
      expect(v1.body).toMatchObject({ role: 'marketing', purpose, version: 1, fields: ['givenName', 'phone'], masking: { phone: 'partial' }, changedBy: creds['data-office'].clientId });
      const read = await get(`/profiles/${anna}?purpose=${purpose}`, 'marketing').expect(200);
      expect(read.body.attributes).toEqual({ givenName: 'Anna' });
      expect(read.body.phone).toBe(maskedPhone);
      await request(api.url).put(`/policies/marketing/${purpose}`).auth(tokens['data-office'], { type: 'bearer' }).send({ fields: ['givenName'] }).expect(200);
      const after = await get(`/profiles/${anna}?purpose=${purpose}`, 'marketing').expect(200);
      expect(after.body).not.toHaveProperty('phone');
      const history = await request(api.url).get(`/policies/marketing/${purpose}/history`).auth(tokens['data-office'], { type: 'bearer' }).expect(200);
      expect(history.body.map((p: { version: number }) => p.version)).toEqual([2, 1]);
      await request(api.url).delete(`/policies/marketing/${purpose}`).auth(tokens['data-office'], { type: 'bearer' }).expect(200);
      await get(`/profiles/${anna}?purpose=${purpose}`, 'marketing').expect(403);
      const changes = await request(api.url).get(`/audit?purpose=${purpose}&clientId=${creds['data-office'].clientId}`).auth(tokens['data-office'], { type: 'bearer' }).expect(200);
      expect(changes.body.entries.map((e: { action: string }) => e.action)).toEqual(['policy.revoked', 'policy.changed', 'policy.changed', 'purpose.changed']);

      const badMask = await request(api.url).put(`/policies/marketing/${purpose}`).auth(tokens['data-office'], { type: 'bearer' }).send({ fields: ['givenName'], masking: { phone: 'partial' } }).expect(400);
      expect(badMask.body.message).toContain('does not allow');
      await request(api.url).put(`/policies/marketing/${purpose}`).auth(tokens['data-office'], { type: 'bearer' }).send({ fields: ['soul'] }).expect(400);
      await request(api.url).put(`/policies/wizard/${purpose}`).auth(tokens['data-office'], { type: 'bearer' }).send({ fields: ['givenName'] }).expect(400);
    });

    it('should record every read with client, purpose, profile and the fields returned, searchable by the data office', async () => {
      const before = (await auditOf(db, bo)).length;
      await get(`/profiles/${bo}?purpose=personalization`, 'marketing').expect(200);
      await get(`/profiles/lookup?purpose=analytics&source=${source}&recordId=B-1`, 'marketing').expect(200);
      await get(`/profiles/${bo}?purpose=customer-service`, 'marketing').expect(403);
      const entries = await auditOf(db, bo);
      expect(entries.length - before).toBe(2);
      expect(entries[0]).toMatchObject({ client_id: creds.marketing.clientId, action: 'profile.lookup', purpose: 'analytics', fields: ['birthDate', 'country'] });
      expect(entries[1]).toMatchObject({ action: 'profile.read', purpose: 'personalization', fields: ['givenName', 'country'] });
      const search = await get(`/audit?profileId=${bo}&limit=1`, 'data-office').expect(200);
      expect(search.body.entries).toHaveLength(1);
      expect(search.body.entries[0]).toMatchObject({ clientName: `marketing-${run}`, purpose: 'analytics', profileId: bo });
      const next = await get(`/audit?profileId=${bo}&limit=1&cursor=${search.body.nextCursor}`, 'data-office').expect(200);
      expect(next.body.entries[0].purpose).toBe('personalization');
    });
  });

  describe('bad input', () => {
    it('should answer every malformed request with a clear 4xx in the one error shape, never a 500 or another person', async () => {
      const cases: Array<[request.Test, number, string]> = [
        [request(api.url).post('/clients').auth(adminToken, { type: 'bearer' }).set('content-type', 'application/json').send('{"name": '), 400, 'not valid JSON'],
        [request(api.url).post('/clients').auth(adminToken, { type: 'bearer' }).send({ name: 'x', roles: 'admin' }), 400, 'roles'],
        [request(api.url).post('/clients').auth(adminToken, { type: 'bearer' }).send({ name: 'x', roles: ['admin'], isRoot: true }), 400, 'property isRoot should not exist'],
        [request(api.url).post('/clients').auth(adminToken, { type: 'bearer' }).send({ name: 'x'.repeat(2_000_000), roles: ['admin'] }), 413, 'larger than the limit'],
        // Nested some thousands deep, it overflowed the stack in validation: a 500.
        [request(api.url).post('/clients').auth(adminToken, { type: 'bearer' }).set('content-type', 'application/json').send(`{"name":"x","roles":${'['.repeat(5000)}${']'.repeat(5000)}}`), 400, 'nested deeper than 64'],
        [get(`/profiles/lookup?purpose=analytics&email=${encodeURIComponent("' OR 1=1 --")}`, 'marketing'), 400, 'not a valid email'],
        [get(`/profiles/lookup?purpose=analytics&email=${encodeURIComponent(`x@example.com' OR '1'='1`)}`, 'marketing'), 400, 'not a valid email'],
        [get(`/profiles/lookup?purpose=analytics&source=${source}&recordId=${encodeURIComponent("A-1' OR 'x'='x")}`, 'marketing'), 404, 'no profile'],
        [get(`/profiles/lookup?purpose=analytics&source=${source}&recordId=A-1%00`, 'marketing'), 400, 'NUL'],
        [get('/audit?action=profile.read%00', 'data-office'), 400, 'NUL'],
        [request(api.url).post('/clients').auth(adminToken, { type: 'bearer' }).send({ name: 'x\u0000y', roles: ['admin'] }), 400, 'NUL'],
        [request(api.url).post('/oauth/token').type('form').send('grant_type=client_credentials&client_id=%00&client_secret=x'), 400, 'NUL'],
        [get(`/profiles/lookup?purpose=analytics&email=a@example.com&phone=123456`, 'marketing'), 400, 'exactly one'],
        [get(`/profiles/lookup?purpose=analytics&email=a@example.com&admin=1`, 'marketing'), 400, 'property admin should not exist'],
        [get(`/profiles/lookup?purpose=analytics&email[]=a@example.com`, 'marketing'), 400, 'email'],
        [get(`/profiles/${anna}x?purpose=analytics`, 'marketing'), 400, 'uuid'],
        [get(`/profiles/00000000-0000-4000-8000-000000000000?purpose=analytics`, 'marketing'), 404, 'no profile'],
        [get(`/profiles/${anna}?purpose=${encodeURIComponent('analytics; DROP TABLE profiles')}`, 'marketing'), 400, 'purpose'],
        [get('/audit?from=yesterday', 'data-office'), 400, 'from must be an ISO date-time'],
        [get('/audit?limit=1e9', 'data-office'), 400, 'limit'],
        [get('/nowhere', 'marketing'), 404, ''],
      ];
      for (const [pending, status, message] of cases) {
        const response = await pending;
        expect({ status: response.status, body: response.body }).toMatchObject({ status, body: { statusCode: status, error: expect.any(String) } });
        expect(response.body.correlationId).toEqual(expect.any(String));
        expect(response.body.message).toContain(message);
        expect(JSON.stringify(response.body)).not.toContain('Anna');
      }
    });

    it('should not repeat a long unknown parameter name back in the 400, on any route', async () => {
      const name = 'q'.repeat(9000);
      for (const path of [`/audit?${name}=1`, `/profiles/lookup?purpose=analytics&email=a@example.com&${name}=1`]) {
        const response = await get(path, path.startsWith('/audit') ? 'data-office' : 'marketing');
        expect(response.status).toBe(400);
        expect(response.body.message).toContain(`property ${'q'.repeat(40)}… should not exist`);
        expect(JSON.stringify(response.body).length).toBeLessThan(500);
      }
    });

    it('should answer a client still sending an oversized body with the 413, not a reset connection', async () => {
      // As a client on a real network sends it: 2 MB in 64 KiB pieces, each after the previous one left.
      const send = () =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const body = JSON.stringify({ name: 'x'.repeat(2_000_000), roles: ['admin'] });
          const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), authorization: `Bearer ${adminToken}` };
          const req = http.request(`${api.url}/clients`, { method: 'POST', agent: false, headers }, (res) => {
            let text = '';
            res.on('data', (chunk) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          });
          req.on('error', reject);
          let at = 0;
          const next = (): void => {
            if (at >= body.length) return void req.end();
            const piece = body.slice(at, (at += 65536));
            if (req.write(piece)) setImmediate(next);
            else req.once('drain', next);
          };
          next();
        });
      for (let i = 0; i < 5; i++) {
        const answer = await send();
        expect(answer.status).toBe(413);
        expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 413, message: expect.stringContaining('larger than the limit of 1048576 bytes') });
      }
    });

    it('should keep personal data out of the application log', () => {
      const log = api.stdout() + api.stderr();
      expect(log).toContain('"route":"/profiles/lookup"');
      for (const secret of [`anna.${run}`, 'Anna', 'Berg', phone, admin.clientSecret]) expect(log).not.toContain(secret);
    });
  });

  describe('OpenAPI', () => {
    it('should serve a valid OpenAPI 3 document at /docs-json and Swagger UI at /docs', async () => {
      const doc = (await request(api.url).get('/docs-json').expect(200)).body;
      expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
      // Against the OpenAPI 3 JSON schema and its rules (unique operation ids, declared path parameters, resolvable $refs), as client generators read it.
      await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
      const broken = structuredClone(doc);
      broken.paths['/profiles/lookup'].get.responses = { '200': { description: 42 } };
      await expect(SwaggerParser.validate(broken)).rejects.toThrow();
      expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
      for (const path of ['/oauth/token', '/clients', '/policies/{role}/{purpose}', '/purposes', '/audit', '/profiles/{id}', '/profiles/lookup', '/audiences/resolve', '/data-subjects/{profileId}/erasure', '/review-queue', '/links/unmerge', '/connectors', '/dead-letters'])
        expect(Object.keys(doc.paths)).toContain(path);
      const refs = new Set<string>();
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) node.forEach(walk);
        else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) k === '$ref' ? refs.add(v as string) : walk(v);
      };
      walk(doc.paths);
      for (const ref of refs) {
        expect(ref).toMatch(/^#\/components\/schemas\//);
        expect(doc.components.schemas[ref.split('/').pop()!]).toBeDefined();
      }
      for (const [path, item] of Object.entries<Record<string, { responses?: object; parameters?: Array<{ name: string; in: string }> }>>(doc.paths)) {
        for (const [method, operation] of Object.entries(item)) {
          expect([path, method, Object.keys(operation.responses ?? {}).length > 0]).toEqual([path, method, true]);
          for (const p of path.match(/\{(\w+)\}/g) ?? []) expect(operation.parameters?.some((q) => q.in === 'path' && `{${q.name}}` === p)).toBe(true);
        }
      }
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      const ui = await request(api.url).get('/docs').expect(200);
      expect(ui.text).toContain('swagger');
    });
  });
});
