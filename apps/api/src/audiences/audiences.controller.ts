import { BadRequestException, Controller, ForbiddenException, HttpCode, Inject, Post, Query, Req, Res, UnsupportedMediaTypeException } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { once } from 'node:events';
import { ApiConfig } from '../api.config';
import { AuditIndexUpkeep } from '../governance/audit-index-upkeep';
import { CurrentPrincipal, Roles } from '../auth/principal';
import type { Principal } from '../auth/principal';
import { ProfileAccess } from '../profiles/profile-access.service';
import { PurposeQueryDto } from '../profiles/profiles.dto';
import { AudienceResolver } from './audience-resolver.service';
import type { AudienceChannel, MatchedChunk } from './audience-resolver.service';
import { CsvRows, lineBatches, parseJsonLine, RECIPIENT_LIST_TYPES, RecipientRow } from './recipient-input';

export class AudienceQueryDto extends PurposeQueryDto {
  @ApiProperty({ enum: ['email', 'sms', 'phone', 'postal'] })
  @IsIn(['email', 'sms', 'phone', 'postal'], { message: 'channel must be one of email, sms, phone, postal' })
  channel: AudienceChannel;
}

const CONTACT_FIELD: Record<AudienceChannel, string> = { email: 'email', sms: 'phone', phone: 'phone', postal: 'street' };

@ApiTags('audiences')
@ApiBearerAuth()
@Controller('audiences')
export class AudiencesController {
  constructor(
    @Inject(AudienceResolver) private readonly audiences: AudienceResolver,
    @Inject(ProfileAccess) private readonly access: ProfileAccess,
    @Inject(ApiConfig) private readonly config: ApiConfig,
    @Inject(AuditIndexUpkeep) private readonly auditIndex: AuditIndexUpkeep,
  ) {}

  @Post('resolve')
  @Roles('marketing', 'data-office')
  @HttpCode(200)
  @ApiOperation({
    summary: 'One recipient per person for a campaign list',
    description:
      'Body: JSON lines (`{"email": …}`, `{"phone": …}` or `{"source": …, "recordId": …}` per line, application/x-ndjson) or CSV with a header naming ' +
      'email, phone, source, recordId (text/csv); up to API_AUDIENCE_MAX_ROWS rows, streamed. Answer: JSON lines, one `{"profileId", "address", "attributes"}` ' +
      'per person who may be contacted on the channel, then one `{"report": …}` line (input rows, unique people, duplicates removed, suppressed, unknown).',
  })
  @ApiConsumes('application/x-ndjson', 'text/csv')
  @ApiBody({ schema: { type: 'string', example: '{"email":"anna.berg@example.com"}\n{"source":"crm","recordId":"C-1001"}\n' } })
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({ description: 'JSON lines: recipients, then the report' })
  async resolve(@Query() query: AudienceQueryDto, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const csv = type === 'text/csv';
    if (!RECIPIENT_LIST_TYPES.includes(type)) {
      throw new UnsupportedMediaTypeException('send the recipient list as application/x-ndjson (one JSON object per line) or text/csv');
    }
    const policy = await this.access.policyFor(principal, query.purpose);
    if (policy.purpose.channel && policy.purpose.channel !== query.channel) {
      throw new BadRequestException(`purpose ${policy.purpose.name} contacts people by ${policy.purpose.channel}, not ${query.channel}`);
    }
    const field = CONTACT_FIELD[query.channel];
    if (!policy.fields.has(field as never)) throw new ForbiddenException(`no policy lets your roles see ${field} for purpose ${policy.purpose.name}`);

    const run = this.audiences.start(principal, policy, query.channel);
    const chunkRows = this.config.API_AUDIENCE_CHUNK_ROWS;
    // One chunk's profiles are looked up at a time (its keys in index order, in a few queries side by
    // side: two chunks at once would interleave their index ranges), while the chunk before it is
    // delivered and the next one is read and parsed.
    const matchingAhead = 1;
    const deliveringAhead = 2;
    const parser = csv ? new CsvRows() : undefined;
    // The answer streams straight to the socket as chunks are resolved: Fastify steps aside (hijack).
    const response = reply.raw;
    let started = false;
    const write = async (line: string) => {
      if (!started) {
        reply.hijack();
        response.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'x-audience-id': run.report.audienceId });
        started = true;
      }
      if (!response.write(line)) await once(response, 'drain');
    };
    // Stage one of later chunks runs while earlier ones are delivered. Stage two deduplicates
    // synchronously when it starts, so starting chunks in input order keeps "first seen wins";
    // its profile reads then overlap. Each part of a chunk is written as soon as it is audited,
    // in input order of the chunks (one chain of writes).
    const inFlight: Array<Promise<MatchedChunk>> = [];
    const written: Array<Promise<void>> = [];
    let writing: Promise<void> = Promise.resolve();
    let failed = false;
    const deliverOldest = async () => {
      const parts = run.deliver(await inFlight.shift()!);
      writing = guard(
        writing.then(async () => {
          for (const part of parts) {
            const lines = await part;
            if (failed) return;
            if (lines) await write(lines);
          }
        }),
      );
      written.push(writing);
      if (written.length >= deliveringAhead) await written.shift();
    };
    let rows = run.chunk();
    let count = 0;
    try {
      for await (const batch of lineBatches(request.raw)) {
        for (const line of batch) {
          let row: RecipientRow | undefined;
          try {
            row = parser ? parser.parse(line) : parseJsonLine(line);
          } catch (error) {
            throw new BadRequestException((error as Error).message);
          }
          if (!row) continue;
          if (++count > this.config.API_AUDIENCE_MAX_ROWS) throw new BadRequestException(`the list has more than ${this.config.API_AUDIENCE_MAX_ROWS} rows; split it`);
          rows.add(row);
          if (rows.rows >= chunkRows) {
            inFlight.push(guard(run.match(rows)));
            rows = run.chunk();
            if (inFlight.length >= matchingAhead) await deliverOldest();
          }
        }
      }
      if (rows.rows) inFlight.push(guard(run.match(rows)));
      while (inFlight.length) await deliverOldest();
      await writing;
      await write(`${JSON.stringify({ report: run.report })}\n`);
      response.end();
    } catch (error) {
      // No part is written after this: the answer ends here.
      failed = true;
      await writing.catch(() => undefined);
      if (!started) throw error;
      // The answer has begun: the status line is gone, so the failure is the last line.
      const message = error instanceof BadRequestException ? error.message : 'the resolution failed; the recipients above are complete and audited, the rest were not processed';
      response.end(`${JSON.stringify({ error: message, report: run.report })}\n`);
    } finally {
      this.auditIndex.afterAudience();
    }
  }
}

// A rejected stage-one promise that waits behind others must not count as unhandled; it is awaited in turn.
function guard<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
