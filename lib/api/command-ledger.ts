/**
 * Which lamps each recent command id was published to, so that a retry of a partly throttled command
 * publishes only the lamps that were left out. Bounded: the oldest ids are forgotten first. It lives in the
 * API's memory, so in AWS it is the warm function instance's (a retry that reaches another instance
 * publishes again; the car applies the same command twice to the same state).
 */
export class CommandLedger {
  private readonly published = new Map<string, Set<string>>();

  /** @param capacity how many command ids are remembered */
  constructor(private readonly capacity = 1_000) {}

  publishedLamps(car: string, id: string): ReadonlySet<string> {
    return this.published.get(`${car}/${id}`) ?? new Set();
  }

  record(car: string, id: string, lamp: string): void {
    const key = `${car}/${id}`;
    const lamps = this.published.get(key) ?? new Set<string>();
    lamps.add(lamp);
    this.published.delete(key);
    this.published.set(key, lamps);
    while (this.published.size > this.capacity) this.published.delete(this.published.keys().next().value as string);
  }
}
