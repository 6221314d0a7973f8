import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Role } from '@tandem/governance';

/** The authenticated client behind a request, with the roles its token and its record both grant. */
export interface Principal {
  clientId: string;
  clientName: string;
  roles: Role[];
  /** The client's own limit, or null for the configured default. */
  rateLimitPerSecond: number | null;
}

export const ROLES_KEY = 'tandem:roles';
export const PUBLIC_KEY = 'tandem:public';

/** Any one of these roles may call the route. Routes without `@Roles` or `@Public` are refused. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** The route needs no token (the token endpoint itself). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The request's principal; only on routes behind `@Roles`. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  return context.switchToHttp().getRequest<{ principal: Principal }>().principal;
});
