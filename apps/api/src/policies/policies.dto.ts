import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { AccessPolicy, CONSENT_CHANNEL_NAMES, MASKS, POLICY_FIELDS, Purpose } from '@tandem/governance';

export class PolicyChangeDto {
  @ApiProperty({ enum: POLICY_FIELDS, isArray: true, description: 'Fields the role may see for the purpose; all others are absent' })
  @IsArray()
  @ArrayMaxSize(50)
  @IsIn(POLICY_FIELDS, { each: true, message: `each field must be one of ${POLICY_FIELDS.join(', ')}` })
  fields: string[];

  @ApiPropertyOptional({ description: `Field → mask (${MASKS.join(', ')}), e.g. {"phone": "partial"}`, example: { phone: 'partial' } })
  @IsOptional()
  @IsObject()
  masking?: Record<string, string>;

  @ApiPropertyOptional({ description: 'Why the policy changes; kept with the version' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class PolicyDto {
  @ApiProperty() role: string;
  @ApiProperty() purpose: string;
  @ApiProperty() version: number;
  @ApiProperty({ isArray: true, enum: POLICY_FIELDS }) fields: string[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string', enum: [...MASKS] } }) masking: Record<string, string>;
  @ApiProperty() revoked: boolean;
  @ApiProperty({ description: 'Client id of who made the change' }) changedBy: string;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty() changedAt: string;

  static from(policy: AccessPolicy): PolicyDto {
    return { ...policy, masking: policy.masking as Record<string, string>, changedAt: policy.changedAt.toISOString() };
  }
}

export class PurposeChangeDto {
  @ApiProperty() @IsString() @MaxLength(300) description: string;

  @ApiPropertyOptional({ enum: CONSENT_CHANNEL_NAMES, nullable: true, description: 'The channel the purpose contacts people on; consent on it is then required' })
  @IsOptional()
  @IsIn([...CONSENT_CHANNEL_NAMES, null])
  channel?: string | null;
}

export class PurposeDto implements Purpose {
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ nullable: true, type: String, enum: CONSENT_CHANNEL_NAMES }) channel: string | null;
}
