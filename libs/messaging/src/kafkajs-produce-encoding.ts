/* eslint-disable @typescript-eslint/no-require-imports */
import type { Message } from 'kafkajs';
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

type PartitionGroups<M> = Record<string, M[]>;
type GroupingReducer<M> = (groups: PartitionGroups<M>, message: M) => PartitionGroups<M>;

/**
 * Hands `messages` to kafkajs so that it groups them by partition in linear time. kafkajs 2.2.4
 * groups a request's messages with `messages.reduce`, copying a partition's whole array for every
 * message it adds (quadratic: about a fifth of all the memory an ERP connector allocated, and
 * 2-3% of its CPU time). This array's own `reduce`, given kafkajs's grouping reducer and an empty
 * object, applies the reducer to each message alone (`{ [partition]: [message] }`, its partitioner
 * called once per message as before) and appends the message to its partition's group: the same
 * groups, in the same order. Any other use of `reduce` gets Array's. Plain arrays for any other
 * kafkajs version.
 */
export function groupedLinearlyByKafkajs<M extends Message>(messages: M[]): M[] {
  if (kafkajsVersion !== ONE_PASS_KAFKAJS_VERSION) return messages;
  Object.defineProperty(messages, 'reduce', { value: reduceGroupingLinearly, configurable: true, writable: true });
  return messages;
}

function reduceGroupingLinearly<M>(this: M[], ...args: Parameters<M[]['reduce']>): unknown {
  const [reducer, groups] = args as unknown as [GroupingReducer<M>, PartitionGroups<M>];
  if (args.length !== 2 || !isEmptyObject(groups)) return Array.prototype.reduce.apply(this, args as never);
  for (const message of this) {
    const alone = reducer({}, message);
    for (const partition in alone) (groups[partition] ??= []).push(message);
  }
  return groups;
}

function isEmptyObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) return false;
  return true;
}
