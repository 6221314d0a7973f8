import { BadRequestException, Body, Controller, Header, HttpCode, HttpException, HttpStatus, Inject, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from './principal';
import { RateLimiter } from './rate-limiter';
import { TokenRequestDto, TokenResponseDto } from './token.dto';
import { TokenService } from './token.service';

// Each attempt costs a scrypt hash (~50 ms of CPU): bound the guesses per client id, and the
// hashes running at once, so made-up client ids cannot take the API's CPU away from its readers.
const ATTEMPTS_PER_SECOND = 5;
const CONCURRENT_HASHES = 4;

@ApiTags('auth')
@Controller('oauth')
export class TokenController {
  private readonly attempts = new RateLimiter();
  private hashing = 0;

  constructor(@Inject(TokenService) private readonly tokens: TokenService) {}

  @Post('token')
  @Public()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'OAuth2 client credentials: a short-lived bearer token for a machine client' })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ type: TokenResponseDto })
  async token(@Body() body: TokenRequestDto, @Req() request: FastifyRequest): Promise<TokenResponseDto> {
    const basic = basicCredentials(request.headers.authorization);
    const clientId = basic?.id ?? body.client_id;
    const clientSecret = basic?.secret ?? body.client_secret;
    if (!clientId || !clientSecret) {
      throw new BadRequestException('invalid_request: send client_id and client_secret in the body or as HTTP Basic credentials');
    }
    const wait = this.attempts.take(`token:${clientId}`, ATTEMPTS_PER_SECOND);
    if (wait > 0) throw new HttpException(`too many token requests for this client; retry in ${wait} s`, HttpStatus.TOO_MANY_REQUESTS);
    if (this.hashing >= CONCURRENT_HASHES) {
      throw new HttpException('too many token requests at once; retry in a second', HttpStatus.TOO_MANY_REQUESTS);
    }
    this.hashing++;
    try {
      return await this.tokens.issue(clientId, clientSecret, body.scope);
    } finally {
      this.hashing--;
    }
  }
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header && /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new BadRequestException('invalid_request: HTTP Basic credentials must be client_id:client_secret');
  // RFC 6749 §2.3.1: both parts are form-urlencoded inside Basic.
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    throw new BadRequestException('invalid_request: HTTP Basic credentials are not properly encoded');
  }
}
