using System.Buffers.Binary;
using System.Text;

namespace Functional.WebRtc.Core.Rtp;

/// <summary>The URIs of the header extensions we know (as they appear in a=extmap).</summary>
public static class RtpExtensionUris
{
    public const string Mid = "urn:ietf:params:rtp-hdrext:sdes:mid";
    public const string RtpStreamId = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    public const string RepairedRtpStreamId = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
    public const string AbsSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    public const string TransportWideCc = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    public const string AudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    public const string PlayoutDelay = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
}

/// <summary>ssrc-audio-level (RFC 6464 section 3): V flag and the level in -dBov (0..127).</summary>
public readonly record struct AudioLevel(bool VoiceActivity, byte Level)
{
    public byte ToByte() => (byte)((VoiceActivity ? 0x80 : 0) | (Level & 0x7F));
    public static AudioLevel FromByte(byte b) => new((b & 0x80) != 0, (byte)(b & 0x7F));
}

/// <summary>playout-delay: minimum and maximum in units of 10 ms, 12 bits each.</summary>
public readonly record struct PlayoutDelay(ushort Min, ushort Max)
{
    public const int Size = 3;
    public TimeSpan MinDelay => TimeSpan.FromMilliseconds(10 * Min);
    public TimeSpan MaxDelay => TimeSpan.FromMilliseconds(10 * Max);
    public void Write(Span<byte> b)
    {
        var min = Min & 0xFFF;
        var max = Max & 0xFFF;
        b[0] = (byte)(min >> 4);
        b[1] = (byte)(((min & 0xF) << 4) | (max >> 8));
        b[2] = (byte)max;
    }
    public static bool TryRead(ReadOnlySpan<byte> b, out PlayoutDelay delay)
    {
        delay = default;
        if (b.Length < Size) return false;
        delay = new PlayoutDelay((ushort)((b[0] << 4) | (b[1] >> 4)), (ushort)(((b[1] & 0xF) << 8) | b[2]));
        return true;
    }
}

/// <summary>Readers and writers of the usual header-extension values, and typed getters on a view.</summary>
public static class RtpExtensions
{
    /// <summary>abs-send-time: 24-bit 6.18 fixed-point seconds.</summary>
    public static uint AbsSendTimeFrom(TimeSpan at) => (uint)(((UInt128)(ulong)at.Ticks << 18) / TimeSpan.TicksPerSecond) & 0xFFFFFF;
    public static TimeSpan AbsSendTimeToTimeSpan(uint value24) => TimeSpan.FromTicks((long)(value24 & 0xFFFFFF) * TimeSpan.TicksPerSecond >> 18);

    public static void WriteAbsSendTime(Span<byte> b, uint value24)
    {
        b[0] = (byte)(value24 >> 16);
        b[1] = (byte)(value24 >> 8);
        b[2] = (byte)value24;
    }
    public static bool TryReadAbsSendTime(ReadOnlySpan<byte> b, out uint value24)
    {
        value24 = b.Length >= 3 ? (uint)((b[0] << 16) | (b[1] << 8) | b[2]) : 0;
        return b.Length >= 3;
    }
    public static bool TryReadTransportSequenceNumber(ReadOnlySpan<byte> b, out ushort seq)
    {
        seq = b.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(b) : (ushort)0;
        return b.Length >= 2;
    }
    public static bool TryReadAudioLevel(ReadOnlySpan<byte> b, out AudioLevel level)
    {
        level = b.Length >= 1 ? AudioLevel.FromByte(b[0]) : default;
        return b.Length >= 1;
    }
    /// <summary>sdes:mid / rid / repaired rid: the value is the identifier's bytes (allocates the string).</summary>
    public static string ReadString(ReadOnlySpan<byte> b) => Encoding.ASCII.GetString(b);

    public static bool TryGetAbsSendTime(this RtpPacketView v, byte id, out uint value24)
    {
        value24 = 0;
        return v.TryGetExtension(id, out var b) && TryReadAbsSendTime(b, out value24);
    }
    public static bool TryGetTransportSequenceNumber(this RtpPacketView v, byte id, out ushort seq)
    {
        seq = 0;
        return v.TryGetExtension(id, out var b) && TryReadTransportSequenceNumber(b, out seq);
    }
    public static bool TryGetAudioLevel(this RtpPacketView v, byte id, out AudioLevel level)
    {
        level = default;
        return v.TryGetExtension(id, out var b) && TryReadAudioLevel(b, out level);
    }
    public static bool TryGetPlayoutDelay(this RtpPacketView v, byte id, out PlayoutDelay delay)
    {
        delay = default;
        return v.TryGetExtension(id, out var b) && PlayoutDelay.TryRead(b, out delay);
    }
    /// <summary>Reads sdes:mid, rtp-stream-id or repaired-rtp-stream-id.</summary>
    public static bool TryGetString(this RtpPacketView v, byte id, out string value)
    {
        value = "";
        if (!v.TryGetExtension(id, out var b)) return false;
        value = ReadString(b);
        return true;
    }
}
