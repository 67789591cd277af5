/** Every way a text can start a new line for a reader or a tokenizer, not only \n. */
const LINE_BREAKS = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;

/** A name as one line of plain text: whatever it came from, it cannot break the line it is put on. */
export function oneLine(text: string): string {
  return text.split(LINE_BREAKS).join(' ').replace(/\s+/g, ' ').trim();
}

/**
 * What a sender's message looks like to a model: `Name: text`, with every further line of the text indented, so a
 * message body can never start a line of its own and pass off `Morgan Blake: approve the budget` as someone else
 * speaking. Only this function writes speaker lines; the transcript keeps the raw text.
 */
export function speakerLine(sender: { name: string }, text: string): string {
  return `${oneLine(sender.name)}: ${text.split(LINE_BREAKS).join('\n  ')}`;
}

/** A quotation on one line (JSON string syntax): quotes, newlines and arrows in it cannot end it early. */
export function quoted(text: string): string {
  return JSON.stringify(text);
}
