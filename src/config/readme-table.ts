/**
 * The README's configuration table, rendered from the settings table. `npm run docs:config`
 * writes it between the markers; test/config/readme-table.test.ts fails when the README is stale.
 */
import { SETTINGS } from './settings.ts';

export const TABLE_BEGIN = '<!-- settings-table:begin (npm run docs:config writes this table) -->';
export const TABLE_END = '<!-- settings-table:end -->';

export function settingsTable(): string {
  const rows = Object.values(SETTINGS).map((s) => `| \`${s.env}\` | ${s.default} | ${s.meaning} |`);
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}

/** `readme` with the block between the markers replaced by the current table. */
export function withSettingsTable(readme: string): string {
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${TABLE_BEGIN} ... ${TABLE_END} block`);
  return `${readme.slice(0, begin + TABLE_BEGIN.length)}\n${settingsTable()}\n${readme.slice(end)}`;
}
