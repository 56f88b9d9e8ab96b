using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Tests.Rtp;

public class RtpPacketTests
{
    // Hand-built from RFC 3550 5.1 and RFC 8285 4.2: V=2, X=1, M=1, PT=96, seq 1, ts 100, SSRC 0x12345678,
    // one-byte extensions (id 1 "A" = mid, id 3 = transport-cc 0x0005), padded to 2 words, payload DEADBEEF.
    private static readonly byte[] Vector = Convert.FromHexString(
        "90E00001" + "00000064" + "12345678" + "BEDE0002" + "1041" + "310005" + "000000" + "DEADBEEF");

    [Fact]
    public void ParsesHandBuiltVector()
    {
        Assert.True(RtpPacketView.TryParse(Vector, out var v, out var err), err?.ToString());
        Assert.Equal(2, v.Version);
        Assert.True(v.Marker);
        Assert.Equal(96, v.PayloadType);
        Assert.Equal(1, v.SequenceNumber);
        Assert.Equal(100u, v.Timestamp);
        Assert.Equal(0x12345678u, v.Ssrc);
        Assert.Equal(RtpExtensionFormat.OneByte, v.ExtensionFormat);
        Assert.Equal(24, v.HeaderSize);
        Assert.Equal("DEADBEEF", Convert.ToHexString(v.Payload));
        Assert.True(v.TryGetString(1, out var mid));
        Assert.Equal("A", mid);
        Assert.True(v.TryGetTransportSequenceNumber(3, out var tseq));
        Assert.Equal(5, tseq);
        Assert.False(v.TryGetExtension(2, out _));
    }

    [Fact]
    public void WriterReproducesHandBuiltVector()
    {
        var buf = new byte[64];
        var w = new RtpWriter(buf);
        Assert.True(w.WriteHeader(new RtpHeader(true, 96, 1, 100, 0x12345678)));
        Assert.True(w.AddString(1, "A"));
        Assert.True(w.AddTransportSequenceNumber(3, 5));
        Assert.True(w.WritePayload(Convert.FromHexString("DEADBEEF")));
        Assert.Equal(Convert.ToHexString(Vector), Convert.ToHexString(buf.AsSpan(0, w.Length)));
    }

    [Fact]
    public void RecordRoundTripsWithTwoByteExtensionsCsrcsAndPadding()
    {
        var p = RtpPacket.Create(111, 65535, 0xFFFFFFFF, 7, new byte[] { 1, 2, 3 }, marker: true)
            with { Csrcs = Seq.create(1u, 2u), PaddingSize = 4 };
        p = p.SetExtension(20, new byte[] { 9 }).SetAudioLevel(1, new AudioLevel(true, 30))
             .SetPlayoutDelay(2, new PlayoutDelay(10, 4095)).SetAbsSendTime(3, 0xABCDEF);
        Assert.Equal(RtpExtensionFormat.TwoByte, p.ExtensionFormat);
        var bytes = p.ToBytes().IfLeft(_ => throw new Exception());
        Assert.Equal(p.Size, bytes.Length);
        var back = RtpPacket.Parse(bytes).IfLeft(_ => throw new Exception());
        Assert.Equal(p, back);
        Assert.Equal(new AudioLevel(true, 30), back.GetAudioLevel(1));
        Assert.Equal(new PlayoutDelay(10, 4095), back.GetPlayoutDelay(2));
        Assert.Equal(0xABCDEFu, back.GetAbsSendTime(3));
    }

    [Fact]
    public void AbsSendTimeIsSixPointEighteenFixedPoint()
    {
        Assert.Equal(0x040000u, RtpExtensions.AbsSendTimeFrom(TimeSpan.FromSeconds(1)));
        Assert.Equal(0x020000u, RtpExtensions.AbsSendTimeFrom(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(TimeSpan.FromSeconds(1), RtpExtensions.AbsSendTimeToTimeSpan(0x040000));
        // 64 s wraps to 0.
        Assert.Equal(0u, RtpExtensions.AbsSendTimeFrom(TimeSpan.FromSeconds(64)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("80")]
    [InlineData("40E00001000000641234567800")] // version 1
    [InlineData("82E000010000006412345678")]   // two CSRCs missing
    [InlineData("90E000010000006412345678BEDE")] // extension header truncated
    [InlineData("90E000010000006412345678BEDE000110")] // extension block truncated
    [InlineData("90E000010000006412345678BEDE00011F000000")] // element of 16 bytes overruns the block
    [InlineData("A0E00001000000641234567800")] // padding count 0
    [InlineData("A0E0000100000064123456780009")] // padding count larger than packet
    public void RejectsMalformedWithTypedError(string hex)
    {
        Assert.False(RtpPacketView.TryParse(Convert.FromHexString(hex), out _, out var err));
        Assert.IsType<RtcError.Syntax>(err);
        Assert.True(RtpPacket.Parse(Convert.FromHexString(hex)).IsLeft);
    }

    [Fact]
    public void WriterFailsCleanlyOnSmallBufferAndBadIds()
    {
        var w = new RtpWriter(new byte[11]);
        Assert.False(w.WriteHeader(new RtpHeader(false, 0, 0, 0, 0)));
        var w2 = new RtpWriter(new byte[100]);
        Assert.True(w2.WriteHeader(new RtpHeader(false, 0, 0, 0, 0)));
        Assert.False(w2.AddExtension(15, new byte[] { 1 }));   // id 15 is reserved in the one-byte form
        var w3 = new RtpWriter(new byte[100]);
        w3.WriteHeader(new RtpHeader(false, 0, 0, 0, 0));
        Assert.False(w3.AddExtension(1, new byte[17]));        // one-byte form carries at most 16 bytes
        Assert.True(w3.Failed);
    }

    [Fact]
    public void SpanPathDoesNotAllocate()
    {
        var buffer = new byte[1400];
        var payload = new byte[1200];
        var total = 0L;
        for (var round = 0; round < 2; round++) // the first round warms up (JIT, statics)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                var w = new RtpWriter(buffer);
                w.WriteHeader(new RtpHeader(true, 96, (ushort)i, 3000, 1));
                w.AddAbsSendTime(3, 0x123456);
                w.AddTransportSequenceNumber(5, (ushort)i);
                w.WritePayload(payload);
                RtpPacketView.TryParse(buffer.AsSpan(0, w.Length), out var v, out _);
                v.TryGetTransportSequenceNumber(5, out var seq);
                total += seq + v.Payload.Length;
            }
            if (round == 1) Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(2 * (4950 + 100 * 1200), total);
    }

    [Fact]
    public void UnknownProfileIsKeptRaw()
    {
        var bytes = Convert.FromHexString("900000010000000100000002ABCD000111223344FF");
        var p = RtpPacket.Parse(bytes).IfLeft(_ => throw new Exception());
        Assert.Equal(RtpExtensionFormat.Other, p.ExtensionFormat);
        Assert.Equal((ushort)0xABCD, p.RawExtensionProfile);
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(p.ToBytes().IfLeft(_ => throw new Exception())));
    }
}
