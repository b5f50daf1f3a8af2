// Small text helpers shared by the plain-words messages: counts, one-line and clipped text.

/** "1 object", "3 objects". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Collapses every run of whitespace (newlines included) into one space. */
export function oneLine(s: string | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}

/** At most `max` characters, ending with … when cut. */
export function clip(s: string, max = 240): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** The first letter in upper case. */
export function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
