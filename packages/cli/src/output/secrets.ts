// Secrets in what the agent prints: a URL's password and secret-looking
// query values are masked in every message, `config show` and the logs
// (headers' values are never printed at all).

/** What stands for a secret. */
export const MASK = '********';

/** Query parameters whose values are secrets (`?token=`, `?api_key=`, `?sig=`, ...). */
const SECRET_PARAM = /token|key|secret|pass|auth|sig|credential/i;

/**
 * `url` with its password and secret-looking query values masked. A text
 * that does not parse as a URL is masked by its shape: what stands between
 * `scheme://user:` and `@`, and the values of secret-looking `name=value`
 * pairs after a `?` (its errors are printed, and logged).
 */
export function maskUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url
      .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^@]*@/i, `$1${MASK}@`)
      .replace(new RegExp(`([?&][^=&#]*?(?:${SECRET_PARAM.source})[^=&#]*=)[^&#]*`, 'gi'), `$1${MASK}`);
  }
  const secrets = [...u.searchParams.keys()].filter((k) => SECRET_PARAM.test(k));
  // nothing to mask: as written (URL's href would normalize it)
  if (!u.password && secrets.length === 0) return url;
  if (u.password) u.password = MASK;
  for (const k of secrets) u.searchParams.set(k, MASK);
  return u.href;
}

