import { type CarRecord, type CarStore, itemsPerRead, recordFromItems, type StoreItem, storeKeyOf } from '../api/car-store';

/**
 * The twin's car store: the broker hands it every message, as AWS IoT topic rules hand them to DynamoDB, and a
 * read returns what a descending Query with the same limit would. It counts reads, the calls AWS would bill.
 */
export class MemoryCarStore implements CarStore {
  private readonly items = new Map<string, Map<string, StoreItem>>();
  private readonly listeners = new Set<(carId: string) => void>();
  private sequence = 0;
  /** Reads per car since the start. */
  readonly reads = new Map<string, number>();

  constructor(private readonly topicRoot: string) {}

  /** Keeps a message if the store has a place for it, and tells the listeners which car changed. */
  ingest(topic: string, text: string, at: number = Date.now()): void {
    const key = storeKeyOf(this.topicRoot, topic, at, String(this.sequence++), text);
    if (!key) return;
    const carItems = this.items.get(key.car) ?? new Map<string, StoreItem>();
    this.items.set(key.car, carItems);
    carItems.set(key.sortKey, { sortKey: key.sortKey, text, at });
    for (const listener of this.listeners) listener(key.car);
  }

  /** Calls the listener with the car's id after every message kept; returns an unsubscribe. */
  onChange(listener: (carId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async readCar(carId: string, lampCount: number): Promise<CarRecord> {
    this.reads.set(carId, (this.reads.get(carId) ?? 0) + 1);
    const items = [...(this.items.get(carId)?.values() ?? [])]
      .sort((a, b) => (a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0))
      .slice(0, itemsPerRead(lampCount));
    return recordFromItems(items);
  }
}
