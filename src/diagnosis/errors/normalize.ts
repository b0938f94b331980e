// Undo the escaping that logs add around error bodies (Go %q, JSON inside JSON, HTML entities) in one
// linear pass, so the catalogue can match the text as the service wrote it.

/** Hard cap on what is read: the last 1 MB of a longer log (errors come at the end); the rest is not scanned. */
export const MAX_INPUT_CHARS = 1_048_576;

/** The end of a long log, starting at a line boundary when one is near the cut. */
export function keepEnd(input: string): string {
  if (input.length <= MAX_INPUT_CHARS) return input;
  const cut = input.length - MAX_INPUT_CHARS;
  const nl = input.indexOf("\n", cut);
  return nl !== -1 && nl - cut < 4096 ? input.slice(nl + 1) : input.slice(cut);
}

/** HTML entities seen in pasted error pages and escaped logs, with their length. */
const entities: [string, string][] = [
  ["&quot;", '"'],
  ["&#34;", '"'],
  ["&#x22;", '"'],
  ["&#39;", "'"],
  ["&#x27;", "'"],
  ["&apos;", "'"],
  ["&amp;", "&"],
  ["&lt;", "<"],
  ["&gt;", ">"],
];

const HEX = /^[0-9a-fA-F]{4}$/;
/** &#47; or &#x2F;: any character by number (GitHub and HTML error pages escape slashes and colons this way). */
const NUMERIC_ENTITY = /^&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));/;

function numericEntity(text: string, at: number): [string, string] | undefined {
  if (text.charCodeAt(at + 1) !== 35 /* # */) return undefined;
  const m = NUMERIC_ENTITY.exec(text.slice(at, at + 11));
  if (!m) return undefined;
  const code = m[1] !== undefined ? Number.parseInt(m[1], 16) : Number.parseInt(m[2], 10);
  return code > 0 && code <= 0x10ffff ? [m[0], String.fromCodePoint(code)] : undefined;
}

/**
 * Collapse backslash escapes: any run of backslashes before a quote becomes the quote, before n/r/t
 * becomes a space, before uXXXX becomes the character; HTML quote entities become quotes. Every input
 * character is visited once.
 */
export function unescapeLog(input: string): string {
  const text = keepEnd(input);
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) {
      let j = i;
      while (j < n && text.charCodeAt(j) === 92) j++;
      const next = j < n ? text[j] : "";
      let replacement: string | undefined;
      let consumed = j - i;
      if (next === '"' || next === "'" || next === "/") {
        replacement = next;
        consumed++;
      } else if (next === "n" || next === "r" || next === "t") {
        replacement = " ";
        consumed++;
      } else if (next === "u" && HEX.test(text.slice(j + 1, j + 5))) {
        replacement = String.fromCharCode(Number.parseInt(text.slice(j + 1, j + 5), 16));
        consumed += 5;
      } else if (j - i > 1) {
        replacement = "\\";
      }
      if (replacement !== undefined) {
        out.push(text.slice(start, i), replacement);
        i += consumed;
        start = i;
        continue;
      }
      i = j;
      continue;
    }
    if (c === 38 /* & */) {
      const hit = entities.find(([e]) => text.startsWith(e, i)) ?? numericEntity(text, i);
      if (hit) {
        out.push(text.slice(start, i), hit[1]);
        i += hit[0].length;
        start = i;
        continue;
      }
    }
    i++;
  }
  out.push(text.slice(start));
  return out.join("");
}

/** ASCII-only lower case keeps every index valid between the text and its lower-case copy. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}
