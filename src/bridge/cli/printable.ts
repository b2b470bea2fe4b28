// What the commands print for a person carries text the bridge did not write: PanDev's or a proxy's
// answer quoted in a dead letter's reason, Bitbucket's error text in a failure reason, a web page's
// title. In a terminal a control character in it acts (an escape sequence retitles the window, clears
// the screen, moves the cursor over lines printed before), and a bidi override shows text reordered.
// Each becomes '?' at the point of printing, whatever its source; line breaks the bridge put there stay.
// `--json` output needs none of this: JSON.stringify escapes the C0 controls and a program reads it.

const UNPRINTABLE = /[\p{Cc}\p{Cf}]/gu;

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => (char === '\t' ? ' ' : char === '\n' ? char : '?'));
}
