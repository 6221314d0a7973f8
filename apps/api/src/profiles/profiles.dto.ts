import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class PurposeQueryDto {
  @ApiProperty({ description: 'Why the data is read: email-marketing, sms-marketing, personalization, analytics, customer-service, …', example: 'personalization' })
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'purpose must name a purpose, e.g. personalization (see GET /purposes)' })
  purpose: string;
}

export class LookupQueryDto extends PurposeQueryDto {
  @ApiPropertyOptional({ description: 'Normalized as at ingestion (case, Unicode, provider rules)' })
  @IsOptional() @IsString() @MinLength(3) @MaxLength(320) email?: string;

  @ApiPropertyOptional({ description: 'Any format; normalized to E.164 as at ingestion' })
  @IsOptional() @IsString() @MinLength(3) @MaxLength(40) phone?: string;

  @ApiPropertyOptional({ description: 'Source system, with recordId' })
  @IsOptional() @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'source must be a source name such as crm' }) source?: string;

  @ApiPropertyOptional({ description: 'Record id in the source system, with source' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200) recordId?: string;
}

/** Shape of a profile as a policy lets it be seen; every field but the first five may be absent. */
export class ProfileResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() version: number;
  @ApiProperty() updatedAt: string;
  @ApiProperty() purpose: string;
  @ApiProperty({ type: [String], description: 'role@version of the policies applied' }) policy: string[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'Golden attributes allowed for the purpose, masked as the policy says' })
  attributes: Record<string, string>;
  @ApiPropertyOptional({ description: 'Best email; only with consent for contact purposes, never when suppressed' }) email?: string;
  @ApiPropertyOptional({ description: 'Best phone (E.164, possibly masked as +46******12)' }) phone?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string', enum: ['granted', 'withdrawn', 'suppressed', 'unknown'] } }) consent?: Record<string, string>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Per returned attribute: source, record, time and rule' }) lineage?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: 'Links between the records, with evidence (data office)' }) links?: unknown[];
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' } }) sourceRecords?: unknown[];
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' } }) identifiers?: unknown[];
}
