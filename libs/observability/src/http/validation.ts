import { ValidationPipe } from '@nestjs/common';

/** Longest run of non-space characters an error message repeats back from the request. */
export const ECHO_LIMIT = 40;

const LONG_WORD = new RegExp(`\\S{${ECHO_LIMIT + 1},}`, 'g');

/**
 * Cuts what a validation message repeats of the request (a property name, a nested path) to
 * ECHO_LIMIT characters: `?${'x'.repeat(9000)}=1` is answered with a short message, not the name
 * whole. class-validator's messages are short words; only the names and paths it fills in run long.
 */
export function shortenEcho(message: string): string {
  return message.replace(LONG_WORD, (word) => `${word.slice(0, ECHO_LIMIT)}…`);
}

/**
 * The global DTO validation: unknown fields refused, types converted, and messages that never
 * repeat more than ECHO_LIMIT characters of one name from the request.
 */
export class TandemValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  protected override flattenValidationErrors(errors: Parameters<ValidationPipe['flattenValidationErrors']>[0]): string[] {
    return super.flattenValidationErrors(errors).map(shortenEcho);
  }
}
