import type { RoomEvent } from '../matrix/event.ts';

/**
 * The fleet does no end-to-end encryption, so an agent in an encrypted room reads nothing there. Rather than stay
 * silent, it says so once, when it joins (the invite's stripped state tells whether the room is encrypted).
 */
export function invitedToEncryptedRoom(invite: RoomEvent): boolean {
  const state = (invite as { unsigned?: { invite_room_state?: unknown } }).unsigned?.invite_room_state;
  return Array.isArray(state) && state.some((s) => (s as { type?: unknown })?.type === 'm.room.encryption');
}

export function encryptedRoomNotice(): Record<string, unknown> {
  return {
    msgtype: 'm.notice',
    body: 'This room is end-to-end encrypted, and I cannot read encrypted messages. Please talk to me in an unencrypted room or a new direct chat without encryption.',
    'm.mentions': {},
  };
}
