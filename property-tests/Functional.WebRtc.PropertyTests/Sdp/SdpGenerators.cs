using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Sdp;
using LanguageExt;

namespace Functional.WebRtc.PropertyTests.Sdp;

/// <summary>
/// Generators of SDP models restricted to what SDP text can carry: no CR or LF anywhere, tokens without spaces,
/// free text without trailing whitespace (parsers trim it, as browsers do), attribute names without ':'.
/// </summary>
public static class SdpGenerators
{
    private const string TokenChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!#$%&'*+^`{|}~/=:@";
    private static readonly char[] TextChars = (TokenChars + " ;,<>\"()[]?\\\té中🙂").ToCharArray();

    public static Gen<T[]> ArrayOf<T>(Gen<T> gen, int min, int max) =>
        Gen.Choose(min, max).SelectMany(n => gen.ArrayOf(n));

    public static Gen<Option<T>> OptionOf<T>(Gen<T> gen) =>
        Gen.Frequency((1, Gen.Constant(Option<T>.None)), (2, gen.Select(Option<T>.Some)));

    private static Gen<string> StringOf(char[] chars, int min, int max) =>
        ArrayOf(Gen.Elements(chars), min, max).Select(a => new string(a));

    public static Gen<string> Token(string? exclude = null)
    {
        var chars = exclude is null ? TokenChars.ToCharArray() : TokenChars.Where(c => !exclude.Contains(c)).ToArray();
        return StringOf(chars, 1, 12);
    }

    /// <summary>Free text: may be empty, may start with spaces, never ends with a space or tab.</summary>
    public static Gen<string> Text(int min = 0) =>
        StringOf(TextChars, min, 24).Select(s => s.TrimEnd(' ', '\t')).Where(s => s.Length >= min);

    public static Gen<ulong> UInt64 => Gen.Frequency(
        (1, Gen.Choose(0, 100).Select(n => (ulong)n)),
        (2, ArbMap.Default.GeneratorFor<ulong>()));

    public static Gen<SdpText> TokenText(string? exclude = null) => Token(exclude).Select(s => (SdpText)s);
    public static Gen<SdpText> FreeText(int min = 0) => Text(min).Select(s => (SdpText)s);

    public static Gen<ConnectionData> Connection =>
        from n in TokenText() from t in TokenText() from a in TokenText() select new ConnectionData(n, t, a);

    public static Gen<Bandwidth> Bandwidth =>
        from t in TokenText(":") from v in UInt64 select new Bandwidth(t, v);

    public static Gen<SdpAttribute> Attribute =>
        from name in TokenText(":")
        from value in OptionOf(FreeText())
        select value.Match(v => new SdpAttribute(name, v), () => new SdpAttribute(name));

    public static Gen<Timing> Timing =>
        from start in UInt64
        from stop in UInt64
        from repeats in ArrayOf(FreeText(1), 0, 2)
        select new Timing(start, stop, Arr.create(repeats));

    public static Gen<MediaDescription> Media =>
        from kind in TokenText()
        from port in Gen.Choose(0, 65535)
        from count in OptionOf(Gen.Choose(0, 65535))
        from proto in TokenText()
        from formats in ArrayOf(TokenText(), 0, 6)
        from info in OptionOf(FreeText())
        from conn in OptionOf(Connection)
        from bws in ArrayOf(Bandwidth, 0, 2)
        from key in OptionOf(FreeText())
        from attrs in ArrayOf(Attribute, 0, 12)
        select new MediaDescription(kind, port, proto, Arr.create(formats))
        {
            PortCount = count,
            Information = info,
            Connection = conn,
            Bandwidths = Arr.create(bws),
            EncryptionKey = key,
            Attributes = Arr.create(attrs),
        };

    public static Gen<SdpDescription> Description =>
        from user in TokenText()
        from id in UInt64
        from version in UInt64
        from net in TokenText()
        from addrType in TokenText()
        from address in TokenText()
        from name in FreeText()
        from info in OptionOf(FreeText())
        from uri in OptionOf(FreeText())
        from emails in ArrayOf(FreeText(), 0, 2)
        from phones in ArrayOf(FreeText(), 0, 2)
        from conn in OptionOf(Connection)
        from bws in ArrayOf(Bandwidth, 0, 2)
        from timings in ArrayOf(Timing, 1, 3)
        from zone in OptionOf(FreeText(1))
        from key in OptionOf(FreeText())
        from attrs in ArrayOf(Attribute, 0, 8)
        from media in ArrayOf(Media, 0, 4)
        select new SdpDescription
        {
            Origin = new Origin(user, id, version, net, addrType, address),
            SessionName = name,
            Information = info,
            Uri = uri,
            Emails = Arr.create(emails),
            Phones = Arr.create(phones),
            Connection = conn,
            Bandwidths = Arr.create(bws),
            Timings = Arr.create(timings),
            ZoneAdjustments = zone,
            EncryptionKey = key,
            Attributes = Arr.create(attrs),
            Media = Arr.create(media),
        };

    private static Gen<string> IceChars(int min, int max) =>
        StringOf("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/".ToCharArray(), min, max);

    private static Gen<string> Address => Gen.OneOf(
        from a in Gen.Choose(0, 255) from b in Gen.Choose(0, 255) from c in Gen.Choose(0, 255) from d in Gen.Choose(0, 255)
        select $"{a}.{b}.{c}.{d}",
        from words in ArrayOf(Gen.Choose(0, 0xFFFF), 8, 8) select string.Join(":", words.Select(w => w.ToString("x"))),
        Gen.Elements("::1", "fe80::1", "2001:db8::7"),
        from s in StringOf("abcdef0123456789".ToCharArray(), 8, 8) select s + "-1234-5678-9abc-def012345678.local");

    public static Gen<CandidateAttribute> Candidate =>
        from foundation in IceChars(1, 32)
        from component in Gen.Choose(1, 256)
        from transport in Gen.Elements("udp", "tcp", "UDP")
        from priority in ArbMap.Default.GeneratorFor<uint>()
        from address in Address
        from port in Gen.Choose(0, 65535)
        from type in Gen.Elements(CandidateType.Host, CandidateType.Srflx, CandidateType.Prflx, CandidateType.Relay)
        from raddr in OptionOf(Address)
        from rport in OptionOf(Gen.Choose(0, 65535))
        from tcpType in OptionOf(Gen.Elements(CandidateTcpType.Active, CandidateTcpType.Passive, CandidateTcpType.So))
        from generation in OptionOf(ArbMap.Default.GeneratorFor<uint>())
        from ufrag in OptionOf(IceChars(4, 8))
        from networkId in OptionOf(ArbMap.Default.GeneratorFor<uint>())
        from networkCost in OptionOf(ArbMap.Default.GeneratorFor<uint>())
        from extensions in ArrayOf(from n in Token() from v in Token() select ("x-" + n, v), 0, 3)
        select new CandidateAttribute(foundation, component, transport, priority, address, port, type)
        {
            RelatedAddress = raddr,
            RelatedPort = rport,
            TcpType = tcpType,
            Generation = generation,
            Ufrag = ufrag,
            NetworkId = networkId,
            NetworkCost = networkCost,
            Extensions = Arr.create(extensions),
        };
}

public class SdpArbitraries
{
    public static Arbitrary<SdpDescription> Descriptions() => SdpGenerators.Description.ToArbitrary();
    public static Arbitrary<CandidateAttribute> Candidates() => SdpGenerators.Candidate.ToArbitrary();
}
