using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Tests.Media;

public class PacketizerAndSampleBuilderTests
{
    private static byte[] Frame(int n, byte fill) => Enumerable.Repeat(fill, n).ToArray();

    private static PacketizerState Vp8State(ushort seq = 65534, uint ts = 1000) =>
        new(0xCAFE, 96, new Vp8Payloader(), 1200, seq, ts, TimeSpan.Zero);

    [Fact]
    public void PacketizerNumbersStampsAndMarks()
    {
        var step = Packetizer.Packetize(Vp8State(), new MediaSample(Frame(2500, 1), TimeSpan.FromMilliseconds(40)));
        var ps = step.Outputs;
        Assert.Equal(3, ps.Count);
        Assert.Equal(new ushort[] { 65534, 65535, 0 }, ps.Map(p => p.SequenceNumber).ToArray());
        Assert.True(ps.ForAll(p => p.Timestamp == 1000 && p.Ssrc == 0xCAFE && p.PayloadType == 96));
        Assert.Equal(new[] { false, false, true }, ps.Map(p => p.Marker).ToArray());
        Assert.True(ps.ForAll(p => p.ToBytes().Map(b => b.Length <= 1200).IfLeft(false)));
        var step2 = Packetizer.Packetize(step.State, new MediaSample(Frame(10, 2), TimeSpan.FromMilliseconds(40)));
        Assert.Equal(1000u + 3600, step2.Outputs.Single().Timestamp); // 40 ms at 90 kHz
        Assert.Equal(1, step2.Outputs.Single().SequenceNumber);
    }

    [Fact]
    public void PacketizerTimestampsDoNotDriftAndAudioAdvancesPerPacket()
    {
        var s = new PacketizerState(1, 0, SampleAudioPayloader.Pcmu, 172, 0, 0, TimeSpan.Zero);
        // 400 samples (50 ms) split 160/160/80: timestamps advance by the bytes before each packet.
        var step = Packetizer.Packetize(s, new MediaSample(Frame(400, 0xFF), TimeSpan.FromMilliseconds(50)));
        Assert.Equal(new uint[] { 0, 160, 320 }, step.Outputs.Map(p => p.Timestamp).ToArray());
        Assert.True(step.Outputs.ForAll(p => !p.Marker));
        // 30 fps for 3000 frames: 1/30 s is not a whole number of ticks, yet the timestamp stays exact.
        var v = Vp8State(0, 0);
        for (var i = 0; i < 3000; i++) v = v with { Elapsed = v.Elapsed + TimeSpan.FromTicks(333_333) };
        Assert.Equal((uint)(3000L * 333_333 * 90_000 / 10_000_000), v.CurrentTimestamp);
    }

    [Fact]
    public void PacketizerCreateIsSeeded()
    {
        var (a, _) = Packetizer.Create(1, 96, OpusPayloader.Instance, 1200, new Entropy(42));
        var (b, _) = Packetizer.Create(1, 96, OpusPayloader.Instance, 1200, new Entropy(42));
        Assert.Equal(a, b);
    }

    private static List<RtpPacket> ThreeFrames()
    {
        var state = Vp8State();
        var all = new List<RtpPacket>();
        foreach (var fill in new byte[] { 1, 2, 3 })
        {
            var step = Packetizer.Packetize(state, new MediaSample(Frame(2500, fill), TimeSpan.FromMilliseconds(33)));
            state = step.State;
            all.AddRange(step.Outputs);
        }
        return all;
    }

    private static (List<ReassembledSample> Out, SampleBuilderState State) Feed(IEnumerable<RtpPacket> packets, int maxLate = 4)
    {
        var s = SampleBuilderState.Create(Vp8Depacketizer.Instance, maxLate);
        var output = new List<ReassembledSample>();
        foreach (var p in packets)
        {
            var step = SampleBuilder.Push(s, p);
            s = step.State;
            output.AddRange(step.Outputs);
        }
        return (output, s);
    }

    [Fact]
    public void ReordersWithinAFrameAndEmitsInOrder()
    {
        var ps = ThreeFrames();
        var (output, state) = Feed([ps[0], ps[2], ps[1], ps[3], ps[5], ps[4], ps[6], ps[7], ps[8]]);
        Assert.Equal(new byte[] { 1, 2, 3 }, output.Select(o => o.Data[0]).ToArray());
        Assert.True(output.All(o => o.Data.Length == 2500));
        Assert.Equal(new ushort[] { 65534, 1, 4 }, output.Select(o => o.FirstSequenceNumber).ToArray());
        Assert.True(state.Buffer.IsEmpty);
    }

    [Fact]
    public void DropsAnIncompleteFrameOnceLateAndKeepsTheNext()
    {
        var ps = ThreeFrames();
        ps.RemoveAt(4); // the middle packet of frame 2
        var (output, state) = Feed(ps, maxLate: 3);
        Assert.Equal(new byte[] { 1, 3 }, output.Select(o => o.Data[0]).ToArray());
        Assert.Equal(3, output[1].PacketsDroppedBefore); // 1 lost + 2 discarded
        Assert.Equal(3, state.DroppedPackets);
    }

    [Fact]
    public void WaitsForAMissingPacketUntilMaxLate()
    {
        var ps = ThreeFrames();
        var (output, state) = Feed([ps[0], ps[1], ps[2], ps[3], ps[5]], maxLate: 10);
        Assert.Single(output);
        var late = SampleBuilder.Push(state, ps[4]);
        Assert.Equal(2, late.Outputs.Single().Data[0]);
        // An old duplicate after emission is ignored.
        Assert.True(SampleBuilder.Push(late.State, ps[0]).Outputs.IsEmpty);
    }

    [Fact]
    public void FlushDropsWhatCannotComplete()
    {
        var ps = ThreeFrames();
        var (output, state) = Feed(ps.Take(7), maxLate: 100);
        Assert.Equal(2, output.Count);
        var flushed = SampleBuilder.Flush(state);
        Assert.True(flushed.Outputs.IsEmpty);
        Assert.True(flushed.State.Buffer.IsEmpty);
    }

    [Fact]
    public void StreamJoinedMidFrameStartsAtTheNextFrame()
    {
        var ps = ThreeFrames();
        var (output, _) = Feed(ps.Skip(1), maxLate: 2);
        Assert.Equal(new byte[] { 2, 3 }, output.Select(o => o.Data[0]).ToArray());
    }
}
