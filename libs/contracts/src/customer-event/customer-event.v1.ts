import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDateString,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

/** What happened to a customer in a source system. */
export const CUSTOMER_EVENT_KINDS = [
  'customer.upserted',
  'customer.deleted',
  'order.placed',
  'consent.changed',
  'email.bounced',
  'email.unsubscribed',
  'email.changed',
] as const;
export type CustomerEventKind = (typeof CUSTOMER_EVENT_KINDS)[number];

/** Kinds of value that can identify a person. */
export const IDENTIFIER_TYPES = ['email', 'phone', 'externalId', 'customerNumber', 'userId', 'anonymousId'] as const;
export type IdentifierType = (typeof IDENTIFIER_TYPES)[number];

export const CONSENT_CHANNELS = ['email', 'sms', 'phone', 'postal'] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

export class IdentifierV1 {
  @IsIn(IDENTIFIER_TYPES)
  type: IdentifierType;

  /** As the source holds it; normalization happens in the hub, once, the same way for every source. */
  @IsString()
  @MinLength(1)
  @MaxLength(320)
  value: string;

  @IsOptional()
  @IsBoolean()
  verified?: boolean;
}

/** Person attributes as the source holds them; every one optional. */
export class CustomerAttributesV1 {
  @IsOptional() @IsString() @MaxLength(200) givenName?: string;
  @IsOptional() @IsString() @MaxLength(200) familyName?: string;
  @IsOptional() @IsString() @MaxLength(400) fullName?: string;
  @IsOptional() @IsString() @MaxLength(40) birthDate?: string;
  @IsOptional() @IsString() @MaxLength(40) gender?: string;
  @IsOptional() @IsString() @MaxLength(300) street?: string;
  @IsOptional() @IsString() @MaxLength(40) houseNumber?: string;
  @IsOptional() @IsString() @MaxLength(40) postcode?: string;
  @IsOptional() @IsString() @MaxLength(200) city?: string;
  @IsOptional() @IsString() @MaxLength(200) region?: string;
  @IsOptional() @IsString() @MaxLength(100) country?: string;
  @IsOptional() @IsString() @MaxLength(40) locale?: string;
}

export class ConsentV1 {
  @IsIn(CONSENT_CHANNELS)
  channel: ConsentChannel;

  /** Absent: the state holds for every purpose on this channel. */
  @IsOptional()
  @IsString()
  @MaxLength(80)
  purpose?: string;

  @IsIn(['granted', 'withdrawn'])
  status: 'granted' | 'withdrawn';
}

export class OrderLineV1 {
  @IsString() @MaxLength(100) sku: string;
  @IsOptional() @IsString() @MaxLength(100) category?: string;
  @IsInt() @Min(1) quantity: number;
  @IsNumber() @Min(0) unitPrice: number;
}

export class OrderV1 {
  @IsString() @MinLength(1) @MaxLength(100) orderId: string;
  @IsDateString() placedAt: string;
  @IsNumber() @Min(0) total: number;
  @IsString() @Matches(/^[A-Z]{3}$/) currency: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => OrderLineV1)
  lines?: OrderLineV1[];
}

/**
 * What a source knows about a customer's buying, for personalization (an ERP's orders). A snapshot
 * of the aggregate at `recordVersion`, not a delta: a later event replaces it whole.
 */
export class PersonalizationV1 {
  @IsOptional() @IsDateString() lastOrderAt?: string;
  @IsOptional() @IsInt() @Min(0) orderCount?: number;
  /** Sum of the orders in `currency` (the currency of the latest order). */
  @IsOptional() @IsNumber() @Min(0) lifetimeValue?: number;
  @IsOptional() @IsString() @Matches(/^[A-Z]{3}$/) currency?: string;
  /** The category bought most often; ties go to the alphabetically first. */
  @IsOptional() @IsString() @MaxLength(100) favouriteCategory?: string;
}

/**
 * Version 1 of the one event every connector produces. Keyed `source:sourceRecordId` on
 * {@link TOPICS.customerEvents}; `eventId` is deterministic from source, record and version.
 */
export class CustomerEventV1 {
  @IsIn([1])
  schemaVersion: 1;

  @IsUUID()
  eventId: string;

  /** The system the record comes from: `crm`, `erp`, `marketing`, `segment`… */
  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'source must be a lower-case name of at most 40 characters' })
  source: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  sourceRecordId: string;

  /** Monotonic per source record (an updated-at in ms, a log position): older never beats newer. */
  @IsInt()
  @Min(0)
  recordVersion: number;

  @IsIn(CUSTOMER_EVENT_KINDS)
  kind: CustomerEventKind;

  @IsDateString({ strict: true })
  occurredAt: string;

  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => IdentifierV1)
  identifiers: IdentifierV1[];

  @IsObject()
  @ValidateNested()
  @Type(() => CustomerAttributesV1)
  attributes: CustomerAttributesV1;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => ConsentV1)
  consents?: ConsentV1[];

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => OrderV1)
  order?: OrderV1;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PersonalizationV1)
  personalization?: PersonalizationV1;
}
