import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { ConnectorsConfig } from '../connectors.config';

/** Only callers holding the ingest key may push events. */
@Injectable()
export class IngestKeyGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(ConnectorsConfig) config: ConnectorsConfig) {
    this.expected = Buffer.from(config.CONNECTORS_INGEST_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const presented = Buffer.from(context.switchToHttp().getRequest<Request>().header('x-ingest-key') ?? '');
    if (presented.length !== this.expected.length || !timingSafeEqual(presented, this.expected)) {
      throw new UnauthorizedException('missing or wrong x-ingest-key header');
    }
    return true;
  }
}
