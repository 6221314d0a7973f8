import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { CrmSimulator, generateCustomerBase } from '@tandem/sandbox';
import { retryAfterMs, SourceUnavailableError } from '../pipeline/source-http';
import { HubSpotCrmClient } from './hubspot-crm.client';

describe('HubSpot-style CRM client', () => {
  const contacts = generateCustomerBase({ people: 30, seed: 5 }).crmContacts;
  const crm = new CrmSimulator({ contacts, token: 'secret-token' });
  let client: HubSpotCrmClient;

  beforeAll(async () => {
    client = new HubSpotCrmClient(await crm.start(), 'secret-token');
  });
  afterAll(() => crm.stop());

  it('should page through every contact with the paging token, on kept-alive connections', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await client.listContacts({ archived: false, limit: 7, after });
      seen.push(...page.contacts.map((c) => c.id));
      after = page.nextAfter ?? undefined;
    } while (after);
    expect(seen.sort()).toEqual(contacts.filter((c) => !c.archived).map((c) => c.id).sort());
  });

  it('should say how long the CRM asked to wait on 429, and report a 5xx as unavailable', async () => {
    crm.injectFault({ status: 429, count: 1, retryAfterSeconds: 2 });
    await expect(client.listContacts({ archived: false, limit: 5 })).rejects.toMatchObject({ name: 'SourceUnavailableError', status: 429, retryAfterMs: 2000 });
    crm.injectFault({ status: 503, count: 1 });
    await expect(client.listContacts({ archived: false, limit: 5 })).rejects.toMatchObject({ status: 503, retryAfterMs: null });
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:30 GMT'))).toBe(30000);
  });

  it('should refuse a wrong token, an answer that is not JSON, and a CRM that does not answer in time, each with its reason', async () => {
    const wrong = new HubSpotCrmClient(crm.url, 'wrong');
    await expect(wrong.listContacts({ archived: false, limit: 5 })).rejects.toThrow('CRM refused the call with 401');
    const garbage = createServer((_, response) => response.end('<html>maintenance</html>'));
    const silent = createServer(() => undefined);
    await Promise.all([new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r)), new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))]);
    try {
      const port = (server: typeof garbage) => (server.address() as AddressInfo).port;
      await expect(new HubSpotCrmClient(`http://127.0.0.1:${port(garbage)}`, null).listContacts({ archived: false, limit: 5 })).rejects.toThrow('CRM answer is not JSON');
      const slow = new HubSpotCrmClient(`http://127.0.0.1:${port(silent)}`, null, 300);
      const failure = await slow.listContacts({ archived: false, limit: 5 }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SourceUnavailableError);
      expect((failure as Error).message).toBe('CRM unreachable: no answer within 300 ms');
    } finally {
      garbage.closeAllConnections();
      silent.closeAllConnections();
      await Promise.all([new Promise((r) => garbage.close(r)), new Promise((r) => silent.close(r))]);
    }
  });
});
