"""The Internet checksum (RFC 1071) for the test scripts that build
packets by hand: import it from beside them (python puts a script's own
directory on sys.path)."""
import struct


def csum(data):
    """The one's complement of the one's complement sum of data's 16-bit
    words (an odd last byte padded with zero): what goes in the checksum
    field, and 0 over a packet whose checksum is right."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
