# Virtual Pico W: the resolver part of `socket`. The MQTT traffic itself goes through the umqtt.simple
# look-alike to the host's MqttBackend.
import pico_host

AF_INET = 2
SOCK_STREAM = 1
SOCK_DGRAM = 2


def getaddrinfo(host, port, af=0, type=0, proto=0, flags=0):
    ip = pico_host.dns_resolve(host, port)
    if not ip:
        # lwIP's "host not found", as the Pico W reports it.
        raise OSError(-2)
    return [(AF_INET, SOCK_STREAM, 0, "", (ip, port))]
