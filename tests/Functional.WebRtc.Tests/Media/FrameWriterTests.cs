using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Media;
using Functional.WebRtc.Testing;
using LanguageExt;

namespace Functional.WebRtc.Tests.Media;

/// <summary>The streaming writers for received media: IVF (VP8), H.264 Annex B and Ogg Opus, pure and over a stream.</summary>
public class FrameWriterTests
{
    /// <summary>A VP8 key frame header (RFC 6386 9.1): tag with P=0, start code, 14-bit width and height, then filler.</summary>
    internal static byte[] Vp8Key(ushort width, ushort height, int size = 40, byte fill = 0xAB)
    {
        var b = Enumerable.Repeat(fill, size).ToArray();
        b[0] = 0x10; b[1] = 0x02; b[2] = 0x00;             // key frame (bit 0 = 0), show_frame
        b[3] = 0x9D; b[4] = 0x01; b[5] = 0x2A;
        b[6] = (byte)width; b[7] = (byte)(width >> 8);
        b[8] = (byte)height; b[9] = (byte)(height >> 8);
        return b;
    }

    internal static byte[] Vp8Inter(int size = 30, byte fill = 0xCD)
    {
        var b = Enumerable.Repeat(fill, size).ToArray();
        b[0] = 0x11;                                         // bit 0 = 1: an inter frame
        return b;
    }

    [Fact]
    public void IvfStartsAtTheFirstKeyFrameWithItsSizeAndUnwrapsTimestamps()
    {
        var w = IvfWriter.Vp8();
        var output = new List<byte>();
        void Write(byte[] frame, uint ts) { (w, var bytes) = w.WriteFrame(frame, ts); output.AddRange(bytes); }

        Write(Vp8Inter(), uint.MaxValue - 9000);            // before any key frame: dropped
        Assert.Empty(output);
        Write(Vp8Key(320, 240), uint.MaxValue - 2999);      // 3000 ticks before the wrap
        Write(Vp8Inter(), 0);                               // wrapped: 3000 ticks later
        Write(Vp8Inter(), 3000);
        var bytes = output.ToArray();
        w.Header().CopyTo(bytes, 0);

        var file = Ivf.Read(bytes).IfLeft(e => throw new Exception(e.ToString()));
        Assert.Equal(new IvfHeader(IvfHeader.Vp8, 320, 240, 90000, 1, 3), file.Header);
        Assert.Equal(new ulong[] { 0, 3000, 6000 }, file.Frames.Map(f => f.Timestamp).ToArray());
        Assert.Equal(Vp8Key(320, 240), file.Frames[0].Data.ToArray());
        Assert.Equal((ushort)320, w.Width);
    }

    [Fact]
    public void Vp8FrameFactsNeedTheStartCode()
    {
        Assert.True(Vp8Frame.IsKeyFrame(Vp8Key(640, 480)));
        Assert.Equal(((ushort)640, (ushort)480), Vp8Frame.Size(Vp8Key(640, 480)));
        var noStartCode = Vp8Key(640, 480);
        noStartCode[4] = 0;
        Assert.False(Vp8Frame.IsKeyFrame(noStartCode));
        Assert.False(Vp8Frame.IsKeyFrame(Vp8Inter()));
        Assert.False(Vp8Frame.IsKeyFrame([0x10, 0, 0]));
    }

    private static readonly byte[] Sps = [0x67, 0x42, 0xE0, 0x1F, 0x8C, 0x8D];
    private static readonly byte[] Pps = [0x68, 0xCE, 0x3C, 0x80];
    private static readonly byte[] Idr = [0x65, 0x88, 0x84, 0x00, 0x33];
    private static readonly byte[] Slice = [0x41, 0x9A, 0x02, 0x03];

    private static byte[] AnnexB(params byte[][] nals) => H264AnnexB.Join(nals.Select(n => new Bytes(n))).ToArray();

    [Fact]
    public void H264StartsAtAnIdrAndPutsTheLastParameterSetsBeforeIt()
    {
        var w = H264AnnexBWriter.Initial;
        byte[] bytes;
        (w, bytes) = w.WriteAccessUnit(AnnexB(Slice));                  // no IDR yet
        Assert.Empty(bytes);
        (w, bytes) = w.WriteAccessUnit(AnnexB(Idr));                    // an IDR, but no parameter sets seen
        Assert.Empty(bytes);
        (w, bytes) = w.WriteAccessUnit(AnnexB(Sps, Pps));               // parameter sets alone (their own STAP-A)
        Assert.Empty(bytes);
        (w, bytes) = w.WriteAccessUnit(AnnexB(Idr));
        Assert.Equal(AnnexB(Sps, Pps, Idr), bytes);
        (w, bytes) = w.WriteAccessUnit(AnnexB(Slice));                  // started: as is
        Assert.Equal(AnnexB(Slice), bytes);
        Assert.True(w.Started);
        Assert.Equal(2, w.AccessUnits);

        // An access unit that carries its own parameter sets gets no copies.
        var (_, own) = H264AnnexBWriter.Initial.WriteAccessUnit(AnnexB(Sps, Pps, Idr));
        Assert.Equal(AnnexB(Sps, Pps, Idr), own);
    }

    [Fact]
    public void OggOpusGranulesFollowRtpTimestampsAndTheLastPageEndsTheStream()
    {
        byte[] opus20ms = [0xFC, 0x01, 0x02];                          // config 31 (CELT 20 ms), one frame: 960 samples
        var (w, head) = OggOpusRtpWriter.Start(7, new OpusHead(2, 312, 48000), new OpusTags("t", Seq<string>.Empty));
        var output = new List<byte>(head);
        void Write(uint ts) { (w, var b) = w.WritePacket(opus20ms, ts); output.AddRange(b); }
        Write(uint.MaxValue - 959);    // first packet: granule 960
        Write(0);                      // wrapped: 960 + 960
        Write(960 * 11);               // DTX skipped 10 packets: granule 960 * 13
        Write(960 * 5);                // late (reordered): its time has passed, dropped (a page that adds fewer samples than its packet holds is invalid)
        (w, var tail) = w.Finish();
        output.AddRange(tail);

        var pages = Ogg.ReadPages(output.ToArray()).IfLeft(e => throw new Exception(e.ToString()));
        var audio = pages.Skip(2).ToArray();
        Assert.Equal(new long[] { 960, 1920, 960 * 13 }, audio.Select(p => p.GranulePosition).ToArray());
        Assert.True(pages[0].Flags.HasFlag(OggPageFlags.BeginningOfStream));
        Assert.Equal(OggPageFlags.EndOfStream, audio[^1].Flags);
        Assert.True(audio[..^1].All(p => p.Flags == OggPageFlags.None));
        var packets = Ogg.ReadPackets(pages).IfLeft(e => throw new Exception(e.ToString()));
        Assert.Equal((byte)2, OpusHead.Parse(packets[0].Data.Span).IfLeft(e => throw new Exception(e.ToString())).Channels);
        Assert.Equal(5, packets.Count);
    }

    [Fact]
    public void IvfFileWriterRebuildsReorderedRtpAndFinishesTheHeader()
    {
        // Three frames packetized for RTP (small MTU: several packets each), then delivered with neighbours swapped.
        var frames = new[] { Vp8Inter(500, 1), Vp8Key(176, 144, 2000, 2), Vp8Inter(900, 3), Vp8Inter(700, 4) };
        var state = new PacketizerState(0xBEEF, 96, new Vp8Payloader(), 300, 65530, 4_294_960_000, TimeSpan.Zero);
        var packets = new List<RtpPacket>();
        foreach (var f in frames)
        {
            var step = Packetizer.Packetize(state, new MediaSample(f, TimeSpan.FromMilliseconds(40)));
            state = step.State;
            packets.AddRange(step.Outputs);
        }
        for (var i = 1; i + 1 < packets.Count; i += 3) (packets[i], packets[i + 1]) = (packets[i + 1], packets[i]);

        var stream = new MemoryStream();
        using (var writer = new IvfFileWriter(stream, ownsStream: false))
        {
            foreach (var p in packets) writer.WriteRtp(p);
            writer.Close();
            Assert.Equal(3, writer.FramesWritten);    // the inter frame before the key frame is not written
            Assert.Equal(1, writer.FramesSkipped);
            Assert.Equal(TimeSpan.FromMilliseconds(80), writer.Duration);
        }
        var file = Ivf.Read(stream.ToArray()).IfLeft(e => throw new Exception(e.ToString()));
        Assert.Equal(new IvfHeader(IvfHeader.Vp8, 176, 144, 90000, 1, 3), file.Header);
        Assert.Equal(frames[1..].Select(f => Convert.ToHexString(f)), file.Frames.Map(f => Convert.ToHexString(f.Data.Span)));
        Assert.Equal(new ulong[] { 0, 3600, 7200 }, file.Frames.Map(f => f.Timestamp).ToArray());
    }

    [Fact]
    public void H264FileWriterJoinsFuAAndStapAIntoAnnexB()
    {
        var idr = new byte[3000];
        idr[0] = 0x65;
        for (var i = 1; i < idr.Length; i++) idr[i] = (byte)(i * 7 + 1);
        var unit = AnnexB(Sps, Pps, idr);
        var state = new PacketizerState(1, 106, H264Payloader.Instance, 1200, 100, 90000, TimeSpan.Zero);
        var step = Packetizer.Packetize(state, new MediaSample(unit, TimeSpan.FromMilliseconds(33)));
        Assert.Contains(step.Outputs, p => (p.Payload[0] & 0x1F) == H264NalType.StapA);
        Assert.Contains(step.Outputs, p => (p.Payload[0] & 0x1F) == H264NalType.FuA);
        var next = Packetizer.Packetize(step.State, new MediaSample(AnnexB(Slice), TimeSpan.FromMilliseconds(33)));

        var stream = new MemoryStream();
        var writer = new H264FileWriter(stream, ownsStream: false);
        // The first packet first (a stream opens on it), the rest in reverse.
        var all = step.Outputs.Concat(next.Outputs).ToList();
        foreach (var p in all.Take(1).Concat(all.Skip(1).Reverse())) writer.WriteRtp(p.ToBytes().IfLeft(_ => throw new Exception()).AsSpan());
        writer.Close();
        Assert.Equal(AnnexB(Sps, Pps, idr, Slice), stream.ToArray());
        Assert.Throws<ObjectDisposedException>(() => writer.WriteRtp(step.Outputs[0]));
    }

    [Fact]
    public void OggOpusFileWriterWritesHeadersEvenForOnePacketAndFlagsItLast()
    {
        var stream = new MemoryStream();
        var writer = new OggOpusFileWriter(stream, ownsStream: false);
        writer.WriteRtp(RtpPacket.Create(111, 5, 1234, 9, new byte[] { 0xFC, 0xFF, 0xFE }, marker: true));
        writer.Close();
        var pages = Ogg.ReadPages(stream.ToArray()).IfLeft(e => throw new Exception(e.ToString()));
        Assert.Equal(3, pages.Count);
        Assert.Equal(960, pages[2].GranulePosition);
        Assert.True(pages[2].Flags.HasFlag(OggPageFlags.EndOfStream));
        Assert.Equal(1, writer.FramesWritten);
    }

    /// <summary>Fuzz: any frames, any timestamps, into the three writers: never an exception, and the IVF always reads back.</summary>
    [Property(MaxTest = 200)]
    public bool WritersTakeAnyBytes(byte[][] frames, uint[] timestamps)
    {
        var ivf = IvfWriter.Vp8();
        var h264 = H264AnnexBWriter.Initial;
        var (ogg, _) = OggOpusRtpWriter.Start(1, OpusHead.Stereo48k, new OpusTags("f", Seq<string>.Empty));
        var file = new List<byte>();
        for (var i = 0; i < frames.Length; i++)
        {
            var data = frames[i] ?? [];
            var ts = timestamps.Length == 0 ? 0 : timestamps[i % timestamps.Length];
            // Half the frames made key frames, so that the writer starts.
            if (i % 2 == 0 && data.Length >= 10) { data = (byte[])data.Clone(); Vp8Key(64, 48).AsSpan(0, 10).CopyTo(data); }
            (ivf, var b) = ivf.WriteFrame(data, ts);
            file.AddRange(b);
            (h264, _) = h264.WriteAccessUnit(data);
            (ogg, _) = ogg.WritePacket(data, ts);
        }
        (ogg, _) = ogg.Finish();
        if (!ivf.Started) return file.Count == 0;
        var bytes = file.ToArray();
        ivf.Header().CopyTo(bytes, 0);
        return Ivf.Read(bytes).Exists(f => f.Frames.Count == ivf.FrameCount);
    }
}
