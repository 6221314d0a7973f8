import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';

/** A setting is missing or malformed; the message names it and says what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads `env` into a validated config class. Fails with one line naming every bad setting, so
 * start-up stops with something a person can act on rather than a stack trace.
 */
export function loadConfig<T extends object>(configClass: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const config = plainToInstance(configClass, { ...env }, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false, skipMissingProperties: false });
  if (errors.length > 0) {
    throw new ConfigError(`invalid configuration: ${errors.map(describe).join('; ')}`);
  }
  return config;
}

function describe(error: ValidationError): string {
  const constraints = Object.values(error.constraints ?? {});
  // Echo what was given, which helps spot a typo, except for settings that may hold a secret.
  const sensitive = /SECRET|PASSWORD|TOKEN|KEY|_URL$/i.test(error.property);
  const shown = !sensitive && typeof error.value === 'string' && error.value.length > 0 ? ` (got "${error.value.slice(0, 60)}")` : '';
  return `${error.property}${shown}: ${constraints.join(', ') || 'is invalid'}`;
}
