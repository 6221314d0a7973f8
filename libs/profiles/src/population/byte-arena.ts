import { columnBuffer } from './column-memory';

/** Bytes per chunk, 2^24 unless a spec asks for less: a place is chunk << bits | offset, in 32 bits. */
export const ARENA_CHUNK_BITS = 24;

/**
 * UTF-8 text outside the JavaScript heap, appended to chunks of column memory (see column-memory.ts;
 * zeroed, its pages mapped as they are written) that are never copied. A place is a 32-bit number, so
 * the arena holds 4 GB in all. What SurvivorColumns and SlotStrings keep their slots' bytes in.
 */
export class ByteArena {
  private readonly chunks: Buffer[] = [];
  private readonly chunk: number;
  private readonly maxChunks: number;
  /** Bytes used in the last chunk. */
  private used: number;

  /** `owner` names the user in the error; `chunkBits`: log2 of the chunk size (specs make it small to cross chunks). */
  constructor(
    owner: string,
    private readonly chunkBits = ARENA_CHUNK_BITS,
  ) {
    if (chunkBits < 4 || chunkBits > ARENA_CHUNK_BITS) throw new Error(`${owner}: chunkBits must be 4 to ${ARENA_CHUNK_BITS}`);
    this.chunk = 2 ** chunkBits;
    this.maxChunks = 2 ** (32 - chunkBits);
    this.used = this.chunk;
  }

  /** Bytes per chunk: the longest text the arena takes. */
  get chunkBytes(): number {
    return this.chunk;
  }

  /** Bytes allocated. */
  get allocated(): number {
    return this.chunks.length * this.chunk;
  }

  /** The place of `bytes` new bytes, in one chunk; -1 when they cannot have one (longer than a chunk, or the arena full). */
  reserve(bytes: number): number {
    if (this.used + bytes > this.chunk) {
      if (this.chunks.length === this.maxChunks || bytes > this.chunk) return -1;
      this.chunks.push(Buffer.from(columnBuffer(this.chunk)));
      this.used = 0;
    }
    const at = ((this.chunks.length - 1) * this.chunk + this.used) >>> 0;
    this.used += bytes;
    return at;
  }

  /** Writes `text` (`bytes` long in UTF-8) at `at`. */
  write(at: number, text: string, bytes: number): void {
    this.chunkOf(at).write(text, this.offsetOf(at), bytes, 'utf8');
  }

  /** The text of the `bytes` bytes at `at`. */
  text(at: number, bytes: number): string {
    const offset = this.offsetOf(at);
    return this.chunkOf(at).toString('utf8', offset, offset + bytes);
  }

  /** The chunk holding place `at` (for reading its bytes in place, with offsetOf). */
  chunkOf(at: number): Buffer {
    return this.chunks[at >>> this.chunkBits];
  }

  offsetOf(at: number): number {
    return at & (this.chunk - 1);
  }
}
