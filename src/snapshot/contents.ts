/**
 * What a snapshot of a store holds (the header's description of it, and the encoded image), taken
 * at one consistent moment: the one place that reads a store into a snapshot, for the service's
 * snapshotter (snapshotter.ts) and the `snapshot` command (src/commands/snapshot.ts).
 */
import type { ProjectionStore } from '../reduce/store.js';
import { REDUCER_VERSION } from '../reduce/version.js';
import { encodeImage } from './codec.js';
import type { InputTopics, PartitionPosition, SnapshotMeta } from './envelope.js';

export interface SnapshotContents {
  readonly meta: Omit<SnapshotMeta, 'id' | 'createdAt'>;
  readonly image: Uint8Array;
}

export function snapshotContents(store: ProjectionStore, topics: InputTopics, positions: readonly PartitionPosition[]): SnapshotContents {
  return {
    image: encodeImage(store.exportRecords()),
    meta: {
      reducer: REDUCER_VERSION,
      topics,
      positions,
      intents: store.size,
      tombstones: store.tombstones,
      eventsApplied: store.eventsApplied,
      stats: store.stats(),
    },
  };
}
