import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { CONNECTOR_STATES } from '../registry/connector-registry.service';
import type { ConnectorState, ConnectorStatus } from '../registry/connector-registry.service';

export class ResyncRequest {
  @ApiPropertyOptional({ description: 'Cursor to restart from (format per connector; CRM: an ISO instant, or contacts=<ISO>[/<id>];archived=<ISO>[/<id>]; ERP and marketing: an ISO instant). A connector that cannot resync (Segment; marketing without MARKETING_API_URL) answers 409 with the reason' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  fromCursor?: string;

  @ApiPropertyOptional({ description: 'Restart from the very beginning (the default when no cursor is given)' })
  @IsOptional()
  @IsBoolean()
  fromBeginning?: boolean;
}

export class ResyncStatusResponse {
  @ApiProperty() requested: boolean;
  @ApiProperty({ nullable: true, type: String }) from: string | null;
  @ApiProperty({ nullable: true, type: String }) startedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) finishedAt: string | null;
  @ApiProperty() events: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Records the source holds, when it says' }) total: number | null;
}

export class ConnectorStatusResponse {
  @ApiProperty() name: string;
  @ApiProperty() kind: string;
  @ApiProperty({ enum: CONNECTOR_STATES }) state: ConnectorState;
  @ApiProperty({ nullable: true, type: String }) cursor: string | null;
  @ApiProperty({ nullable: true, type: String }) lastSuccessAt: string | null;
  @ApiProperty({ nullable: true, type: String }) lastError: string | null;
  @ApiProperty({ nullable: true, type: String }) lastErrorAt: string | null;
  @ApiProperty() errorCount: number;
  @ApiProperty() consecutiveFailures: number;
  @ApiProperty({ nullable: true, type: String }) backingOffUntil: string | null;
  @ApiProperty() eventsTotal: number;
  @ApiProperty() deadLetteredTotal: number;
  @ApiProperty({ nullable: true, type: Number }) lagSeconds: number | null;
  @ApiProperty() eventsPerSecond: number;
  @ApiProperty({ type: ResyncStatusResponse }) resync: ResyncStatusResponse;
  @ApiProperty({ type: 'object', additionalProperties: true }) config: Record<string, unknown>;

  static from(status: ConnectorStatus): ConnectorStatusResponse {
    const iso = (date: Date | null) => (date ? date.toISOString() : null);
    return {
      name: status.name,
      kind: status.kind,
      state: status.state,
      cursor: status.cursor,
      lastSuccessAt: iso(status.lastSuccessAt),
      lastError: status.lastError,
      lastErrorAt: iso(status.lastErrorAt),
      errorCount: status.errorCount,
      consecutiveFailures: status.consecutiveFailures,
      backingOffUntil: iso(status.backingOffUntil),
      eventsTotal: status.eventsTotal,
      deadLetteredTotal: status.deadLetteredTotal,
      lagSeconds: status.lagSeconds,
      eventsPerSecond: status.eventsPerSecond,
      resync: { ...status.resync, startedAt: iso(status.resync.startedAt), finishedAt: iso(status.resync.finishedAt) },
      config: status.config,
    };
  }
}
