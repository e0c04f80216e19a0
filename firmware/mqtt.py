# MQTT 3.1.1 packets (OASIS standard, sections 2 and 3), QoS 0 and 1 only: what the car sends, built
# as one bytes object per packet so each goes out in one socket write, and a reader that takes
# packets apart from a fixed buffer. Pure: no socket and no clock in here, so tests drive it directly.
#
# Lengths are counted in bytes of the encoded text, never in characters (len(str) is wrong for
# anything non-ASCII). Whatever the broker sends that is not a well-formed packet raises LinkError.
from micropython import const

CONNACK = const(0x20)
PUBLISH = const(0x30)
PUBACK = const(0x40)
SUBACK = const(0x90)
PINGRESP = const(0xD0)

PINGREQ_PACKET = b"\xc0\x00"
DISCONNECT_PACKET = b"\xe0\x00"
SUBACK_FAILURE = const(0x80)
# MQTT 3.1.1 section 2.2.3: at most four length bytes.
_LENGTH_BYTES_MAX = const(4)


class LinkError(Exception):
    # Every way the link to the broker fails, in one type: args[0] is a short cause code for the
    # events topic and the LED, args[1] (when present) the detail the real module gave.
    pass


def _as_bytes(value):
    return value.encode() if isinstance(value, str) else value


def _length_prefix(length):
    # The variable-length "remaining length" of section 2.2.3.
    out = bytearray()
    while True:
        digit = length & 0x7F
        length >>= 7
        out.append(digit | 0x80 if length else digit)
        if not length:
            return out


def _packet(first_byte, parts, size):
    # One buffer for the whole packet, filled part by part: a single write puts it on the wire.
    header = _length_prefix(size)
    out = bytearray(1 + len(header) + size)
    out[0] = first_byte
    at = 1 + len(header)
    out[1:at] = header
    for part in parts:
        out[at : at + len(part)] = part
        at += len(part)
    return out


def _u16(value):
    return bytes((value >> 8, value & 0xFF))


def connect(client_id, keepalive_s, will_topic, will_payload, will_qos, will_retain):
    # Clean session, with a last will; no user name or password (the certificate is the identity).
    client_id = _as_bytes(client_id)
    will_topic = _as_bytes(will_topic)
    will_payload = _as_bytes(will_payload)
    flags = 0x02 | 0x04 | (will_qos << 3) | (0x20 if will_retain else 0)
    parts = (
        b"\x00\x04MQTT\x04",
        bytes((flags, keepalive_s >> 8, keepalive_s & 0xFF)),
        _u16(len(client_id)),
        client_id,
        _u16(len(will_topic)),
        will_topic,
        _u16(len(will_payload)),
        will_payload,
    )
    return _packet(0x10, parts, sum(len(part) for part in parts))


def subscribe(packet_id, filters, qos):
    parts = [_u16(packet_id)]
    for topic_filter in filters:
        topic_filter = _as_bytes(topic_filter)
        parts.append(_u16(len(topic_filter)))
        parts.append(topic_filter)
        parts.append(bytes((qos,)))
    return _packet(0x82, parts, sum(len(part) for part in parts))


def publish(topic, payload, qos, retain, packet_id=0):
    topic = _as_bytes(topic)
    payload = _as_bytes(payload)
    first = PUBLISH | (qos << 1) | (1 if retain else 0)
    if qos:
        parts = (_u16(len(topic)), topic, _u16(packet_id), payload)
    else:
        parts = (_u16(len(topic)), topic, payload)
    return _packet(first, parts, sum(len(part) for part in parts))


def puback(packet_id):
    return b"\x40\x02" + _u16(packet_id)


def packet_id_of(body):
    # PUBACK and SUBACK start with the packet id they answer.
    if len(body) < 2:
        raise LinkError("malformed_packet", "no packet id")
    return (body[0] << 8) | body[1]


def parse_publish(first_byte, body):
    # (topic bytes, payload bytes, packet id or 0, retained) of a PUBLISH body.
    qos = (first_byte >> 1) & 0x03
    if qos > 1:
        # The car subscribes at QoS 1, so a broker must never send QoS 2 (AWS IoT has none).
        raise LinkError("malformed_packet", "QoS %d publish" % qos)
    if len(body) < 2:
        raise LinkError("malformed_packet", "publish without topic")
    topic_end = 2 + ((body[0] << 8) | body[1])
    payload_start = topic_end + (2 if qos else 0)
    if payload_start > len(body):
        raise LinkError("malformed_packet", "publish shorter than its topic")
    packet_id = ((body[topic_end] << 8) | body[topic_end + 1]) if qos else 0
    return bytes(body[2:topic_end]), bytes(body[payload_start:]), packet_id, first_byte & 0x01


class Reader:
    # Packets from the broker, one at a time, out of a buffer allocated once. A packet longer than
    # the buffer cannot be one the car expects (commands are at most PAYLOAD_MAX_BYTES): LinkError.

    def __init__(self, size):
        self._buf = bytearray(size)
        self._view = memoryview(self._buf)
        self._start = 0
        self._end = 0

    def clear(self):
        self._start = 0
        self._end = 0

    def fill(self, stream):
        # Reads what the stream has; False when nothing was waiting. The stream is non-blocking.
        if self._start:
            kept = self._end - self._start
            self._buf[0:kept] = self._view[self._start : self._end]
            self._start = 0
            self._end = kept
        if self._end == len(self._buf):
            raise LinkError("packet_too_large", "over %d bytes" % len(self._buf))
        count = stream.readinto(self._view[self._end :])
        if count is None:
            return False
        if count == 0:
            raise LinkError("closed_by_broker")
        self._end += count
        return True

    def next(self):
        # (first byte, body memoryview) of the next whole packet, or None until more bytes arrive.
        # The body is valid until the next call to fill().
        buf = self._buf
        at = self._start + 1
        length = 0
        shift = 0
        while True:
            if at >= self._end:
                return None
            digit = buf[at]
            length |= (digit & 0x7F) << shift
            at += 1
            if not digit & 0x80:
                break
            shift += 7
            if at - self._start > _LENGTH_BYTES_MAX:
                raise LinkError("malformed_packet", "remaining length over 4 bytes")
        if at - self._start + length > len(buf):
            raise LinkError("packet_too_large", "%d bytes" % length)
        if at + length > self._end:
            return None
        first = buf[self._start]
        self._start = at + length
        return first, self._view[at : at + length]
