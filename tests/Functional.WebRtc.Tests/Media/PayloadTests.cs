using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Tests.Media;

public class PayloadTests
{
    private static byte[] Pattern(int n, int seed = 1) => Enumerable.Range(0, n).Select(i => (byte)((i * 7 + seed) | 1)).ToArray();
    private static Bytes Ok(Either<RtcError, Bytes> r) => r.IfLeft(e => throw new Exception(e.ToString()));

    [Fact]
    public void Vp8DescriptorFieldsFromRfc7741Layout()
    {
        // X=1 S=1; I=1 M=1 PictureID 0x0123.
        Assert.True(Vp8Descriptor.TryParse(Convert.FromHexString("90808123"), out var d));
        Assert.True(d.StartOfPartition);
        Assert.Equal(0x123, d.PictureId);
        Assert.True(d.PictureId16Bit);
        Assert.Equal(4, d.Size);
        // X=1 N=1 PID=2; I L T K: 7-bit PictureID 5, TL0PICIDX 0xAA, TID 3, Y=1, KEYIDX 3.
        Assert.True(Vp8Descriptor.TryParse(Convert.FromHexString("A2F005AAE3"), out d));
        Assert.True(d.NonReference);
        Assert.Equal(2, d.PartitionIndex);
        Assert.Equal(5, d.PictureId);
        Assert.Equal(0xAA, d.Tl0PicIdx);
        Assert.Equal(3, d.TemporalLayer);
        Assert.True(d.LayerSync);
        Assert.Equal(3, d.KeyIndex);
        Assert.Equal(5, d.Size);
        Assert.False(Vp8Descriptor.TryParse(Convert.FromHexString("9080"), out _)); // PictureID missing
    }

    [Fact]
    public void Vp8PacketizesWithPictureIdAndRebuildsTheFrame()
    {
        var frame = Pattern(3000);
        frame[0] = 0x10; // P = 0: key frame
        var (payloads, next) = new Vp8Payloader(PictureId: 0x7FFF).Payload(frame, 1200);
        Assert.Equal(3, payloads.Count);
        Assert.Equal("9080FFFF", Convert.ToHexString(payloads[0].Span[..4]));
        Assert.Equal("8080FFFF", Convert.ToHexString(payloads[1].Span[..4]));
        Assert.Equal(0, ((Vp8Payloader)next).PictureId); // 15-bit wrap
        Assert.True(Vp8Depacketizer.IsKeyFrame(payloads[0].Span));
        Assert.True(Vp8Depacketizer.Instance.IsFrameStart(payloads[0].Span));
        Assert.False(Vp8Depacketizer.Instance.IsFrameStart(payloads[1].Span));
        Assert.Equal(frame, Ok(Vp8Depacketizer.Instance.Depacketize(payloads)).ToArray());
    }

    [Fact]
    public void Vp9DescriptorFlexibleAndNonFlexible()
    {
        // Flexible: I P F B, 15-bit PictureID 0x0102, two P_DIFFs (3 with N, then 1).
        Assert.True(Vp9Descriptor.TryParse(Convert.FromHexString("D88102070200"), out var d));
        Assert.True(d.FlexibleMode && d.InterPicturePredicted && d.BeginningOfFrame && !d.EndOfFrame);
        Assert.Equal(0x102, d.PictureId);
        Assert.Equal(2, d.ReferenceCount);
        Assert.Equal(3, d.FirstPDiff);
        Assert.Equal(5, d.Size);
        // Non-flexible: I L B E V, 7-bit PictureID 9, TID 1 U SID 0 D=0, TL0PICIDX 7,
        // SS: N_S=0 Y=1 G=1, 640x480, N_G=1 with one entry of R=1 and its P_DIFF.
        Assert.True(Vp9Descriptor.TryParse(Convert.FromHexString("AE" + "09" + "30" + "07" + "18" + "028001E0" + "01" + "04" + "01" + "FF"), out d));
        Assert.False(d.FlexibleMode);
        Assert.True(d.HasScalabilityStructure);
        Assert.Equal(9, d.PictureId);
        Assert.Equal(1, d.TemporalId);
        Assert.True(d.SwitchingUp);
        Assert.Equal(7, d.Tl0PicIdx);
        Assert.Equal(12, d.Size); // the trailing FF is payload
        Assert.False(Vp9Descriptor.TryParse(Convert.FromHexString("AE09300718028001"), out _)); // SS truncated
    }

    [Fact]
    public void Vp9KeyFrameDetectionFromUncompressedHeader()
    {
        // frame_marker 10, profile 0, show_existing 0, frame_type 0 (key): 1000 0000.
        Assert.True(Vp9Payloader.IsKeyFrame([0x80, 0x49]));
        // frame_type 1 (inter): 1000 0100.
        Assert.False(Vp9Payloader.IsKeyFrame([0x84, 0x00]));
        var (key, _) = new Vp9Payloader(5).Payload(new byte[] { 0x80, 1, 2 }, 100);
        Assert.Equal("9C8005", Convert.ToHexString(key[0].Span[..3])); // I F B E, no P
        var (inter, _) = new Vp9Payloader(5).Payload(new byte[] { 0x84, 1, 2 }, 100);
        Assert.Equal("DC800502", Convert.ToHexString(inter[0].Span[..4])); // I P F B E, P_DIFF 1
    }

    private static readonly byte[] Sps = [0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01, 0x40, 0x16, 0xEC];
    private static readonly byte[] Pps = [0x68, 0xCE, 0x3C, 0x80];

    [Fact]
    public void H264AggregatesParameterSetsAndFragmentsLargeNals()
    {
        var idr = new byte[] { 0x65 }.Concat(Pattern(2500)).ToArray();
        var aud = new byte[] { 0x09, 0xF0 };
        // Mixed 3- and 4-byte start codes; the AUD is dropped by the payloader.
        var frame = new byte[] { 0, 0, 1 }.Concat(aud).Concat(new byte[] { 0, 0, 0, 1 }).Concat(Sps)
            .Concat(new byte[] { 0, 0, 1 }).Concat(Pps).Concat(new byte[] { 0, 0, 0, 1 }).Concat(idr).ToArray();
        Assert.Equal(4, H264AnnexB.SplitNals(frame).Count);
        var (payloads, _) = H264Payloader.Instance.Payload(frame, 1200);
        // RFC 6184 5.7.1: STAP-A header (F=0, NRI=3, type 24), then size-prefixed SPS and PPS.
        var stap = payloads[0].ToArray();
        Assert.Equal(0x78, stap[0]);
        Assert.Equal("0009" + Convert.ToHexString(Sps) + "0004" + Convert.ToHexString(Pps), Convert.ToHexString(stap[1..]));
        // RFC 6184 5.8: FU indicator (NRI of the IDR, type 28), FU header S/E with type 5.
        Assert.Equal(4, payloads.Count);
        Assert.Equal(new byte[] { 0x7C, 0x85 }, payloads[1].Span[..2].ToArray());
        Assert.Equal(new byte[] { 0x7C, 0x05 }, payloads[2].Span[..2].ToArray());
        Assert.Equal(new byte[] { 0x7C, 0x45 }, payloads[3].Span[..2].ToArray());
        Assert.True(payloads.ForAll(p => p.Length <= 1200));
        Assert.False(H264Depacketizer.Instance.IsFrameStart(payloads[2].Span));
        var expected = H264AnnexB.Join([Sps, Pps, idr]).ToArray();
        Assert.Equal(expected, Ok(H264Depacketizer.Instance.Depacketize(payloads)).ToArray());
    }

    [Fact]
    public void H264DepacketizerRejectsBrokenFragmentsAndUnsupportedTypes()
    {
        Assert.True(H264Depacketizer.Instance.Depacketize(Seq.create<Bytes>(new byte[] { 0x7C, 0x05, 1 })).IsLeft); // middle without start
        Assert.True(H264Depacketizer.Instance.Depacketize(Seq.create<Bytes>(new byte[] { 0x7C, 0x85, 1 })).IsLeft); // start without end
        Assert.True(H264Depacketizer.Instance.Depacketize(Seq.create<Bytes>(new byte[] { 0x78, 0x00, 0x05, 1 })).IsLeft); // STAP-A overrun
        var r = H264Depacketizer.Instance.Depacketize(Seq.create<Bytes>(new byte[] { 0x7A, 0, 0, 0 })); // MTAP16
        r.IfLeft(e => Assert.IsType<RtcError.NotSupported>(e));
        Assert.True(r.IsLeft);
    }

    [Fact]
    public void H264AccessUnitsSplitOnFirstSliceAndParameterSets()
    {
        // Two access units: [SPS PPS IDR(first_mb 0) IDR(first_mb 1)] then [slice(first_mb 0)].
        var stream = H264AnnexB.Join([Sps, Pps, new byte[] { 0x65, 0x88, 1 }, new byte[] { 0x65, 0x40, 2 }, new byte[] { 0x41, 0x9A, 3 }]);
        var units = H264AnnexB.SplitAccessUnits(stream.Span);
        Assert.Equal(2, units.Count);
        Assert.Equal(4, H264AnnexB.SplitNals(units[0].Span).Count);
        Assert.Equal(new byte[] { 0x41, 0x9A, 3 }, H264AnnexB.SplitNals(units[1].Span).Single().ToArray());
    }

    [Fact]
    public void OpusIsOneFramePerPacketAndG711SplitsOnSamples()
    {
        var opus = Pattern(120);
        var (one, _) = OpusPayloader.Instance.Payload(opus, 1200);
        Assert.Equal(opus, one.Single().ToArray());
        Assert.True(OpusPayloader.Instance.Payload(opus, 100).Payloads.IsEmpty);
        var (g711, _) = SampleAudioPayloader.Pcmu.Payload(Pattern(400), 160);
        Assert.Equal(new[] { 160, 160, 80 }, g711.Map(p => p.Length).ToArray());
        Assert.Equal(Pattern(400), Ok(AudioDepacketizer.Instance.Depacketize(g711)).ToArray());
    }

    [Fact]
    public void Av1DropsTemporalDelimiterFragmentsAndRestoresSizes()
    {
        var seqHeader = Obu(Av1Obu.SequenceHeader, Pattern(10));
        var frameObu = Obu(Av1Obu.Frame, Pattern(300));
        var input = Obu(Av1Obu.TemporalDelimiter, []).Concat(seqHeader).Concat(frameObu).ToArray();
        var (payloads, _) = Av1Payloader.Instance.Payload(input, 200);
        Assert.Equal(2, payloads.Count);
        // Packet 1: Z=0 Y=1 W=0 N=1; the sequence header element: length 11, header with obu_has_size_field cleared.
        Assert.Equal(0x48, payloads[0][0]);
        Assert.Equal(11, payloads[0][1]);
        Assert.Equal(Av1Obu.SequenceHeader << 3, payloads[0][2]);
        // Packet 2: Z=1 Y=0.
        Assert.Equal(0x80, payloads[1][0]);
        Assert.True(Av1Depacketizer.Instance.IsFrameStart(payloads[0].Span));
        Assert.False(Av1Depacketizer.Instance.IsFrameStart(payloads[1].Span));
        Assert.Equal(seqHeader.Concat(frameObu).ToArray(), Ok(Av1Depacketizer.Instance.Depacketize(payloads)).ToArray());
        Assert.True(Av1Depacketizer.Instance.Depacketize(payloads.Take(1).ToSeq()).IsLeft); // Y without its continuation
    }

    [Fact]
    public void Av1DepacketizesElementsWithoutLengthWhenWIsSet()
    {
        // W=2: the first element has a length, the second takes the rest (AV1 RTP spec 4.4).
        var payload = new byte[] { 0x20, 0x02, 0x30, 0xAA, 0x30, 0xBB, 0xCC };
        var frame = Ok(Av1Depacketizer.Instance.Depacketize(Seq.create<Bytes>(payload))).ToArray();
        Assert.Equal(new byte[] { 0x32, 0x01, 0xAA, 0x32, 0x02, 0xBB, 0xCC }, frame);
    }

    [Fact]
    public void Leb128MatchesTheAv1SpecExamples()
    {
        var b = new byte[8];
        Assert.Equal(2, Av1Obu.WriteLeb128(b, 300));
        Assert.Equal(new byte[] { 0xAC, 0x02 }, b[..2]);
        Assert.True(Av1Obu.TryReadLeb128(b, out var v, out var n));
        Assert.Equal((300UL, 2), (v, n));
        Assert.False(Av1Obu.TryReadLeb128(new byte[] { 0x80, 0x80 }, out _, out _));
    }

    private static byte[] Obu(int type, byte[] body)
    {
        var leb = new byte[8];
        var n = Av1Obu.WriteLeb128(leb, (ulong)body.Length);
        return new[] { (byte)((type << 3) | 0x02) }.Concat(leb[..n]).Concat(body).ToArray();
    }
}
