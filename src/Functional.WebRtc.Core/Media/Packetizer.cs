using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Core.Media;

/// <summary>An encoded frame (or audio sample) and how long it lasts.</summary>
public sealed record MediaSample(Bytes Data, TimeSpan Duration);

/// <summary>
/// The state of one outgoing RTP stream: SSRC, payload type, the next sequence number, and the timestamp clock.
/// Timestamps are derived from the total elapsed media time (no rounding drift): origin + elapsed × clock rate.
/// </summary>
public sealed record PacketizerState(
    uint Ssrc, byte PayloadType, IRtpPayloader Payloader, int Mtu,
    ushort NextSequenceNumber, uint TimestampOrigin, TimeSpan Elapsed)
{
    /// <summary>RTP header size the payload must leave room for (fixed header; extensions are added by later stages).</summary>
    public int HeaderReserve { get; init; } = RtpPacketView.FixedHeaderSize;
    public uint ClockRate => Payloader.ClockRate;
    public uint CurrentTimestamp => unchecked(TimestampOrigin + (uint)((UInt128)(ulong)Math.Max(0, Elapsed.Ticks) * ClockRate / (ulong)TimeSpan.TicksPerSecond));
}

/// <summary>Pure packetization: (state, sample) -> (state, RTP packets).</summary>
public static class Packetizer
{
    /// <summary>A new stream with a random initial sequence number and timestamp (RFC 3550 section 5.1).</summary>
    public static (PacketizerState State, Entropy Next) Create(uint ssrc, byte payloadType, IRtpPayloader payloader, int mtu, Entropy entropy)
    {
        var (r, next) = entropy.NextUInt64();
        return (new PacketizerState(ssrc, payloadType, payloader, mtu, (ushort)r, (uint)(r >> 32), TimeSpan.Zero), next);
    }

    public static Step<PacketizerState, RtpPacket> Packetize(PacketizerState state, MediaSample sample)
    {
        var (payloads, payloader) = state.Payloader.Payload(sample.Data.Span, state.Mtu - state.HeaderReserve);
        var ts = state.CurrentTimestamp;
        var seq = state.NextSequenceNumber;
        var packets = new RtpPacket[payloads.Count];
        uint offset = 0;
        for (var i = 0; i < packets.Length; i++)
        {
            var marker = state.Payloader.MarksFrameEnd && i == packets.Length - 1;
            packets[i] = RtpPacket.Create(state.PayloadType, unchecked((ushort)(seq + i)), unchecked(ts + offset), state.Ssrc, payloads[i], marker);
            offset += (uint)(payloads[i].Length * state.Payloader.TimestampUnitsPerByte);
        }
        var next = state with
        {
            Payloader = payloader,
            NextSequenceNumber = unchecked((ushort)(seq + packets.Length)),
            Elapsed = state.Elapsed + sample.Duration,
        };
        return new Step<PacketizerState, RtpPacket>(next, packets.ToSeq());
    }
}
