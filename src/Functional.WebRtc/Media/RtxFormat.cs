using System.Buffers.Binary;
using Functional.WebRtc.Core.Rtp;

namespace Functional.WebRtc.Media;

/// <summary>
/// The RTP retransmission payload format (RFC 4588 4): a retransmission travels on the repair SSRC with the RTX
/// payload type and its own sequence numbers; its payload is the original sequence number (OSN, 2 octets) followed by
/// the original payload. Header extensions and CSRCs are kept; padding is not.
/// </summary>
public static class RtxFormat
{
    /// <summary>Writes the RTX packet for <paramref name="original"/> into <paramref name="destination"/> (2 octets longer than the original at most); 0 when it is not RTP or does not fit.</summary>
    public static int Wrap(ReadOnlySpan<byte> original, Span<byte> destination, uint repairSsrc, byte rtxPayloadType, ushort rtxSequenceNumber)
    {
        if (!RtpPacketView.TryParse(original, out var view, out _)) return 0;
        var payload = view.Payload;
        var length = view.HeaderSize + 2 + payload.Length;
        if (destination.Length < length) return 0;
        original[..view.HeaderSize].CopyTo(destination);
        destination[0] &= 0xDF; // no padding (RFC 4588 4: the original padding is not carried)
        destination[1] = (byte)((destination[1] & 0x80) | (rtxPayloadType & 0x7F));
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], rtxSequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], repairSsrc);
        BinaryPrimitives.WriteUInt16BigEndian(destination[view.HeaderSize..], view.SequenceNumber);
        payload.CopyTo(destination[(view.HeaderSize + 2)..]);
        return length;
    }

    /// <summary>The original packet an RTX packet carries, or null for one with no OSN (padding-only bandwidth probes) or not RTP.</summary>
    public static byte[]? Unwrap(ReadOnlySpan<byte> rtx, uint primarySsrc, byte originalPayloadType)
    {
        if (!RtpPacketView.TryParse(rtx, out var view, out _) || view.Payload.Length < 2) return null;
        var payload = view.Payload;
        var original = new byte[view.HeaderSize + payload.Length - 2];
        rtx[..view.HeaderSize].CopyTo(original);
        original[0] &= 0xDF;
        original[1] = (byte)((original[1] & 0x80) | (originalPayloadType & 0x7F));
        BinaryPrimitives.WriteUInt16BigEndian(original.AsSpan(2), BinaryPrimitives.ReadUInt16BigEndian(payload));
        BinaryPrimitives.WriteUInt32BigEndian(original.AsSpan(8), primarySsrc);
        payload[2..].CopyTo(original.AsSpan(view.HeaderSize));
        return original;
    }
}
