using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Testing;
using LanguageExt;
using static Functional.WebRtc.PropertyTests.Sdp.SdpGenerators;

namespace Functional.WebRtc.PropertyTests.Sdp;

/// <summary>Typed attribute records: Parse(ToString(x)) == x, and every typed parser is total on arbitrary text.</summary>
public class TypedAttributeProperties
{
    private static Gen<string> Id => Token(":;,~ ");
    private static Gen<string> RidId =>
        ArrayOf(Gen.Elements("abcXYZ019-_".ToCharArray()), 1, 8).Select(a => new string(a));
    private static Gen<SdpDirection> Direction =>
        Gen.Elements(SdpDirection.SendRecv, SdpDirection.SendOnly, SdpDirection.RecvOnly, SdpDirection.Inactive);

    public static Arbitrary<RtpMap> RtpMaps() =>
        (from pt in Gen.Choose(0, 127) from name in Token("/") from rate in Gen.Choose(1, int.MaxValue)
         from ch in OptionOf(Gen.Choose(1, 255)) select new RtpMap(pt, name, rate, ch)).ToArbitrary();

    public static Arbitrary<Fingerprint> Fingerprints() =>
        (from alg in Gen.Elements("sha-1", "sha-224", "sha-256", "sha-384", "sha-512", "md5")
         from bytes in ArbMap.Default.GeneratorFor<byte>().ArrayOf(Fingerprint.DigestLength(alg).IfNone(32))
         select new Fingerprint(alg, bytes)).ToArbitrary();

    public static Arbitrary<ExtMap> ExtMaps() =>
        (from id in Gen.Choose(1, 255) from uri in Token() from dir in OptionOf(Direction)
         from attrs in OptionOf(from a in Token() from b in Token() select a + " " + b)
         select new ExtMap(id, uri, dir, attrs)).ToArbitrary();

    public static Arbitrary<SsrcGroup> SsrcGroups() =>
        (from sem in Token() from ssrcs in ArrayOf(ArbMap.Default.GeneratorFor<uint>(), 0, 4) select new SsrcGroup(sem, Arr.create(ssrcs))).ToArbitrary();

    public static Arbitrary<SsrcAttribute> Ssrcs() =>
        (from ssrc in ArbMap.Default.GeneratorFor<uint>() from attr in Token(":") from value in OptionOf(Text())
         select new SsrcAttribute(ssrc, attr, value)).ToArbitrary();

    public static Arbitrary<SdpGroup> Groups() =>
        (from sem in Token() from mids in ArrayOf(Token(), 0, 4) select new SdpGroup(sem, Arr.create(mids))).ToArbitrary();

    public static Arbitrary<Simulcast> Simulcasts() =>
        (from send in ArrayOf(ArrayOf(from id in RidId from p in ArbMap.Default.GeneratorFor<bool>() select new SimulcastRid(id, p), 1, 3).Select(Arr.create), 0, 3)
         from recv in ArrayOf(ArrayOf(from id in RidId from p in ArbMap.Default.GeneratorFor<bool>() select new SimulcastRid(id, p), 1, 3).Select(Arr.create), 0, 3)
         where send.Length + recv.Length > 0
         select new Simulcast(Arr.create(send), Arr.create(recv))).ToArbitrary();

    public static Arbitrary<Rid> Rids() =>
        (from id in RidId from dir in Gen.Elements(RidDirection.Send, RidDirection.Recv)
         from restrictions in OptionOf(from k in Token(";= ") from v in Token(";= ") select $"{k}={v}")
         select new Rid(id, dir, restrictions)).ToArbitrary();

    public static Arbitrary<RtcpFeedback> Feedbacks() =>
        (from pt in Gen.OneOf(Gen.Constant("*"), Gen.Choose(0, 127).Select(n => n.ToString()))
         from type in Token() from sub in OptionOf(Token())
         select new RtcpFeedback(pt, type, sub)).ToArbitrary();

    private static bool RoundTrips<T>(T value, Func<SdpText, Either<RtcError, T>> parse) where T : notnull =>
        parse(value.ToString()!).Match(v => v.Equals(value), e => throw new Exception($"{e}: {value}"));

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(TypedAttributeProperties) })]
    public bool RtpMapRoundTrips(RtpMap x) => RoundTrips(x, RtpMap.Parse);

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(TypedAttributeProperties) })]
    public bool FingerprintRoundTrips(Fingerprint x) => RoundTrips(x, Fingerprint.Parse);

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(TypedAttributeProperties) })]
    public bool ExtMapRoundTrips(ExtMap x) => RoundTrips(x, ExtMap.Parse);

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(TypedAttributeProperties) })]
    public bool SsrcGroupRoundTrips(SsrcGroup x) => RoundTrips(x, SsrcGroup.Parse);

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(TypedAttributeProperties) })]
    public bool SsrcRoundTrips(SsrcAttribute x) => RoundTrips(x, SsrcAttribute.Parse);

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(TypedAttributeProperties) })]
    public bool GroupRoundTrips(SdpGroup x) => RoundTrips(x, SdpGroup.Parse);

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(TypedAttributeProperties) })]
    public bool SimulcastRoundTrips(Simulcast x) => RoundTrips(x, Simulcast.Parse);

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(TypedAttributeProperties) })]
    public bool RidRoundTrips(Rid x) => RoundTrips(x, Rid.Parse);

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(TypedAttributeProperties) })]
    public bool RtcpFeedbackRoundTrips(RtcpFeedback x) => RoundTrips(x, RtcpFeedback.Parse);

    /// <summary>Every typed parser on arbitrary text: a value or a syntax error, never an exception.</summary>
    [Property(MaxTest = 400)]
    public bool TypedParsersAreTotal(string text)
    {
        SdpText s = text ?? "";
        bool Safe<T>(Either<RtcError, T> r) => r.Match(_ => true, e => e is RtcError.Syntax);
        return Safe(CandidateAttribute.Parse(s)) && Safe(Fingerprint.Parse(s)) && Safe(RtpMap.Parse(s)) && Safe(Fmtp.Parse(s).Map(f => f.Parameters))
               && Safe(RtcpFeedback.Parse(s)) && Safe(RtcpAttribute.Parse(s)) && Safe(ExtMap.Parse(s)) && Safe(Msid.Parse(s))
               && Safe(MsidSemantic.Parse(s)) && Safe(SsrcAttribute.Parse(s)) && Safe(SsrcGroup.Parse(s)) && Safe(Rid.Parse(s).Map(r => r.PayloadTypes))
               && Safe(Simulcast.Parse(s)) && Safe(SdpGroup.Parse(s)) && Safe(SctpMap.Parse(s)) && Safe(SdpEnums.ParseSetup(s.Span));
    }

    /// <summary>The same with text shaped like the attributes (digits, spaces, separators), to get past the first token.</summary>
    [Property(MaxTest = 400)]
    public bool TypedParsersAreTotalOnAttributeLikeText(byte[] picks)
    {
        string[] parts = ["96", " ", "0", "4294967296", "sha-256", "AB:CD", ":", "/", ";", ",", "=", "~", "send", "recv", "typ", "host",
                          "raddr", "rport", "udp", "127.0.0.1", "::1", "90000", "opus/48000/2", "*", "nack", "pli", "-", "x", "1/sendonly"];
        var text = string.Concat((picks ?? []).Take(40).Select(b => parts[b % parts.Length]));
        return TypedParsersAreTotal(text);
    }
}
