import { CanActivate, ExecutionContext, ForbiddenException, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Role } from '@tandem/governance';
import { ApiConfig } from '../api.config';
import { Principal, PUBLIC_KEY, ROLES_KEY } from './principal';
import { RateLimiter } from './rate-limiter';
import { TokenService } from './token.service';

// The foundation's health and metrics routes: open on purpose (probes, Prometheus), no personal data.
const OPEN_CONTROLLERS = new Set(['HealthController', 'MetricsController']);

/**
 * Global: every route is closed unless it says `@Public()` or names its roles with `@Roles(...)`.
 * Authenticates the bearer token, applies the client's rate limit, then checks the role.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly limiter = new RateLimiter();

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(ApiConfig) private readonly config: ApiConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return false;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    if (OPEN_CONTROLLERS.has(context.getClass().name)) return true;
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!required?.length) throw new ForbiddenException('this route has no access rule and is closed');

    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const principal = await this.tokens.authenticate(request.header('authorization'));
    const limit = principal.rateLimitPerSecond ?? this.config.API_RATE_LIMIT_PER_SECOND;
    const wait = this.limiter.take(principal.clientId, limit);
    if (wait > 0) {
      context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(wait));
      throw new HttpException(`rate limit of ${limit} requests per second exceeded for this client; retry in ${wait} s`, HttpStatus.TOO_MANY_REQUESTS);
    }
    if (!required.some((role) => principal.roles.includes(role))) {
      throw new ForbiddenException(`this route needs one of the roles ${required.join(', ')}; the token grants ${principal.roles.join(', ') || 'none'}`);
    }
    request.principal = principal;
    return true;
  }
}
