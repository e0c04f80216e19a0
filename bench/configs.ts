import { type PlamoConfig, parseConfig } from '../lib/config';

/** `count` copies of the config's first car, as car01, car02, …: validated like any user's config. */
export function configWithCars(config: PlamoConfig, count: number): PlamoConfig {
  const [template] = Object.values(config.cars);
  const width = String(count).length;
  const cars = Object.fromEntries(Array.from({ length: count }, (_, i) => [`car${String(i + 1).padStart(width, '0')}`, template]));
  return parseConfig({ ...config, cars });
}
