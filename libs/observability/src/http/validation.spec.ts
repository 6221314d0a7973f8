import { BadRequestException } from '@nestjs/common';
import { IsOptional, IsString, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { ECHO_LIMIT, TandemValidationPipe } from './validation';

class Inner {
  @IsString() name!: string;
}

class Query {
  @IsOptional() @IsString() purpose?: string;
  @IsOptional() @ValidateNested() @Type(() => Inner) inner?: Inner;
}

async function messageFor(value: unknown): Promise<string> {
  const pipe = new TandemValidationPipe();
  try {
    await pipe.transform(value, { type: 'query', metatype: Query });
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    const body = (error as BadRequestException).getResponse() as { message: string[] };
    return body.message.join('; ');
  }
  throw new Error('the value was accepted');
}

describe('TandemValidationPipe', () => {
  it('names an unknown short property as it came', async () => {
    expect(await messageFor({ admin: '1' })).toBe('property admin should not exist');
  });

  it('does not repeat a 9,000-character property name back', async () => {
    const name = 'x'.repeat(9000);
    const message = await messageFor({ [name]: '1' });
    expect(message).toBe(`property ${'x'.repeat(ECHO_LIMIT)}… should not exist`);
  });

  it('cuts a long nested path too, and keeps the message readable', async () => {
    const message = await messageFor({ inner: { ['y'.repeat(500)]: 1, name: 'ok' } });
    expect(message.length).toBeLessThan(100);
    expect(message).toMatch(/should not exist$/);
  });

  it('still converts and accepts a valid value', async () => {
    await expect(new TandemValidationPipe().transform({ purpose: 'analytics' }, { type: 'query', metatype: Query })).resolves.toEqual({ purpose: 'analytics' });
  });
});
