using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Tests.Rtp;

/// <summary>The transport-wide feedback recorder (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1).</summary>
public class TwccRecorderTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private static (TwccRecorder State, List<TransportCcFeedback> Feedback) Run(TwccRecorder s, params TwccInput[] inputs)
    {
        var all = new List<TransportCcFeedback>();
        foreach (var input in inputs)
        {
            var step = TwccRecorder.Handle(s, input);
            s = step.State;
            all.AddRange(step.Outputs);
        }
        return (s, all);
    }

    private static TwccInput At(ushort seq, double ms) => new TwccInput.Arrival(seq, Ms(ms));
    private static TwccInput Tick(double ms) => new TwccInput.Tick(Ms(ms));
    private static string Hex(RtcpPacket p) => Convert.ToHexString(RtcpCompound.ToBytes(p).IfLeft(e => throw new Exception(e.ToString())));
    private static TransportCcFeedback Reparse(TransportCcFeedback f) =>
        Assert.IsType<TransportCcFeedback>(RtcpCompound.Parse(Convert.FromHexString(Hex(f))).IfLeft(e => throw new Exception(e.ToString())).Single());

    // Built by hand per section 3.1: seq 100 at 1000 ms, 101 lost, 102 at 1100 ms, 103 at 1090 ms (earlier than 102).
    // Reference time 1000 ms / 64 ms = 15 (960 ms); deltas in 250 us: +160 (small), +400 and -40 (large, signed 16-bit).
    // Symbols small, lost, large, large: one two-bit status vector 11|01|00|10|10|00|00|00 = D280.
    // 4 + 23 octets: one octet of RTCP padding (P bit, count 01), length 6 words.
    private const string HandBuilt =
        "AFCD0006" + "00000001" + "00000002" + "0064" + "0004" + "00000F" + "00" + "D280" + "A0" + "0190" + "FFD8" + "01";

    [Fact]
    public void FeedbackMatchesTheHandBuiltLayout()
    {
        var (_, fb) = Run(TwccRecorder.Create(1, 2), At(100, 1000), At(102, 1100), At(103, 1090), Tick(1100));
        var feedback = Assert.Single(fb);
        Assert.Equal(HandBuilt, Hex(feedback));
        var statuses = Reparse(feedback).PacketStatuses();
        Assert.Equal(new TwccPacketStatus(100, TwccSymbol.SmallDelta, Ms(1000)), statuses[0]);
        Assert.True(statuses[1].Arrival.IsNone);
        Assert.Equal(new TwccPacketStatus(102, TwccSymbol.LargeDelta, Ms(1100)), statuses[2]);
        Assert.Equal(new TwccPacketStatus(103, TwccSymbol.LargeDelta, Ms(1090)), statuses[3]);
    }

    [Fact]
    public void SequenceNumbersWrapAndReorderingIsPlainOrder()
    {
        var (_, fb) = Run(TwccRecorder.Create(1, 2), At(65534, 10), At(1, 13), At(65535, 11), At(2, 14), Tick(200));
        var statuses = Reparse(Assert.Single(fb)).PacketStatuses();
        Assert.Equal(new ushort[] { 65534, 65535, 0, 1, 2 }, statuses.Map(s => s.SequenceNumber).ToArray());
        Assert.Equal(new[] { true, true, false, true, true }, statuses.Map(s => s.Arrival.IsSome).ToArray());
        Assert.Equal(Ms(11), (TimeSpan)statuses[1].Arrival);
        Assert.Equal(Ms(13), (TimeSpan)statuses[3].Arrival);
    }

    [Fact]
    public void FeedbackWaitsForTheIntervalOrForEnoughPackets()
    {
        var s = TwccRecorder.Create(1, 2);
        var (s1, none) = Run(s, At(1, 0), Tick(50));
        Assert.Empty(none);
        Assert.Equal(Ms(100), s1.NextFeedbackAt);
        var (s2, one) = Run(s1, Tick(100));
        Assert.Single(one);
        Assert.True(s2.NextFeedbackAt.IsNone);
        Assert.Empty(Run(s2, Tick(400)).Feedback); // nothing new: nothing sent

        // 100 packets waiting: feedback at the 100th arrival, without a tick.
        var inputs = Enumerable.Range(0, 100).Select(i => At((ushort)(10 + i), 500 + 0.1 * i)).ToArray();
        var (_, burst) = Run(s2, inputs);
        var f = Assert.Single(burst);
        Assert.Equal(2, f.BaseSequenceNumber); // after the last one reported: 2..9 are reported lost
        Assert.Equal(108, f.PacketStatusCount);
        Assert.Equal(1, f.FeedbackPacketCount); // the second feedback of this recorder
    }

    [Fact]
    public void ALateArrivalAfterItsFeedbackIsDroppedAndTheNextFeedbackContinues()
    {
        var (s, first) = Run(TwccRecorder.Create(1, 2), At(5, 0), At(7, 1), Tick(100));
        Assert.Equal(3, Assert.Single(first).PacketStatusCount); // 5, 6 (lost), 7
        var (_, second) = Run(s, At(6, 150), At(8, 151), Tick(200));
        var f = Reparse(Assert.Single(second));
        Assert.Equal(8, f.BaseSequenceNumber);
        Assert.Equal(1, f.PacketStatusCount);
        Assert.Equal(1, f.FeedbackPacketCount);
    }

    [Fact]
    public void ADeltaThatDoesNotFitStartsANewFeedbackPacket()
    {
        // 10 s between consecutive packets: more than a signed 16-bit count of 250 us (8.19 s).
        var (_, fb) = Run(TwccRecorder.Create(1, 2), At(1, 0), At(2, 1), At(3, 10_001), Tick(10_100));
        Assert.Equal(2, fb.Count);
        Assert.Equal((1, 2, 0), (fb[0].BaseSequenceNumber, fb[0].PacketStatusCount, fb[0].FeedbackPacketCount));
        Assert.Equal((3, 1, 1), (fb[1].BaseSequenceNumber, fb[1].PacketStatusCount, fb[1].FeedbackPacketCount));
        Assert.Equal(Ms(10_001), (TimeSpan)Reparse(fb[1]).PacketStatuses()[0].Arrival);
    }

    [Fact]
    public void ALongRunOfLossesIsSplitUnderTheSizeLimit()
    {
        var (_, fb) = Run(TwccRecorder.Create(1, 2), At(0, 0), At(9000, 5), Tick(100));
        Assert.True(fb.Count >= 2);
        Assert.All(fb, f => Assert.True(f.BodyLength + 4 <= 1200 + 4));
        Assert.Equal(9001, fb.Sum(f => f.PacketStatusCount));
        var received = fb.SelectMany(f => Reparse(f).PacketStatuses()).Where(s => s.Arrival.IsSome).Select(s => s.SequenceNumber);
        Assert.Equal(new ushort[] { 0, 9000 }, received.ToArray());
    }

    [Fact]
    public void StampAddsOrOverwritesTheTransportSequenceNumber()
    {
        var packet = RtpPacket.Create(96, 7, 1234, 0xCAFE, new byte[] { 1, 2, 3 }).SetString(4, "0");
        var buffer = new byte[100];
        var bytes = packet.ToBytes().IfLeft(_ => throw new Exception());
        bytes.CopyTo(buffer, 0);
        Assert.True(RtpExtensionStamp.TrySetTransportSequenceNumber(buffer, bytes.Length, 3, 0xBEEF, out var n));
        var stamped = RtpPacket.Parse(buffer.AsSpan(0, n)).IfLeft(_ => throw new Exception());
        Assert.Equal((ushort)0xBEEF, stamped.GetTransportSequenceNumber(3));
        Assert.Equal("0", stamped.GetString(4));
        Assert.Equal(new byte[] { 1, 2, 3 }, stamped.Payload.ToArray());
        Assert.True(RtpExtensionStamp.TrySetTransportSequenceNumber(buffer, n, 3, 0x0102, out var m));
        Assert.Equal(n, m); // overwritten in place
        Assert.Equal((ushort)0x0102, RtpPacket.Parse(buffer.AsSpan(0, m)).IfLeft(_ => throw new Exception()).GetTransportSequenceNumber(3));
    }
}

public class RoundTripTimeTests
{
    // RFC 3550 6.4.1 (figure 2): A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000 (46853.125 s), DLSR = 0x0005:4000 (5.250 s).
    [Fact]
    public void Rfc3550Example()
    {
        Assert.Equal(TimeSpan.FromSeconds(6.125), (TimeSpan)RoundTripTime.FromReport(0xb7108000, 0xb7052000, 0x00054000));
        Assert.True(RoundTripTime.FromReport(0xb7108000, 0, 0x00054000).IsNone);          // no sender report yet
        Assert.True(RoundTripTime.FromReport(0xb7052000, 0xb7108000, 0x00054000).IsNone); // negative: clock step
        Assert.Equal(0xb7108000u, RoundTripTime.Middle32(0x0000_b710_8000_0000UL));
    }
}

public class TwccRecorderAllocationTests
{
    /// <summary>After warm-up, recording an arrival (the per-packet path) allocates nothing; only building feedback does.</summary>
    [Fact]
    public void RecordingArrivalsAllocatesNothingAfterWarmUp()
    {
        var s = TwccRecorder.Create(1, 2, TwccRecorderConfig.Default with { PacketsPerFeedback = int.MaxValue });
        ushort seq = 65000; // crosses the wrap
        long at = TimeSpan.TicksPerSecond;
        void Interval()
        {
            for (var i = 0; i < 500; i++)
            {
                at += 10_000;
                var n = (ushort)(seq + (i % 10 == 3 ? i + 1 : i % 10 == 4 ? i - 1 : i)); // reordered
                if (i % 25 == 7) continue;                                              // lost
                s = TwccRecorder.Record(s, n, TimeSpan.FromTicks(at)).State;
                if (i % 50 == 9) s = TwccRecorder.Record(s, n, TimeSpan.FromTicks(at + 1)).State; // duplicate
            }
            seq += 500;
        }
        for (var round = 0; round < 3; round++) // warm-up: the ring grows to its size, the JIT settles
        {
            Interval();
            Assert.NotEmpty(TwccRecorder.Tick(s, TimeSpan.FromTicks(at += TimeSpan.TicksPerSecond)).Outputs);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        Interval();
        var after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
        Assert.Equal(490, s.Pending);
        var step = TwccRecorder.Tick(s, TimeSpan.FromTicks(at + TimeSpan.TicksPerSecond));
        Assert.Equal(500, step.Outputs.Sum(f => f.PacketStatusCount)); // and the feedback still covers the interval
    }
}
