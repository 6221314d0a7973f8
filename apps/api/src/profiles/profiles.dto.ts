import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class PurposeQueryDto {
  @ApiProperty({ description: 'Why the data is read: email-marketing, sms-marketing, personalization, analytics, customer-service, …', example: 'personalization' })
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'purpose must name a purpose, e.g. personalization (see GET /purposes)' })
  purpose: string;
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
