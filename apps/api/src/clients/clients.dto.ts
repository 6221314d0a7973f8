import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ApiClient, ROLES } from '@tandem/governance';

export class CreateClientDto {
  @ApiProperty({ example: 'campaign-tool' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}$/, { message: 'name must be 1-80 letters, digits, spaces, dots, dashes or underscores' })
  name: string;

  @ApiProperty({ enum: ROLES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(4)
  @IsIn(ROLES, { each: true, message: `each role must be one of ${ROLES.join(', ')}` })
  roles: string[];

  @ApiPropertyOptional({ description: 'Requests per second; default API_RATE_LIMIT_PER_SECOND' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000000)
  rateLimitPerSecond?: number;
}

export class UpdateClientDto {
  @ApiPropertyOptional({ enum: ROLES, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(4)
  @IsIn(ROLES, { each: true, message: `each role must be one of ${ROLES.join(', ')}` })
  roles?: string[];

  @ApiPropertyOptional({ description: 'A disabled client gets no tokens, and its tokens stop working' })
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({ nullable: true, type: Number })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000000)
  rateLimitPerSecond?: number | null;
}

export class ClientDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ROLES, isArray: true }) roles: string[];
  @ApiProperty() disabled: boolean;
  @ApiProperty({ nullable: true, type: Number }) rateLimitPerSecond: number | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;

  static from(client: ApiClient): ClientDto {
    return {
      id: client.id,
      name: client.name,
      roles: client.roles,
      disabled: client.disabled,
      rateLimitPerSecond: client.rateLimitPerSecond,
      createdAt: client.createdAt.toISOString(),
      updatedAt: client.updatedAt.toISOString(),
    };
  }
}

export class ClientCredentialsDto {
  @ApiProperty({ format: 'uuid' }) clientId: string;
  @ApiProperty({ description: 'Shown once; only its scrypt hash is stored' }) clientSecret: string;
}

export class CreatedClientDto extends ClientCredentialsDto {
  @ApiProperty({ type: ClientDto }) client: ClientDto;
}
