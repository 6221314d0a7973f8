/**
 * A 53-bit hash of a string (cyrb53, public domain): blocking keys are looked up as numbers. Two keys
 * that collide only add a candidate pair, which is then scored like any other. Stable across processes
 * and versions of Node (it depends on nothing but the UTF-16 code units).
 */
export function keyHash(text: string): number {
  return finish(feed(0xdeadbeef, 0x41c6ce57, text));
}

/**
 * The hash of `${rule}=${parts.join('|')}` (the first `count` parts) without building that string:
 * the streaming resolver hashes about ten such keys per record.
 */
export function ruleKeyHash(rule: string, parts: readonly string[], count: number): number {
  let state = feed(0xdeadbeef, 0x41c6ce57, rule);
  state = mix(state, 61); // '='
  for (let p = 0; p < count; p++) {
    if (p > 0) state = mix(state, 124); // '|'
    state = feed(state[0], state[1], parts[p]);
  }
  return finish(state);
}

type State = [number, number];
const scratch: State = [0, 0];

function feed(h1: number, h2: number, text: string): State {
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  scratch[0] = h1;
  scratch[1] = h2;
  return scratch;
}

function mix(state: State, ch: number): State {
  state[0] = Math.imul(state[0] ^ ch, 2654435761);
  state[1] = Math.imul(state[1] ^ ch, 1597334677);
  return state;
}

function finish([a, b]: State): number {
  let h1 = a;
  let h2 = b;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
