/** A Matrix room event as the homeserver pushes it to the appservice (the fields the fleet reads). */
export interface RoomEvent {
  event_id: string;
  type: string;
  sender: string;
  room_id: string;
  state_key?: string;
  origin_server_ts?: number;
  content: Record<string, unknown>;
  unsigned?: Record<string, unknown>;
}
