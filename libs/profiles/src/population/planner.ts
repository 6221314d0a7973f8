import { uuidv7 } from '../uuid-v7';
import { clusterEdges, mergeSupport, type ScoredEdges } from '@tandem/identity-engine';
import { noteReviewItem, removePair } from './loader';
import { CANDIDATE, type Population } from './population';

/** Keys carried by more records than this find no candidates: a value that common identifies nobody. */
export const MAX_KEY_RECORDS = 100;

/**
 * A blocking key carried by at most this many records makes a candidate pair on its own; in a larger
 * block a pair must share a second key (or an identifier). A single shared key of a large block (a
 * common surname and a birth year) rarely marks the same person, and scoring every pair of such blocks
 * was most of the resolver's work at a few hundred thousand records.
 */
export const SMALL_BLOCK = 20;

/** Beyond this many records (plus 10 per seed) a neighbourhood stops growing (a guard against runaway chains). */
export const MAX_NEIGHBOURHOOD = 2000;

/** Population flags of a slot a candidate search meets (see Population.isCandidate). */
const CANDIDATE_FLAGS = CANDIDATE;

/** How a key pairs the records that carry it (see keyRule). */
const ALONE = 0;
const WITH_SECOND_KEY = 1;
const NOT_AT_ALL = 2;

/**
 * How a key pairs its carriers, by how many records carry it: alone (an identifier, or a small block's
 * key), only with a second shared key (a large block's), or not at all (too common). Always read with
 * the carriers once the transaction commits, never with a neighbourhood's count, so that a pair is a
 * candidate or not by the population alone, whatever order its records arrived in.
 */
export function keyRule(key: number, carriers: number): number {
  if (carriers > MAX_KEY_RECORDS) return NOT_AT_ALL;
  return key < 0 || carriers <= SMALL_BLOCK ? ALONE : WITH_SECOND_KEY;
}

/** A score given to a steward's must-link, and the ceiling of a do-not-link. */
const MUST_LINK_MARGIN = 30;
const DO_NOT_LINK_SCORE = -30;

export interface PlanRequest {
  /** Staged slots: new versions of records (deleted ones included). */
  staged: readonly number[];
  /** Committed live slots to re-cluster with their neighbourhood (stewardship, rebuild). */
  seeds?: readonly number[];
  /** Look the seeds up in the key index too, as if they were new (a rebuild under another model). */
  searchSeeds?: boolean;
  /**
   * Committed live slots whose new version is kept in place (Population.keep: nothing the matcher reads
   * changed). Not searched, not replaced, not clustered for their own sake: their profile gets a
   * cluster of its current members, to recompute its golden record (see PlannedCluster.kept).
   */
  kept?: readonly number[];
}

export type ClusterChange = 'created' | 'updated' | 'merged' | 'split';

export interface PlannedCluster {
  /** Slots, in (source, record id) order. */
  members: number[];
  profileId: string;
  created: boolean;
  /** Membership changed (so the profile is written whatever its golden record says). */
  membershipChanged: boolean;
  /** A member's content changed: the golden record may have. */
  contentChanged: boolean;
  change: ClusterChange;
  mergedFrom: string[];
  splitFrom: string[];
  /**
   * The profile of a kept record, not clustered: its members and links are as stored (only its golden
   * record and consent may change).
   */
  kept?: boolean;
}

export interface PlannedPair {
  a: number;
  b: number;
  score: number;
  rule?: string;
}

export interface Plan {
  clusters: PlannedCluster[];
  /** Profiles no cluster kept: merged into the cluster that took most of their records, or retired. */
  retired: Array<{ id: string; into: string | null }>;
  /** Committed live slots whose profile changes. */
  moved: Array<{ slot: number; profileId: string }>;
  /** Link pairs inside clusters (both slots in one cluster), with the score that made them. */
  links: PlannedPair[];
  /** Uncertain pairs across clusters or to records outside the neighbourhood, not yet open for review. */
  review: PlannedPair[];
  /** Open review pairs (record ids) that now sit in one profile. */
  obsolete: Array<[string, string]>;
  /** Every slot of the neighbourhood. */
  neighbourhood: number[];
  /** Records looked up in the key index, postings visited, candidates found, pairs scored; records kept in place (not searched). */
  stats: { searched: number; visits: number; candidates: number; scored: number; kept: number };
}

/**
 * Plans a resolution over the population: the closed neighbourhood of the changed records and seeds
 * (every record linked to one of them through a score at or above the link threshold, a steward's
 * must-link, a refused link, or shared profile membership), clustered as a whole with the engine's
 * order-independent clustering, and what that means for profiles. Reads the population, never changes
 * it: the caller writes the plan to the database and then applies it (see applyPlan).
 *
 * Only changed records are looked up in the key index and scored against their candidates: every
 * other record is unchanged, and so are its scores with other unchanged records, so a link it has is
 * either inside its profile (members are followed) or one the clustering refused, which is kept in the
 * review queue (followed too). The closure therefore costs a lookup per changed record, not per neighbour.
 */
export function planResolution(pop: Population, request: PlanRequest): Plan {
  const steps = planning(pop, request);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * planResolution a slice at a time, letting the event loop run in between: a transaction planned
 * ahead shares the process with the one being written, whose next statement goes out only when this
 * process takes the answer to the one before. The population must not change meanwhile (the caller
 * holds its resolver's turn).
 */
export async function planResolutionInSlices(pop: Population, request: PlanRequest): Promise<Plan> {
  const steps = planning(pop, request);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Changed records searched per slice of planResolutionInSlices (a few milliseconds of scoring). */
const SEARCH_SLICE = 100;

/** The planning, yielding between slices of the work (see planResolutionInSlices). */
function* planning(pop: Population, request: PlanRequest): Generator<void, Plan> {
  const scores = new PairScores(pop);
  const staged = [...new Set(request.staged)];
  const replaced = new Set<number>();
  const former = new Set<string>();
  for (const s of staged) {
    const previous = pop.previousOf(s);
    if (previous === undefined || previous >= pop.committed) continue;
    replaced.add(previous);
    const p = pop.profileOf[previous];
    if (p) former.add(p);
  }
  pop.beginPlan(replaced);
  const liveStaged = staged.filter((s) => !pop.isDeleted(s));
  const seeds = (request.seeds ?? []).filter((s) => pop.isAlive(s) && !replaced.has(s));
  const hood = new Set<number>();
  const frontier: number[] = [];
  const limit = MAX_NEIGHBOURHOOD + 10 * (liveStaged.length + seeds.length);
  const add = (s: number) => {
    if (hood.has(s) || replaced.has(s)) return;
    hood.add(s);
    frontier.push(s);
  };
  for (const s of liveStaged) add(s);
  for (const s of seeds) add(s);
  for (const p of former) for (const m of pop.profiles.get(p)?.members ?? []) add(m);
  // Keys whose records this transaction makes pair differently: the records carrying them are clustered
  // anew, so the links such a key made are undone, or the pairs it refused are made, whatever order
  // the records arrived in. `joined`: keys that now pair more than before; all their carriers are
  // clustered as one component (the pairs among them are found by the clustering, not by a search). A
  // key that pairs less can only undo a link between two of its carriers, in one profile or kept apart
  // as a refused link: only those carriers are clustered anew (a carrier alone in its profile keeps it).
  const joined: number[] = [];
  const carriersOf: number[] = [];
  const perProfile = new Map<string, number>();
  const anew = (key: number, joins: boolean) => {
    if (joins) joined.push(key);
    carriersOf.length = 0;
    perProfile.clear();
    for (let p = pop.index.firstPosting(key); p >= 0; p = pop.index.nextPosting(p)) {
      const carrier = pop.index.postingSlot(p);
      if (!pop.isAlive(carrier) || replaced.has(carrier)) continue;
      carriersOf.push(carrier);
      const profile = pop.profileOf[carrier];
      if (profile) perProfile.set(profile, (perProfile.get(profile) ?? 0) + 1);
    }
    for (const carrier of carriersOf) {
      const profile = pop.profileOf[carrier];
      if (joins || (profile && (perProfile.get(profile) ?? 0) > 1) || (pop.refused.size > 0 && pop.refused.has(pop.idOf(carrier)))) add(carrier);
    }
  };
  // An identifier that stops identifying (one person too many now carries it) or identifies again.
  const max = pop.model.guardrails.maxPeoplePerIdentifier;
  const checked = new Set<number>();
  for (const s of [...liveStaged, ...replaced]) {
    const end = pop.keyOffset(s) + pop.keyLength(s);
    for (let x = pop.keyOffset(s); x < end && pop.keys[x] < 0; x++) {
      const code = -pop.keys[x] - 1;
      if (checked.has(code)) continue;
      checked.add(code);
      const identifies = pop.identifierPeople(code) <= max;
      if (pop.identifierPeople(code, true) <= max !== identifies) anew(pop.keys[x], identifies);
    }
  }
  // A key whose block crosses a size threshold (SMALL_BLOCK, MAX_KEY_RECORDS), either way. Each staged
  // key's index entry is looked up once, here, and kept by its place in the key arena for the search
  // below (a look-up is a trip to memory at a million records; the search used to make it again), and
  // the staged carriers are counted per entry in a small table (a Map keyed by 52-bit numbers boxed
  // every key). Keys are taken in the order their first carrier lists them, as before.
  const index = pop.index;
  const keys = pop.keys;
  const scratch = scratchFor(pop);
  let lo = Infinity;
  let hi = 0;
  for (const s of liveStaged) {
    lo = Math.min(lo, pop.keyOffset(s));
    hi = Math.max(hi, pop.keyOffset(s) + pop.keyLength(s));
  }
  const entryAt = new Int32Array(Math.max(0, hi - lo));
  const stagedCarriers = scratch.stagedCarriers;
  stagedCarriers.clear();
  const stagedKeys: number[] = [];
  const stagedEntries: number[] = [];
  for (const s of liveStaged) {
    const end = pop.keyOffset(s) + pop.keyLength(s);
    for (let x = pop.keyOffset(s); x < end; x++) {
      const e = index.entryOf(keys[x]);
      entryAt[x - lo] = e;
      if (stagedCarriers.add(e) === 1) {
        stagedKeys.push(keys[x]);
        stagedEntries.push(e);
      }
    }
  }
  const crosses = (k: number, entry: number, staged: number) => {
    const before = keyRule(k, index.entryCount(entry) - staged);
    const after = keyRule(k, pop.carriersAt(k, entry));
    if (before !== after) anew(k, after < before);
  };
  for (let i = 0; i < stagedKeys.length; i++) crosses(stagedKeys[i], stagedEntries[i], stagedCarriers.get(stagedEntries[i]));
  for (const k of pop.replacedKeys()) {
    const e = index.entryOf(k);
    if (stagedCarriers.get(e) === 0) crosses(k, e, 0);
  }

  // Candidates of the changed records (and of seeds under a new model), through the key index, which
  // holds the staged records too; the versions being replaced are no candidates (they are rewritten in
  // this transaction) and do not count as carriers.
  const boundary: PlannedPair[] = [];
  const searched = request.searchSeeds ? [...liveStaged, ...seeds] : liveStaged;
  const searchEdges: PlannedPair[] = [];
  let candidates = 0;
  let visits = 0;
  const direct: number[] = [];
  // The replaced slots, marked in a typed array for the posting walk (a Set lookup per posting visited was a
  // noticeable share of the walk at a million records).
  const replacedStamp = scratch.nextPlanStamp();
  const replacedMark = scratch.replaced;
  for (const s of replaced) replacedMark[s] = replacedStamp;
  // Most transactions of new records replace nothing: then the walk need not read the marks at all.
  const anyReplaced = replaced.size > 0;
  const met = scratch.met;
  for (let i = 0; i < searched.length; i++) {
    if (i > 0 && i % SEARCH_SLICE === 0) yield;
    const r = searched[i];
    direct.length = 0;
    met.clear();
    const flags = pop.candidateFlags;
    const end = pop.keyOffset(r) + pop.keyLength(r);
    for (let x = pop.keyOffset(r); x < end; x++) {
      const k = keys[x];
      // A staged record's keys were looked up above (a seed's, committed, lie before them in the arena).
      const entry = x >= lo && x < hi ? entryAt[x - lo] : index.entryOf(k);
      // Every record carrying the key once this transaction's records are stored, r included.
      const carriers = pop.carriersAt(k, entry);
      const rule = keyRule(k, carriers);
      if (rule === NOT_AT_ALL || carriers < 2) continue;
      const alone = rule === ALONE;
      for (let p = index.entryHead(entry); p >= 0; p = index.nextPosting(p)) {
        const s = index.postingSlot(p);
        visits++;
        // A candidate once: sharing an identifier or a small block's key, or a second key of a larger block.
        if (s !== r && (flags[s] & CANDIDATE_FLAGS) !== 0 && (!anyReplaced || replacedMark[s] !== replacedStamp) && met.visit(s, alone)) direct.push(s);
      }
    }
    candidates += direct.length;
    for (const s of direct) {
      const score = scores.edge(r, s);
      if (score < pop.scorer.reviewScore) continue;
      const pair = ordered(pop, r, s, score);
      searchEdges.push(pair);
      if (hood.has(s)) continue;
      if (score >= pop.scorer.linkScore) add(s);
      else boundary.push(pair);
    }
  }

  // Closure through profiles, steward must-links and refused links.
  const follow = (partners: ReadonlySet<string> | undefined) => {
    if (partners === undefined) return;
    for (const id of partners) {
      const slot = pop.slotOfId(id);
      if (slot !== undefined) add(slot);
    }
  };
  while (frontier.length > 0 && hood.size < limit) {
    const s = frontier.pop() as number;
    const p = pop.profileOf[s];
    if (p && s < pop.committed) for (const m of pop.profiles.get(p)?.members ?? []) add(m);
    // Most records have neither: no look-up in an empty map.
    if (pop.mustLinks.size > 0) follow(pop.mustLinks.get(pop.idOf(s)));
    if (pop.refused.size > 0) follow(pop.refused.get(pop.idOf(s)));
  }
  yield;
  // Kept records (new versions that change nothing the matcher reads; see Population.keep). Why their
  // profiles need no clustering, whatever order records arrive in: a kept version has the same value
  // codes, identifier codes, keys and verified flags as the version it follows, so every pair score
  // with it, every key's carriers (hence every keyRule and crossing) and every identifier's people are
  // what they were. The final population therefore implies the same clusters as before the change,
  // and those are the stored profiles (the invariant every transaction keeps); re-clustering would
  // give them back unchanged (the full path, taken by any other change, would do exactly that). A
  // kept record that another record's resolution brings into the neighbourhood is clustered with it
  // as any committed record is (its content counts as changed).
  const kept = new Set((request.kept ?? []).filter((s) => pop.isAlive(s) && s < pop.committed && !replaced.has(s)));
  for (const s of kept) {
    // A neighbourhood cut at its limit may hold some of its profile and not it: it goes with them.
    if (hood.has(s)) continue;
    const members = pop.profiles.get(pop.profileOf[s] as string)?.members ?? [];
    if (members.some((m) => hood.has(m))) hood.add(s);
  }
  const neighbourhood = [...hood];
  const clustered = clusterComponents(pop, neighbourhood, searchEdges, joined, scores);
  const stagedByKey = new Map(staged.map((s) => [pop.sortKeyOf(s), s]));
  const plan = assignProfiles(pop, clustered, { staged: stagedByKey, former, hood, kept });
  plan.clusters.push(...keptClusters(pop, kept, hood));
  // Uncertain pairs with records outside the neighbourhood (a link would have brought them in).
  for (const pair of boundary) if (!hood.has(pair.a) || !hood.has(pair.b)) clustered.review.push(pair);
  plan.review = newReviewItems(pop, clustered.review);
  plan.stats = { searched: searched.length, visits, candidates, scored: scores.scored, kept: kept.size };
  plan.obsolete = obsoleteReviewItems(pop, plan, hood);
  return plan;
}

/** One cluster per profile of the kept records outside the neighbourhood: its members as they are, in (source, record id) order. */
function keptClusters(pop: Population, kept: ReadonlySet<number>, hood: ReadonlySet<number>): PlannedCluster[] {
  const profiles = new Set<string>();
  for (const s of kept) if (!hood.has(s)) profiles.add(pop.profileOf[s] as string);
  const out: PlannedCluster[] = [];
  for (const profileId of [...profiles].sort()) {
    const members = pop.sortedBySortKey(pop.profiles.get(profileId)?.members ?? []);
    out.push({ members, profileId, created: false, membershipChanged: false, contentChanged: true, change: 'updated', mergedFrom: [], splitFrom: [], kept: true });
  }
  return out;
}

/** Gives each staged slot the profile of its cluster (none when deleted): what is stored with the record. */
export function assignStaged(pop: Population, plan: Plan, staged: readonly number[]): void {
  const profileOf = new Map<number, string>();
  for (const c of plan.clusters) for (const s of c.members) profileOf.set(s, c.profileId);
  for (const s of staged) pop.profileOf[s] = pop.isDeleted(s) ? null : (profileOf.get(s) ?? null);
}

/**
 * Makes a written plan the population's state: staged records replace their previous versions and join
 * their profiles, moved records change profile, review items opened and closed. Call after the commit.
 */
export function applyPlan(pop: Population, plan: Plan | undefined, review: ReadonlyArray<{ a: string; b: string; score: number }>): void {
  pop.commitStaged();
  if (!plan) return;
  for (const m of plan.moved) pop.moveTo(m.slot, m.profileId);
  for (const [a, b] of plan.obsolete) {
    removePair(pop.openReview, a, b);
    removePair(pop.refused, a, b);
  }
  for (const r of review) noteReviewItem(pop, r.a, r.b, r.score);
}

/**
 * Clusters the neighbourhood component by component: records joined by a scored pair at or above the
 * review threshold, by profile membership, a must-link, a refused link, or a key in `joined` (one that
 * now pairs its carriers more than before). A record alone in its component (a new person) is its own
 * cluster without further work; larger components go through clusterSlots. Clusterings never join
 * records of different components (only links merge), so this is the clustering of the whole neighbourhood.
 */
function clusterComponents(pop: Population, hood: readonly number[], searchEdges: readonly PlannedPair[], joined: readonly number[], scores: PairScores): Clustered {
  const at = new Map(hood.map((s, i) => [s, i]));
  const parent = Int32Array.from(hood.keys());
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  const union = (x: number | undefined, y: number | undefined) => {
    if (x === undefined || y === undefined) return;
    const rx = find(x);
    const ry = find(y);
    if (rx !== ry) parent[rx < ry ? ry : rx] = rx < ry ? rx : ry;
  };
  for (const e of searchEdges) union(at.get(e.a), at.get(e.b));
  for (const key of joined) {
    let first: number | undefined;
    for (let p = pop.index.firstPosting(key); p >= 0; p = pop.index.nextPosting(p)) {
      const i = at.get(pop.index.postingSlot(p));
      if (i === undefined) continue;
      if (first === undefined) first = i;
      else union(first, i);
    }
  }
  const firstOfProfile = new Map<string, number>();
  hood.forEach((s, i) => {
    const p = pop.profileOf[s];
    if (p && s < pop.committed) {
      const first = firstOfProfile.get(p);
      if (first === undefined) firstOfProfile.set(p, i);
      else union(first, i);
    }
    for (const partners of [pop.mustLinks.get(pop.idOf(s)), pop.refused.get(pop.idOf(s))]) {
      for (const id of partners ?? []) {
        const slot = pop.slotOfId(id);
        if (slot !== undefined) union(i, at.get(slot));
      }
    }
  });
  const components = new Map<number, number[]>();
  hood.forEach((s, i) => {
    const r = find(i);
    const list = components.get(r);
    if (list) list.push(s);
    else components.set(r, [s]);
  });
  const out: Clustered = { clusters: [], links: [], review: [] };
  for (const component of components.values()) {
    if (component.length === 1) {
      out.clusters.push(component);
      continue;
    }
    const c = clusterSlots(pop, component, scores);
    out.clusters.push(...c.clusters);
    out.links.push(...c.links);
    out.review.push(...c.review);
  }
  out.clusters.sort((x, y) => (pop.sortKeyOf(x[0]) < pop.sortKeyOf(y[0]) ? -1 : pop.sortKeyOf(x[0]) > pop.sortKeyOf(y[0]) ? 1 : 0));
  return out;
}

/** Per-population scratch space for the candidate search (typed, reused, grown with the slots). */
class Scratch {
  /** Per slot, the plan stamp of the plan that replaces it (see nextPlanStamp). */
  replaced = new Int32Array(1024);
  readonly met = new MetSlots();
  /** Staged carriers per key index entry (see planning). */
  readonly stagedCarriers = new EntryCounts();
  private planStamp = 0;

  fit(slots: number): void {
    if (slots <= this.replaced.length) return;
    let cap = this.replaced.length;
    while (cap < slots) cap *= 2;
    this.replaced = new Int32Array(cap);
    this.planStamp = 0;
  }

  /** A stamp no slot of `replaced` holds yet. */
  nextPlanStamp(): number {
    if (this.planStamp === 0x7fffffff) {
      this.replaced.fill(0);
      this.planStamp = 0;
    }
    return ++this.planStamp;
  }
}

/**
 * The slots one record's candidate walk has met, and how: a small open-addressing table (a few hundred
 * entries) that stays in the processor's cache. Arrays indexed by slot did the same with a read and a
 * write of memory far from the last for every posting visited, at a million slots.
 */
export class MetSlots {
  private stamps = new Int32Array(1024);
  private slots = new Int32Array(1024);
  /** 1: met once under a key of a large block; -1: a candidate already. */
  private states = new Int8Array(1024);
  private shift = 22;
  private size = 0;
  private stamp = 1;

  /** Forgets every slot met (the next record's walk starts). */
  clear(): void {
    this.size = 0;
    if (++this.stamp === 0x7fffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
  }

  /**
   * Notes that the walk met `slot` under a key that pairs alone (`alone`) or only with a second shared
   * key; true when the slot becomes a candidate with this meeting (once per slot until `clear`).
   */
  visit(slot: number, alone: boolean): boolean {
    const mask = this.stamps.length - 1;
    for (let h = Math.imul(slot, 0x9e3779b1) >>> this.shift; ; h = (h + 1) & mask) {
      if (this.stamps[h] !== this.stamp) {
        if ((this.size + 1) * 2 > mask) {
          this.grow();
          return this.visit(slot, alone);
        }
        this.stamps[h] = this.stamp;
        this.slots[h] = slot;
        this.size++;
        this.states[h] = alone ? -1 : 1;
        return alone;
      }
      if (this.slots[h] !== slot) continue;
      if (this.states[h] < 0) return false;
      this.states[h] = -1;
      return true;
    }
  }

  private grow(): void {
    const { stamps, slots, states, stamp } = this;
    this.stamps = new Int32Array(stamps.length * 2);
    this.slots = new Int32Array(stamps.length * 2);
    this.states = new Int8Array(stamps.length * 2);
    this.shift--;
    const mask = this.stamps.length - 1;
    for (let e = 0; e < stamps.length; e++) {
      if (stamps[e] !== stamp) continue;
      let h = Math.imul(slots[e], 0x9e3779b1) >>> this.shift;
      while (this.stamps[h] === stamp) h = (h + 1) & mask;
      this.stamps[h] = stamp;
      this.slots[h] = slots[e];
      this.states[h] = states[e];
    }
  }
}

/**
 * How many times each key index entry was counted since `clear`: a small open-addressing table on the
 * entries' numbers, in the processor's cache (a plan's staged records carry some tens of thousands of keys).
 */
export class EntryCounts {
  private stamps = new Int32Array(1024);
  private entries = new Int32Array(1024);
  private counts = new Int32Array(1024);
  private shift = 22;
  private size = 0;
  private stamp = 1;

  clear(): void {
    this.size = 0;
    if (++this.stamp === 0x7fffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
  }

  /** Counts `entry` once more; its count now. */
  add(entry: number): number {
    const mask = this.stamps.length - 1;
    for (let h = Math.imul(entry, 0x9e3779b1) >>> this.shift; ; h = (h + 1) & mask) {
      if (this.stamps[h] !== this.stamp) {
        if ((this.size + 1) * 2 > mask) {
          this.grow();
          return this.add(entry);
        }
        this.stamps[h] = this.stamp;
        this.entries[h] = entry;
        this.counts[h] = 1;
        this.size++;
        return 1;
      }
      if (this.entries[h] === entry) return ++this.counts[h];
    }
  }

  /** How many times `entry` was counted (0: never). */
  get(entry: number): number {
    const mask = this.stamps.length - 1;
    for (let h = Math.imul(entry, 0x9e3779b1) >>> this.shift; ; h = (h + 1) & mask) {
      if (this.stamps[h] !== this.stamp) return 0;
      if (this.entries[h] === entry) return this.counts[h];
    }
  }

  private grow(): void {
    const { stamps, entries, counts, stamp } = this;
    this.stamps = new Int32Array(stamps.length * 2);
    this.entries = new Int32Array(stamps.length * 2);
    this.counts = new Int32Array(stamps.length * 2);
    this.shift--;
    const mask = this.stamps.length - 1;
    for (let e = 0; e < stamps.length; e++) {
      if (stamps[e] !== stamp) continue;
      let h = Math.imul(entries[e], 0x9e3779b1) >>> this.shift;
      while (this.stamps[h] === stamp) h = (h + 1) & mask;
      this.stamps[h] = stamp;
      this.entries[h] = entries[e];
      this.counts[h] = counts[e];
    }
  }
}

const scratches = new WeakMap<Population, Scratch>();

function scratchFor(pop: Population): Scratch {
  let scratch = scratches.get(pop);
  if (!scratch) {
    scratch = new Scratch();
    scratches.set(pop, scratch);
  }
  scratch.fit(pop.slots);
  return scratch;
}

/** What PairScores.read is asked for. */
const AT_LEAST_REVIEW = 0;
const EXACT = 1;
const SUPPORT = 2;

/**
 * Pair scores for one plan, with steward constraints applied when read. `edge` is for the questions
 * that only need to know whether a pair reaches the review threshold (the search, the clustering's
 * edges): below it, it may hold a bound instead of the score (see Population.scoreAtLeast), which a
 * later `get` or `support` replaces with the score. `support` is what the clustering's merge checks
 * read: the score, or for a pair the person-attribute guardrail vetoed, what its person attributes
 * say (see the engine's mergeSupport).
 */
export class PairScores {
  // Open addressing on the pair's key (smaller slot × 2^26 + larger slot) in typed arrays: a Map keyed
  // by such numbers boxes every key, and a plan caches tens of thousands of pairs.
  private keys = new Float64Array(1 << 12).fill(-1);
  private values = new Float64Array(1 << 12);
  /** The pair's support for a merge, once its score is exact. */
  private supports = new Float64Array(1 << 12);
  /** 1: values holds the score; 0: a bound below the review threshold. */
  private exact = new Uint8Array(1 << 12);
  private mask = (1 << 12) - 1;
  private size = 0;
  /** Pairs scored (cache misses; a bound made exact later is not counted again). */
  scored = 0;

  constructor(private readonly pop: Population) {}

  /** The pair's score. */
  get(x: number, y: number): number {
    return this.read(x, y, EXACT);
  }

  /** The pair's score when it is at least the review threshold, otherwise some number below it. */
  edge(x: number, y: number): number {
    return this.read(x, y, AT_LEAST_REVIEW);
  }

  /** What the pair says for or against a merge of its records' clusters. */
  support(x: number, y: number): number {
    return this.read(x, y, SUPPORT);
  }

  private read(x: number, y: number, want: number): number {
    const needExact = want !== AT_LEAST_REVIEW;
    const pop = this.pop;
    // Scores are symmetric: the pair is cached under its smaller slot first.
    const a = x < y ? x : y;
    const b = x < y ? y : x;
    const key = a * 67108864 + b;
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) & this.mask;
    let score: number;
    for (;;) {
      const k = this.keys[h];
      if (k === key) {
        if (needExact && this.exact[h] === 0) {
          this.values[h] = pop.score(a, b);
          this.supports[h] = mergeSupport(this.values[h]);
          this.exact[h] = 1;
        }
        score = want === SUPPORT ? this.supports[h] : this.values[h];
        break;
      }
      if (k === -1) {
        const review = pop.scorer.reviewScore;
        score = needExact ? pop.score(a, b) : pop.scoreAtLeast(a, b, review);
        this.keys[h] = key;
        this.values[h] = score;
        // A score at least the review threshold is exact (a bound is below it), and was just computed in full.
        this.exact[h] = needExact || score >= review ? 1 : 0;
        if (this.exact[h] === 1) this.supports[h] = mergeSupport(score);
        if (want === SUPPORT) score = this.supports[h];
        this.scored++;
        if (++this.size * 2 > this.mask) this.grow();
        break;
      }
      h = (h + 1) & this.mask;
    }
    if (!pop.constrained) return score;
    const ia = pop.idOf(a);
    const ib = pop.idOf(b);
    if (pop.mustLinks.get(ia)?.has(ib)) return Math.max(score, pop.scorer.linkScore + MUST_LINK_MARGIN);
    // A bound below the review threshold stays below it.
    if (pop.doNotLinks.get(ia)?.has(ib)) return Math.min(score, DO_NOT_LINK_SCORE);
    return score;
  }

  private grow(): void {
    const { keys, values, supports, exact } = this;
    this.keys = new Float64Array(keys.length * 2).fill(-1);
    this.values = new Float64Array(keys.length * 2);
    this.supports = new Float64Array(keys.length * 2);
    this.exact = new Uint8Array(keys.length * 2);
    this.mask = keys.length * 2 - 1;
    for (let e = 0; e < keys.length; e++) {
      if (keys[e] === -1) continue;
      const a = Math.floor(keys[e] / 67108864);
      const b = keys[e] - a * 67108864;
      let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) & this.mask;
      while (this.keys[h] !== -1) h = (h + 1) & this.mask;
      this.keys[h] = keys[e];
      this.values[h] = values[e];
      this.supports[h] = supports[e];
      this.exact[h] = exact[e];
    }
  }
}

interface Clustered {
  /** Clusters of slots, each in (source, record id) order; clusters ordered by their first record. */
  clusters: number[][];
  links: PlannedPair[];
  review: PlannedPair[];
}

/**
 * Clusters a closed neighbourhood with the engine's order-independent clustering. Records are indexed
 * in (source, record id) order and pairs are scored the same way, so the same records give the same
 * clusters whatever order they arrived in. Candidate pairs inside the neighbourhood are those sharing
 * an identifier, a key of a small block, or two keys of blocks not too large (see keyRule), block sizes
 * counted in the whole population as the candidate search counts them.
 */
export function clusterSlots(pop: Population, slots: readonly number[], scores: PairScores): Clustered {
  const sorted = pop.sortedBySortKey(slots);
  const n = sorted.length;
  const position = new Map(sorted.map((s, i) => [s, i]));
  // Every (key, member) of the component, ordered by key then member, so that the members sharing a key
  // are consecutive. A key only one member carries pairs nothing, and is never looked up in the index
  // (a look-up per key and member was a trip to memory each at a million records).
  const keys = pop.keys;
  let m = 0;
  for (let i = 0; i < n; i++) m += pop.keyLength(sorted[i]);
  const memberKeys = new Float64Array(m);
  const memberOf = new Int32Array(m);
  m = 0;
  for (let i = 0; i < n; i++) {
    const s = sorted[i];
    const end = pop.keyOffset(s) + pop.keyLength(s);
    for (let x = pop.keyOffset(s); x < end; x++) {
      memberKeys[m] = keys[x];
      memberOf[m++] = i;
    }
  }
  const byKey = new Int32Array(m);
  for (let e = 0; e < m; e++) byKey[e] = e;
  byKey.sort((x, y) => (memberKeys[x] < memberKeys[y] ? -1 : memberKeys[x] > memberKeys[y] ? 1 : memberOf[x] - memberOf[y]));
  // A pair is a candidate when it shares a key that pairs alone, or two keys that pair only together
  // (keyRule). Each pair is written once per key it shares, twice for a key that pairs alone (and for
  // a steward's must-link), into one array that is then sorted: the pairs written twice or more are the
  // candidates. Not Sets: a dry run clusters the whole population at once, where a million records
  // share tens of millions of keys pairwise, and a Set holds at most 2^24 entries. `pairing` holds, per
  // key group that pairs, its start and end in byKey and how many times its pairs are written.
  const pairing: number[] = [];
  let written = 0;
  for (let start = 0; start < m; ) {
    const key = memberKeys[byKey[start]];
    let end = start + 1;
    while (end < m && memberKeys[byKey[end]] === key) end++;
    if (end - start >= 2) {
      const rule = keyRule(key, pop.carriers(key));
      if (rule !== NOT_AT_ALL) {
        const times = rule === ALONE ? 2 : 1;
        pairing.push(start, end, times);
        written += (((end - start) * (end - start - 1)) / 2) * times;
      }
    }
    start = end;
  }
  const mustLinked: number[] = [];
  for (let i = 0; i < n; i++) {
    for (const id of pop.mustLinks.get(pop.idOf(sorted[i])) ?? []) {
      const slot = pop.slotOfId(id);
      const j = slot === undefined ? undefined : position.get(slot);
      if (j !== undefined && j !== i) mustLinked.push(i < j ? i * n + j : j * n + i);
    }
  }
  const found = new Float64Array(written + 2 * mustLinked.length);
  let w = 0;
  for (let g = 0; g < pairing.length; g += 3) {
    const end = pairing[g + 1];
    const times = pairing[g + 2];
    for (let x = pairing[g]; x < end; x++) {
      for (let y = x + 1; y < end; y++) {
        // Members are ascending within a key.
        const p = memberOf[byKey[x]] * n + memberOf[byKey[y]];
        found[w++] = p;
        if (times === 2) found[w++] = p;
      }
    }
  }
  for (const p of mustLinked) {
    found[w++] = p;
    found[w++] = p;
  }
  found.sort();
  let kept = 0;
  for (let x = 0; x < w; ) {
    let y = x + 1;
    while (y < w && found[y] === found[x]) y++;
    if (y - x >= 2) found[kept++] = found[x];
    x = y;
  }
  const list = found.subarray(0, kept);
  const ea: number[] = [];
  const eb: number[] = [];
  const es: number[] = [];
  for (const p of list) {
    const i = Math.floor(p / n);
    const j = p % n;
    const s = scores.edge(sorted[i], sorted[j]);
    if (s < pop.scorer.reviewScore) continue;
    ea.push(i);
    eb.push(j);
    es.push(s);
  }
  const edges: ScoredEdges = { a: Int32Array.from(ea), b: Int32Array.from(eb), score: Float32Array.from(es), length: ea.length };
  const { labels } = clusterEdges(n, edges, {
    linkScore: pop.scorer.linkScore,
    maxClusterSize: pop.model.guardrails.maxClusterSize,
    pairScore: (i, j) => scores.support(sorted[i], sorted[j]),
    conflict: (ma, mb) => {
      for (const i of ma) {
        const refused = pop.doNotLinks.get(pop.idOf(sorted[i]));
        if (!refused) continue;
        for (const j of mb) if (refused.has(pop.idOf(sorted[j]))) return true;
      }
      return false;
    },
  });
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const g = groups.get(labels[i]);
    if (g) g.push(sorted[i]);
    else groups.set(labels[i], [sorted[i]]);
  }
  const clusters = [...groups.entries()].sort((x, y) => x[0] - y[0]).map(([, g]) => g);
  const links: PlannedPair[] = [];
  const review: PlannedPair[] = [];
  for (let e = 0; e < edges.length; e++) {
    const a = sorted[edges.a[e]];
    const b = sorted[edges.b[e]];
    const score = scores.get(a, b);
    if (labels[edges.a[e]] === labels[edges.b[e]]) {
      if (edges.score[e] >= pop.scorer.linkScore) links.push({ a, b, score });
    } else if (!pop.doNotLinks.get(pop.idOf(a))?.has(pop.idOf(b)) && !pop.mustLinks.get(pop.idOf(a))?.has(pop.idOf(b))) {
      // Uncertain pairs, and links the clustering refused: the resolver follows the latter from the
      // review queue when either record's neighbourhood is resolved again.
      review.push({ a, b, score });
    }
  }
  return { clusters, links, review };
}

interface AssignContext {
  /** Staged slots by (source, record id). */
  staged: Map<string, number>;
  former: Set<string>;
  hood: Set<number>;
  /** Kept records (their content changed in place). */
  kept: ReadonlySet<number>;
}

/**
 * Gives every cluster a profile id: each existing profile goes to the cluster holding most of its
 * records (ties: smaller profile id, earlier cluster); other clusters get new ids. Profiles no cluster
 * kept are merged into the cluster that took most of their records, or retired.
 */
function assignProfiles(pop: Population, clustered: Clustered, context: AssignContext): Plan {
  const { clusters } = clustered;
  const oldProfiles = new Set<string>(context.former);
  for (const s of context.hood) if (s < pop.committed && pop.profileOf[s]) oldProfiles.add(pop.profileOf[s] as string);
  // The profile each record had before: a staged record's is its previous version's.
  const before = (s: number): string | null => {
    if (s < pop.committed) return pop.profileOf[s];
    const previous = pop.previousOf(s);
    return previous === undefined || previous >= pop.committed ? null : pop.profileOf[previous];
  };
  const overlaps: Array<{ cluster: number; profile: string; count: number }> = [];
  clusters.forEach((cluster, c) => {
    const counts = new Map<string, number>();
    for (const s of cluster) {
      const p = before(s);
      if (p && pop.profiles.has(p)) counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    for (const [profile, count] of counts) overlaps.push({ cluster: c, profile, count });
  });
  overlaps.sort((x, y) => y.count - x.count || (x.profile < y.profile ? -1 : x.profile > y.profile ? 1 : 0) || x.cluster - y.cluster);
  const assigned = new Map<number, string>();
  const taken = new Set<string>();
  for (const o of overlaps) {
    if (assigned.has(o.cluster) || taken.has(o.profile)) continue;
    assigned.set(o.cluster, o.profile);
    taken.add(o.profile);
  }
  const plan: Plan = { clusters: [], retired: [], moved: [], links: [], review: [], obsolete: [], neighbourhood: [...context.hood], stats: { searched: 0, visits: 0, candidates: 0, scored: 0, kept: 0 } };
  const clusterOf = new Map<number, string>();
  clusters.forEach((members, c) => {
    const created = !assigned.has(c);
    const profileId = assigned.get(c) ?? uuidv7();
    for (const s of members) clusterOf.set(s, profileId);
    const fromProfiles = [...new Set(members.map(before).filter((p): p is string => p !== null && p !== profileId))].sort();
    let joined = false;
    for (const s of members) {
      if (before(s) === profileId) continue;
      joined = true;
      if (s < pop.committed) plan.moved.push({ slot: s, profileId });
    }
    const memberIds = new Set(members.map((s) => pop.idOf(s)));
    const prior = created ? undefined : pop.profiles.get(profileId);
    const lost = prior !== undefined && (prior.members.some((m) => !memberIds.has(pop.idOf(m))) || prior.members.length !== members.length);
    const mergedFrom = fromProfiles.filter((p) => !clusters.some((_, o) => o !== c && assigned.get(o) === p));
    plan.clusters.push({
      members,
      profileId,
      created,
      membershipChanged: created || joined || lost,
      contentChanged: members.some((s) => s >= pop.committed || context.kept.has(s)),
      change: created ? 'created' : mergedFrom.length ? 'merged' : lost ? 'split' : 'updated',
      mergedFrom,
      splitFrom: created ? fromProfiles : [],
    });
  });
  for (const id of [...oldProfiles].sort()) {
    if (taken.has(id) || !pop.profiles.has(id)) continue;
    const counts = new Map<string, number>();
    for (const m of pop.profiles.get(id)?.members ?? []) {
      // A member replaced by a staged version is counted where that version went.
      const newer = context.staged.get(pop.sortKeyOf(m));
      const target = clusterOf.get(m) ?? (newer === undefined ? undefined : clusterOf.get(newer));
      if (target) counts.set(target, (counts.get(target) ?? 0) + 1);
    }
    const into = [...counts.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]?.[0] ?? null;
    plan.retired.push({ id, into });
  }
  plan.links = clustered.links.filter((l) => clusterOf.get(l.a) === clusterOf.get(l.b));
  return plan;
}

function ordered(pop: Population, x: number, y: number, score: number): PlannedPair {
  return pop.sortKeyOf(x) < pop.sortKeyOf(y) ? { a: x, b: y, score } : { a: y, b: x, score };
}

/** Review pairs, deduplicated, without those already open. */
function newReviewItems(pop: Population, pairs: readonly PlannedPair[]): PlannedPair[] {
  const seen = new Set<string>();
  const out: PlannedPair[] = [];
  for (const p of pairs) {
    const ia = pop.idOf(p.a);
    const ib = pop.idOf(p.b);
    const key = ia < ib ? `${ia}|${ib}` : `${ib}|${ia}`;
    if (seen.has(key) || pop.openReview.get(ia)?.has(ib)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

/** Open review pairs of the neighbourhood's records whose two records end up in one profile. */
function obsoleteReviewItems(pop: Population, plan: Plan, hood: Set<number>): Array<[string, string]> {
  if (pop.openReview.size === 0) return [];
  // Only the neighbourhood's records with open items are looked at: most plans have none.
  const reviewed: number[] = [];
  for (const s of hood) if (pop.openReview.has(pop.idOf(s))) reviewed.push(s);
  if (reviewed.length === 0) return [];
  const finalProfile = new Map<string, string>();
  for (const c of plan.clusters) for (const s of c.members) finalProfile.set(pop.idOf(s), c.profileId);
  const profileOfId = (id: string): string | null => {
    const p = finalProfile.get(id);
    if (p !== undefined) return p;
    const slot = pop.slotOfId(id);
    return slot === undefined ? null : pop.profileOf[slot];
  };
  const seen = new Set<string>();
  const out: Array<[string, string]> = [];
  for (const s of reviewed) {
    const id = pop.idOf(s);
    const partners = pop.openReview.get(id);
    if (!partners) continue;
    const p = profileOfId(id);
    for (const other of partners) {
      const [a, b] = id < other ? [id, other] : [other, id];
      if (p === null || profileOfId(other) !== p || seen.has(`${a}|${b}`)) continue;
      seen.add(`${a}|${b}`);
      out.push([a, b]);
    }
  }
  return out;
}
