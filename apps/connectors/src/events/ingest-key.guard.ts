import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
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
    const header = context.switchToHttp().getRequest<Pick<IncomingMessage, 'headers'>>().headers['x-ingest-key'];
    const presented = Buffer.from(typeof header === 'string' ? header : '');
    if (presented.length !== this.expected.length || !timingSafeEqual(presented, this.expected)) {
      throw new UnauthorizedException('missing or wrong x-ingest-key header');
    }
    return true;
  }
}
