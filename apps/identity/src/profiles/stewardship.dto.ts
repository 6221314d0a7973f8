import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsString, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';

export class RecordRefDto {
  @ApiProperty({ example: 'crm' })
  @Matches(/^[a-z][a-z0-9-]{0,39}$/)
  source: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  sourceRecordId: string;
}

export class StewardDecisionDto {
  @ApiProperty({ description: 'Who decides (a steward id)' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  actor: string;

  @ApiProperty({ description: 'Why' })
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  reason: string;
}

export class ReviewDecisionRequest extends StewardDecisionDto {
  @ApiProperty({ enum: ['accept', 'reject'] })
  @IsIn(['accept', 'reject'])
  decision: 'accept' | 'reject';
}

export class UnmergeRequest extends StewardDecisionDto {
  @ApiProperty({ type: RecordRefDto })
  @ValidateNested()
  @Type(() => RecordRefDto)
  a: RecordRefDto;

  @ApiProperty({ type: RecordRefDto })
  @ValidateNested()
  @Type(() => RecordRefDto)
  b: RecordRefDto;
}
