import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

/** RFC 6749 §4.4 client credentials request, as a form or as JSON. The client may authenticate with HTTP Basic instead. */
export class TokenRequestDto {
  @ApiProperty({ enum: ['client_credentials'] })
  @IsIn(['client_credentials'], { message: 'unsupported_grant_type: grant_type must be client_credentials' })
  grant_type: string;

  @ApiPropertyOptional({ description: 'Client id (or use HTTP Basic)' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  client_id?: string;

  @ApiPropertyOptional({ description: 'Client secret (or use HTTP Basic)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  client_secret?: string;

  @ApiPropertyOptional({ description: 'Space-separated roles to narrow the token to; default all of the client\'s roles' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  scope?: string;
}

export class TokenResponseDto {
  @ApiProperty() access_token: string;
  @ApiProperty({ enum: ['Bearer'] }) token_type: 'Bearer';
  @ApiProperty({ description: 'Seconds until the token expires' }) expires_in: number;
  @ApiProperty({ description: 'The roles the token grants, space-separated' }) scope: string;
}
