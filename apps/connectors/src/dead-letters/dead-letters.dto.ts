import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { DEAD_LETTER_STATUSES } from './dead-letters.service';
import type { DeadLetterStatus } from './dead-letters.service';

export class ListDeadLettersQuery {
  @ApiPropertyOptional({ enum: DEAD_LETTER_STATUSES })
  @IsOptional()
  @IsIn(DEAD_LETTER_STATUSES)
  status?: DeadLetterStatus;

  @ApiPropertyOptional({ description: 'Original topic, e.g. erp.public.orders' })
  @IsOptional()
  @IsString()
  @MaxLength(249)
  topic?: string;

  @ApiPropertyOptional({ description: 'Source system, for records a connector refused' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{0,39}$/)
  source?: string;

  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'Next page: the id of the last dead letter of the previous page' })
  @IsOptional()
  @IsUUID()
  before?: string;
}
