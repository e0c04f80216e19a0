import type { Command } from 'commander';
import { type CarConfig, loadConfig, MAX_PIN_CURRENT_MA, MAX_TOTAL_GPIO_CURRENT_MA } from '../config';
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
