using Functional.WebRtc.Core;
using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;
using static Functional.WebRtc.PropertyTests.Rtp.RtpGens;

namespace Functional.WebRtc.PropertyTests.Rtp;

public static class RtcpGens
{
    private static Gen<Seq<T>> SeqOf<T>(Gen<T> g, int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(g, n)).Select(a => a.ToSeq());
    private static Gen<Bytes> Aligned(int maxWords) => Gen.Choose(0, maxWords).SelectMany(n => Gen.ArrayOf(Octet, 4 * n)).Select(a => (Bytes)a);
    private static Gen<string> Text(int max) =>
        Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Gen.Choose(0x20, 0x7E).Select(c => (char)c), n)).Select(a => new string(a));

    public static Gen<ReceptionReport> Report =>
        from ssrc in UInt
        from frac in Octet
        from lost in Gen.Choose(-0x800000, 0x7FFFFF)
        from hi in UInt
        from jitter in UInt
        from lsr in UInt
        from dlsr in UInt
        select new ReceptionReport(ssrc, frac, lost, hi, jitter, lsr, dlsr);

    public static Gen<RtcpPacket> Sr =>
        from ssrc in UInt
        from ntp in ArbMap.Default.GeneratorFor<ulong>()
        from ts in UInt
        from pc in UInt
        from oc in UInt
        from rs in SeqOf(Report, 31)
        from ext in Aligned(3)
        select (RtcpPacket)new SenderReport(ssrc, ntp, ts, pc, oc, rs, ext);

    public static Gen<RtcpPacket> Rr =>
        from ssrc in UInt
        from rs in SeqOf(Report, 31)
        from ext in Aligned(3)
        select (RtcpPacket)new ReceiverReport(ssrc, rs, ext);

    public static Gen<SdesItem> Item =>
        from t in Gen.Choose(1, 8)
        from v in BytesOf(0, 255)
        select new SdesItem((SdesItemType)t, v);

    public static Gen<RtcpPacket> Sdes =>
        SeqOf(from s in UInt from items in SeqOf(Item, 4) select new SdesChunk(s, items), 31)
            .Select(c => (RtcpPacket)new SourceDescription(c));

    public static Gen<RtcpPacket> Bye =>
        from ss in SeqOf(UInt, 31)
        from hasReason in Bool
        from reason in Text(100)
        select (RtcpPacket)new Goodbye(ss, hasReason ? Prelude.Some(reason) : Prelude.None);

    public static Gen<RtcpPacket> App =>
        from sub in Gen.Choose(0, 31)
        from ssrc in UInt
        from name in Gen.ArrayOf(Gen.Choose(0x41, 0x5A).Select(c => (char)c), 4)
        from data in Aligned(10)
        select (RtcpPacket)new ApplicationDefined((byte)sub, ssrc, new string(name), data);

    public static Gen<RtcpPacket> Nack =>
        from s in UInt
        from m in UInt
        from pairs in SeqOf(from p in UShort from b in UShort select new NackPair(p, b), 20)
        select (RtcpPacket)new GenericNack(s, m, pairs);

    public static Gen<RtcpPacket> Pli => from s in UInt from m in UInt select (RtcpPacket)new PictureLossIndication(s, m);

    public static Gen<RtcpPacket> Fir =>
        from s in UInt
        from es in SeqOf(from ssrc in UInt from n in Octet select new FirEntry(ssrc, n), 10)
        select (RtcpPacket)new FullIntraRequest(s, 0, es);

    public static Gen<RtcpPacket> Remb =>
        from s in UInt
        from mantissa in Gen.Choose(0, 0x3FFFF)
        from exp in Gen.Choose(0, 40)
        from ssrcs in SeqOf(UInt, 10)
        select (RtcpPacket)new ReceiverEstimatedMaxBitrate(s, (ulong)mantissa << exp, ssrcs);

    public static Gen<Option<TimeSpan>> Arrival =>
        Gen.Frequency(
            (1, Gen.Constant(Option<TimeSpan>.None)),
            (4, Gen.Choose(0, 4_000_000).Select(us => Prelude.Some(TimeSpan.FromTicks(us * 10L)))));

    public static Gen<RtcpPacket> Twcc =>
        from s in UInt
        from m in UInt
        from fb in Octet
        from baseSeq in UShort
        from start in Gen.Choose(0, 1_000_000)
        from arrivals in Gen.Choose(0, 200).SelectMany(n => Gen.ArrayOf(Gen.Frequency(
            (1, Gen.Constant(Option<TimeSpan>.None)),
            (6, Gen.Choose(0, 300).Select(ms => Prelude.Some(TimeSpan.FromMilliseconds(start + ms)))),
            (1, Arrival)), n))
        select (RtcpPacket)TransportCcFeedback.Build(s, m, fb, baseSeq, arrivals);

    public static Gen<RtcpPacket> Unknown =>
        from t in Gen.Elements<byte>(192, 195, 207, 210)
        from c in Gen.Choose(0, 31)
        from body in BytesOf(0, 40)
        select (RtcpPacket)new UnknownRtcp(t, (byte)c, body);

    public static Gen<RtcpPacket> Any => Gen.OneOf(Sr, Rr, Sdes, Bye, App, Nack, Pli, Fir, Remb, Twcc, Unknown);

    public static Gen<Seq<RtcpPacket>> Compound => Gen.Choose(1, 5).SelectMany(n => Gen.ArrayOf(Any, n)).Select(a => a.ToSeq());
}

public class RtcpArbs
{
    public static Arbitrary<Seq<RtcpPacket>> Compound() => RtcpGens.Compound.ToArbitrary();
    public static Arbitrary<RtcpPacket> Packet() => RtcpGens.Any.ToArbitrary();
}
