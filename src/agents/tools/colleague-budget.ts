/** How many message_colleague calls one message, and one conversation, may cause. */
export interface ColleagueMessageLimits { perTurn: number; perConversation: number }

export const DEFAULT_COLLEAGUE_MESSAGE_LIMITS: ColleagueMessageLimits = { perTurn: 3, perConversation: 12 };

/** One turn's right to message colleagues: `take()` spends one message, or says why it may not. */
export interface ColleagueAllowance { take(): string | undefined }

/**
 * Bounds fan-out: each call of message_colleague wakes another agent, whose own calls wake more. Counts per turn, and
 * per conversation (its root event) across every agent this runtime hosts. Counts live in memory, so the
 * conversation cap holds per shard process and starts again after a restart: a bound on cost, not an accounting.
 */
export class ColleagueMessageBudget {
  readonly #limits: ColleagueMessageLimits;
  readonly #maxConversations: number;
  /** Insertion order is recency order, so the oldest conversations are forgotten first. */
  readonly #sentByConversation = new Map<string, number>();

  constructor(limits: ColleagueMessageLimits = DEFAULT_COLLEAGUE_MESSAGE_LIMITS, maxConversations = 10_000) {
    this.#limits = limits;
    this.#maxConversations = maxConversations;
  }

  forTurn(conversationId: string): ColleagueAllowance {
    let sentThisTurn = 0;
    return {
      take: () => {
        const { perTurn, perConversation } = this.#limits;
        if (sentThisTurn >= perTurn) {
          return `refused: you already sent ${perTurn} colleague messages while handling this message (the limit). Answer with what you have, or say who you could not reach.`;
        }
        const sent = this.#sentByConversation.get(conversationId) ?? 0;
        if (sent >= perConversation) {
          return `refused: this conversation has already caused ${perConversation} colleague messages (the limit). Answer with what you have; do not ask anyone else.`;
        }
        sentThisTurn++;
        this.#sentByConversation.delete(conversationId);
        this.#sentByConversation.set(conversationId, sent + 1);
        for (const oldest of this.#sentByConversation.keys()) {
          if (this.#sentByConversation.size <= this.#maxConversations) break;
          this.#sentByConversation.delete(oldest);
        }
        return undefined;
      },
    };
  }
}
