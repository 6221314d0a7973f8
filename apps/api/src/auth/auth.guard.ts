import { CanActivate, ExecutionContext, ForbiddenException, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
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
  /** Each route's rule (per controller and handler), read from its decorators once: they do not change while the process runs. */
  private readonly rules = new Map<Function, Map<Function, Role[] | 'open' | 'closed'>>();

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(ApiConfig) private readonly config: ApiConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return false;
    const required = this.ruleOf(context);
    if (required === 'open') return true;
    if (required === 'closed') throw new ForbiddenException('this route has no access rule and is closed');

    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const principal = await this.tokens.authenticate(request.headers.authorization);
    const limit = principal.rateLimitPerSecond ?? this.config.API_RATE_LIMIT_PER_SECOND;
    const wait = this.limiter.take(principal.clientId, limit);
    if (wait > 0) {
      context.switchToHttp().getResponse<FastifyReply>().header('Retry-After', String(wait));
      throw new HttpException(`rate limit of ${limit} requests per second exceeded for this client; retry in ${wait} s`, HttpStatus.TOO_MANY_REQUESTS);
    }
    if (!required.some((role) => principal.roles.includes(role))) {
      throw new ForbiddenException(`this route needs one of the roles ${required.join(', ')}; the token grants ${principal.roles.join(', ') || 'none'}`);
    }
    request.principal = principal;
    return true;
  }

  private ruleOf(context: ExecutionContext): Role[] | 'open' | 'closed' {
    const [handler, controller] = [context.getHandler(), context.getClass()];
    let rules = this.rules.get(controller);
    if (!rules) this.rules.set(controller, (rules = new Map()));
    let rule = rules.get(handler);
    if (rule === undefined) {
      const targets = [handler, controller];
      const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
      if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) || OPEN_CONTROLLERS.has(controller.name)) rule = 'open';
      else rule = required?.length ? required : 'closed';
      rules.set(handler, rule);
    }
    return rule;
  }
}
