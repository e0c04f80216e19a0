# Lamp commands from `{root}/{car}/lamps/{lamp}/set`, checked field by field against MQTT contract v1.
#
# Nothing here raises on bad input: parse() returns the reason as a short code that the supervisor
# reports on `events`. The result goes into a list the caller owns, so a good command allocates no
# more than json.loads() itself does.
import json
import config
from lamps import MODES

_FIELDS = ("mode", "brightness", "transitionMs", "id", "ts")


def lamp_of(topic):
    # Index of the lamp a `set` topic addresses, -1 for an unknown lamp, -2 for any other topic.
    topics = config.LAMP_SET_TOPICS
    for lamp in range(len(topics)):
        if topic == topics[lamp]:
            return lamp
    if topic.startswith(config.LAMP_TOPIC_PREFIX) and topic.endswith(config.LAMP_SET_SUFFIX):
        return -1
    return -2


def _is_int(value):
    # JSON true/false arrive as bool, which Python counts as int; the contract does not.
    return type(value) is int


def parse(topic, msg, out):
    # Fills out = [lamp, mode, brightness or None, id, ts, transition ms or None]; returns None, or why the
    # command is refused.
    lamp = lamp_of(topic)
    if lamp == -2:
        return "unexpected_topic"
    if lamp == -1:
        return "unknown_lamp"
    if len(msg) > config.PAYLOAD_MAX_BYTES:
        return "payload_too_large"
    try:
        doc = json.loads(msg)
    except Exception:
        return "invalid_json"
    if type(doc) is not dict:
        return "not_an_object"
    for key in doc:
        if key not in _FIELDS:
            return "unknown_field"
    mode = doc.get("mode")
    if type(mode) is not str or mode not in MODES:
        return "bad_mode"
    brightness = None
    if "brightness" in doc:
        brightness = doc["brightness"]
        if not _is_int(brightness) or not 0 <= brightness <= 100:
            return "bad_brightness"
    transition = None
    if "transitionMs" in doc:
        transition = doc["transitionMs"]
        if not _is_int(transition) or not 0 <= transition <= config.TRANSITION_MAX_MS:
            return "bad_transition"
    command_id = doc.get("id")
    if type(command_id) is not str or not 0 < len(command_id) <= config.COMMAND_ID_MAX_LENGTH:
        return "bad_id"
    ts = doc.get("ts")
    if not _is_int(ts) or ts < 0:
        return "bad_ts"
    out[0] = lamp
    out[1] = MODES.index(mode)
    out[2] = brightness
    out[3] = command_id
    out[4] = ts
    out[5] = transition
    return None
