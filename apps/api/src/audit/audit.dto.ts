import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';

export class AuditQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Reads of this profile, single or as part of an audience' })
  @IsOptional() @IsUUID() profileId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional() @IsUUID() clientId?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(40) purpose?: string;

  @ApiPropertyOptional({ example: 'profile.read' }) @IsOptional() @IsString() @MaxLength(60) action?: string;

  @ApiPropertyOptional({ description: 'ISO time, inclusive' }) @IsOptional() @Type(() => Date) @IsDate({ message: 'from must be an ISO date-time' }) from?: Date;

  @ApiPropertyOptional({ description: 'ISO time, exclusive' }) @IsOptional() @Type(() => Date) @IsDate({ message: 'to must be an ISO date-time' }) to?: Date;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @Matches(/^\d{1,19}$/, { message: 'cursor must be the nextCursor of a previous page' }) cursor?: string;

  @ApiPropertyOptional({ default: 100, maximum: 1000 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}

export class AuditEntryDto {
  @ApiProperty() id: string;
  @ApiProperty() at: string;
  @ApiProperty({ nullable: true, type: String }) clientId: string | null;
  @ApiProperty({ nullable: true, type: String }) clientName: string | null;
  @ApiProperty({ example: 'profile.read' }) action: string;
  @ApiProperty({ nullable: true, type: String }) purpose: string | null;
  @ApiProperty({ nullable: true, type: String }) profileId: string | null;
  @ApiProperty({ description: 'Profiles read at once (audiences)' }) profileCount: number;
  @ApiProperty({ type: [String] }) fields: string[];
  @ApiProperty({ nullable: true, type: String }) correlationId: string | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) detail: Record<string, unknown> | null;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto] }) entries: AuditEntryDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
