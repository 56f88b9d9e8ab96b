using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Media;

/// <summary>
/// What a receiver knows of one incoming RTP stream, for its reception report (RFC 3550 appendix A.1, A.3, A.8) and
/// for finding gaps to NACK (RFC 4585 6.2.1). A value: <see cref="Receive"/> and <see cref="Report"/> return the next one.
/// Times are monotonic (the shell's clock), never read here.
/// </summary>
public readonly record struct ReceiveStatistics(
    bool Started,
    ushort MaxSeq,
    uint Cycles,
    uint BaseSeq,
    long Received,
    long ExpectedPrior,
    long ReceivedPrior,
    double Jitter,
    long LastTransit,
    uint LastSenderReport,
    TimeSpan LastSenderReportAt)
{
    /// <summary>The most sequence numbers one gap may report missing (a larger jump is a restart, not loss).</summary>
    public const int MaxGap = 128;

    /// <summary>The extended highest sequence number received (RFC 3550 A.1: cycles in the high 16 bits).</summary>
    public uint ExtendedHighest => Cycles + MaxSeq;

    /// <summary>
    /// Accounts one packet arriving at <paramref name="arrival"/>; returns the sequence numbers that a forward jump skipped
    /// (at most <see cref="MaxGap"/>), which are candidates for a NACK.
    /// </summary>
    public (ReceiveStatistics Next, Seq<ushort> Missing) Receive(ushort seq, uint rtpTimestamp, TimeSpan arrival, uint clockRate)
    {
        var transit = (long)(arrival.Ticks * (double)clockRate / TimeSpan.TicksPerSecond) - rtpTimestamp;
        if (!Started)
            return (this with { Started = true, MaxSeq = seq, BaseSeq = seq, Cycles = 0, Received = 1, LastTransit = transit }, Seq<ushort>.Empty);
        var jitter = Jitter + (Math.Abs(transit - LastTransit) - Jitter) / 16.0; // RFC 3550 A.8
        var delta = (ushort)(seq - MaxSeq);
        var next = this with { Received = Received + 1, Jitter = jitter, LastTransit = transit };
        if (delta == 0 || delta >= 0x8000) return (next, Seq<ushort>.Empty); // duplicate, reordered or retransmitted
        var cycles = seq < MaxSeq ? Cycles + 65536 : Cycles;
        var missing = delta > 1 && delta <= MaxGap ? Skipped(MaxSeq, delta) : Seq<ushort>.Empty;
        return (next with { MaxSeq = seq, Cycles = cycles }, missing);
    }

    // Its own method: a lambda capturing a local of Receive would allocate its closure on every packet.
    private static Seq<ushort> Skipped(ushort max, ushort delta) => Enumerable.Range(1, delta - 1).Select(i => (ushort)(max + i)).ToSeq();

    /// <summary>A sender report arrived: remember its middle 32 bits of NTP time and when (for LSR and DLSR).</summary>
    public ReceiveStatistics SenderReportReceived(ulong ntpTimestamp, TimeSpan at) =>
        this with { LastSenderReport = (uint)(ntpTimestamp >> 16), LastSenderReportAt = at };

    /// <summary>The report block for this stream at <paramref name="now"/>, and the statistics with the interval restarted (RFC 3550 A.3).</summary>
    public (ReceptionReport Report, ReceiveStatistics Next) Report(uint ssrc, TimeSpan now)
    {
        var expected = (long)ExtendedHighest - BaseSeq + 1;
        var lost = Math.Clamp(expected - Received, -0x800000, 0x7FFFFF);
        var expectedInterval = expected - ExpectedPrior;
        var lostInterval = expectedInterval - (Received - ReceivedPrior);
        var fraction = expectedInterval == 0 || lostInterval <= 0 ? 0 : (byte)Math.Min(255, (lostInterval << 8) / expectedInterval);
        var dlsr = LastSenderReport == 0 ? 0u : (uint)Math.Min(uint.MaxValue, (now - LastSenderReportAt).TotalSeconds * 65536);
        var report = new ReceptionReport(ssrc, (byte)fraction, (int)lost, ExtendedHighest, (uint)Jitter, LastSenderReport, dlsr);
        return (report, this with { ExpectedPrior = expected, ReceivedPrior = Received });
    }
}

/// <summary>What a sender knows of its own stream, for its sender report (RFC 3550 6.4.1).</summary>
public readonly record struct SendStatistics(uint PacketCount, uint OctetCount, uint LastRtpTimestamp, TimeSpan LastSentAt, bool Started)
{
    /// <summary>Accounts one packet sent (payload octets only, RFC 3550 6.4.1).</summary>
    public SendStatistics Sent(uint rtpTimestamp, int payloadOctets, TimeSpan at) =>
        new(unchecked(PacketCount + 1), unchecked(OctetCount + (uint)payloadOctets), rtpTimestamp, at, true);

    /// <summary>
    /// The sender report at <paramref name="now"/> (monotonic) with wall clock <paramref name="ntp"/>: the RTP timestamp is
    /// extrapolated from the last packet sent by the clock rate, so receivers can line up the NTP and RTP clocks.
    /// </summary>
    public SenderReport Report(uint ssrc, ulong ntp, TimeSpan now, uint clockRate, Seq<ReceptionReport> reports) =>
        new(ssrc, ntp, unchecked(LastRtpTimestamp + (uint)((now - LastSentAt).TotalSeconds * clockRate)), PacketCount, OctetCount, reports);
}

/// <summary>NTP timestamps (RFC 5905 6: seconds since 1900 in 32.32 fixed point).</summary>
public static class NtpTime
{
    private static readonly DateTime Epoch = new(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static ulong FromDateTime(DateTime utc)
    {
        var ticks = (utc - Epoch).Ticks;
        var seconds = (ulong)(ticks / TimeSpan.TicksPerSecond);
        var fraction = (ulong)(ticks % TimeSpan.TicksPerSecond) * (1UL << 32) / TimeSpan.TicksPerSecond;
        return (seconds << 32) | fraction;
    }
}
