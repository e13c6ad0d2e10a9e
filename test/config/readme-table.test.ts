import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settingsTable, TABLE_BEGIN, TABLE_END, withSettingsTable } from '../../src/config/readme-table.ts';
import { KNOWN_VARIABLES } from '../../src/config/settings.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the README configuration table', () => {
  it('is the one the settings table renders (run npm run docs:config when this fails)', () => {
    expect(withSettingsTable(readme)).toBe(readme);
  });

  it('has a row for every setting and nothing else', () => {
    const block = readme.slice(readme.indexOf(TABLE_BEGIN), readme.indexOf(TABLE_END));
    const documented = [...block.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual([...KNOWN_VARIABLES]);
  });

  it('is replaced between the markers and nowhere else', () => {
    const stale = `intro\n${TABLE_BEGIN}\n| old |\n${TABLE_END}\noutro\n`;
    expect(withSettingsTable(stale)).toBe(`intro\n${TABLE_BEGIN}\n${settingsTable()}\n${TABLE_END}\noutro\n`);
    expect(() => withSettingsTable('no markers')).toThrow(/no <!-- settings-table:begin/);
  });
});
