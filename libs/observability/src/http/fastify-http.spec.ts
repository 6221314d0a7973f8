import { jsonDepth } from './fastify-http';

describe('JSON body depth', () => {
  it('should count nested arrays and objects, and not brackets inside strings', () => {
    expect(jsonDepth('{"name":"x","roles":["admin"]}')).toBe(2);
    expect(jsonDepth('"just text"')).toBe(0);
    expect(jsonDepth('{"a":"[[[{{{","b":"\\\\","c":"\\"[["}')).toBe(1);
    expect(jsonDepth(`${'['.repeat(5000)}${']'.repeat(5000)}`)).toBe(5000);
  });
});
