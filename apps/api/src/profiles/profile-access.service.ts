import { BadRequestException, ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { ATTRIBUTE_FIELDS, AuditWriter, EffectivePolicy, PolicyDeniedError, PolicyInputError, PolicyStore, renderProfile, StoredProfile } from '@tandem/governance';
import { currentCorrelationId } from '@tandem/observability';
import { GovernanceKeys } from '../governance/governance-keys';
import type { Principal } from '../auth/principal';
import { ProfileReader, ProfileView } from './profile-reader';

/**
 * The one way personal data leaves the API: the caller's policy for the purpose picks and masks the
 * fields, consent filters the contact points, and the read is audited before the answer goes out.
 */
@Injectable()
export class ProfileAccess {
  /** Each policy's view, made once: the policy store hands out the same policy object until policies change. */
  private readonly views = new WeakMap<EffectivePolicy, ProfileView>();
  /** Each policy's audit detail, made once for the same reason. */
  private readonly details = new WeakMap<EffectivePolicy, Record<string, unknown>>();

  constructor(
    @Inject(PolicyStore) private readonly policies: PolicyStore,
    @Inject(AuditWriter) private readonly audit: AuditWriter,
    @Inject(ProfileReader) private readonly reader: ProfileReader,
    @Inject(GovernanceKeys) private readonly keys: GovernanceKeys,
  ) {}

  /** The policy, or 400 (unknown purpose) / 403 (no policy for the caller's roles). */
  async policyFor(principal: Principal, purpose: string): Promise<EffectivePolicy> {
    try {
      return await this.policies.effective(principal.roles, purpose);
    } catch (error) {
      if (error instanceof PolicyDeniedError) throw new ForbiddenException(error.message);
      if (error instanceof PolicyInputError) throw new BadRequestException(error.message);
      throw error;
    }
  }

  /** What a read for this policy needs of a profile: the golden keys it can show, and lineage only if it shows lineage. */
  view(policy: EffectivePolicy): ProfileView {
    const known = this.views.get(policy);
    if (known) return known;
    const keys: string[] = ATTRIBUTE_FIELDS.filter((field) => policy.fields.has(field));
    if (policy.fields.has('email')) keys.push('emails');
    if (policy.fields.has('phone')) keys.push('phones');
    if (policy.fields.has('sourceRecords')) keys.push('sourceRecords');
    const view = { goldenKeys: keys, lineage: policy.fields.has('lineage') };
    this.views.set(policy, view);
    return view;
  }

  async render(principal: Principal, policy: EffectivePolicy, profile: StoredProfile, action: string): Promise<Record<string, unknown>> {
    const [links, identifiers] = await Promise.all([
      policy.fields.has('links') ? this.reader.links(profile.id) : undefined,
      policy.fields.has('identifiers') ? this.reader.identifiers(profile.id) : undefined,
    ]);
    const { body, fields } = renderProfile({ ...profile, links, identifiers }, policy, this.keys.pseudonymKey);
    await this.audit.record({
      clientId: principal.clientId,
      clientName: principal.clientName,
      action,
      purpose: policy.purpose.name,
      profileId: profile.id,
      fields,
      correlationId: currentCorrelationId(),
      detail: this.detailOf(policy),
    });
    return body;
  }

  private detailOf(policy: EffectivePolicy): Record<string, unknown> {
    let detail = this.details.get(policy);
    if (!detail) this.details.set(policy, (detail = { policy: policy.versions }));
    return detail;
  }
}
