namespace Functional.WebRtc.Core.Dtls;

/// <summary>What a datagram on the ICE-selected 5-tuple carries, by its first byte (RFC 7983 section 7).</summary>
public enum PacketKind : byte
{
    /// <summary>Not in any assigned range: drop it.</summary>
    Unknown,
    /// <summary>0..3: STUN.</summary>
    Stun,
    /// <summary>16..19: ZRTP.</summary>
    Zrtp,
    /// <summary>20..63: DTLS.</summary>
    Dtls,
    /// <summary>64..79: TURN ChannelData.</summary>
    TurnChannel,
    /// <summary>128..191: RTP or RTCP (tell them apart with <see cref="PacketDemux.IsRtcp"/>).</summary>
    RtpOrRtcp,
}

/// <summary>
/// The RFC 7983 first-byte demultiplexer (updating RFC 5764 section 5.1.2):
/// <code>
///        +----------------+
///        |        [0..3] -+--&gt; STUN
///        |      [16..19] -+--&gt; ZRTP
///        |      [20..63] -+--&gt; DTLS
///        |      [64..79] -+--&gt; TURN Channel
///        |    [128..191] -+--&gt; RTP/RTCP
///        +----------------+
/// </code>
/// </summary>
public static class PacketDemux
{
    public static PacketKind Classify(byte firstByte) => firstByte switch
    {
        <= 3 => PacketKind.Stun,
        >= 16 and <= 19 => PacketKind.Zrtp,
        >= 20 and <= 63 => PacketKind.Dtls,
        >= 64 and <= 79 => PacketKind.TurnChannel,
        >= 128 and <= 191 => PacketKind.RtpOrRtcp,
        _ => PacketKind.Unknown,
    };

    /// <summary>Classifies a whole datagram; an empty one is Unknown.</summary>
    public static PacketKind Classify(ReadOnlySpan<byte> datagram) => datagram.IsEmpty ? PacketKind.Unknown : Classify(datagram[0]);

    /// <summary>
    /// RTCP or RTP on a muxed port (RFC 5761 section 4): RTCP packet types 192..223 occupy the second byte
    /// (with the marker bit, RTP payload types 64..95 would collide, which is why RTP must avoid them).
    /// </summary>
    public static bool IsRtcpPacketType(byte secondByte) => secondByte is >= 192 and <= 223;

    /// <summary>True when an RTP/RTCP datagram is RTCP (needs at least two bytes).</summary>
    public static bool IsRtcp(ReadOnlySpan<byte> datagram) => datagram.Length >= 2 && IsRtcpPacketType(datagram[1]);
}
