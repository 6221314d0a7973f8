/* eslint-disable @typescript-eslint/no-require-imports */
import { crc32c } from './crc32c';

// kafkajs's own crc32c (byte at a time), the reference.
const kafkajsCrc32c: (buffer: Buffer) => number = require('kafkajs/src/protocol/recordBatch/crc32C');

describe('crc32c', () => {
  it('should give the standard check value of CRC-32C', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('should agree with kafkajs for every length and any slice of a buffer', () => {
    let seed = 11;
    const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) & 0xff);
    const bytes = Buffer.from(Array.from({ length: 5000 }, random));
    for (let length = 0; length < 70; length++) expect(crc32c(bytes.subarray(0, length))).toBe(kafkajsCrc32c(bytes.subarray(0, length)));
    for (const [start, end] of [[3, 4099], [1, 2], [17, 17], [0, 5000], [4091, 5000]]) {
      expect(crc32c(bytes, start, end)).toBe(kafkajsCrc32c(bytes.subarray(start, end)));
    }
  });
});
