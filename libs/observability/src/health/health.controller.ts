import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { HealthRegistry, Readiness } from './health-registry';

@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(private readonly registry: HealthRegistry) {}

  /** The process is up and serving HTTP; says nothing about its dependencies. */
  @Get('live')
  live(): { status: 'live' } {
    return { status: 'live' };
  }

  /** 200 when every dependency answered within the timeout, 503 naming the ones that did not. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) response: Response): Promise<Readiness & { status: string }> {
    const readiness = await this.registry.readiness();
    response.status(readiness.ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: readiness.ready ? 'ready' : 'not ready', ...readiness };
  }
}
