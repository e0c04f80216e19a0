# The MQTT session over TLS, driven from the supervisor's loop: open() starts a connection without
# waiting for it, and every step() does one pass of work (send what waits, read what arrived, keep the
# deadlines) without ever waiting for the broker. Packets come from mqtt.py; topics, QoS and limits
# from the generated config.py. Every way the link fails is a LinkError with a cause code.
from micropython import const
import errno
import gc
import json
import random
import os
import select
import socket
import ssl
import sys
import machine
import config
import clock
import commands
import mqtt
from mqtt import LinkError
from lamps import MODES, EFFECT

# TCP connect, TLS handshake and CONNACK together. The handshake's RSA and ECDH steps take seconds on
# an RP2040, inside single write()/readinto() calls.
_CONNECT_MS = const(20000)
_SUBACK_MS = const(10000)
_FEEDER_PERIOD_MS = const(1000)
# A command is at most PAYLOAD_MAX_BYTES plus its topic; anything longer is not for the car.
_READ_BUFFER_BYTES = const(1024)
# What the socket has not taken yet; a broker that stops reading for this long is a dead link.
_BACKLOG_MAX_BYTES = const(2048)
_MAX_PACKETS_PER_STEP = const(8)
_RETRY_WRITE_MS = const(10)
# AWS IoT Core sends retained commands after SUBACK, late and in any order (developer guide, "MQTT
# retained messages"); lamps without one are announced once nothing retained came for this long.
_SETTLE_MS = const(2000)
_BACKOFF_FIRST_MS = const(1000)
_BACKOFF_MAX_MS = const(60000)
# A connection that lived this long was a real one: the next outage starts the backoff from 1 s again.
STABLE_MS = const(60000)

_CLOSED = const(0)
_HANDSHAKE = const(1)
_CONNACK_WAIT = const(2)
_SUBACK_WAIT = const(3)
_ONLINE = const(4)
_TIMEOUT_CAUSE = {_HANDSHAKE: "tls_timeout", _CONNACK_WAIT: "no_connack", _SUBACK_WAIT: "no_suback"}


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


# What socket, ssl and the packet reader raise when the link fails; anything else is a bug and crashes.
_LINK_FAILURES = (LinkError, OSError, ValueError, MemoryError)


def link_error(error):
    # What MicroPython's socket and ssl raise, as a LinkError (extmod/modtls_mbedtls.c): ValueError
    # with mbedTLS's verification text or "invalid cert/key", OSError(ENOMEM) when mbedTLS cannot
    # allocate, OSError with a negative mbedTLS code for other TLS failures, errno for the socket.
    if isinstance(error, LinkError):
        return error
    if isinstance(error, ValueError):
        return LinkError("tls_rejected", str(error).strip().replace("\n", "; "))
    if isinstance(error, MemoryError):
        return LinkError("no_memory", "MemoryError")
    code = error.args[0] if error.args else 0
    if code == errno.ENOMEM:
        return LinkError("no_memory", "ENOMEM")
    if isinstance(code, int) and code < 0:
        return LinkError("tls_failed", "mbedTLS -0x%04x" % -code)
    return LinkError("socket_error", str(code))


def _json_str(value):
    return "null" if value is None else json.dumps(value)


def _detail(topic):
    # Topics come off the wire; keep the event small and valid text whatever bytes arrived.
    try:
        return topic[:80].decode()
    except Exception:
        return "<binary topic>"


class Link:
    def __init__(self, device):
        self._device = device
        self._lamps = device.lamps
        self._reader = mqtt.Reader(_READ_BUFFER_BYTES)
        self._poller = select.poll()
        self._sock = None
        self._state = _CLOSED
        self._out = b""
        self._packet_id = 0
        self._subacks_due = []
        # Packet id of each lamp's state report until its PUBACK: what a drop leaves here is sent again.
        self._unacked = [0] * len(config.LAMP_SET_TOPICS)
        self._parsed = [0, 0, None, None, 0, None, None]
        self._deadline = 0
        self._heard = 0
        self._pinged = 0
        self._reported = 0
        self._settled_at = 0
        self._feeder = None
        self._ip = ""
        # Each lamp's state is announced once per power-up; after that, only changes are.
        self._unannounced = True

    @property
    def online(self):
        return self._state == _ONLINE

    def poller(self):
        # What the supervisor waits on between steps: it wakes when the broker's socket is readable.
        return self._poller if self._sock is not None else None

    def open(self, ip):
        # Starts a connection: DNS, a non-blocking TCP connect, TLS set up to shake hands as step()
        # writes CONNECT. Raises LinkError.
        self.close()
        # The handshake needs tens of KB in one piece; free what earlier sessions left behind first.
        gc.collect()
        self._ip = ip
        try:
            # A fresh lookup on every attempt finds a broker address that moved during an outage.
            address = socket.getaddrinfo(config.MQTT_HOST, config.MQTT_PORT)[0][-1]
        except OSError as error:
            raise LinkError("dns_failed", str(error.args[0] if error.args else error))
        try:
            self._connect_tls(address)
        except _LINK_FAILURES as error:
            raise link_error(error)

    def _connect_tls(self, address):
        raw = socket.socket()
        self._sock = raw
        raw.setblocking(False)
        # Each packet is one write; without this the Pico W's lwIP holds small segments for the
        # previous ACK (Nagle), and delayed ACKs on the broker side add ~40 ms per report.
        if hasattr(socket, "TCP_NODELAY"):
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            raw.connect(address)
        except OSError as error:
            if error.args[0] != errno.EINPROGRESS:
                raise
        tls = tls_context().wrap_socket(raw, server_hostname=config.MQTT_HOST, do_handshake_on_connect=False)
        self._sock = tls
        self._poller.register(tls, select.POLLIN)
        self._reader.clear()
        self._out = b""
        self._subacks_due = []
        self._state = _HANDSHAKE
        self._deadline = clock.ticks_add(clock.ticks_ms(), _CONNECT_MS)
        self._start_feeder()
        self._send(mqtt.connect(config.CAR_ID, config.KEEPALIVE_S, config.TOPIC_STATUS, config.STATUS_WILL, config.QOS_STATUS, True))

    def close(self):
        # Safe to call twice, and on an attempt that never got far.
        self._stop_feeder()
        sock, self._sock = self._sock, None
        self._state = _CLOSED
        self._out = b""
        if sock is None:
            return
        try:
            self._poller.unregister(sock)
        except Exception:
            pass
        try:
            sock.close()
        except OSError:
            pass

    def _start_feeder(self):
        # Carries the watchdog through the CPU-bound handshake, but only until the connect deadline:
        # a handshake that truly hangs still ends in a watchdog reset. A hard timer runs even while
        # mbedTLS computes in C, where soft callbacks would wait (rp2 machine.Timer, hard=True);
        # the callback allocates nothing, as a hard interrupt requires.
        wdt = self._device.wdt
        deadline = self._deadline

        def feed(timer):
            if clock.ticks_diff(deadline, clock.ticks_ms()) > 0:
                wdt.feed()

        self._feeder = machine.Timer(mode=machine.Timer.PERIODIC, period=_FEEDER_PERIOD_MS, callback=feed, hard=True)

    def _stop_feeder(self):
        feeder, self._feeder = self._feeder, None
        if feeder is not None:
            feeder.deinit()

    def _next_packet_id(self):
        self._packet_id = self._packet_id % 65535 + 1
        return self._packet_id

    def _send(self, packet):
        # One write per packet; what the socket did not take waits in _out, in order.
        if self._out:
            if len(self._out) + len(packet) > _BACKLOG_MAX_BYTES:
                raise LinkError("send_stalled", "%d bytes waiting" % len(self._out))
            self._out += packet
            return
        written = self._sock.write(packet) or 0
        if written < len(packet):
            self._out = bytes(packet[written:])

    def _flush(self):
        if self._out:
            written = self._sock.write(self._out) or 0
            if written:
                self._out = self._out[written:]

    def step(self):
        # One pass of the connection's work; never waits for the broker. Raises LinkError.
        try:
            self._flush()
            if self._state == _HANDSHAKE:
                self._device.note_heap()
                if not self._out:
                    # CONNECT went out, so the handshake is over: the feeder's job is done.
                    self._stop_feeder()
                    self._state = _CONNACK_WAIT
            self._receive()
            self._keep_time()
        except _LINK_FAILURES as error:
            raise link_error(error)

    def _receive(self):
        reader = self._reader
        handled = 0
        while handled < _MAX_PACKETS_PER_STEP and self._sock is not None:
            packet = reader.next()
            if packet is None:
                try:
                    if not reader.fill(self._sock):
                        return
                except LinkError as error:
                    if error.args[0] == "closed_by_broker" and self._state <= _CONNACK_WAIT:
                        # What AWS IoT Core does with a connect its policy denies.
                        raise LinkError("no_connack", "closed before CONNACK")
                    raise
                continue
            handled += 1
            self._heard = clock.ticks_ms()
            self._handle(packet[0], packet[1])
        if handled:
            self._device.note_heap()

    def _handle(self, first, body):
        kind = first & 0xF0
        state = self._state
        if kind == mqtt.PUBLISH and state >= _SUBACK_WAIT:
            self._on_publish(first, body)
        elif kind == mqtt.PUBACK and state >= _SUBACK_WAIT:
            self._on_puback(mqtt.packet_id_of(body))
        elif kind == mqtt.PINGRESP and state == _ONLINE:
            pass
        elif kind == mqtt.SUBACK and state == _SUBACK_WAIT:
            self._on_suback(body)
        elif kind == mqtt.CONNACK and state == _CONNACK_WAIT:
            self._on_connack(body)
        else:
            raise LinkError("unexpected_packet", "type %d in state %d" % (first >> 4, state))

    def _on_connack(self, body):
        if len(body) != 2:
            raise LinkError("malformed_packet", "CONNACK of %d bytes" % len(body))
        if body[1]:
            raise LinkError("connack_%d" % body[1])
        self._state = _SUBACK_WAIT
        self._deadline = clock.ticks_add(clock.ticks_ms(), _SUBACK_MS)
        # Exact topics, never lamps/+/set: AWS IoT Core delivers a retained message on subscription
        # only to a filter equal to its topic, and takes at most SUBSCRIBE_FILTERS_MAX per SUBSCRIBE.
        topics = config.LAMP_SET_TOPICS + config.OTA_TOPICS[1:]
        batch = config.SUBSCRIBE_FILTERS_MAX
        for start in range(0, len(topics), batch):
            packet_id = self._next_packet_id()
            self._subacks_due.append(packet_id)
            self._send(mqtt.subscribe(packet_id, topics[start : start + batch], config.QOS_LAMP_SET))

    def _on_suback(self, body):
        packet_id = mqtt.packet_id_of(body)
        if packet_id not in self._subacks_due:
            raise LinkError("unexpected_packet", "SUBACK for %d" % packet_id)
        for code in body[2:]:
            if code == mqtt.SUBACK_FAILURE:
                raise LinkError("subscribe_refused")
        self._subacks_due.remove(packet_id)
        if not self._subacks_due:
            self._go_online()

    def _go_online(self):
        self._state = _ONLINE
        now = clock.ticks_ms()
        self._pinged = now
        self._reported = now
        self._settled_at = clock.ticks_add(now, _SETTLE_MS)
        online = '{"online":true,"fw":"%s","ip":"%s"}' % (config.FIRMWARE_VERSION, self._ip)
        self._send(mqtt.publish(config.TOPIC_STATUS, online, config.QOS_STATUS, True, self._next_packet_id()))
        # Reports the last connection sent but never saw acknowledged go out again.
        for lamp in range(len(self._unacked)):
            if self._unacked[lamp]:
                self._report(lamp)
        self._to_updates(None, None)

    def _on_publish(self, first, body):
        topic, payload, packet_id, retained = mqtt.parse_publish(first, body)
        if topic.startswith(b"$aws/"):
            # AWS IoT's reserved topics are the job queue and the update's stream.
            self._to_updates(topic, payload)
            lamp = -1
        else:
            lamp = self._apply(topic, payload, retained)
        if retained and self._unannounced:
            self._settled_at = clock.ticks_add(clock.ticks_ms(), _SETTLE_MS)
        if lamp >= 0:
            self._report(lamp)
        if packet_id:
            # Acknowledged once applied and reported: a drop before this gets the command again.
            self._send(mqtt.puback(packet_id))

    def _apply(self, topic, payload, retained):
        # Applies a command; returns its lamp, or -1 when it was refused or ignored.
        parsed = self._parsed
        try:
            problem = commands.parse(topic, payload, parsed)
        except Exception as error:
            problem = "handler_error"
            print("command handler:", repr(error))
        if problem is not None:
            self._device.report("warn", problem, _detail(topic))
            return -1
        if config.POWER_ON == "off" and parsed[4] < self._device.booted_epoch_ms:
            # Retained from before this power-up; with powerOn "off" the car starts dark.
            self._device.report("info", "stale_command_ignored", _detail(topic))
            return -1
        if parsed[1] == EFFECT:
            if retained:
                # An effect is for the moment it is sent, never for the next power-up.
                self._device.report("info", "stale_effect_ignored", _detail(topic))
                return -1
            self._lamps.play(parsed[0], parsed[6], parsed[2], parsed[3])
        else:
            self._lamps.apply(parsed[0], parsed[1], parsed[2], parsed[3], parsed[5])
        return parsed[0]

    def _to_updates(self, topic, payload):
        # Hands the update module a message (with no topic: the news that the car is online). It is
        # loaded only while there is an update to handle, and what the network sends through it never
        # crashes the car nor takes the link down.
        try:
            # updater.py is in sys.modules only while there is an update to handle (no attribute of its own
            # here: every name the firmware adds stays in RAM).
            updater = sys.modules.get("updater")
            if updater is None:
                try:
                    os.stat("ota/journal.json")
                except OSError:
                    # No update under way: asking the job queue is one publish, and an answer without an
                    # execution means nothing is pending.
                    if topic is None:
                        self.publish(config.OTA_TOPICS[0], '{"includeJobDocument":true}')
                    if topic is None or b'"execution"' not in payload:
                        return
                import updater
            if not updater.handle(self._device, topic, payload):
                sys.modules.pop("updater", None)
        except LinkError:
            raise
        except Exception as error:
            print("update handler:", repr(error))
            self._device.report("warn", "handler_error", repr(error)[:120])

    def publish(self, topic, payload):
        # QoS 0, for the job and stream requests: each has its own timeout and retry.
        try:
            self._send(mqtt.publish(topic, payload, 0, False))
        except _LINK_FAILURES as error:
            raise link_error(error)

    def _on_puback(self, packet_id):
        unacked = self._unacked
        for lamp in range(len(unacked)):
            if unacked[lamp] == packet_id:
                unacked[lamp] = 0

    def _report(self, lamp):
        # The lamp's state now, retained, QoS 1; kept as unacknowledged until its PUBACK.
        lamps = self._lamps
        lamps.dirty[lamp] = False
        # A servo-carried lamp says where its pod is; a lamp playing an effect says which, with its id.
        pod = lamps.pod[lamp]
        playing = lamps.playing[lamp]
        extra = "" if pod is None else ',"pod":"%s"' % pod
        if playing is not None:
            extra += ',"effect":"%s"' % playing
        payload = '{"mode":"%s","brightness":%d,"id":%s,"ts":%d%s}' % (
            MODES[lamps.mode[lamp]],
            lamps.brightness[lamp],
            _json_str(lamps.command_id[lamp] if playing is None else lamps.play_id[lamp]),
            clock.epoch_s() * 1000,
            extra,
        )
        packet_id = self._next_packet_id()
        self._unacked[lamp] = packet_id
        self._send(mqtt.publish(config.LAMP_STATE_TOPICS[lamp], payload, config.QOS_LAMP_STATE, True, packet_id))

    def idle_ms(self):
        # How long the supervisor may wait for the broker before the link's next timer is due.
        now = clock.ticks_ms()
        if self._state != _ONLINE:
            return max(0, clock.ticks_diff(self._deadline, now))
        if self._out:
            # The socket took only part of a packet: try again soon.
            return _RETRY_WRITE_MS
        keepalive_ms = config.KEEPALIVE_S * 1000
        due = min(
            keepalive_ms - clock.ticks_diff(now, self._heard),
            keepalive_ms // 2 - clock.ticks_diff(now, self._pinged),
            config.TELEMETRY_INTERVAL_S * 1000 - clock.ticks_diff(now, self._reported),
        )
        if self._unannounced:
            due = min(due, clock.ticks_diff(self._settled_at, now))
        updater = sys.modules.get("updater")
        if updater is not None:
            # ms until the update's next timer, as its last step said.
            due = min(due, updater.due)
        return max(0, due)

    def _keep_time(self):
        now = clock.ticks_ms()
        if self._state != _ONLINE:
            if clock.ticks_diff(now, self._deadline) >= 0:
                raise LinkError(_TIMEOUT_CAUSE[self._state])
            return
        updater = sys.modules.get("updater")
        if updater is not None and updater.step() < 0:
            # A verified update is staged: the boot step swaps it in after the reset.
            raise LinkError("update_staged")
        keepalive_ms = config.KEEPALIVE_S * 1000
        # Any packet counts as a sign of life; the pings at half the keepalive make sure one comes.
        silent = clock.ticks_diff(now, self._heard)
        if silent >= keepalive_ms:
            raise LinkError("dead_link", "nothing from the broker for %d s" % (silent // 1000))
        if clock.ticks_diff(now, self._pinged) >= keepalive_ms // 2:
            self._send(mqtt.PINGREQ_PACKET)
            self._pinged = now
        if self._unannounced and clock.ticks_diff(now, self._settled_at) >= 0:
            # No lamp is announced "off" while a retained command for it may still be on its way.
            self._unannounced = False
            self._lamps.mark_unset_dirty()
            for lamp in range(len(self._lamps.dirty)):
                if self._lamps.dirty[lamp]:
                    self._report(lamp)
        # A lamp that changed with no command (its pod arrived, its effect ended) is reported as it changes;
        # one no command has set waits for its first announcement above.
        lamps = self._lamps
        for lamp in range(len(lamps.dirty)):
            if lamps.dirty[lamp] and (lamps.command_id[lamp] is not None or not self._unannounced):
                self._report(lamp)
        if clock.ticks_diff(now, self._reported) >= config.TELEMETRY_INTERVAL_S * 1000:
            self._reported = now
            self.publish_telemetry()

    def publish_event(self, level, code, detail):
        payload = '{"level":"%s","code":"%s","detail":%s}' % (level, code, json.dumps(detail))
        try:
            self._send(mqtt.publish(config.TOPIC_EVENTS, payload, config.QOS_EVENTS, False))
        except _LINK_FAILURES as error:
            raise link_error(error)

    def publish_telemetry(self):
        device = self._device
        # After a collection, mem_free() is what the car could still allocate, not a count of garbage.
        gc.collect()
        payload = '{"uptime_s":%d,"heap_free":%d,"heap_min_free":%d,"rssi":%d,"reconnects":%d,"fw":"%s"}' % (
            clock.ticks_diff(clock.ticks_ms(), device.started) // 1000,
            gc.mem_free(),
            device.heap_min_free,
            device.wifi.rssi(),
            device.reconnects,
            config.FIRMWARE_VERSION,
        )
        self._send(mqtt.publish(config.TOPIC_TELEMETRY, payload, config.QOS_TELEMETRY, False))

    def disconnect(self):
        # A clean goodbye: the broker then drops the will instead of publishing "offline".
        if self._state == _ONLINE:
            try:
                self._sock.write(mqtt.DISCONNECT_PACKET)
            except OSError:
                pass
        self.close()
