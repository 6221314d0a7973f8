import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, ValidateNested } from 'class-validator';
import { CustomerEventV1 } from '@tandem/contracts';

export class PublishEventsRequest {
  @ApiProperty({ description: 'Canonical customer events (contract v1)', type: 'array', items: { type: 'object' } })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => CustomerEventV1)
  events: CustomerEventV1[];
}

export class PublishEventsResponse {
  @ApiProperty({ description: 'Events acknowledged by Kafka' })
  accepted: number;
}
