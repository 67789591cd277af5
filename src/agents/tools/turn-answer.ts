/**
 * The answer a turn ends with, and what the model said to that same person through message_colleague meanwhile.
 *
 * A model that reports back often does it twice: it calls message_colleague(to = the person who asked, status) and
 * then ends with "Thanks, I have reported back." Posting both is noise, and posting the tool's message on its own
 * (before the turn is saved) would escape the exactly-once machinery of the reply. So a message to the person the
 * answer goes to is not sent: it becomes the answer, saved with the turn and posted once, where they asked.
 */
export class TurnAnswer {
  /** The event this turn handles: transaction ids of what the turn sends are derived from it. */
  readonly eventId: string;
  /** Who the turn's answer is posted to (the sender, or the conversation's root sender when reporting back). */
  readonly to: string;
  /** The answer goes to someone other than the sender: the final text was written for the colleague, not them. */
  readonly reportsBack: boolean;
  readonly #told: string[] = [];
  readonly #sentTo = new Map<string, number>();

  constructor(opts: { eventId: string; to: string; sender: string }) {
    this.eventId = opts.eventId;
    this.to = opts.to;
    this.reportsBack = opts.to !== opts.sender;
  }

  /** Text for `to`, posted as (part of) the answer. */
  tell(text: string): void {
    const t = text.trim();
    if (t && !this.#told.includes(t)) this.#told.push(t);
  }

  /** 0, 1, 2… per recipient: with the event id it names a message, so a re-run of the turn sends it once. */
  nextMessageTo(recipient: string): number {
    const n = this.#sentTo.get(recipient) ?? 0;
    this.#sentTo.set(recipient, n + 1);
    return n;
  }

  /**
   * The text to post. Without a message told through the tool, the model's final text as it is. With one: in a
   * report-back turn the final text was a closing remark to the colleague ("Thanks, I have reported back.") and is
   * dropped; when the person asked this agent directly, the final text is kept too, once: alone when it already
   * holds everything told, left out when it only repeats part of it.
   */
  compose(finalText: string | null): string | null {
    if (!this.#told.length) return finalText;
    const final = finalText?.trim() ?? '';
    if (this.reportsBack || final === '' || this.#told.some((t) => t.includes(final))) return this.#told.join('\n\n');
    if (this.#told.every((t) => final.includes(t))) return final;
    return [...this.#told, final].join('\n\n');
  }
}
