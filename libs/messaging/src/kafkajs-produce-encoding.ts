/* eslint-disable @typescript-eslint/no-require-imports */
import { encodeProduceRequest, ProduceRequestArgs } from './produce-request';

// kafkajs's request registry: the broker looks `requests.Produce` up at every send.
const registry: { requests: { Produce: ProduceDefinitions } } = require('kafkajs/src/protocol/requests');
const kafkajsVersion: string = require('kafkajs/package.json').version;

interface BuiltRequest {
  request: { encode(): Promise<unknown> } & Record<string, unknown>;
  response: unknown;
}
interface ProduceDefinitions {
  versions: string[];
  protocol(options: { version: number }): (args: ProduceRequestArgs & { compression?: number }) => BuiltRequest;
}

/** The kafkajs version whose Produce encoding {@link encodeProduceRequest} was checked against (byte for byte, in the spec). */
export const ONE_PASS_KAFKAJS_VERSION = '2.2.4';

let installed = false;

/**
 * Makes kafkajs encode uncompressed Produce requests (v3 to v7) with {@link encodeProduceRequest}:
 * the same bytes in one pass. Everything else (partitioning, sequence numbers, retries, acks,
 * responses) stays kafkajs's. Only for the kafkajs version the spec compared against; with any
 * other one, or with compression, kafkajs's own encoder runs. Idempotent.
 */
export function installOnePassProduceEncoding(): boolean {
  if (installed) return true;
  if (kafkajsVersion !== ONE_PASS_KAFKAJS_VERSION) return false;
  const original = registry.requests.Produce;
  registry.requests.Produce = {
    versions: original.versions,
    protocol: ({ version }) => {
      const build = original.protocol({ version });
      if (Number(version) < 3) return build;
      return (args) => {
        const built = build(args);
        if ((args.compression ?? 0) !== 0) return built;
        const encode = async () => {
          const buffer = encodeProduceRequest(args);
          // What kafkajs's framing accepts as an Encoder: `buf` for its check, `buffer` for the bytes.
          return { buf: buffer, buffer, size: () => buffer.length };
        };
        return { ...built, request: { ...built.request, encode } };
      };
    },
  };
  installed = true;
  return true;
}
