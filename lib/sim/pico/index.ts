/**
 * The virtual Pico W: the real firmware files under the MicroPython WebAssembly interpreter with fake
 * hardware. Seams for other users (the local twin): PicoClock (virtual or real time), Wire (where the
 * board's TLS sockets lead), VirtualNetwork (AP, DNS, NTP) and PinBank (pin levels, PWM duty, changes).
 *
 * ```ts
 * const clock = new VirtualClock();            // or new RealClock()
 * const broker = new ScriptedBroker(clock);    // or new TlsWire() to a real broker
 * const files = new Map([...renderFirmwareFiles(config, 'rps13', { mqttHost }), ...certificateFiles]);
 * const pico = await VirtualPico.create({ files, clock, wire: broker });
 * pico.pins.onChange(({ pin, state }) => draw(pin, state.duty));
 * pico.start();
 * await clock.runFor(10_000);                  // virtual clock only: ten device seconds, then parked
 * ```
 */
export * from './clock';
export * from './heap';
export * from './message-mix';
export * from './network';
export * from './pins';
export * from './scripted-broker';
export * from './sockets';
export * from './virtual-pico';
export * from './wire';
