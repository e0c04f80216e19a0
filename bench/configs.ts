import { type CarConfig, type PlamoConfig, parseConfig } from '../lib/config';
import { LAMP_TRAITS } from '../lib/config/lamp-traits';

/** `count` copies of the config's first car, as car01, car02, …: validated like any user's config. */
export function configWithCars(config: PlamoConfig, count: number): PlamoConfig {
  const [template] = Object.values(config.cars);
  const width = String(count).length;
  const cars = Object.fromEntries(Array.from({ length: count }, (_, i) => [`car${String(i + 1).padStart(width, '0')}`, template]));
  return parseConfig({ ...config, cars });
}

/**
 * The lamp a latency bench switches: the first that answers a command at once. A lamp on a servo waits for its
 * pod's travel, a fading one for its fade, and a blinker's page switch blinks it in phase with the shared clock:
 * each of those delays is the car doing as told, not the latency being measured.
 */
export function promptLamp(car: CarConfig): string {
  const carried = new Set(Object.values(car.servos).flatMap((servo) => servo.carries));
  const lamp = Object.entries(car.lamps).find(
    ([name, lamp]) => !carried.has(name) && lamp.transitionMs === 0 && !LAMP_TRAITS[lamp.kind].blinksByDefault,
  );
  if (!lamp) throw new Error('the bench needs a lamp that switches at once: one not on a servo, without transitionMs, not a blinker');
  return lamp[0];
}
