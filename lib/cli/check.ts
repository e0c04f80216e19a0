import type { Command } from 'commander';
import { BUILTIN_EFFECTS, type CarConfig, loadConfig, MAX_PIN_CURRENT_MA, MAX_TOTAL_GPIO_CURRENT_MA, SERVO_PWM_HZ } from '../config';
import { COMMANDS } from './commands';
import { table } from './table';

/** The lamp table of one car, with the GPIO current budget. */
export function carReport(carId: string, car: CarConfig): string {
  const rows = Object.entries(car.lamps).map(([name, lamp]) => [
    name,
    lamp.pin,
    lamp.kind,
    `${lamp.currentMa} mA`,
    lamp.driver === 'gpio' ? 'GPIO' : 'transistor',
  ]);
  const gpioTotal = Object.values(car.lamps)
    .filter((lamp) => lamp.driver === 'gpio')
    .reduce((sum, lamp) => sum + lamp.currentMa, 0);
  const lines = [
    `${carId}${car.name ? ` — ${car.name}` : ''}`,
    table(['lamp', 'pin', 'kind', 'current', 'driven by'], rows),
    `GPIO current: ${gpioTotal} mA of ${MAX_TOTAL_GPIO_CURRENT_MA} mA (≤ ${MAX_PIN_CURRENT_MA} mA per pin)`,
  ];
  const groups = Object.entries(car.groups).map(([name, members]) => `${name} = ${members.join(' + ')}`);
  if (groups.length > 0) lines.push(`groups: ${groups.join('; ')}`);
  if (Object.keys(car.scenes).length > 0) lines.push(`scenes: ${Object.keys(car.scenes).join(', ')}`);
  // A servo's current comes from VBUS: it takes a pin, and nothing of the GPIO budget above.
  for (const [name, servo] of Object.entries(car.servos))
    lines.push(
      `servo ${name}: ${servo.pin} at ${SERVO_PWM_HZ} Hz, raises ${servo.carries.join(', ')} (${servo.downUs}–${servo.upUs} µs, ${servo.travelMs} ms), powered from VBUS`,
    );
  if (Object.keys(car.effects).length > 0) lines.push(`effects: ${[...BUILTIN_EFFECTS, ...Object.keys(car.effects)].join(', ')}`);
  return lines.join('\n');
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(COMMANDS.check.summary)
    .action(() => {
      const config = loadConfig(program.opts().config);
      const reports = Object.entries(config.cars).map(([carId, car]) => carReport(carId, car));
      console.log(`${reports.join('\n\n')}\n\n✓ ${program.opts().config} is valid`);
    });
}
