using Functional.WebRtc.Core;
using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.PropertyTests.Rtp;
using Functional.WebRtc.Testing;
using LanguageExt;

namespace Functional.WebRtc.PropertyTests.Media;

public class PayloadProperties
{
    private static Gen<int> Mtu => Gen.Choose(20, 1400);

    private static bool RoundTrip(IRtpPayloader payloader, IRtpDepacketizer depacketizer, byte[] frame, int mtu, byte[]? expected = null)
    {
        var (payloads, _) = payloader.Payload(frame, mtu);
        if (payloads.IsEmpty || payloads.Exists(p => p.Length > mtu)) return false;
        if (!depacketizer.IsFrameStart(payloads[0].Span)) return false;
        return depacketizer.Depacketize(payloads).Map(f => f.Span.SequenceEqual(expected ?? frame)).IfLeft(false);
    }

    [Property(MaxTest = 200)]
    public Property Vp8RoundTrips() =>
        Prop.ForAll(RtpGens.BytesOf(1, 6000).ToArbitrary(), Mtu.ToArbitrary(), ArbMap.Default.GeneratorFor<bool>().ToArbitrary(),
            (frame, mtu, pid) =>
            {
                var (payloads, _) = new Vp8Payloader(pid, 77).Payload(frame, mtu);
                return RoundTrip(new Vp8Payloader(pid, 77), Vp8Depacketizer.Instance, frame, mtu)
                       && payloads.Skip(1).All(p => !Vp8Depacketizer.Instance.IsFrameStart(p.Span));
            });

    [Property(MaxTest = 200)]
    public Property Vp9RoundTrips() =>
        Prop.ForAll(RtpGens.BytesOf(1, 6000).ToArbitrary(), Mtu.ToArbitrary(),
            (frame, mtu) =>
            {
                var (payloads, _) = new Vp9Payloader(300).Payload(frame, mtu);
                var flags = payloads.Map(p => { Vp9Descriptor.TryParse(p.Span, out var d); return (d.BeginningOfFrame, d.EndOfFrame, d.PictureId); });
                return RoundTrip(new Vp9Payloader(300), Vp9Depacketizer.Instance, frame, mtu)
                       && flags.Head.BeginningOfFrame && flags.Last.EndOfFrame && flags.Count(f => f.BeginningOfFrame || f.EndOfFrame) <= 2
                       && flags.ForAll(f => f.PictureId == 300);
            });

    [Property(MaxTest = 200)]
    public Property H264RoundTrips() =>
        Prop.ForAll(MediaGens.H264Frame.ToArbitrary(), Gen.Choose(100, 1400).ToArbitrary(),
            (frame, mtu) => RoundTrip(H264Payloader.Instance, H264Depacketizer.Instance, frame, mtu));

    [Property(MaxTest = 200)]
    public Property Av1RoundTrips() =>
        Prop.ForAll(MediaGens.Av1Frame.ToArbitrary(), Gen.Choose(3, 1400).ToArbitrary(),
            (f, mtu) => RoundTrip(Av1Payloader.Instance, Av1Depacketizer.Instance, f.Input, mtu, f.Expected));

    [Property(MaxTest = 100)]
    public Property AudioRoundTrips() =>
        Prop.ForAll(RtpGens.BytesOf(1, 2000).ToArbitrary(), Gen.Choose(1, 1400).ToArbitrary(),
            (frame, mtu) => RoundTrip(SampleAudioPayloader.Pcmu, AudioDepacketizer.Instance, frame, mtu)
                            && (frame.Length > mtu || RoundTrip(OpusPayloader.Instance, AudioDepacketizer.Instance, frame, mtu)));

    public static IEnumerable<IRtpDepacketizer> Depacketizers() =>
        [Vp8Depacketizer.Instance, Vp9Depacketizer.Instance, H264Depacketizer.Instance, Av1Depacketizer.Instance, AudioDepacketizer.Instance];

    [Property(MaxTest = 500)]
    public bool MalformedPayloadsNeverThrow(byte[][] payloads)
    {
        var seq = payloads.Where(p => p is not null).Select(p => (Bytes)p).ToSeq();
        foreach (var d in Depacketizers())
        {
            _ = d.Depacketize(seq);
            foreach (var p in seq) { _ = d.IsFrameStart(p.Span); _ = d.IsFrameEnd(p.Span, true); }
        }
        foreach (var p in seq)
        {
            _ = Vp8Descriptor.TryParse(p.Span, out _);
            _ = Vp9Descriptor.TryParse(p.Span, out _);
            _ = H264AnnexB.SplitAccessUnits(p.Span);
            _ = Av1Payloader.Instance.Payload(p.Span, 100);
            _ = H264Payloader.Instance.Payload(p.Span, 50);
            _ = new Vp9Payloader().Payload(p.Span, 10);
        }
        return true;
    }

    private static Seq<Bytes> Replace(Seq<Bytes> s, int i, byte[] b) => s.Select((x, k) => k == i ? (Bytes)b : x).ToSeq();

    [Property(MaxTest = 300)]
    public Property MutatedPayloadsNeverThrow() =>
        Prop.ForAll(MediaGens.H264Frame.ToArbitrary(), MediaGens.Av1Frame.ToArbitrary(), Gen.Choose(0, 25_000_000).ToArbitrary(),
            (h264, av1, x) =>
            {
                var (pos, value) = (x / 256, x % 256);
                foreach (var (payloader, depacketizer, frame) in new (IRtpPayloader, IRtpDepacketizer, byte[])[]
                         { (H264Payloader.Instance, H264Depacketizer.Instance, h264), (Av1Payloader.Instance, Av1Depacketizer.Instance, av1.Input),
                           (new Vp9Payloader(), Vp9Depacketizer.Instance, h264), (new Vp8Payloader(), Vp8Depacketizer.Instance, h264) })
                {
                    var (payloads, _) = payloader.Payload(frame, 200);
                    if (payloads.IsEmpty) continue;
                    var i = pos % payloads.Count;
                    var m = payloads[i].ToArray();
                    m[pos % m.Length] = (byte)value;
                    _ = depacketizer.Depacketize(Replace(payloads, i, m));
                    _ = depacketizer.Depacketize(Replace(payloads, i, m[..(pos % (m.Length + 1))]));
                    _ = depacketizer.Depacketize(payloads.Tail);
                }
                return true;
            });
}
