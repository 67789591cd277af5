import type { Logger } from '../log.ts';
import type { RoomEvent } from '../matrix/event.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { lazyRoomMembers } from '../provision/plan.ts';

export interface LazyRoomsOptions {
  org: OrgDirectory;
  /** The same limit provisioning used (config provisioning.eagerJoinMaxMembers). */
  eagerJoinMaxMembers?: number;
  /** The room an alias localpart points at on the homeserver, undefined when it does not exist (yet). */
  resolveAlias(alias: string): Promise<string | undefined>;
  log: Logger;
}

/**
 * The rooms provisioning joins lazily (#all-employees, big leadership rooms) and who belongs in each by the org.
 * Routing treats those people as members: an agent is addressed there as if joined, and joins when it answers.
 * Room ids come from the aliases, resolved once, and from the m.room.canonical_alias event a room is created with
 * (the bot is in every org room, so the router sees it; the homeserver only accepts an alias that points at the room).
 */
export class LazyRooms {
  private readonly o: LazyRoomsOptions;
  private members: Map<string, Set<string>> | undefined;
  private readonly aliasOf = new Map<string, string>();
  private resolved: Promise<void> | undefined;
  private readonly suffix: string;

  constructor(o: LazyRoomsOptions) {
    this.o = o;
    this.suffix = `:${o.org.domain}`;
  }

  /** Agents who belong in the room, when it is a lazily joined org room; undefined for every other room. */
  async belonging(roomId: string): Promise<ReadonlySet<string> | undefined> {
    await this.resolveOnce();
    const alias = this.aliasOf.get(roomId);
    return alias === undefined ? undefined : this.byAlias().get(alias);
  }

  /** Learns a room's alias from its canonical alias event (rooms created after the router started). */
  learn(event: RoomEvent): void {
    if (event.type !== 'm.room.canonical_alias' || event.state_key !== '') return;
    const alias = (event.content as { alias?: unknown } | undefined)?.alias;
    if (typeof alias !== 'string' || !alias.startsWith('#') || !alias.endsWith(this.suffix)) return;
    const localpart = alias.slice(1, -this.suffix.length);
    if (this.byAlias().has(localpart)) this.aliasOf.set(event.room_id, localpart);
  }

  /** The org changed (`reload confirm`): who belongs where is computed again, and new lazy rooms resolved. */
  reset(): void {
    this.members = undefined;
    this.resolved = undefined;
  }

  private byAlias(): Map<string, Set<string>> {
    this.members ??= lazyRoomMembers(this.o.org, this.o.eagerJoinMaxMembers);
    return this.members;
  }

  /** Resolves the lazy aliases once; a failure is retried by the next event (routing waits, it never guesses). */
  private resolveOnce(): Promise<void> {
    this.resolved ??= (async () => {
      const known = new Set(this.aliasOf.values());
      for (const alias of this.byAlias().keys()) {
        if (known.has(alias)) continue;
        const roomId = await this.o.resolveAlias(alias);
        if (roomId) this.aliasOf.set(roomId, alias);
      }
      this.o.log.debug({ lazyRooms: this.aliasOf.size }, 'lazily joined rooms resolved');
    })().catch((err: unknown) => {
      this.resolved = undefined;
      throw err;
    });
    return this.resolved;
  }
}
