using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Tests.Media;

public class MediaFileTests
{
    [Fact]
    public void IvfHeaderIsTheDocumented32Bytes()
    {
        var file = Ivf.Write(new IvfHeader(IvfHeader.Vp8, 640, 480, 30, 1, 0),
            Seq.create(new IvfFrame(0, new byte[] { 1, 2, 3 }), new IvfFrame(1, new byte[] { 4 })));
        Assert.Equal("444B4946" + "0000" + "2000" + "56503830" + "8002" + "E001" + "1E000000" + "01000000" + "02000000" + "00000000",
            Convert.ToHexString(file[..32]));
        // Frame header: size (4, LE) and timestamp (8, LE).
        Assert.Equal("03000000" + "0000000000000000" + "010203", Convert.ToHexString(file[32..47]));
        var read = Ivf.Read(file).IfLeft(e => throw new Exception(e.ToString()));
        Assert.Equal(2u, read.Header.FrameCount);
        Assert.Equal(new IvfFrame(1, new byte[] { 4 }), read.Frames[1]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("444B4946")]
    [InlineData("584B494600002000565038308002E0011E000000010000000000000000000000")] // not DKIF
    [InlineData("444B494600002000565038308002E0011E00000001000000000000000000000005000000000000000000000001")] // frame truncated
    public void IvfMalformedIsAnError(string hex) => Assert.True(Ivf.Read(Convert.FromHexString(hex)).IsLeft);

    [Fact]
    public void OggCrcIsTheNonReflectedPoly04C11DB7WithZeroInit()
    {
        // CRC-32/POSIX (same polynomial, init 0, not reflected) checks "123456789" as 0x765E7680 after its final XOR.
        Assert.Equal(0x765E7680u ^ 0xFFFFFFFFu, OggCrc.Compute("123456789"u8));
        Assert.Equal(0u, OggCrc.Compute([]));
    }

    /// <summary>A bit-at-a-time CRC, independent of the table-driven one.</summary>
    private static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0;
        foreach (var b in data)
        {
            crc ^= (uint)b << 24;
            for (var k = 0; k < 8; k++) crc = (crc & 0x80000000) != 0 ? (crc << 1) ^ 0x04C11DB7 : crc << 1;
        }
        return crc;
    }

    [Fact]
    public void OggOpusHeaderPageIsHandCheckable()
    {
        var (_, bytes) = OggOpusWriter.Start(0x11223344, new OpusHead(2, 312, 48000), new OpusTags("Functional.WebRtc", Seq.create("ENCODER=test")));
        // First page: "OggS", version 0, BOS, granule 0, serial, sequence 0, CRC, 1 segment of 19 bytes, OpusHead.
        Assert.Equal("4F676753" + "00" + "02" + "0000000000000000" + "44332211" + "00000000", Convert.ToHexString(bytes[..22]));
        Assert.Equal(1, bytes[26]);
        Assert.Equal(19, bytes[27]);
        Assert.Equal("4F707573486561640102380180BB00000000" + "00", Convert.ToHexString(bytes[28..47]));
        var page = bytes[..47].ToArray();
        var crc = BitConverter.ToUInt32(page, 22);
        page[22] = page[23] = page[24] = page[25] = 0;
        Assert.Equal(BitwiseCrc(page), crc);
        // The second page starts right after, with sequence 1 and no flags.
        Assert.Equal("4F67675300", Convert.ToHexString(bytes[47..52]));
        Assert.Equal(0, bytes[52]);
        Assert.Equal(1u, BitConverter.ToUInt32(bytes, 47 + 18));
    }

    [Fact]
    public void OggOpusRoundTripsPacketsAndGranules()
    {
        // TOC 0xFC: config 31 (CELT FB 20 ms), code 0: 960 samples; 0x0B: config 1 (SILK NB 20 ms), code 3 with 3 frames.
        var packets = Seq.create<Bytes>(new byte[] { 0xFC, 1, 2 }, new byte[] { 0x0B, 0x03, 9 }, Enumerable.Repeat((byte)0xFC, 70000).ToArray());
        var file = OggOpus.Write(7, OpusHead.Stereo48k, new OpusTags("v", Seq<string>.Empty), packets);
        var read = OggOpus.Read(file).IfLeft(e => throw new Exception(e.ToString()));
        Assert.Equal(OpusHead.Stereo48k, read.Head);
        Assert.Equal(7u, read.Serial);
        Assert.Equal(packets, read.Packets.Map(p => p.Data));
        Assert.Equal(new long[] { 960, 960 + 2880, 960 + 2880 + 960 }, read.Packets.Map(p => p.GranulePosition).ToArray());
        // The 70000-byte packet needs 275 lacing values: two pages, the second continued and end-of-stream.
        var pages = Ogg.ReadPages(file).IfLeft(e => throw new Exception(e.ToString()));
        Assert.Equal(OggPageFlags.Continued | OggPageFlags.EndOfStream, pages.Last.Flags);
        Assert.Equal(-1, pages[^2].GranulePosition);
    }

    [Fact]
    public void OggCorruptionIsDetected()
    {
        var file = OggOpus.Write(7, OpusHead.Stereo48k, new OpusTags("v", Seq<string>.Empty), Seq.create<Bytes>(new byte[] { 0xFC }));
        var bad = file.ToArray();
        bad[30] ^= 1;
        var r = OggOpus.Read(bad);
        Assert.True(r.IsLeft);
        r.IfLeft(e => Assert.Contains("CRC", e.Message));
        Assert.True(OggOpus.Read(file[..^1]).IsLeft);
        Assert.True(OggOpus.Read([]).IsLeft);
    }

    [Fact]
    public void OpusTocSampleCounts()
    {
        Assert.Equal(960, OpusToc.SamplesPerPacket([0xFC]));       // CELT 20 ms
        Assert.Equal(120, OpusToc.SamplesPerPacket([0x80]));       // CELT 2.5 ms
        Assert.Equal(2880, OpusToc.SamplesPerPacket([0x18]));      // SILK NB 60 ms
        Assert.Equal(1920, OpusToc.SamplesPerPacket([0x79]));      // Hybrid FB 20 ms, two frames
        Assert.Equal(0, OpusToc.SamplesPerPacket([]));
    }
}
