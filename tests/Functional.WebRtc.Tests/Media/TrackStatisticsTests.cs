using Functional.WebRtc.Media;

namespace Functional.WebRtc.Tests.Media;

/// <summary>The pure statistics behind receiver and sender reports (RFC 3550 appendix A) and NACK gap finding.</summary>
public class TrackStatisticsTests
{
    private static ReceiveStatistics ReceiveAll(IEnumerable<ushort> seqs, out List<ushort> missing)
    {
        var stats = default(ReceiveStatistics);
        missing = [];
        var t = TimeSpan.Zero;
        foreach (var seq in seqs)
        {
            t += TimeSpan.FromMilliseconds(20);
            var (next, gap) = stats.Receive(seq, (uint)(seq * 960), t, 48000);
            stats = next;
            missing.AddRange(gap);
        }
        return stats;
    }

    [Fact]
    public void AGapIsReportedMissingAndCountedLost()
    {
        var stats = ReceiveAll([10, 11, 14, 15], out var missing);
        Assert.Equal(new ushort[] { 12, 13 }, missing);
        var (report, next) = stats.Report(0xABCD, TimeSpan.FromSeconds(1));
        Assert.Equal(0xABCDu, report.Ssrc);
        Assert.Equal(2, report.CumulativeLost);
        Assert.Equal(15u, report.ExtendedHighestSequence);
        Assert.Equal(2 * 256 / 6, report.FractionLost); // 2 of 6 expected in this interval
        // The next interval starts afresh: nothing lost since.
        var (again, _) = next.Receive(16, 16 * 960, TimeSpan.FromSeconds(2), 48000).Next.Report(0xABCD, TimeSpan.FromSeconds(2));
        Assert.Equal(0, again.FractionLost);
        Assert.Equal(2, again.CumulativeLost);
    }

    [Fact]
    public void ARetransmissionFillsTheGapWithoutNewMissing()
    {
        var stats = ReceiveAll([1, 2, 4, 3, 5], out var missing);
        Assert.Equal(new ushort[] { 3 }, missing);
        Assert.Equal(0, stats.Report(1, TimeSpan.Zero).Report.CumulativeLost);
    }

    [Fact]
    public void SequenceWrapCountsACycle()
    {
        var stats = ReceiveAll([65534, 65535, 0, 1], out var missing);
        Assert.Empty(missing);
        Assert.Equal(65536u + 1, stats.ExtendedHighest);
        Assert.Equal(0, stats.Report(1, TimeSpan.Zero).Report.CumulativeLost);
    }

    [Fact]
    public void AHugeJumpIsARestartNotAFloodOfNacks()
    {
        ReceiveAll([100, 5000], out var missing);
        Assert.Empty(missing);
    }

    [Fact]
    public void DelaySinceLastSenderReportIsInUnitsOf1Over65536Seconds()
    {
        var stats = ReceiveAll([1], out _).SenderReportReceived(0x0001_2345_6789_0000UL, TimeSpan.FromSeconds(3));
        var (report, _) = stats.Report(1, TimeSpan.FromSeconds(3.5));
        Assert.Equal(0x2345_6789u, report.LastSenderReport);
        Assert.Equal(32768u, report.DelaySinceLastSenderReport);
    }

    [Fact]
    public void SenderReportExtrapolatesTheRtpTimestamp()
    {
        var stats = default(SendStatistics).Sent(90000, 1000, TimeSpan.FromSeconds(1)).Sent(93000, 500, TimeSpan.FromSeconds(1));
        var sr = stats.Report(7, 42, TimeSpan.FromSeconds(2), 90000, default);
        Assert.Equal(2u, sr.PacketCount);
        Assert.Equal(1500u, sr.OctetCount);
        Assert.Equal(93000u + 90000u, sr.RtpTimestamp);
        Assert.Equal(42UL, sr.NtpTimestamp);
    }

    [Fact]
    public void RtxWrapsTheOriginalSequenceNumberAndUnwrapsToTheOriginal()
    {
        var original = Core.Rtp.RtpPacket.Create(96, 4242, 123456, 0xAAAA, new byte[] { 1, 2, 3, 4, 5 }, marker: true)
            .SetString(4, "1").ToBytes().IfLeft(_ => throw new InvalidOperationException());
        var rtx = new byte[original.Length + 2];
        var n = RtxFormat.Wrap(original, rtx, 0xBBBB, 97, 7);
        Assert.Equal(original.Length + 2, n);
        var view = Core.Rtp.RtpPacket.Parse(rtx).IfLeft(_ => throw new InvalidOperationException());
        Assert.Equal((97, (ushort)7, 0xBBBBu, 123456u, true), (view.PayloadType, view.SequenceNumber, view.Ssrc, view.Timestamp, view.Marker));
        Assert.Equal(new byte[] { 0x10, 0x92, 1, 2, 3, 4, 5 }, view.Payload.ToArray()); // OSN 4242 first (RFC 4588 4)
        Assert.Equal("1", view.GetString(4).IfNone(""));
        Assert.Equal(original, RtxFormat.Unwrap(rtx, 0xAAAA, 96));
        Assert.Null(RtxFormat.Unwrap(rtx.AsSpan(0, n - 7), 0xAAAA, 96)); // a padding-only probe carries no OSN
    }

    [Fact]
    public void NtpTimeCountsFrom1900()
    {
        var ntp = NtpTime.FromDateTime(new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(0.5));
        Assert.Equal(2208988800UL, ntp >> 32);
        Assert.Equal(1UL << 31, ntp & 0xFFFF_FFFF);
    }
}
