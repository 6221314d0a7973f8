import { assertMatchModel, compileModel, DatasetBuilder, termFrequencyTables, trainModel } from '@tandem/identity-engine';
import { generateRecords } from '@tandem/synthetic';
import { Population, type RecordState } from './population/population';
import { hubModel } from './record-model';
import { MatchValues } from './training';

// Fictitious records covering each way the resolver forms a compared value.
const records: RecordState[] = [
  { givenName: 'Anna', familyName: 'Berg', birthDate: '1984-03-12', city: 'Leeds' },
  // Only a full name: given and family name come from its tokens.
  { fullName: 'Jonas  van Dijk', postcode: 'ls1 4ap' },
  // Two emails (the one whose normalized form sorts first is compared) and a formatted phone.
  { givenName: 'Chris', street: 'Oak Rd', houseNumber: '4' },
  {},
].map((attributes, i) => ({
  id: `00000000-0000-7000-8000-00000000000${i}`,
  source: i % 2 ? 'erp' : 'crm',
  sourceRecordId: `r${i}`,
  version: 1,
  occurredAt: new Date(1_700_000_000_000 + i).toISOString(),
  deleted: false,
  attributes,
  identifiers:
    i === 2
      ? [
          { type: 'email', value: 'Zed.Person@Example.invalid' },
          { type: 'email', value: 'chris.k@example.invalid' },
          { type: 'phone', value: '+44 (0)20 7946 0018' },
          { type: 'customerNumber', value: 'K-1' },
        ]
      : i === 0
        ? [{ type: 'email', value: 'ANNA.BERG@example.invalid' }]
        : [],
  profileId: null,
  hasConsents: false,
}));

describe('MatchValues', () => {
  it('should give training the values the streaming resolver compares, field by field', () => {
    const model = hubModel();
    const pop = new Population(model);
    for (const r of records) pop.stage(r);
    pop.commitStaged();
    const builder = new DatasetBuilder(model.fields, model.normalization);
    const values = new MatchValues(model);
    for (const r of records) builder.add(r.id, r.source, values.of(r));
    const ds = builder.build();

    let compared = 0;
    for (let i = 0; i < ds.size; i++) {
      const slot = pop.slotOfId(ds.ids[i]) as number;
      for (let f = 0; f < model.fields.length; f++) {
        const streamed = pop.codes[f][slot] < 0 ? null : pop.dictionaries[f][pop.codes[f][slot]];
        const trained = ds.codes[f][i] < 0 ? null : ds.dictionaries[f][ds.codes[f][i]];
        expect({ record: ds.ids[i], field: model.fields[f].name, value: trained }).toEqual({ record: ds.ids[i], field: model.fields[f].name, value: streamed });
        if (streamed !== null) compared++;
      }
    }
    // The cases above are all there: names from a full name, an email, a phone, an address.
    expect(compared).toBeGreaterThanOrEqual(12);
    const emailField = model.fields.findIndex((f) => f.kind === 'email');
    expect(ds.dictionaries[emailField].length).toBe(2);
  });

  it('should train on stored-form records: EM on their pairs, u measured on them, the hub\'s fields, thresholds and guardrails kept', () => {
    const model = hubModel();
    const values = new MatchValues(model);
    const builder = new DatasetBuilder(model.fields, model.normalization);
    for (const r of generateRecords({ records: 6000, seed: 7 })) {
      const identifiers = [...(r.email ? [{ type: 'email', value: r.email }] : []), ...(r.phone ? [{ type: 'phone', value: r.phone }] : [])];
      const attributes = { givenName: r.givenName, familyName: r.familyName, birthDate: r.birthDate, street: r.street, houseNumber: r.houseNumber, city: r.city, postcode: r.postcode };
      builder.add(r.recordId, 'crm', values.of({ attributes, identifiers }));
    }
    const trained = trainModel(builder.build(), { model });
    expect(trained.training.trained).toBe(true);
    expect(trained.training.emPairs).toBeGreaterThan(1000);
    // u is measured on these records: a birth date agrees by chance far less often than a city does.
    const u = (kind: string) => trained.fields.find((f) => f.kind === kind)!.u[0];
    expect(u('birthDate')).toBeLessThan(u('city'));
    // The thresholds and the hub's guardrails stay as they were.
    expect(trained.thresholds).toEqual(model.thresholds);
    expect(trained.guardrails).toEqual(model.guardrails);
    expect(trained.fields.map((f) => f.name)).toEqual(model.fields.map((f) => f.name));

    // It keeps how often each value of the fields weighted by frequency occurred, for the resolver to
    // weigh agreements by (not emails and phones: people counts guard those): Smith, common in the
    // generator, against the floor for a value seen once.
    const tables = trained.termFrequencies ?? {};
    // (No country: these records carry none.)
    expect(Object.keys(tables).sort()).toEqual(['birthDate', 'city', 'familyName', 'givenName', 'houseNumber', 'postcode', 'street']);
    const smiths = [...generateRecords({ records: 6000, seed: 7 })].filter((r) => r.familyName?.toLowerCase() === 'smith').length;
    expect(smiths).toBeGreaterThan(20);
    expect(tables.familyName.values.smith).toBeGreaterThan(tables.familyName.floor * 10);
    // A name it never saw weighs as the rarest one it kept, not more.
    expect(tables.familyName.floor).toBe(Math.min(...Object.values(tables.familyName.values)));
    expect(Object.values(tables.familyName.values).every((share) => share >= 2 / 6000)).toBe(true);
    // The model file still loads, tables and all, and a table for a field that has none is refused by name.
    expect(() => assertMatchModel(JSON.parse(JSON.stringify(trained)))).not.toThrow();
    expect(() => assertMatchModel({ ...trained, termFrequencies: { gender: { values: {}, floor: 0.1 } } })).toThrow(/"gender" is not weighted by term frequency/);
    expect(() => assertMatchModel({ ...trained, termFrequencies: { email: { values: {}, floor: 0.1 } } })).toThrow(/"email" links deterministically/);
    expect(() => assertMatchModel({ ...trained, termFrequencies: { nickname: { values: {}, floor: 0.1 } } })).toThrow(/"nickname" is not one of the model's fields/);
    expect(() => assertMatchModel({ ...trained, termFrequencies: { familyName: { values: { smith: 2 }, floor: 0.1 } } })).toThrow(/share of a value must be in \(0, 1\]/);
  });

  it('should give a value the training never saw no more weight than the rarest it kept, and no table to a field with too few repeats', () => {
    const model = hubModel();
    const builder = new DatasetBuilder(model.fields, model.normalization);
    const fields = model.fields.map((f) => f.name);
    // Every record in one country, two family names, every given name different but one pair, and a
    // birth date on a few records only.
    const letter = (n: number) => String.fromCharCode(97 + (n % 26));
    for (let i = 0; i < 200; i++) {
      const given = i === 1 ? 'Nameaa' : `Name${letter(i)}${letter(Math.floor(i / 26))}`;
      const values = fields.map((name) => (name === 'country' ? 'GB' : name === 'givenName' ? given : name === 'familyName' ? (i % 5 === 0 ? 'Okafor' : 'Smith') : undefined));
      builder.add(String(i), 'crm', values);
    }
    const ds = builder.build();
    const trained = { ...model, fields: model.fields.map((f, i) => ({ ...f, uExactRandom: i === fields.indexOf('country') ? 1 : f.uExactRandom })) };
    const tables = termFrequencyTables(ds, trained);
    expect(tables.givenName).toBeUndefined();
    expect(tables.country).toEqual({ values: { gb: 1 }, floor: 1 });
    const compiled = compileModel({ ...trained, termFrequencies: tables });
    // Another country agreeing weighs what GB does (nothing more): not the +8 bits of a rare value.
    expect(compiled.modelTfAdjustment(fields.indexOf('country'), 'de')).toBe(0);
    // The rarer family name still weighs more than the common one.
    const family = fields.indexOf('familyName');
    expect(compiled.modelTfAdjustment(family, 'okafor')).toBeGreaterThan(compiled.modelTfAdjustment(family, 'smith'));
    expect(compiled.modelTfAdjustment(family, 'nguyen')).toBe(compiled.modelTfAdjustment(family, 'okafor'));
  });
});
