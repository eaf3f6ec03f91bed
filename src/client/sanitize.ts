/**
 * @module Neutralises text that came from another user before it reaches a terminal.
 * A peer controls names, messages and file names; printed raw, an escape sequence could clear the
 * screen, retitle the window, write the clipboard (OSC 52) or forge a line such as
 * `[LOGIN SUCCESS]`, and a bidi override could make text read differently from its bytes.
 */

// Whole escape sequences go first, so their parameters do not survive as visible junk:
// CSI (ESC [ or 8-bit 0x9B) params… final; OSC/DCS/SOS/PM/APC (ESC ] P X ^ _ or 0x9D 0x90 0x98
// 0x9E 0x9F) up to BEL or ST (ESC \ or 0x9C) or the end of the text; any other two-byte ESC x.
const CSI = /(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?/g
const STRING_SEQ = /(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[\s\S]*?(?:\x07|\x1b\\|\x9c|$)/g
const ESC_PAIR = /\x1b[\x20-\x7e]?/g

// What is left: C0 (line breaks too: a newline could forge a whole output line), DEL, C1, the
// Unicode line/paragraph separators, and every bidi control (LRM, RLM, ALM, embeddings,
// overrides U+202A–202E, isolates U+2066–2069).
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/g

/**
 * Returns `text` without control characters, escape sequences or bidi controls. Tabs become one
 * space so words stay apart; everything else is removed.
 * @example sanitize('\x1b[2Jhi\u202e') // 'hi'
 */
export function sanitize(text: string): string {
  return text
    .replaceAll('\t', ' ')
    .replace(STRING_SEQ, '')
    .replace(CSI, '')
    .replace(ESC_PAIR, '')
    .replace(CONTROLS, '')
}
