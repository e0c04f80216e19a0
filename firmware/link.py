# The MQTT session over TLS: credentials, connect, subscribe, the non-blocking receive loop, and
# the payloads the car publishes. Topics, QoS and limits all come from the generated config.py.
from micropython import const
import gc
import json
import random
import ssl
import config
import clock
import commands
from lamps import MODES

# umqtt.simple 1.6 sets this as the socket timeout, so it bounds each step of connect() (TCP, TLS
# reads, CONNACK) rather than the whole. Nothing feeds the watchdog while connect() blocks: a broker
# slow at every step ends in a watchdog reset, which is the recovery for a connect that hangs.
_CONNECT_TIMEOUT_S = const(5)
POLL_MS = const(20)
_MAX_MESSAGES_PER_POLL = const(8)
_BACKOFF_FIRST_MS = const(1000)
_BACKOFF_MAX_MS = const(60000)
# A connection that lived this long was a real one: the next outage starts the backoff from 1 s again.
STABLE_MS = const(60000)


class Refused(Exception):
    # The broker answered but said no (CONNACK code, or umqtt too old to connect): retrying alone won't fix it.
    pass


def backoff_ms(attempt):
    # 1 s doubling to 60 s, plus up to a quarter more at random so a fleet does not reconnect in step.
    base = min(_BACKOFF_FIRST_MS << min(attempt, 6), _BACKOFF_MAX_MS)
    return base + random.getrandbits(16) % (base // 4 + 1)


def _read(name):
    with open(name, "rb") as file:
        return file.read()


def tls_context():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.verify_mode = ssl.CERT_REQUIRED
    # DER bytes straight from flash: no PEM parsing on the device (needs MicroPython >= 1.24).
    context.load_verify_locations(cadata=_read(config.CA_FILE))
    context.load_cert_chain(_read(config.CERT_FILE), _read(config.KEY_FILE))
    return context


def _json_str(value):
    return "null" if value is None else json.dumps(value)


class Link:
    def __init__(self, device):
        self._device = device
        self._lamps = device.lamps
        self.client = None
        self._parsed = [0, 0, None, None, 0]
        self._pinged = 0
        self._reported = 0
        # Each lamp's state is announced once per power-up; after that, only changes are.
        self._unannounced = True

    def _on_message(self, topic, msg):
        # Called from inside check_msg(): apply the command, leave publishing to the loop.
        parsed = self._parsed
        try:
            problem = commands.parse(topic, msg, parsed)
        except Exception as error:
            problem = "handler_error"
            print("command handler:", repr(error))
        if problem is not None:
            self._device.report("warn", problem, _detail(topic))
            return
        if config.POWER_ON == "off" and parsed[4] < self._device.booted_epoch_ms:
            # Retained from before this power-up; with powerOn "off" the car starts dark.
            self._device.report("info", "stale_command_ignored", _detail(topic))
            return
        self._lamps.apply(parsed[0], parsed[1], parsed[2], parsed[3])

    def connect(self, ip):
        # gc, TLS, MQTT CONNECT with a last will, subscribe, announce; raises OSError/Refused.
        # umqtt.simple's connect() resolves the host on every attempt, so an address that moved during an
        # outage is found; a lookup of our own first would double the unfed time when DNS is down.
        from umqtt.simple import MQTTClient, MQTTException

        self.close()
        # The handshake needs tens of KB in one piece; free what earlier sessions left behind first.
        gc.collect()
        client = MQTTClient(config.CAR_ID, config.MQTT_HOST, port=config.MQTT_PORT, keepalive=config.KEEPALIVE_S, ssl=tls_context())
        client.set_callback(self._on_message)
        client.set_last_will(config.TOPIC_STATUS, config.STATUS_WILL, retain=True, qos=config.QOS_STATUS)
        self._device.feed()
        # Kept before connecting so that close() also closes the socket of an attempt that failed.
        self.client = client
        try:
            client.connect(clean_session=True, timeout=_CONNECT_TIMEOUT_S)
        except TypeError as error:
            raise Refused("umqtt_too_old") from error
        except MQTTException as error:
            raise Refused("connack_%s" % error.args[0]) from error
        for topic in config.LAMP_SET_TOPICS:
            client.subscribe(topic, qos=config.QOS_LAMP_SET)
        online = '{"online":true,"fw":"%s","ip":"%s"}' % (config.FIRMWARE_VERSION, ip)
        client.publish(config.TOPIC_STATUS, online, retain=True, qos=config.QOS_STATUS)
        now = clock.ticks_ms()
        self._pinged = now
        self._reported = now

    def close(self):
        client, self.client = self.client, None
        if client is not None and client.sock is not None:
            try:
                client.sock.close()
            except OSError:
                pass

    def publish_event(self, level, code, detail):
        self.client.publish(config.TOPIC_EVENTS, '{"level":"%s","code":"%s","detail":%s}' % (level, code, json.dumps(detail)), qos=config.QOS_EVENTS)

    def publish_states(self):
        lamps = self._lamps
        for lamp in range(len(lamps.dirty)):
            if lamps.dirty[lamp]:
                lamps.dirty[lamp] = False
                payload = '{"mode":"%s","brightness":%d,"id":%s,"ts":%d}' % (
                    MODES[lamps.mode[lamp]],
                    lamps.brightness[lamp],
                    _json_str(lamps.command_id[lamp]),
                    clock.epoch_s() * 1000,
                )
                self.client.publish(config.LAMP_STATE_TOPICS[lamp], payload, retain=True, qos=config.QOS_LAMP_STATE)

    def publish_telemetry(self, device):
        free = device.sample_heap()
        payload = '{"uptime_s":%d,"heap_free":%d,"heap_min_free":%d,"rssi":%d,"reconnects":%d,"fw":"%s"}' % (
            clock.ticks_diff(clock.ticks_ms(), device.started) // 1000,
            free,
            device.heap_min_free,
            device.wifi.rssi(),
            device.reconnects,
            config.FIRMWARE_VERSION,
        )
        self.client.publish(config.TOPIC_TELEMETRY, payload, qos=config.QOS_TELEMETRY)

    def service(self):
        # One pass of the connected loop: receive, report, keep alive. Never blocks waiting for input.
        client = self.client
        handled = 0
        # check_msg() returns at once when nothing is waiting; wait_msg() would block the watchdog feed
        # and the blink engine until the broker speaks.
        while handled < _MAX_MESSAGES_PER_POLL and client.check_msg() is not None:
            handled += 1
            # Report each command before taking the next, so every applied id shows up on `state`.
            self.publish_states()
        if handled:
            # Handling messages is when the heap peaks; sampling only then keeps the loop cheap
            # (mem_free() walks the whole allocation table).
            self._device.sample_heap()
        elif self._unannounced:
            # The retained commands (powerOn "restore") came right after SUBACK and are applied by now;
            # report the lamps that got none, so no restored lamp is ever announced as "off" first.
            self._unannounced = False
            self._lamps.mark_unset_dirty()
            self.publish_states()
        now = clock.ticks_ms()
        # Ping at half the keepalive: the broker drops a client silent for 1.5 x keepalive.
        if clock.ticks_diff(now, self._pinged) >= config.KEEPALIVE_S * 500:
            client.ping()
            self._pinged = now
        if clock.ticks_diff(now, self._reported) >= config.TELEMETRY_INTERVAL_S * 1000:
            self._reported = now
            self.publish_telemetry(self._device)


def _detail(topic):
    # Topics come off the wire; keep the event small and valid text whatever bytes arrived.
    try:
        return topic[:80].decode()
    except Exception:
        return "<binary topic>"
