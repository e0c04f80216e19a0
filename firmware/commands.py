# Lamp commands from `{root}/{car}/lamps/{lamp}/set`, checked field by field against MQTT contract v1:
# a state to take (mode, brightness, fade) or an effect to play (the flash, or a sequence of the config).
#
# Nothing here raises on bad input: parse() returns the reason as a short code that the supervisor
# reports on `events`. The result goes into a list the caller owns, so a good command allocates no
# more than json.loads() itself does.
import json
import config
from lamps import MODES, EFFECT

_FIELDS = ("mode", "brightness", "transitionMs", "id", "ts")
_EFFECT_FIELDS = ("effect", "durationMs", "id", "ts")


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


def _effect(doc, lamp, out):
    # An effect to play: out[1] = EFFECT, out[2] = the flash's ms (None for a sequence), out[6] = the
    # sequence's index in config.EFFECTS (-1 for the flash); returns None, or why it is refused.
    for key in doc:
        if key not in _EFFECT_FIELDS:
            return "unknown_field"
    name = doc["effect"]
    duration = doc.get("durationMs")
    if name == config.EFFECT_FLASH:
        if not _is_int(duration) or not 0 < duration <= config.TRANSITION_MAX_MS:
            return "bad_duration"
        out[6] = -1
    else:
        if duration is not None:
            return "bad_duration"
        effects = config.EFFECTS
        for effect in range(len(effects)):
            if effects[effect][0] == name:
                # Only a lamp the sequence moves can play it.
                for track in effects[effect][2]:
                    if track[0] == lamp:
                        out[6] = effect
                        break
                else:
                    return "not_in_effect"
                break
        else:
            return "unknown_effect"
    out[1] = EFFECT
    out[2] = duration
    return None


def _state(doc, out):
    # A state to take: out[1] = mode, out[2] = brightness or None, out[5] = transition ms or None.
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
    out[1] = MODES.index(mode)
    out[2] = brightness
    out[5] = transition
    return None


def parse(topic, msg, out):
    # Fills out = [lamp, mode or EFFECT, brightness or the flash's ms or None, id, ts, transition ms or
    # None, effect]; returns None, or why the command is refused.
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
    problem = _effect(doc, lamp, out) if type(doc.get("effect")) is str else _state(doc, out)
    if problem is not None:
        return problem
    command_id = doc.get("id")
    if type(command_id) is not str or not 0 < len(command_id) <= config.COMMAND_ID_MAX_LENGTH:
        return "bad_id"
    ts = doc.get("ts")
    if not _is_int(ts) or ts < 0:
        return "bad_ts"
    out[0] = lamp
    out[3] = command_id
    out[4] = ts
    return None
