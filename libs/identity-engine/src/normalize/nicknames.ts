// Groups of given names that name the same person. The first entry is the canonical form. Common
// English-language diminutives plus spelling variants; callers can pass their own table.
const GROUPS: readonly string[] = [
  'william bill billy will willy willie liam wil',
  'robert bob bobby rob robbie bert robin',
  'richard dick rick ricky rich richie',
  'james jim jimmy jamie jimi',
  'john jack johnny jon',
  'jonathan jon jonny nathan',
  'michael mike mikey mick micky mickey',
  'thomas tom tommy',
  'christopher chris kit topher',
  'charles charlie chuck chas chaz',
  'joseph joe joey jo',
  'daniel dan danny',
  'david dave davy davie',
  'matthew matt matty',
  'anthony tony ant antony',
  'andrew andy drew',
  'benjamin ben benny benji',
  'samuel sam sammy',
  'alexander alex alec sandy xander alexandr',
  'edward ed eddie eddy ted teddy ned',
  'henry harry hank hal',
  'nicholas nick nicky nicolas',
  'patrick pat paddy patty',
  'peter pete',
  'stephen steve stevie steven stephan',
  'timothy tim timmy',
  'gregory greg',
  'frederick fred freddie freddy',
  'lawrence larry laurence',
  'leonard leo len lenny',
  'ronald ron ronnie',
  'donald don donnie',
  'kenneth ken kenny',
  'raymond ray',
  'gerald gerry jerry',
  'jeffrey jeff geoffrey geoff',
  'phillip phil philip pip',
  'nathaniel nate nat',
  'zachary zach zack zak',
  'joshua josh',
  'jacob jake',
  'maximilian max maxim',
  'douglas doug',
  'vincent vince vinny',
  'walter walt wally',
  'albert al bert bertie',
  'arthur art artie',
  'eugene gene',
  'francis frank frankie fran',
  'harold hal harry',
  'isaac ike',
  'randolph randy',
  'samantha sam sammy',
  'elizabeth liz lizzie lizzy beth betty bette bess bessie eliza elisabeth elisa lisa libby elspeth isabeth',
  'katherine kate katie kathy cathy catherine kathryn katharine kat kitty cath kathleen',
  'margaret maggie meg peggy marge margie madge greta',
  'jennifer jen jenny jenna',
  'susan sue susie suzanne suzie',
  'deborah deb debbie debra',
  'rebecca becky becca',
  'victoria vicky vicki tori',
  'alexandra alex lexi sandra sasha alexa',
  'christina chris chrissy tina christine kristina kristine',
  'patricia pat patty tricia trish',
  'barbara barb barbie babs',
  'dorothy dot dottie dolly',
  'jessica jess jessie',
  'abigail abby abbie gail',
  'amanda mandy manda',
  'josephine jo josie',
  'pamela pam',
  'judith judy jude',
  'cynthia cindy',
  'jacqueline jackie jacqui',
  'theresa teresa tess tessa terri',
  'frances fran frannie',
  'eleanor ellie nell nellie elle elinor',
  'helen nell ellen',
  'anne ann annie anna hannah nan nancy',
  'mary molly polly mae mamie maria marie',
  'sarah sara sally sadie',
  'caroline carol carrie carolyn',
  'lucy lucia lucinda',
  'olivia liv livvy',
  'sophia sophie sofia',
  'gabrielle gabby gabi gabriella',
  'michelle shelly michele',
  'natalie nat natalia',
  'veronica ronnie vera',
  'virginia ginny ginger',
  'louise lou lulu louisa',
  'charlotte lottie charlie',
  'emily em emmy emilie',
  'emma em',
  'isabella isabel izzy bella isobel',
  'angela angie',
  'cassandra cass cassie',
  'harriet hattie',
  'priscilla cilla',
  'wilhelmina mina minnie',
];

function build(groups: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of groups) {
    const names = line.split(' ');
    const canonical = names[0];
    for (const n of names) {
      // A diminutive shared by several groups (sam, alex, chris, pat) keeps its first group: it still
      // earns the nickname level against either, because both sides are looked up.
      if (!map.has(n)) map.set(n, canonical);
    }
  }
  return map;
}

const DEFAULT_TABLE = build(GROUPS);

/** Canonical given name for a normalized given name (Bill → william, Lisa → elizabeth); the name itself if unknown. */
export function canonicalGivenName(name: string, table: ReadonlyMap<string, string> = DEFAULT_TABLE): string {
  return table.get(name) ?? name;
}

/** All canonical forms a name can stand for (a diminutive like "sam" for both samuel and samantha). */
export function givenNameGroups(name: string): string[] {
  const out: string[] = [];
  for (const line of GROUPS) {
    if ((' ' + line + ' ').includes(' ' + name + ' ')) out.push(line.slice(0, line.indexOf(' ')));
  }
  return out.length ? out : [name];
}

/** True when two normalized given names are diminutive/variant forms of each other. */
export function areNicknameVariants(a: string, b: string): boolean {
  if (a === b) return true;
  const ca = DEFAULT_TABLE.get(a);
  const cb = DEFAULT_TABLE.get(b);
  if (ca === undefined || cb === undefined) return false;
  if (ca === cb) return true;
  return sharedGroup(a, b);
}

const PAIR_CACHE = new Map<string, boolean>();
function sharedGroup(a: string, b: string): boolean {
  const key = a < b ? `${a}|${b}` : `${b}|${a}`;
  let v = PAIR_CACHE.get(key);
  if (v === undefined) {
    const ga = givenNameGroups(a);
    const gb = givenNameGroups(b);
    v = ga.some((g) => gb.includes(g));
    PAIR_CACHE.set(key, v);
  }
  return v;
}

export function buildNicknameTable(groups: readonly string[]): Map<string, string> {
  return build(groups);
}
