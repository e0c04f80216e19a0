/**
 * The virtual Pico W: the real firmware files under the MicroPython WebAssembly interpreter with fake
 * hardware. Seams for other users (the local twin): PicoClock (virtual or real time), MqttBackend (the
 * wire under umqtt.simple), VirtualNetwork (AP, DNS, NTP) and PinBank (pin levels, PWM duty, changes).
 */
export * from './clock';
export * from './mqtt-backend';
export * from './network';
export * from './pins';
export * from './scripted-broker';
export * from './virtual-pico';
