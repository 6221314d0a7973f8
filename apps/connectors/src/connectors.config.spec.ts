import { loadConfig } from '@tandem/observability';
import { ConnectorsConfig } from './connectors.config';

describe('ConnectorsConfig marketing members API', () => {
  it('should stop start-up naming the key and list id when MARKETING_API_URL is set without them', () => {
    expect(() => loadConfig(ConnectorsConfig, { MARKETING_API_URL: 'https://us1.api.mailchimp.com' })).toThrow(/MARKETING_API_KEY must be set.*MARKETING_LIST_ID must be set/);
    expect(() => loadConfig(ConnectorsConfig, { MARKETING_API_URL: 'mailchimp', MARKETING_API_KEY: 'k', MARKETING_LIST_ID: 'aud1' })).toThrow('MARKETING_API_URL must be an http(s) URL or empty');
  });

  it('should accept no members API at all, or a complete one', () => {
    expect(loadConfig(ConnectorsConfig, {}).MARKETING_API_URL).toBe('');
    expect(loadConfig(ConnectorsConfig, { MARKETING_API_URL: 'https://us1.api.mailchimp.com', MARKETING_API_KEY: 'k-us1', MARKETING_LIST_ID: 'aud1' }).MARKETING_LIST_ID).toBe('aud1');
  });
});
