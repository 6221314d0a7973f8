import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/** What a policy sees of a request (Fastify's and Express's requests both have it). */
export interface OperatorRequest {
  headers: IncomingHttpHeaders;
  socket: Socket;
}

/** Decides who may operate connectors. The API issue's roles plug in here (role `it-operator`). */
export interface OperatorAccessPolicy {
  allows(request: OperatorRequest): boolean | Promise<boolean>;
  /** Said to a caller who is refused. */
  readonly refusal: string;
}

/** Injection token of the {@link OperatorAccessPolicy}; override the provider to change the rule. */
export const OPERATOR_ACCESS = Symbol('OPERATOR_ACCESS');

/** Until machine clients and roles exist: only callers on this machine may operate connectors. */
export class LoopbackOperatorAccess implements OperatorAccessPolicy {
  readonly refusal = 'the connectors operations API answers only callers on this machine until roles are configured';

  allows(request: OperatorRequest): boolean {
    const address = request.socket.remoteAddress ?? '';
    return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
  }
}

/** Guards the operations API through whichever policy is provided. */
@Injectable()
export class OperatorAccessGuard implements CanActivate {
  constructor(@Inject(OPERATOR_ACCESS) private readonly policy: OperatorAccessPolicy) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (await this.policy.allows(context.switchToHttp().getRequest<OperatorRequest>())) return true;
    throw new ForbiddenException(this.policy.refusal);
  }
}
