import { ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';
import { ErasureRequestDto } from './data-subject.controller';

const pipe = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });
const metadata: ArgumentMetadata = { type: 'body', metatype: ErasureRequestDto };

async function refusal(body: unknown): Promise<string> {
  try {
    await pipe.transform(body, metadata);
    return 'accepted';
  } catch (error) {
    return String(((error as BadRequestException).getResponse() as { message: string[] }).message);
  }
}

describe('erasure request body', () => {
  it('should say in one message that a reason is required when it is missing, empty, too long or not text', async () => {
    for (const body of [{}, { reason: '' }, { reason: 'x'.repeat(501) }, { reason: 42 }]) {
      expect(await refusal(body)).toBe('reason is required: 3 to 500 characters naming the request this erasure answers (a ticket id, the legal ground)');
    }
  });

  it('should accept a reason of 3 to 500 characters', async () => {
    expect(await refusal({ reason: 'DSR-1042, art. 17' })).toBe('accepted');
    expect(await refusal({ reason: 'x'.repeat(500) })).toBe('accepted');
  });
});
