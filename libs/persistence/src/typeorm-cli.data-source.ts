import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source';
import { DEFAULT_DATABASE_URL } from './database-url';

/** For the TypeORM CLI only: `npx typeorm migration:show -d dist/libs/persistence/src/typeorm-cli.data-source.js`. */
export default new DataSource(dataSourceOptions({ url: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL }));
