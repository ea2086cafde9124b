import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXTERNAL_LINKS, isAllowedExternalLink } from '../../electron/external-links.js';

const RENDERER = fileURLToPath(new URL('../../renderer/src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.(tsx?|css|html)$/.test(name) ? [path] : [];
  });
}

describe('links the Electron shell may open outside the app', () => {
  it('lists every https:// link the renderer contains', () => {
    const found = new Set<string>();
    for (const file of sources(RENDERER)) for (const m of readFileSync(file, 'utf8').matchAll(/https:\/\/[^\s'"`)<>]+/g)) found.add(m[0]);
    for (const url of found) expect(isAllowedExternalLink(url), `${url} is rendered but not in EXTERNAL_LINKS`).toBe(true);
    for (const url of EXTERNAL_LINKS) expect(isAllowedExternalLink(url)).toBe(true);
  });

  it('opens exactly the allowlisted https links and nothing else', () => {
    const allowed = ['https://github.com/saegim/saegim/blob/main/README.md', 'https://huggingface.co/Dream-org/Dream-v0-Base-7B'];
    expect(isAllowedExternalLink('https://github.com/saegim/saegim/blob/main/README.md', allowed)).toBe(true);
    expect(isAllowedExternalLink('https://huggingface.co/Dream-org/Dream-v0-Base-7B', allowed)).toBe(true);
    expect(isAllowedExternalLink('https://github.com/saegim/saegim/blob/main/README.md#figures', allowed)).toBe(true);
    for (const url of [
      'http://github.com/saegim/saegim/blob/main/README.md',
      'https://github.com/saegim/saegim/blob/main/README.md/../../../evil',
      'https://github.com/saegim/saegim/blob/main/OTHER.md',
      'https://github.com/saegim/saegim/blob/main/README.md?x=1',
      'https://github.com.evil.example/saegim/saegim/blob/main/README.md',
      'https://user:pass@github.com/saegim/saegim/blob/main/README.md',
      'https://github.com:8443/saegim/saegim/blob/main/README.md',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ms-settings:',
      'smb://host/share',
      'not a url',
      '',
    ]) {
      expect(isAllowedExternalLink(url, allowed), url).toBe(false);
    }
  });

  it('opens nothing with the app\'s own list while the renderer links nowhere outside', () => {
    expect(isAllowedExternalLink('https://example.com/')).toBe(false);
  });
});
