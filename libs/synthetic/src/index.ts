export { generateRecords, SYNTHETIC_COLUMNS, type SyntheticRecord, type GeneratorOptions } from './generator';
export { Random } from './random';
