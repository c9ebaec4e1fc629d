/**
 * A platform's body as a JSON object, or null. Bodies are untrusted: an outage page is HTML, a
 * capped capture is cut mid-string, and a bare value or array carries none of the fields a
 * connector reads. Callers then read fields with `?.` and check their types one by one.
 */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}
