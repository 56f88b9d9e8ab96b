using System.Buffers.Binary;

namespace Functional.WebRtc.Core.Rtp;

/// <summary>
/// What a forwarding middlebox (an SFU, RFC 7667 3.7) rewrites in the fixed header of each RTP packet it sends on:
/// the SSRC of the outgoing stream, its negotiated payload type, and offsets that keep the outgoing sequence numbers
/// and timestamps continuous when the source behind the stream changes (a simulcast layer switch, a new publisher).
/// A value; <see cref="Apply"/> works in place on the packet and allocates nothing.
/// </summary>
/// <param name="Ssrc">The SSRC the outgoing packet carries.</param>
/// <param name="PayloadType">The payload type negotiated with the receiver for this codec (0..127).</param>
/// <param name="SequenceOffset">Added (mod 2^16) to the sequence number.</param>
/// <param name="TimestampOffset">Added (mod 2^32) to the RTP timestamp.</param>
public readonly record struct RtpRewrite(uint Ssrc, byte PayloadType, ushort SequenceOffset = 0, uint TimestampOffset = 0)
{
    /// <summary>
    /// Rewrites the fixed header of the RTP packet at the start of <paramref name="packet"/> (the marker bit, CSRCs,
    /// extensions and payload stay as they are). False, leaving it untouched, when it is shorter than 12 octets or
    /// not RTP version 2 (RFC 3550 5.1).
    /// </summary>
    public bool Apply(Span<byte> packet)
    {
        if (packet.Length < RtpPacketView.FixedHeaderSize || packet[0] >> 6 != 2) return false;
        packet[1] = (byte)((packet[1] & 0x80) | (PayloadType & 0x7F));
        var seq = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)(seq + SequenceOffset));
        var ts = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], unchecked(ts + TimestampOffset));
        BinaryPrimitives.WriteUInt32BigEndian(packet[8..], Ssrc);
        return true;
    }

    /// <summary>
    /// The offsets that make the next outgoing packet follow <paramref name="lastSequence"/>/<paramref name="lastTimestamp"/>
    /// (what went out last) when the incoming stream continues at <paramref name="nextSequence"/>/<paramref name="nextTimestamp"/>
    /// (a source switch): sequence lastSequence + 1, timestamp lastTimestamp + <paramref name="timestampGap"/>.
    /// </summary>
    public RtpRewrite ContinueFrom(ushort lastSequence, uint lastTimestamp, ushort nextSequence, uint nextTimestamp, uint timestampGap = 1) =>
        this with
        {
            SequenceOffset = (ushort)(lastSequence + 1 - nextSequence),
            TimestampOffset = unchecked(lastTimestamp + timestampGap - nextTimestamp),
        };
}
