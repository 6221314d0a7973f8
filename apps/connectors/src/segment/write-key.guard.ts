import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { ConnectorsConfig } from '../connectors.config';

/**
 * Segment's write-key auth: HTTP Basic with the write key as user name and an empty password
 * (what every Segment SDK sends), or `writeKey` in the JSON body as the HTTP API also allows.
 */
@Injectable()
export class WriteKeyGuard implements CanActivate {
  private readonly keys: Buffer[];

  constructor(@Inject(ConnectorsConfig) config: ConnectorsConfig) {
    this.keys = config.segmentWriteKeys.map((key) => Buffer.from(key));
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<SegmentRequest>();
    const presented = Buffer.from(writeKeyOf(request) ?? '');
    const known = this.keys.some((key) => key.length === presented.length && timingSafeEqual(key, presented));
    if (!known) throw new UnauthorizedException('missing or unknown Segment write key (HTTP Basic, write key as user name)');
    return true;
  }
}

interface SegmentRequest {
  headers: IncomingHttpHeaders;
  body?: unknown;
}

function writeKeyOf(request: SegmentRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? decoded : decoded.slice(0, colon);
  }
  const body = request.body as { writeKey?: unknown } | undefined;
  return typeof body?.writeKey === 'string' ? body.writeKey : undefined;
}
