using System.Buffers.Binary;

namespace Functional.WebRtc.Core.Stun;

/// <summary>TURN ChannelData framing (RFC 8656 section 12.4): channel number, length, application data.</summary>
public static class ChannelData
{
    public const ushort MinChannel = 0x4000;
    public const ushort MaxChannel = 0x4FFF;

    public static bool IsChannelData(ReadOnlySpan<byte> datagram) => datagram.Length >= 4 && datagram[0] >= 0x40 && datagram[0] <= 0x4F;

    /// <summary>Parses a ChannelData message; the data is <c>datagram.Slice(4, length)</c>. Padding after it is allowed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out ushort channel, out int length, out RtcError error)
    {
        channel = 0; length = 0; error = null!;
        if (datagram.Length < 4) { error = new RtcError.Syntax("ChannelData shorter than 4 bytes", 0, 0); return false; }
        channel = BinaryPrimitives.ReadUInt16BigEndian(datagram);
        length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if (channel < MinChannel || channel > MaxChannel) { error = new RtcError.Syntax($"channel number 0x{channel:x4} outside 0x4000-0x4FFF", 0, 0); return false; }
        if (length > datagram.Length - 4) { error = new RtcError.Syntax($"ChannelData length {length} runs past the datagram", 0, 2); return false; }
        return true;
    }

    /// <summary>Frames <paramref name="data"/> on <paramref name="channel"/>, padded to a multiple of 4 (required over TCP, harmless over UDP).</summary>
    public static byte[] Encode(ushort channel, ReadOnlySpan<byte> data, bool pad = false)
    {
        var total = 4 + (pad ? (data.Length + 3) & ~3 : data.Length);
        var buffer = new byte[total];
        BinaryPrimitives.WriteUInt16BigEndian(buffer, channel);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), (ushort)data.Length);
        data.CopyTo(buffer.AsSpan(4));
        return buffer;
    }
}
