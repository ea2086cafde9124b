/**
 * The links to the outside that the app itself renders, and the only ones shell.openExternal may open.
 * A page that was somehow made to open a window (injected markup, a compromised dependency) must not be able
 * to hand the operating system an arbitrary URL: `file:`, a custom scheme handler, or a lookalike site.
 *
 * The renderer links nowhere outside today (test/unit/external-links.test.ts checks every https:// URL in
 * renderer/src against this list), so it is empty; a link added to the UI is added here too.
 */
export const EXTERNAL_LINKS: readonly string[] = [];

/**
 * Whether `raw` is exactly one of `allowed` once parsed: https only, no user name or password, no port other
 * than 443; compared as parsed URLs so `https://github.com.evil.example/` or a different path never passes.
 */
export function isAllowedExternalLink(raw: string, allowed: readonly string[] = EXTERNAL_LINKS): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.port !== '') return false;
  return allowed.some((entry) => {
    const a = new URL(entry);
    return a.origin === url.origin && a.pathname === url.pathname && a.search === url.search;
  });
}
