using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.PropertyTests.Rtp;
using Functional.WebRtc.Testing;
using LanguageExt;

namespace Functional.WebRtc.PropertyTests.Media;

public class SampleBuilderProperties
{
    private sealed record Scenario(ulong Seed, byte[][] Frames, int Mtu, int Reorder, int LossPercent);

    private static Gen<Scenario> Scenarios(bool lossy, int maxFrame) =>
        from seed in ArbMap.Default.GeneratorFor<ulong>()
        from frames in Gen.Choose(1, 40).SelectMany(n => Gen.ArrayOf(RtpGens.BytesOf(1, maxFrame), n))
        from mtu in Gen.Choose(60, 600)
        from reorder in Gen.Choose(0, 8)
        from loss in lossy ? Gen.Choose(0, 30) : Gen.Constant(0)
        select new Scenario(seed, frames, mtu, reorder, loss);

    // A frame larger than maxLate packets can never complete: scenarios keep frames well below 128 packets.
    /// <summary>Packetizes every frame, then reorders (each packet moves at most <c>Reorder</c> places) and drops packets.</summary>
    private static (List<RtpPacket> Sent, List<(uint Ts, byte[] Frame)> Originals) Transmit(Scenario s, IRtpPayloader payloader)
    {
        var (state, entropy) = Packetizer.Create(0x1234, 96, payloader, s.Mtu, new Entropy(s.Seed));
        var packets = new List<RtpPacket>();
        var originals = new List<(uint, byte[])>();
        foreach (var f in s.Frames)
        {
            originals.Add((state.CurrentTimestamp, f));
            var step = Packetizer.Packetize(state, new MediaSample(f, TimeSpan.FromMilliseconds(33)));
            state = step.State;
            packets.AddRange(step.Outputs);
        }
        var keyed = new List<(double Key, RtpPacket P)>();
        for (var i = 0; i < packets.Count; i++)
        {
            (var r, entropy) = entropy.NextUInt32();
            (var l, entropy) = entropy.NextUInt32();
            if (l % 100 < s.LossPercent) continue;
            keyed.Add((i + (s.Reorder == 0 ? 0 : r % (uint)(s.Reorder + 1)) + i * 1e-9, packets[i]));
        }
        return (keyed.OrderBy(k => k.Key).Select(k => k.P).ToList(), originals);
    }

    private static List<ReassembledSample> Receive(IEnumerable<RtpPacket> packets, IRtpDepacketizer d)
    {
        var state = SampleBuilderState.Create(d, maxLate: 128, startupHold: 8);
        var outputs = new List<ReassembledSample>();
        foreach (var p in packets)
        {
            var step = SampleBuilder.Push(state, p);
            state = step.State;
            outputs.AddRange(step.Outputs);
            if (state.Buffer.Count > 128 + 16) throw new Exception("buffer not bounded");
        }
        outputs.AddRange(SampleBuilder.Flush(state).Outputs);
        return outputs;
    }

    private static bool EveryEmittedIsAnOriginalInOrder(List<ReassembledSample> got, List<(uint Ts, byte[] Frame)> originals)
    {
        var last = -1;
        foreach (var g in got)
        {
            var i = originals.FindIndex(o => o.Ts == g.RtpTimestamp);
            if (i <= last || !originals[i].Frame.AsSpan().SequenceEqual(g.Data.Span)) return false;
            last = i;
        }
        return true;
    }

    private static Property Check(IRtpPayloader payloader, IRtpDepacketizer d, bool lossy, int maxFrame = 3000) =>
        Prop.ForAll(Scenarios(lossy, maxFrame).ToArbitrary(), s =>
        {
            var (sent, originals) = Transmit(s, payloader);
            var got = Receive(sent, d);
            var ordered = EveryEmittedIsAnOriginalInOrder(got, originals);
            return lossy && s.LossPercent > 0 ? ordered : ordered && got.Count == originals.Count;
        });

    [Property(MaxTest = 100)] public Property Vp8UnderLossAndReorder() => Check(new Vp8Payloader(), Vp8Depacketizer.Instance, lossy: true);
    [Property(MaxTest = 100)] public Property Vp9UnderLossAndReorder() => Check(new Vp9Payloader(), Vp9Depacketizer.Instance, lossy: true);
    [Property(MaxTest = 100)] public Property Vp8NoLossAllFramesInOrder() => Check(new Vp8Payloader(), Vp8Depacketizer.Instance, lossy: false);
    // Opus packets cannot be split: frames stay below the smallest payload size (mtu 60 - 12).
    [Property(MaxTest = 100)] public Property OpusUnderLossAndReorder() => Check(OpusPayloader.Instance, AudioDepacketizer.Instance, lossy: true, maxFrame: 40);
    [Property(MaxTest = 100)] public Property OpusNoLossAllFramesInOrder() => Check(OpusPayloader.Instance, AudioDepacketizer.Instance, lossy: false, maxFrame: 40);

    [Property(MaxTest = 100)]
    public Property H264NoLossAllFramesInOrder() =>
        Prop.ForAll(Scenarios(false, 10).ToArbitrary(), MediaGens.H264Frame.ToArbitrary(), (s, h264) =>
        {
            // Every frame a variation of one generated access unit (the last NAL's tail differs per frame).
            var frames = s.Frames.Select((f, i) => h264.Concat(new byte[] { (byte)(i | 1), 0x55 }).ToArray()).ToArray();
            var (sent, originals) = Transmit(s with { Frames = frames, Mtu = Math.Max(s.Mtu, 1000) }, H264Payloader.Instance);
            var got = Receive(sent, H264Depacketizer.Instance);
            return got.Count == originals.Count && EveryEmittedIsAnOriginalInOrder(got, originals);
        });

    [Property(MaxTest = 100)]
    public Property Av1NoLossAllFramesInOrder() =>
        Prop.ForAll(Scenarios(false, 10).ToArbitrary(), MediaGens.Av1Frame.ToArbitrary(), (s, av1) =>
        {
            var (sent, originals) = Transmit(s with { Frames = Enumerable.Repeat(av1.Input, s.Frames.Length).ToArray(), Mtu = Math.Max(s.Mtu, 400) }, Av1Payloader.Instance);
            var got = Receive(sent, Av1Depacketizer.Instance);
            return got.Count == originals.Count && got.All(g => g.Data.Span.SequenceEqual(av1.Expected));
        });
}
