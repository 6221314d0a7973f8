import { foldCase } from './text';

/** How one mail domain treats local parts. */
export interface EmailDomainRule {
  /** Dots in the local part are ignored by the provider (Gmail). */
  ignoreDots?: boolean;
  /** Sub-address separator whose suffix the provider ignores ('+' for most, '-' for Yahoo); null for none. */
  tagSeparator?: string | null;
  /** Canonical domain this one is an alias of (googlemail.com → gmail.com). */
  canonicalDomain?: string;
}

export type EmailRules = Readonly<Record<string, EmailDomainRule>>;

/** Provider behaviour as documented by the providers; callers can override or extend per domain. */
export const DEFAULT_EMAIL_RULES: EmailRules = {
  'gmail.com': { ignoreDots: true, tagSeparator: '+' },
  'googlemail.com': { ignoreDots: true, tagSeparator: '+', canonicalDomain: 'gmail.com' },
  'outlook.com': { tagSeparator: '+' },
  'hotmail.com': { tagSeparator: '+' },
  'live.com': { tagSeparator: '+' },
  'icloud.com': { tagSeparator: '+' },
  'me.com': { tagSeparator: '+', canonicalDomain: 'icloud.com' },
  'mac.com': { tagSeparator: '+', canonicalDomain: 'icloud.com' },
  'fastmail.com': { tagSeparator: '+' },
  'proton.me': { tagSeparator: '+' },
  'protonmail.com': { tagSeparator: '+', canonicalDomain: 'proton.me' },
  'yahoo.com': { tagSeparator: '-' },
};

const WS_RE = /\s+/g;
const LOCAL_RE = /^[^\s@"(),:;<>[\]\\]+$/;
const DOMAIN_RE = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)+$/u;

/**
 * Canonical form of an email address, or null when it is not an address.
 * Lower-cases, NFKC, strips whitespace and a `mailto:`/angle-bracket wrapper, then applies the domain's rule.
 */
export function normalizeEmail(raw: string, rules: EmailRules = DEFAULT_EMAIL_RULES): string | null {
  if (!raw) return null;
  let s = raw.normalize('NFKC').replace(WS_RE, '');
  if (s.length === 0 || s.length > 320) return null;
  const angle = /<([^>]+)>/.exec(s);
  if (angle) s = angle[1];
  s = s.toLowerCase();
  if (s.startsWith('mailto:')) s = s.slice(7);
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return null;
  let local = s.slice(0, at);
  let domain = s.slice(at + 1).replace(/\.+$/, '');
  if (!LOCAL_RE.test(local) || !DOMAIN_RE.test(domain)) return null;
  const rule = rules[domain];
  if (rule) {
    if (rule.tagSeparator) {
      const i = local.indexOf(rule.tagSeparator);
      if (i > 0) local = local.slice(0, i);
    }
    if (rule.ignoreDots) local = local.replace(/\./g, '');
    if (rule.canonicalDomain) domain = rule.canonicalDomain;
    if (local.length === 0) return null;
  }
  return `${local}@${foldCase(domain)}`;
}

/** Local part of a normalized email ('' if none). */
export function emailLocalPart(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? email : email.slice(0, at);
}

export function emailDomain(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? '' : email.slice(at + 1);
}
