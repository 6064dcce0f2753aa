/**
 * Per-event values every subscriber of an event would otherwise compute again: its canonical key
 * and a change's serialized `data`. Kept in WeakMaps, so they live exactly as long as the event.
 */
import { canonicalKey, exactJson, type ChangeEvent } from '@distributary/core';

/** A change's `data` per event and subscription (same projection): serialized once ('' = the key-only delete). */
const serializedData = new WeakMap<ChangeEvent, Map<string, string>>();
const canonicalKeys = new WeakMap<ChangeEvent, string>();

/** The event's canonical key (table + key columns), computed once however many subscribers need it. */
export function keyOf(event: ChangeEvent): string {
  let key = canonicalKeys.get(event);
  if (key === undefined) canonicalKeys.set(event, (key = canonicalKey(event.table, event.key)));
  return key;
}

/** `value()` as exact JSON, serialized once per event and `projection` (a subscription's name, or ''). */
export function serialized(event: ChangeEvent, projection: string, value: () => unknown): string {
  let byProjection = serializedData.get(event);
  if (!byProjection) serializedData.set(event, (byProjection = new Map()));
  let text = byProjection.get(projection);
  if (text === undefined) byProjection.set(projection, (text = exactJson(value())));
  return text;
}
