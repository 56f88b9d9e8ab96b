using Functional.WebRtc.Core;
using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.PropertyTests.Rtp;
using Functional.WebRtc.Testing;
using LanguageExt;

namespace Functional.WebRtc.PropertyTests.Media;

public class MediaFileProperties
{
    private static Gen<Seq<Bytes>> Packets(int min, int maxLength) =>
        Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(RtpGens.BytesOf(min, maxLength), n)).Select(a => a.Select(x => (Bytes)x).ToSeq());

    [Property(MaxTest = 100)]
    public Property IvfWriteThenReadRoundTrips() =>
        Prop.ForAll(Packets(0, 3000).ToArbitrary(), Gen.Elements(IvfHeader.Vp8, IvfHeader.Vp9, IvfHeader.Av1).ToArbitrary(), (frames, fourcc) =>
        {
            var header = new IvfHeader(fourcc, 1280, 720, 90000, 1, (uint)frames.Count);
            var ivf = frames.Select((f, i) => new IvfFrame((ulong)(i * 3000), f)).ToSeq();
            return Ivf.Read(Ivf.Write(header, ivf)).Map(r => r.Header == header && r.Frames == ivf).IfLeft(false);
        });

    [Property(MaxTest = 100)]
    public Property OggOpusWriteThenReadRoundTrips() =>
        Prop.ForAll(Packets(1, 20000).ToArbitrary(), ArbMap.Default.GeneratorFor<uint>().ToArbitrary(), (packets, serial) =>
        {
            var tags = new OpusTags("vendor", Seq.create("A=b", "TITLE=x"));
            var file = OggOpus.Write(serial, OpusHead.Stereo48k, tags, packets);
            return OggOpus.Read(file).Map(r => Matches(r, tags, serial, packets)).IfLeft(false);
        });

    private static bool Matches(OggOpusFile r, OpusTags tags, uint serial, Seq<Bytes> packets)
    {
        var granules = r.Packets.Map(p => p.GranulePosition).ToArray();
        return r.Tags == tags && r.Serial == serial && r.Packets.Map(p => p.Data) == packets
               && granules.Zip(granules.Skip(1)).All(x => x.Item1 <= x.Item2);
    }

    [Property(MaxTest = 300)]
    public bool RandomBytesNeverThrow(byte[] bytes)
    {
        _ = Ivf.Read(bytes);
        _ = OggOpus.Read(bytes);
        _ = OpusHead.Parse(bytes);
        _ = OpusTags.Parse(bytes);
        _ = H264AnnexB.SplitAccessUnits(bytes);
        _ = OpusToc.SamplesPerPacket(bytes);
        // With a valid capture pattern and CRC the parser reaches deeper checks.
        var page = new OggPage(OggPageFlags.BeginningOfStream, 0, 1, 0, Seq.create((byte)Math.Min(bytes.Length, 255)), bytes.Take(255).ToArray()).ToBytes();
        _ = OggOpus.Read(page);
        return true;
    }

    [Property(MaxTest = 200)]
    public Property MutatedFilesNeverThrow() =>
        Prop.ForAll(Packets(1, 600).ToArbitrary(), Gen.Choose(0, 25_000_000).ToArbitrary(), (packets, x) =>
        {
            var (pos, value) = (x / 256, x % 256);
            var ogg = OggOpus.Write(1, OpusHead.Stereo48k, new OpusTags("v", Seq<string>.Empty), packets);
            var ivf = Ivf.Write(new IvfHeader(IvfHeader.Vp8, 1, 1, 1, 1, 0), packets.Select(p => new IvfFrame(0, p)).ToSeq());
            foreach (var f in new[] { ogg, ivf })
            {
                var m = f.ToArray();
                m[pos % m.Length] = (byte)value;
                _ = OggOpus.Read(m);
                _ = Ivf.Read(m);
                _ = OggOpus.Read(f.AsSpan(0, pos % (f.Length + 1)));
                _ = Ivf.Read(f.AsSpan(0, pos % (f.Length + 1)));
            }
            return true;
        });
}
