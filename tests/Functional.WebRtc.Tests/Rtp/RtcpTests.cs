using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Functional.WebRtc.Tests.Rtp;

public class RtcpTests
{
    private static Seq<RtcpPacket> ParseOk(string hex) =>
        RtcpCompound.Parse(Convert.FromHexString(hex)).IfLeft(e => throw new Exception(e.ToString()));

    private static string WriteHex(params RtcpPacket[] packets) =>
        Convert.ToHexString(RtcpCompound.ToBytes(packets).IfLeft(e => throw new Exception(e.ToString())));

    // RFC 4585 6.2.1: FMT 1, PT 205, PID 100 and BLP 0b101 (101 and 103 lost too).
    private const string Nack = "81CD0003" + "00000001" + "00000002" + "00640005";

    [Fact]
    public void GenericNackVector()
    {
        var nack = Assert.IsType<GenericNack>(ParseOk(Nack).Single());
        Assert.Equal(1u, nack.SenderSsrc);
        Assert.Equal(2u, nack.MediaSsrc);
        Assert.Equal(new ushort[] { 100, 101, 103 }, nack.LostSequenceNumbers.ToArray());
        Assert.Equal(Nack, WriteHex(GenericNack.FromLost(1, 2, new ushort[] { 100, 101, 103 })));
    }

    [Fact]
    public void NackFromLostWrapsAndSplitsPairs()
    {
        var lost = new ushort[] { 65534, 65535, 0, 1, 20, 40 };
        var nack = GenericNack.FromLost(1, 2, lost);
        Assert.Equal(3, nack.Pairs.Count);
        Assert.Equal(lost, nack.LostSequenceNumbers.ToArray());
    }

    // RFC 4585 6.3.1: PLI is PSFB FMT 1 with no FCI.
    [Fact]
    public void PliVector()
    {
        const string pli = "81CE0002" + "00000001" + "00000002";
        Assert.Equal(new PictureLossIndication(1, 2), ParseOk(pli).Single());
        Assert.Equal(pli, WriteHex(new PictureLossIndication(1, 2)));
    }

    // RFC 3550 6.4.1: SR with one report block (RC = 1, length 12 words).
    private const string Sr = "81C8000C" + "11223344" + "E000000080000000" + "00001000" + "0000000A" + "000003E8"
                              + "55667788" + "40000003" + "00010005" + "00000020" + "ABCD1234" + "00010000";

    [Fact]
    public void SenderReportVector()
    {
        var sr = Assert.IsType<SenderReport>(ParseOk(Sr).Single());
        Assert.Equal(0x11223344u, sr.Ssrc);
        Assert.Equal(0xE000000080000000UL, sr.NtpTimestamp);
        Assert.Equal(0x1000u, sr.RtpTimestamp);
        Assert.Equal(10u, sr.PacketCount);
        Assert.Equal(1000u, sr.OctetCount);
        var rb = sr.Reports.Single();
        Assert.Equal(new ReceptionReport(0x55667788, 0x40, 3, 0x10005, 0x20, 0xABCD1234, 0x10000), rb);
        Assert.Equal(Sr, WriteHex(sr));
    }

    [Fact]
    public void NegativeCumulativeLostIsSignExtended()
    {
        var rr = new ReceiverReport(1, Seq1(new ReceptionReport(2, 0, -2, 0, 0, 0, 0)));
        var hex = WriteHex(rr);
        Assert.Equal("81C90007" + "00000001" + "00000002" + "00FFFFFE", hex[..32]);
        Assert.Equal(rr, ParseOk(hex).Single());
    }

    [Fact]
    public void SdesAndByeVectors()
    {
        const string sdes = "81CA0003" + "00000001" + "01036162" + "63000000";
        Assert.Equal(SourceDescription.Cname(1, "abc"), ParseOk(sdes).Single());
        Assert.Equal(sdes, WriteHex(SourceDescription.Cname(1, "abc")));
        const string bye = "81CB0003" + "00000001" + "04627965" + "21000000";
        Assert.Equal(new Goodbye(Seq1(1u), Some("bye!")), ParseOk(bye).Single());
        Assert.Equal(bye, WriteHex(new Goodbye(Seq1(1u), Some("bye!"))));
    }

    [Fact]
    public void FirAndRembVectors()
    {
        const string fir = "84CE0004" + "00000001" + "00000000" + "00000002" + "05000000";
        Assert.Equal(new FullIntraRequest(1, 0, Seq1(new FirEntry(2, 5))), ParseOk(fir).Single());
        Assert.Equal(fir, WriteHex(new FullIntraRequest(1, 0, Seq1(new FirEntry(2, 5)))));
        // 1 Mbit/s = 250000 << 2: exponent 2, mantissa 0x3D090.
        const string remb = "8FCE0005" + "00000001" + "00000000" + "52454D42" + "010BD090" + "00000002";
        Assert.Equal(new ReceiverEstimatedMaxBitrate(1, 1_000_000, Seq1(2u)), ParseOk(remb).Single());
        Assert.Equal(remb, WriteHex(new ReceiverEstimatedMaxBitrate(1, 1_000_000, Seq1(2u))));
    }

    // draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1: a run-length chunk (3 x small delta),
    // a two-bit status vector (large, lost, small, small, lost, lost, large), a one-bit vector (2 received of 14),
    // 11 delta octets and 3 octets of RTCP padding.
    private const string Twcc = "AFCD0009" + "00000001" + "00000002" + "000A000C" + "00001005"
                                + "2003" + "E142" + "B000" + "04080C" + "FFFC" + "0102" + "0400" + "1020" + "000003";

    [Fact]
    public void TransportCcVectorWithMixedChunks()
    {
        var fb = Assert.IsType<TransportCcFeedback>(ParseOk(Twcc).Single());
        Assert.Equal(10, fb.BaseSequenceNumber);
        Assert.Equal(12, fb.PacketStatusCount);
        Assert.Equal(0x10u, fb.ReferenceTime);
        Assert.Equal(5, fb.FeedbackPacketCount);
        Assert.IsType<TwccChunk.RunLength>(fb.Chunks[0]);
        Assert.True(fb.Chunks[1] is TwccChunk.StatusVector { TwoBitSymbols: true });
        Assert.True(fb.Chunks[2] is TwccChunk.StatusVector { TwoBitSymbols: false });
        Assert.Equal(new[] { 4, 8, 12, -4, 1, 2, 1024, 16, 32 }, fb.RecvDeltas.ToArray());
        var statuses = fb.PacketStatuses();
        Assert.Equal(12, statuses.Count);
        Assert.Equal(new TwccPacketStatus(10, TwccSymbol.SmallDelta, TimeSpan.FromMilliseconds(1025)), statuses[0]);
        Assert.Equal(new TwccPacketStatus(13, TwccSymbol.LargeDelta, TimeSpan.FromMilliseconds(1024 + 6 - 1)), statuses[3]);
        Assert.True(statuses[4].Arrival.IsNone);
        Assert.Equal(Twcc, WriteHex(fb));
    }

    [Fact]
    public void TransportCcBuildRoundTripsArrivals()
    {
        var arrivals = new List<Option<TimeSpan>>();
        for (var i = 0; i < 40; i++)
            arrivals.Add(i % 9 == 3 ? None : Some(TimeSpan.FromMilliseconds(1000 + 5 * i + (i == 20 ? 200 : 0))));
        var fb = TransportCcFeedback.Build(1, 2, 0, 65530, arrivals);
        var back = Assert.IsType<TransportCcFeedback>(ParseOk(WriteHex(fb)).Single());
        Assert.Equal(fb, back);
        var statuses = back.PacketStatuses();
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal((ushort)(65530 + i), statuses[i].SequenceNumber);
            Assert.Equal(arrivals[i], statuses[i].Arrival);
        }
    }

    [Fact]
    public void CompoundSrSdesAndUnknownRoundTrip()
    {
        var app = new ApplicationDefined(3, 9, "TEST", new byte[] { 1, 2, 3, 4 });
        var unknown = new UnknownRtcp(207, 2, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
        var hex = Sr + "81CA0003" + "00000001" + "0103616263000000" + WriteHex(app, unknown);
        var packets = ParseOk(hex);
        Assert.Equal(4, packets.Count);
        Assert.True(RtcpCompound.IsFullCompound(packets));
        Assert.Equal(app, packets[2]);
        Assert.Equal(unknown, packets[3]);
        Assert.Equal(hex, WriteHex(packets.ToArray()));
        // Reduced-size RTCP (RFC 5506): a lone PLI parses too, but is not a full compound.
        Assert.False(RtcpCompound.IsFullCompound(ParseOk("81CE00020000000100000002")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("81C8")]
    [InlineData("41C80000")]                      // version 1
    [InlineData("81C80006" + "11223344")]         // length beyond datagram
    [InlineData("81C80001" + "11223344")]         // SR body too short for RC = 1
    [InlineData("A1CD0001" + "00000000")]         // padding count 0
    [InlineData("81CA0001" + "00000001")]         // SDES chunk without terminator
    [InlineData("8FCD0005" + "000000010000000200000005" + "00000000" + "00000000")] // TWCC run of length zero
    public void MalformedIsATypedError(string hex)
    {
        var r = RtcpCompound.Parse(Convert.FromHexString(hex));
        Assert.True(r.IsLeft);
        r.IfLeft(e => Assert.IsType<RtcError.Syntax>(e));
    }

    [Fact]
    public void WritingOutOfRangeFieldsIsAnError()
    {
        var tooMany = new ReceiverReport(1, Enumerable.Range(0, 32).Select(i => new ReceptionReport((uint)i, 0, 0, 0, 0, 0, 0)).ToSeq());
        Assert.True(RtcpCompound.ToBytes(tooMany).IsLeft);
        Assert.True(RtcpCompound.ToBytes(new ApplicationDefined(1, 1, "TOOLONG", default)).IsLeft);
        Assert.False(RtcpCompound.TryWrite(new PictureLossIndication(1, 2), new byte[8], out _, out var err));
        Assert.IsType<RtcError.Range>(err);
    }

    [Fact]
    public void ReaderWalksWithoutParsing()
    {
        var reader = new RtcpReader(Convert.FromHexString(Sr + Nack));
        var types = new List<byte>();
        while (reader.MoveNext()) types.Add(reader.Current.PacketType);
        Assert.Null(reader.Error);
        Assert.Equal(new byte[] { 200, 205 }, types);
    }
}
