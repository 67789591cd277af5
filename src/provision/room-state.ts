import type { DesiredRoom, ProvisionPlan } from './plan.ts';

export interface StateEvent {
  type: string;
  stateKey: string;
  content: Record<string, unknown>;
}

export const ROOM_VERSION = '11';

/**
 * Every state event provisioning owns in a room, given the room ids known so far (space links need them; a link to
 * a room not created yet is simply absent and appears on the pass after). Extra state that people add is left alone.
 */
export function desiredStateEvents(room: DesiredRoom, plan: ProvisionPlan, roomIds: ReadonlyMap<string, string>): StateEvent[] {
  const via = [plan.domain];
  const events: StateEvent[] = [
    { type: 'm.room.name', stateKey: '', content: { name: room.name } },
    { type: 'm.room.topic', stateKey: '', content: { topic: room.topic } },
    { type: 'm.room.power_levels', stateKey: '', content: { ...room.powerLevels } },
    { type: 'm.room.join_rules', stateKey: '', content: { join_rule: room.joinRule } },
    { type: 'm.room.history_visibility', stateKey: '', content: { history_visibility: 'shared' } },
    { type: 'm.room.guest_access', stateKey: '', content: { guest_access: 'forbidden' } },
  ];
  const parentId = room.parent ? roomIds.get(room.parent) : undefined;
  if (parentId) events.push({ type: 'm.space.parent', stateKey: parentId, content: { via, canonical: true } });
  if (room.kind === 'space') {
    for (const child of plan.rooms) {
      const childId = child.parent === room.alias ? roomIds.get(child.alias) : undefined;
      if (childId) events.push({ type: 'm.space.child', stateKey: childId, content: { via, ...(child.suggested ? { suggested: true } : {}) } });
    }
  }
  return events;
}

/** One createRoom call carrying all the state it can, so a room is usually right after a single request. */
export function createRoomBody(room: DesiredRoom, state: StateEvent[]): Record<string, unknown> {
  const initial = state.filter((s) => !['m.room.name', 'm.room.topic', 'm.room.power_levels'].includes(s.type));
  return {
    room_alias_name: room.alias,
    name: room.name,
    topic: room.topic,
    preset: room.joinRule === 'public' ? 'public_chat' : 'private_chat',
    visibility: 'private',
    room_version: ROOM_VERSION,
    creation_content: { 'm.federate': false, ...(room.kind === 'space' ? { type: 'm.space' } : {}) },
    power_level_content_override: room.powerLevels,
    initial_state: initial.map((s) => ({ type: s.type, state_key: s.stateKey, content: s.content })),
  };
}
