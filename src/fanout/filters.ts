/**
 * Filtered subscriptions (`subscribe:intents`, docs/socket-io.md): a filter names some of `user`,
 * `solver`, `fromChain`, `toChain`; an intent matches when every given field is equal. Each
 * distinct filter is one room (`filter:<canonical key>`), so sockets with the same filter share
 * one broadcast. `FilterIndex` finds the rooms of the filters an intent matches without scanning
 * every filter: candidates come from one map per field, then each is checked whole. Pure.
 */
import { FILTER_ROOM_PREFIX, type IntentFilter } from '../contract/socket.js';
import type { FilterFields } from './emissions.js';

export const FILTER_FIELDS = ['user', 'solver', 'fromChain', 'toChain'] as const;
type Field = (typeof FILTER_FIELDS)[number];

/** The same filter always gives the same key, whatever the order of its fields. */
export function filterKey(f: IntentFilter): string {
  const parts: (string | number)[] = [];
  for (const field of FILTER_FIELDS) {
    const v = f[field];
    if (v !== undefined) parts.push(field, v);
  }
  return JSON.stringify(parts);
}

export const filterRoom = (f: IntentFilter): string => FILTER_ROOM_PREFIX + filterKey(f);

export function matchesFilter(f: IntentFilter, p: FilterFields): boolean {
  for (const field of FILTER_FIELDS) {
    const v = f[field];
    if (v !== undefined && p[field] !== v) return false;
  }
  return true;
}

interface Indexed {
  readonly filter: IntentFilter;
  readonly room: string;
  /** subscriptions using it */
  refs: number;
}

export class FilterIndex {
  private readonly byRoom = new Map<string, Indexed>();
  /** field → value → rooms of the filters that name that value */
  private readonly byField = new Map<Field, Map<string | number, Set<string>>>(FILTER_FIELDS.map((f) => [f, new Map()]));

  /** Adds one subscription of the filter; returns its room. */
  add(filter: IntentFilter): string {
    const room = filterRoom(filter);
    const existing = this.byRoom.get(room);
    if (existing !== undefined) {
      existing.refs++;
      return room;
    }
    this.byRoom.set(room, { filter, room, refs: 1 });
    const field = this.anchor(filter);
    const values = this.byField.get(field)!;
    const key = filter[field]!;
    let rooms = values.get(key);
    if (rooms === undefined) values.set(key, (rooms = new Set()));
    rooms.add(room);
    return room;
  }

  /** Drops one subscription of the filter (the room goes when none is left). */
  remove(filter: IntentFilter): void {
    const room = filterRoom(filter);
    const existing = this.byRoom.get(room);
    if (existing === undefined || --existing.refs > 0) return;
    this.byRoom.delete(room);
    const field = this.anchor(filter);
    const values = this.byField.get(field)!;
    const key = filter[field]!;
    const rooms = values.get(key);
    rooms?.delete(room);
    if (rooms?.size === 0) values.delete(key);
  }

  /** Rooms of the filters `p` matches. */
  roomsFor(p: FilterFields): string[] {
    const out: string[] = [];
    if (this.byRoom.size === 0) return out;
    for (const field of FILTER_FIELDS) {
      const v = p[field];
      if (v === null) continue;
      const rooms = this.byField.get(field)!.get(v);
      if (rooms === undefined) continue;
      for (const room of rooms) if (matchesFilter(this.byRoom.get(room)!.filter, p)) out.push(room);
    }
    return out;
  }

  /** Distinct filters in use. */
  get size(): number {
    return this.byRoom.size;
  }

  /** Each filter is indexed under its first given field (every match has that value). */
  private anchor(f: IntentFilter): Field {
    for (const field of FILTER_FIELDS) if (f[field] !== undefined) return field;
    throw new Error('a filter needs at least one field');
  }
}
