using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Media;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.Tests.Media;

/// <summary>A stream of sequence numbers from a random start (wrapping), with some lost and some reordered neighbours.</summary>
public sealed record ArrivalPattern(ushort Start, int Count, bool[] Lost, int[] Swaps)
{
    /// <summary>The sequence numbers in arrival order: the kept ones, with some adjacent pairs swapped.</summary>
    public ushort[] Arrivals()
    {
        var kept = Enumerable.Range(0, Count).Where(i => !Lost[i] || i == 0 || i == Count - 1).Select(i => (ushort)(Start + i)).ToArray();
        foreach (var s in Swaps)
            if (s + 1 < kept.Length) (kept[s], kept[s + 1]) = (kept[s + 1], kept[s]);
        return kept;
    }
}

public static class ArrivalArbs
{
    public static Arbitrary<ArrivalPattern> Patterns() =>
        (from start in Gen.Choose(0, 65535)
         from count in Gen.Choose(2, 400)
         from lossPercent in Gen.Elements(0, 1, 5, 20)
         from lost in Gen.ArrayOf(Gen.Choose(0, 99).Select(r => r < lossPercent), count)
         from swaps in Gen.ArrayOf(Gen.Choose(1, count), Math.Max(0, count / 50))
         select new ArrivalPattern((ushort)start, count, lost, swaps)).ToArbitrary();
}

public class TrackStatisticsProperties
{
    /// <summary>
    /// Whatever the loss, reordering and wrap: the report counts exactly the packets that never came as lost, the extended
    /// highest is start + count - 1 (with a cycle when it wrapped), and every lost packet was reported missing by a gap.
    /// </summary>
    [Property(MaxTest = 200, Arbitrary = new[] { typeof(ArrivalArbs) })]
    public bool ReportsCountExactlyTheLostPacketsAndGapsNameThem(ArrivalPattern p)
    {
        var arrivals = p.Arrivals();
        var stats = default(ReceiveStatistics);
        var missing = new System.Collections.Generic.HashSet<ushort>();
        var t = TimeSpan.Zero;
        foreach (var seq in arrivals)
        {
            t += TimeSpan.FromMilliseconds(10);
            var (next, gap) = stats.Receive(seq, seq * 3000u, t, 90000);
            stats = next;
            foreach (var m in gap) missing.Add(m);
        }
        var neverCame = Enumerable.Range(0, p.Count).Select(i => (ushort)(p.Start + i)).Except(arrivals).ToHashSet();
        var (report, _) = stats.Report(1, t);
        var expectedHighest = (uint)(p.Start + p.Count - 1);
        return report.CumulativeLost == neverCame.Count
            && report.ExtendedHighestSequence == expectedHighest
            && neverCame.IsSubsetOf(missing)
            && report.FractionLost == (neverCame.Count == 0 ? 0 : (byte)Math.Min(255, (neverCame.Count << 8) / p.Count));
    }

    /// <summary>WriteRtp takes any bytes: an RTP packet is sent, anything else is an ArgumentException, never another exception.</summary>
    [Property(MaxTest = 300)]
    public bool WriteRtpRejectsNonRtpWithArgumentExceptionOnly(byte[] bytes)
    {
        var track = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "fuzz", "s");
        var isRtp = RtpPacketView.TryParse(bytes, out _, out _);
        try
        {
            track.WriteRtp(bytes);
            return isRtp;
        }
        catch (ArgumentException)
        {
            return !isRtp;
        }
    }
}
