/** IANA zone names, checked with Intl (a Web-standard API), so every runtime agrees with croner. */
const known = new Set<string>();

export function isValidTimeZone(name: string): boolean {
  if (typeof name !== 'string' || name === '') return false;
  if (known.has(name)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
  } catch {
    return false;
  }
  known.add(name);
  return true;
}
