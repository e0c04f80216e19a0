import { defineConfig } from './lib/config';

// Every field is explained in README.md ("Config reference"). `npx plamo check` validates this file.
// The Wi-Fi password is not kept here: it comes from PLAMO_WIFI_PASSWORD or a gitignored .env file.
export default defineConfig({
  cars: {
    rps13: {
      name: 'Nissan 180SX (RPS13) 1/24',
      wifi: { ssid: 'garage-2g', country: 'JP' },
      powerOn: 'restore',
      blinkPerMin: 85,
      certificate: { generation: 1 },
      lamps: {
        // Pop-up headlights: white 3 mm LEDs, dimmable (the wiring table in README gives the resistors).
        headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10, colour: 'white' },
        turnLeft: { pin: 'GP3', kind: 'blinker', currentMa: 6, colour: 'amber' },
        turnRight: { pin: 'GP4', kind: 'blinker', currentMa: 6, colour: 'amber' },
        // Brake/tail: glows at 20 % as a tail lamp, full when braking.
        brake: { pin: 'GP5', kind: 'pwm', currentMa: 8, tailLevel: 20, colour: 'red' },
      },
      // The pods rise on an SG90 micro servo before the headlights light, and fall once they are off. GP6 is on
      // PWM slice 3, which no dimmed lamp uses (a slice runs at one frequency; the servo needs 50 Hz).
      servos: {
        pods: { pin: 'GP6', carries: ['headlights'], upUs: 2000, downUs: 1000, travelMs: 500 },
      },
      groups: {
        hazard: ['turnLeft', 'turnRight'],
      },
      // Played from the phone page or POST /api/cars/rps13/effects/welcome: hazard twice, then the headlights
      // rise and glow before the car goes back to how it was. The passing flash (`flash`) is built in.
      effects: {
        welcome: [
          { ms: 250, lamps: { hazard: 'on' } },
          { ms: 250, lamps: { hazard: 'off' } },
          { ms: 250, lamps: { hazard: 'on' } },
          { ms: 250, lamps: { hazard: 'off' } },
          { ms: 1500, lamps: { headlights: { mode: 'on', brightness: 60 }, brake: { mode: 'on', brightness: 20 } } },
        ],
      },
      scenes: {
        // The headlights fade in over 0.8 s once their pods are up.
        night: { headlights: { mode: 'on', transitionMs: 800 }, brake: { mode: 'on', brightness: 20 } },
        parked: { headlights: 'off', hazard: 'blink', brake: 'off' },
      },
    },
  },
});
