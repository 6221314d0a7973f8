import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { databaseSecret, SECRET_NAMES } from '@tandem/governance';

/** Per-database keys of the governance lib, loaded (or generated) once at start. */
@Injectable()
export class GovernanceKeys implements OnModuleInit {
  pseudonymKey: Buffer;
  erasureSalt: Buffer;

  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  async onModuleInit(): Promise<void> {
    this.pseudonymKey = await databaseSecret(this.db, SECRET_NAMES.pseudonymKey);
    this.erasureSalt = await databaseSecret(this.db, SECRET_NAMES.erasureSalt);
  }
}
